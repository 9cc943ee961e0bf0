"""The arguments of ``turnalign``: one parser, its four commands and their option groups.

``build_parser`` imports nothing heavy (``align.batch.cli`` adds the batch arguments), so
``turnalign --help`` and a usage error answer at once.
"""

from __future__ import annotations

import argparse

from align import __version__
from align.defaults import DEFAULT_FORMATS as _FORMATS
from align.defaults import DEFAULT_MIN_COVERAGE, DEFAULT_REFINE_MODE
from align.model import REFINE_MODES

DEFAULT_FORMATS = ",".join(_FORMATS)


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
        choices=REFINE_MODES,
        help="boundary refinement after alignment: full (forced alignment), fast "
        f"(snap edges to speech energy), none (default: {DEFAULT_REFINE_MODE})",
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
        "--no-loop-guard",
        action="store_true",
        help="trust the first pass where it prints one phrase over and over (default: hear "
        "such stretches again without context)",
    )
    p.add_argument(
        "--no-verify",
        action="store_true",
        help="report words not in the audio on Whisper's text alone (default: with --refine "
        "full, the forced aligner asks the audio first)",
    )
    p.add_argument(
        "--no-judge",
        action="store_true",
        help="report every word Whisper's text has differently, and all it heard that no "
        "transcript word pairs with (default: only what the audio backs, read teacher-forced "
        "by Whisper)",
    )
    p.add_argument(
        "--denoise",
        default="auto",
        choices=("auto", "never"),
        help="auto: with --refine full, a noisy file (speech under 19 dB over its noise "
        "floor) reaches the forced aligner with the floor subtracted; Whisper hears the "
        "original (default: auto)",
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
    for command in sub.choices.values():  # "turnalign align ... -q" works as "-q align" does
        command.add_argument(
            "-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
            help="no progress or summary",
        )  # fmt: skip
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS,
            help="show tracebacks and debug logs",
        )  # fmt: skip
    return parser


__all__ = ["DEFAULT_FORMATS", "DEFAULT_MIN_COVERAGE", "build_parser"]
