"""The ``turnalign`` command line: ``align``, ``eval``, ``batch``, ``export``.

Strings become typed options here and nowhere else. Every ``ToolkitError`` becomes a
one-line message on stderr and its exit code (README, "Exit codes"); ``--debug`` shows
the traceback instead. Anything else is a bug and is allowed to crash.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from align.model import RefineMode

from align import __version__
from align.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    AlignmentFailedError,
    ToolkitError,
    UsageError,
)

log = logging.getLogger("turnalign")

DEFAULT_FORMATS = "json,srt"
# Below this share of words heard, the transcript is not of this audio (wrong file, wrong
# language, silence or music): say so with exit code 3 rather than claim success.
DEFAULT_MIN_COVERAGE = 0.1


def _add_engine_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("engine")
    g.add_argument(
        "--engine", default="faster-whisper", choices=["faster-whisper", "openai-whisper"]
    )
    g.add_argument(
        "--model",
        default="tiny.en",
        help="tiny.en (bundled), base (bundled), a local model folder, or any "
        "name the engine downloads (default: tiny.en)",
    )
    g.add_argument("--device", default="auto", choices=["cpu", "cuda", "auto"])
    g.add_argument(
        "--compute-type",
        default="default",
        help="CTranslate2 compute type, e.g. int8, float16, float32 (default: int8 on "
        "CPU, float16 on CUDA)",
    )
    g.add_argument("--language", default=None, help="language code, e.g. en (default: detect)")
    g.add_argument("--beam-size", type=int, default=1)
    g.add_argument(
        "--batch-size",
        type=int,
        default=1,
        help="30 s chunks decoded together (faster-whisper; helps most on a GPU; default 1)",
    )
    g.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads per engine call (part of the result, so fixed; default 1)",
    )
    g.add_argument(
        "--engine-workers",
        type=int,
        default=2,
        help="windows of audio transcribed at once, each in its own process (faster-whisper; "
        "changes no output; default 2)",
    )
    g.add_argument(
        "--vad",
        action="store_true",
        help="skip what Silero VAD calls silence before decoding (faster; can drop quiet speech)",
    )


def _add_output_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("output")
    g.add_argument("-o", "--output-dir", default=".", help="folder for the outputs (default: .)")
    g.add_argument(
        "--format",
        default=DEFAULT_FORMATS,
        help=f"comma list of output formats (default: {DEFAULT_FORMATS})",
    )
    g.add_argument("--max-chars", type=int, default=42, help="subtitle characters per line")
    g.add_argument("--max-lines", type=int, default=2, help="subtitle lines per cue")
    g.add_argument("--max-cue-s", type=float, default=6.0, help="longest subtitle cue, seconds")
    g.add_argument(
        "--no-speaker-prefix", action="store_true", help="leave speaker names out of subtitles"
    )
    g.add_argument(
        "--html-embed-audio",
        default="auto",
        choices=["auto", "always", "never"],
        help="html: embed the audio in the page (auto: files up to 20 MB) or link it",
    )
    g.add_argument(
        "--fix-words",
        action="store_true",
        help="the corrected transcript also applies confident word substitutions",
    )


def _add_align_args(p: argparse.ArgumentParser) -> None:
    from align.transcript import TRANSCRIPT_FORMATS

    p.add_argument(
        "--transcript-format",
        default=None,
        choices=TRANSCRIPT_FORMATS,
        metavar="LAYOUT",
        help="force the transcript layout, one of: "
        f"{', '.join(TRANSCRIPT_FORMATS)} (default: detect it)",
    )
    p.add_argument(
        "--refine",
        default=None,
        choices=["none", "fast", "full"],
        help="boundary refinement after alignment: full (forced alignment, default), fast "
        "(snap edges to speech energy), none",
    )
    p.add_argument(
        "--refine-workers",
        type=int,
        default=2,
        help="processes that share the refinement (the result does not depend on it; default 2)",
    )
    p.add_argument(
        "--no-rerun", action="store_true", help="do not re-listen to stretches the engine skipped"
    )
    p.add_argument(
        "--min-coverage",
        type=float,
        default=DEFAULT_MIN_COVERAGE,
        help="exit 3 when less than this share (0-1) of the transcript's words is heard "
        f"(default: {DEFAULT_MIN_COVERAGE}); outputs are written first",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="turnalign",
        description="Put time on transcripts: align speaker turns and words to audio.",
    )
    parser.add_argument("--version", action="version", version=f"turnalign {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress or summary")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("align", help="align one transcript to one audio file")
    p.add_argument("audio", help="audio or video file (any format PyAV decodes)")
    p.add_argument("transcript", help="transcript file (text, with or without speaker labels)")
    _add_align_args(p)
    _add_engine_args(p)
    _add_output_args(p)

    p = sub.add_parser("eval", help="score a result JSON against a reference")
    p.add_argument("result", help="a turnalign result .json")
    p.add_argument("reference", help="truth JSON, TextGrid, CTM, RTTM or words JSON")
    p.add_argument(
        "--reference-format",
        default="auto",
        choices=["auto", "truth_json", "textgrid", "ctm", "rttm", "words_json"],
    )
    p.add_argument(
        "--turn-map",
        default="auto",
        choices=["auto", "noisy", "order", "text", "time"],
        help="how result turns map to reference turns (default: auto)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    p = sub.add_parser(
        "batch", help="align many files from a manifest or a folder (resumable; local or Ray)"
    )
    from align.batch.cli import add_batch_args

    add_batch_args(p)
    _add_align_args(p)
    _add_engine_args(p)
    _add_output_args(p)

    p = sub.add_parser(
        "export", help="cut the aligned audio into training clips with manifests (datasets)"
    )
    p.add_argument("result", help="a turnalign result .json")
    p.add_argument("-o", "--output-dir", required=True, help="folder for clips and manifests")
    p.add_argument("--audio", default=None, help="the recording (default: the result's audio.path)")
    p.add_argument("--min-s", type=float, default=1.0, help="shortest clip, seconds (default: 1)")
    p.add_argument("--max-s", type=float, default=30.0, help="longest clip, seconds (default: 30)")
    p.add_argument(
        "--pad-ms", type=int, default=100, help="silence kept around the words (default: 100)"
    )
    p.add_argument(
        "--min-coverage", type=float, default=0.0, help="drop clips with less heard (0-1)"
    )
    p.add_argument(
        "--min-confidence", type=float, default=0.0, help="drop clips below this confidence"
    )
    p.add_argument("--drop-mismatched", action="store_true", help="drop clips any mismatch touches")
    p.add_argument("--audio-format", default="flac", choices=["flac", "wav"])
    p.add_argument(
        "--name-prefix", default=None, help="clip name prefix (default: the audio's stem)"
    )
    return parser


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
        return handlers[args.command](args)
    except ToolkitError as e:
        if args.debug:
            raise
        print(f"turnalign: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("turnalign: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


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
    from align.corrections import CorrectionOptions
    from align.engines.base import EngineOptions
    from align.pipeline import AlignOptions

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
            refine=cast("RefineMode", args.refine) if args.refine else _default_refine(),
            refine_workers=args.refine_workers,
        )
    except ValueError as e:
        raise UsageError(str(e)) from e


def _default_refine() -> RefineMode:
    from align.refine import DEFAULT_MODE

    return cast("RefineMode", DEFAULT_MODE)


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
    from align.pipeline import align_file
    from align.report import summary_lines
    from align.writers import write_outputs

    formats = _parse_formats(args.format)
    wopts = _writer_options(args)
    opts = align_options(args)
    if args.min_coverage is not None and not 0.0 <= args.min_coverage <= 1.0:
        raise UsageError(f"--min-coverage must be between 0 and 1, got {args.min_coverage}")
    outdir = Path(args.output_dir)
    stem = Path(args.transcript).stem
    _check_not_overwriting_inputs(outdir, stem, formats, (args.audio, args.transcript))
    _check_output_dir(outdir)
    bar, on_progress = _progress(args.quiet)
    with bar:
        result = align_file(args.audio, args.transcript, opts, on_progress=on_progress)
    written = write_outputs(result, formats, outdir, stem, wopts)
    if not args.quiet:
        for line in summary_lines(result):
            print(line, file=sys.stderr)
        for path in written:
            print(f"wrote {path}", file=sys.stderr)
    q = result.quality
    if args.min_coverage is not None and q is not None and q.coverage < args.min_coverage:
        raise AlignmentFailedError(q.coverage, args.min_coverage)
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
    summary = export_clips(result, audio_path, args.output_dir, opts)
    if not args.quiet:
        for line in summary_lines(summary):
            print(line, file=sys.stderr)
    return EXIT_OK
