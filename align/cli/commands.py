"""The ``turnalign`` commands: ``align``, ``eval``, ``batch``, ``export``, and ``main``.

Strings become typed options here (the arguments are ``align.cli.parser``'s) and nowhere
else. Every ``ToolkitError`` becomes a one-line message on stderr and its exit code
(README, "Exit codes"); ``--debug`` shows the traceback instead. Anything else is a bug
and is allowed to crash.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from align.model import RefineMode, Result

from align.cli.parser import build_parser
from align.defaults import DEFAULT_REFINE_MODE
from align.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    AlignmentFailedError,
    AudioDecodeError,
    ToolkitError,
    UsageError,
)

log = logging.getLogger("turnalign")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (see README, "Exit codes")."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: --help (0) or a usage error (2)
        return int(e.code or 0)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "align": _cmd_align,
        "eval": _cmd_eval,
        "batch": _cmd_batch,
        "export": _cmd_export,
    }
    try:
        code = handlers[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return code
    except ToolkitError as e:
        if args.debug:
            raise
        print(f"turnalign: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("turnalign: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # stdout's reader stopped reading (``| head``): no traceback
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _silence_stdout() -> None:
    """Point stdout at the null device, so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor behind sys.stdout
        pass


def _parse_formats(text: str) -> list[str]:
    from align.writers import get_writer

    names = [f.strip().lower() for f in text.split(",") if f.strip()]
    if not names:
        raise UsageError("--format needs at least one format")
    for name in names:
        get_writer(name)  # raises UnknownFormatError before any work starts
    return list(dict.fromkeys(names))


def _writer_options(args: argparse.Namespace) -> Any:
    from align.writers import WriterOptions
    from align.writers.options import SubtitleOptions

    try:
        return WriterOptions(
            subtitle=SubtitleOptions(
                max_chars_per_line=args.max_chars,
                max_lines=args.max_lines,
                max_cue_s=args.max_cue_s,
                speaker_prefix=not args.no_speaker_prefix,
            ),
            html_embed_audio=args.html_embed_audio,
        )
    except ValueError as e:
        raise UsageError(str(e)) from e


def align_options(args: argparse.Namespace) -> Any:
    """Typed ``AlignOptions`` from parsed arguments (shared by ``align`` and ``batch``)."""
    from align.claims import ClaimOptions
    from align.corrections import CorrectionOptions
    from align.engines.base import EngineOptions
    from align.options import AlignOptions
    from audio.denoise import DenoiseOptions

    try:
        engine = EngineOptions(
            model=args.model,
            device=args.device,
            compute_type=args.compute_type,
            language=args.language,
            beam_size=args.beam_size,
            batch_size=args.batch_size,
            cpu_threads=args.threads,
            workers=args.engine_workers,
            vad_filter=args.vad,
        )
        return AlignOptions(
            corrections=CorrectionOptions(fix_words=getattr(args, "fix_words", False)),
            engine_name=args.engine,
            engine=engine,
            transcript_format=args.transcript_format,
            rerun_gaps=not args.no_rerun,
            guard_loops=not args.no_loop_guard,
            verify=not args.no_verify,
            claims=ClaimOptions(judge=not args.no_judge),
            denoise=DenoiseOptions() if args.denoise == "auto" else None,
            refine=cast("RefineMode", args.refine or DEFAULT_REFINE_MODE),
            refine_workers=args.refine_workers,
        )
    except ValueError as e:
        raise UsageError(str(e)) from e


def _progress(
    quiet: bool,
) -> tuple[AbstractContextManager[Any], Callable[[float, float], None] | None]:
    if quiet or not sys.stderr.isatty():
        return nullcontext(), None
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("transcribing"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
        TimeRemainingColumn(),
        transient=True,
        console=None,
    )
    task = progress.add_task("transcribing", total=1.0)

    def update(done_s: float, total_s: float) -> None:
        progress.update(task, completed=done_s, total=max(total_s, 1e-9))

    return progress, update


def _cmd_align(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from align.api import align_file
    from align.cli.summary import summary_lines
    from align.writers import write_outputs

    formats = _parse_formats(args.format)
    wopts = _writer_options(args)
    if args.min_coverage is not None and not 0.0 <= args.min_coverage <= 1.0:
        raise UsageError(f"--min-coverage must be between 0 and 1, got {args.min_coverage}")
    opts = replace(align_options(args), min_coverage=args.min_coverage)
    outdir = Path(args.output_dir)
    stem = Path(args.transcript).stem
    _check_not_overwriting_inputs(outdir, stem, formats, (args.audio, args.transcript))
    _check_output_dir(outdir)
    bar, on_progress = _progress(args.quiet)
    poor_fit: AlignmentFailedError | None = None
    with bar:
        try:
            result = align_file(args.audio, args.transcript, opts, on_progress=on_progress)
        except AlignmentFailedError as e:  # the outputs are still written, then exit 3
            if e.result is None:
                raise
            poor_fit, result = e, cast("Result", e.result)
    written = write_outputs(result, formats, outdir, stem, wopts)
    if not args.quiet:
        for line in summary_lines(result):
            print(line, file=sys.stderr)
        for path in written:
            print(f"wrote {path}", file=sys.stderr)
    if poor_fit is not None:
        raise poor_fit
    return EXIT_OK


def _check_not_overwriting_inputs(
    outdir: Path, stem: str, formats: Sequence[str], inputs: Sequence[str]
) -> None:
    from align.writers import get_writer

    protected = {Path(p).resolve() for p in inputs}
    for name in formats:
        target = (outdir / f"{stem}{get_writer(name).extension}").resolve()
        if target in protected:
            raise UsageError(f"--format {name} would overwrite the input '{target}'; use -o")


def _check_output_dir(outdir: Path) -> None:
    """Fail before the model loads when ``outdir`` cannot be made (it or a parent is a file),
    so that an hour of transcription is not thrown away at the last step."""
    import os

    from align.errors import OutputError

    path = outdir
    while not os.path.lexists(path) and path.parent != path:
        path = path.parent
    if not os.path.isdir(path):
        raise OutputError(path, "is not a folder" if os.path.lexists(path) else "not found")
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(path, "permission denied")


def _cmd_batch(args: argparse.Namespace) -> int:
    from align.batch.cli import run_batch_command

    formats = _parse_formats(args.format)
    return run_batch_command(args, align_options(args), formats, _writer_options(args))


def _cmd_eval(args: argparse.Namespace) -> int:
    import json

    from align.evaluation import EvalOptions, evaluate, format_text, read_reference, read_result

    result = read_result(args.result)
    ref = read_reference(args.reference, args.reference_format)
    try:
        eval_opts = EvalOptions(turn_map=args.turn_map)
    except ValueError as e:
        raise UsageError(str(e)) from e
    report = evaluate(result, ref, eval_opts)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(format_text(report))
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from align.evaluation.reference import read_result
    from align.export import ExportOptions, export_clips, resolve_audio_path, summary_lines

    try:
        opts = ExportOptions(
            min_s=args.min_s,
            max_s=args.max_s,
            pad_ms=args.pad_ms,
            min_coverage=args.min_coverage,
            min_confidence=args.min_confidence,
            drop_mismatched=args.drop_mismatched,
            audio_format=args.audio_format,
            name_prefix=args.name_prefix,
        )
    except ValueError as e:
        raise UsageError(str(e)) from e
    result = read_result(args.result)
    audio_path = args.audio or resolve_audio_path(result, args.result)
    if args.audio is None and not Path(audio_path).exists():
        # The result names its audio as given to ``align``, often relative to another folder.
        raise AudioDecodeError(audio_path, "file not found (name the recording with --audio)")
    summary = export_clips(result, audio_path, args.output_dir, opts)
    if not args.quiet:
        for line in summary_lines(summary):
            print(line, file=sys.stderr)
    return EXIT_OK


__all__ = ["align_options", "main"]
