"""Align many files in one resumable run: in this process, in local worker processes, or
on a Ray cluster.

``run_batch`` skips items whose outputs are already complete for the same inputs and
options (``align.batch.state``), hands the rest to a backend, and writes
``OUTDIR/batch_summary.json``. Every backend drives the same ``Worker``: it loads each
model once, parses the *next* item's transcript and decodes its audio in a prefetch
thread while the current item transcribes (PyAV and CTranslate2 both release the GIL),
and turns any failure of an item into an ``ItemOutcome`` instead of stopping the run.
Progress comes out through ``on_event``; this module never prints.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from align.batch.items import (
    SUMMARY_NAME,
    BatchItem,
    ItemOverrides,
    check_output_names,
    output_names,
)
from align.batch.state import (
    finished_marker,
    lock_outdir,
    options_digest,
    remove_stale_temp_files,
    state_dir,
    write_json_atomic,
)
from align.batch.types import (
    BatchEvent,
    BatchOptions,
    BatchSummary,
    EventFn,
    ItemOutcome,
    below_min_coverage,
    failed_outcome,
    resolve_item_options,
)
from align.batch.worker import EngineLoader, Worker
from align.errors import AlignmentFailedError, OutputError
from align.options import AlignOptions
from align.writers import WriterOptions

log = logging.getLogger(__name__)

_DEFAULT_OPTIONS = BatchOptions()


def run_batch(
    items: Sequence[BatchItem],
    outdir: str | Path,
    opts: BatchOptions = _DEFAULT_OPTIONS,
    *,
    source: str | Path = "",
    on_event: EventFn | None = None,
    engine_loader: EngineLoader | None = None,
) -> BatchSummary:
    """Align every item, skipping finished ones; write ``OUTDIR/batch_summary.json``.

    Args:
        items: what to align (see ``align.batch.manifest``); ids must be unique.
        outdir: the output folder (on a Ray cluster, a path every node sees).
        opts: batch options.
        source: the manifest or folder the items came from, for messages and the summary.
        on_event: receives start, progress and finish events (from any thread).
        engine_loader: replaces ``pipeline.load_engine`` (in-process runs only; tests).

    Returns:
        The outcome of every item; ``exit_code`` is 1 when any failed.

    Raises:
        ManifestError: two items would write the same output file.
        UsageError: another batch is writing to ``outdir``; Ray is missing or unreachable.
        OutputError: ``outdir`` or the summary cannot be written.
    """
    t0 = time.perf_counter()
    out = Path(outdir)
    check_output_names(source, items, opts.formats)
    outcomes: dict[str, ItemOutcome] = {}

    def record(event: BatchEvent) -> None:
        if event.kind == "finish" and event.outcome is not None:
            outcomes[event.item_id] = event.outcome
        if on_event is not None:
            on_event(event)

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(out, e.strerror or str(e)) from e
    with lock_outdir(out):
        _remove_leftovers(out, items, opts)
        todo = _unfinished(items, out, opts, record)
        if todo:
            _dispatch(todo, out, opts, record, engine_loader)
        for item in todo:  # a backend that lost an item must not lose it silently
            if item.id not in outcomes:
                record(_finish(item.id, RuntimeError("the worker gave no result"), 0))
        summary = BatchSummary(
            tuple(outcomes[item.id] for item in items),
            str(source),
            str(out),
            opts.backend,
            time.perf_counter() - t0,
        )
        write_json_atomic(out / SUMMARY_NAME, summary.to_dict())
    return summary


def _finish(item_id: str, e: BaseException, worker: int) -> BatchEvent:
    return BatchEvent("finish", item_id, worker, outcome=failed_outcome(item_id, e))


def _remove_leftovers(out: Path, items: Sequence[BatchItem], opts: BatchOptions) -> None:
    names: list[str] = []
    markers: list[str] = []
    for item in items:
        names.extend(output_names(item.id, item.overrides.formats or opts.formats))
        markers.append(f"{item.id}.done.json")
    remove_stale_temp_files(out, names)
    remove_stale_temp_files(state_dir(out), markers)


def _unfinished(
    items: Sequence[BatchItem], out: Path, opts: BatchOptions, record: EventFn
) -> list[BatchItem]:
    """Report finished items as skipped (or failed, below ``min_coverage``); return the rest."""
    if opts.force:
        return list(items)
    digests = {it.overrides: options_digest(*_digest_args(opts, it.overrides)) for it in items}
    # Hashing inputs is I/O-bound and hashlib releases the GIL: check markers in parallel.
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="turnalign-check") as pool:
        markers = list(pool.map(lambda it: finished_marker(out, it, digests[it.overrides]), items))
    todo: list[BatchItem] = []
    for item, marker in zip(items, markers):
        if marker is None:
            todo.append(item)
            continue
        coverage = marker.get("coverage")
        outputs = tuple(str(n) for n in marker["outputs"])
        outcome = ItemOutcome(item.id, "skipped", outputs, coverage=coverage)
        if below_min_coverage(opts.min_coverage, coverage):
            assert opts.min_coverage is not None and coverage is not None
            e = AlignmentFailedError(coverage, opts.min_coverage)
            outcome = replace(outcome, status="failed", reason=str(e), error=type(e).__name__)
        record(BatchEvent("finish", item.id, outcome=outcome))
    return todo


def _digest_args(
    opts: BatchOptions, overrides: ItemOverrides
) -> tuple[AlignOptions, tuple[str, ...], WriterOptions]:
    align_opts, formats = resolve_item_options(opts, overrides)
    return align_opts, formats, opts.writer


def _dispatch(
    todo: list[BatchItem],
    out: Path,
    opts: BatchOptions,
    record: EventFn,
    engine_loader: EngineLoader | None,
) -> None:
    if opts.backend == "ray":
        from align.batch.ray_backend import run_ray

        run_ray(todo, out, opts, record)
    elif opts.workers > 1 and len(todo) > 1:
        from align.batch.pool import run_pool

        run_pool(todo, out, opts, record)
    else:
        worker = Worker(out, opts, on_event=record, engine_loader=engine_loader)
        try:
            for i, item in enumerate(todo):
                worker.process(item, todo[i + 1] if i + 1 < len(todo) else None)
        finally:
            worker.close()


__all__ = ["run_batch"]
