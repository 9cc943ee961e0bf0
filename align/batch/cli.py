"""The ``turnalign batch`` command: its arguments, progress display and terminal summary.

Kept out of ``cli.py`` so that the shared command-line module only wires the command
in. Strings become typed ``BatchOptions`` here; the work is ``align.batch.run_batch``.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any

from align.errors import UsageError

_STATUS_MARK = {"done": "done   ", "failed": "FAILED ", "skipped": "skipped"}


def add_batch_args(p: argparse.ArgumentParser) -> None:
    """Arguments of ``turnalign batch`` (align, engine and output arguments come from cli)."""
    p.add_argument(
        "manifest",
        nargs="?",
        help="manifest: .csv, .tsv or .jsonl with columns audio, transcript and optional "
        "id, language, options (see README); a folder is paired as --pairs DIR",
    )
    p.add_argument(
        "--pairs",
        metavar="DIR",
        default=None,
        help="instead of a manifest: pair each audio file in DIR with the .txt of its stem",
    )
    g = p.add_argument_group("batch")
    g.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (or Ray actors), each loading the model once (default: 1)",
    )
    g.add_argument("--backend", default="local", choices=["local", "ray"])
    g.add_argument(
        "--ray-address",
        default=None,
        help="Ray cluster to join, e.g. ray://head:10001 (default: $RAY_ADDRESS, else a new "
        "local instance)",
    )
    g.add_argument("--force", action="store_true", help="redo items that are already finished")


def run_batch_command(
    args: argparse.Namespace, align_opts: Any, formats: list[str], writer_opts: Any
) -> int:
    """Run ``turnalign batch``; returns 0 when every item succeeded, 1 when some failed.

    Raises:
        ManifestError: a bad manifest (exit code 2).
        UsageError: a bad option or combination of options.
    """
    from align.batch.manifest import pair_directory, read_manifest
    from align.batch.runner import run_batch
    from align.batch.types import BatchOptions

    if (args.manifest is None) == (args.pairs is None):
        raise UsageError("batch needs a MANIFEST or --pairs DIR (one of them)")
    source = args.manifest if args.manifest is not None else args.pairs
    # A folder given as the manifest is paired as --pairs pairs it.
    from_manifest = args.manifest is not None and not Path(args.manifest).is_dir()
    items = read_manifest(source) if from_manifest else pair_directory(source)
    try:
        opts = BatchOptions(
            align=align_opts,
            formats=tuple(formats),
            writer=writer_opts,
            workers=args.workers,
            backend=args.backend,
            ray_address=args.ray_address,
            force=args.force,
            min_coverage=args.min_coverage,
        )
    except ValueError as e:
        raise UsageError(str(e)) from e
    outdir = Path(args.output_dir)
    with _Reporter(len(items), args.quiet) as reporter:
        summary = run_batch(items, outdir, opts, source=source, on_event=reporter.on_event)
    if not args.quiet:
        print(
            f"batch: {summary.count('done')} done, {summary.count('failed')} failed, "
            f"{summary.count('skipped')} skipped of {len(summary.outcomes)} "
            f"in {summary.elapsed_s:.1f} s; summary: {outdir / 'batch_summary.json'}",
            file=sys.stderr,
        )
        for o in summary.outcomes:
            if o.status == "failed":
                print(f"  failed {o.id}: {o.reason}", file=sys.stderr)
    return summary.exit_code


class _Reporter(AbstractContextManager["_Reporter"]):
    """Per-item lines on stderr, plus a rich progress bar (ETA over the items left to
    align, one row per busy worker) when stderr is a terminal. Silent with --quiet."""

    def __init__(self, total: int, quiet: bool) -> None:
        self._quiet = quiet
        self._progress: Any = None
        self._counts = {"done": 0, "failed": 0, "skipped": 0}
        self._rows: dict[int, Any] = {}
        self._total = total
        if quiet or not sys.stderr.isatty():
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._overall = self._progress.add_task(self._describe(), total=total)

    def __enter__(self) -> _Reporter:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def on_event(self, event: Any) -> None:
        if self._quiet:
            return
        if event.kind == "finish":
            self._finish(event)
        elif self._progress is not None:
            row = self._rows.get(event.worker)
            label = f"  [{event.worker}] {event.item_id}"
            if row is None:
                row = self._rows[event.worker] = self._progress.add_task(label, total=None)
            if event.kind == "start":
                self._progress.reset(row, description=label, total=None, visible=True)
            else:
                self._progress.update(row, completed=event.done_s, total=event.total_s)

    def _finish(self, event: Any) -> None:
        o = event.outcome
        line = f"{_STATUS_MARK[o.status]} {o.id}"
        if o.status == "failed":
            line += f": {o.reason}"
        elif o.status == "done":
            line += f" ({o.elapsed_s:.1f} s)"
        self._counts[o.status] += 1
        if self._progress is None:
            print(line, file=sys.stderr)
            return
        self._progress.console.print(line, markup=False, highlight=False)
        if event.worker in self._rows:  # the worker is idle until its next start
            self._progress.update(self._rows[event.worker], visible=False)
        if o.status == "skipped":  # keep the ETA about work still to do
            self._total -= 1
            self._progress.update(self._overall, total=self._total)
        else:
            self._progress.advance(self._overall)
        self._progress.update(self._overall, description=self._describe())

    def _describe(self) -> str:
        c = self._counts
        return f"batch ({c['done']} done, {c['failed']} failed, {c['skipped']} skipped)"


__all__ = ["add_batch_args", "run_batch_command"]
