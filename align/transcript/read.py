"""Choosing a layout and reading a transcript file: detection, forcing, ambiguity.

Each layout family has a detector that scores how well a file fits it (0-1); the reader
of the best score above ``MIN_SCORE`` reads the file, and the four plain-text layouts of
``labels`` (scored ``LABELLED_SCORE`` or ``PLAIN_SCORE``) take whatever no specific layout
claims. When two specific layouts score within ``AMBIGUITY_MARGIN`` of the best and read
the file into different turns, the file is ambiguous: ``AmbiguousTranscriptError`` names
them, and ``--transcript-format`` (``fmt``) chooses. A forced layout that does not fit is
a ``TranscriptParseError``.

Files are decoded as UTF-8 (with or without BOM) or BOM-marked UTF-16/32; a zip file is
read as a Word document (``align.transcript.docx``).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from pathlib import Path

import align.transcript.captions as captions
import align.transcript.markdown as markdown
import align.transcript.podcast as podcast
import align.transcript.scripts as scripts
import align.transcript.services as services
import align.transcript.subtitles as subtitles
from align.errors import (
    AmbiguousTranscriptError,
    EmptyTranscriptError,
    TranscriptParseError,
    UnknownFormatError,
)
from align.transcript.base import TRANSCRIPT_FORMATS, Source, Transcript, TranscriptFormat
from align.transcript.docx import ZIP_MAGIC, docx_text
from align.transcript.labels import LabelledFormat, detect_labels, parse_labels

# A specific layout's signs must score at least this to claim a file.
MIN_SCORE = 0.5
# Two layouts closer than this to the best score are both candidates.
AMBIGUITY_MARGIN = 0.15
# What the plain-text layouts score: below every specific layout that fits.
LABELLED_SCORE = 0.4
PLAIN_SCORE = 0.2

_WORD_RE = re.compile(r"[^\W_]")
_LABELLED: tuple[LabelledFormat, ...] = ("speaker_block", "speaker_inline", "timestamped", "plain")

Detector = Callable[[Source], list[tuple[TranscriptFormat, float]]]
Parser = Callable[[Source], Transcript]


def _one(fmt: TranscriptFormat, score: Callable[[Source], float]) -> Detector:
    return lambda src: [(fmt, score(src))]


def _labelled(fmt: LabelledFormat) -> Parser:
    def parse(src: Source) -> Transcript:
        front, turns = parse_labels(src.lines, fmt, src.path)
        return Transcript(src.path, fmt, front, tuple(turns))

    return parse


DETECTORS: tuple[Detector, ...] = (
    _one("srt", subtitles.detect_srt),
    _one("vtt", subtitles.detect_vtt),
    _one("youtube_vtt", captions.detect_youtube_vtt),
    _one("sbv", captions.detect_sbv),
    _one("ass", captions.detect_ass),
    _one("podcast_json", podcast.detect_podcast_json),
    markdown.detect_markdown,
    _one("rev", services.detect_rev),
    services.detect_name_time,
    _one("interview", scripts.detect_interview),
    _one("screenplay", scripts.detect_screenplay),
)
PARSERS: dict[TranscriptFormat, Parser] = {
    "srt": subtitles.parse_srt,
    "vtt": subtitles.parse_vtt,
    "youtube_vtt": captions.parse_youtube_vtt,
    "sbv": captions.parse_sbv,
    "ass": captions.parse_ass,
    "podcast_json": podcast.parse_podcast_json,
    "markdown": markdown.parse_markdown,
    "markdown_table": markdown.parse_markdown_table,
    "rev": services.parse_rev,
    "otter": lambda src: services.parse_name_time(src, "otter"),
    "teams": lambda src: services.parse_name_time(src, "teams"),
    "interview": scripts.parse_interview,
    "screenplay": scripts.parse_screenplay,
    **{fmt: _labelled(fmt) for fmt in _LABELLED},
}


def detect_format(src: Source) -> list[tuple[TranscriptFormat, float]]:
    """Every layout that fits ``src``, best first, with its score."""
    scored = [(f, s) for det in DETECTORS for f, s in det(src) if s >= MIN_SCORE]
    fmt, count = detect_labels(src.lines)
    scored.append((fmt, LABELLED_SCORE if count else PLAIN_SCORE))
    return sorted(scored, key=lambda fs: -fs[1])


def _same_reading(a: Transcript, b: Transcript) -> bool:
    return [(t.speaker, t.tokens) for t in a.turns] == [(t.speaker, t.tokens) for t in b.turns]


def parse_transcript(
    text: str,
    fmt: TranscriptFormat | None = None,
    *,
    path: str = "<string>",
    suffix: str = "",
) -> Transcript:
    """Find the front matter and the speaker turns in a transcript's text.

    Args:
        text: the whole transcript; any line endings, a leading BOM is ignored.
        fmt: force a layout; None detects it.
        path: where the text came from, for error messages and ``Transcript.path``.
        suffix: the file's extension (".srt"), a hint for detection.

    Returns:
        The transcript; plain text has no front matter.

    Raises:
        EmptyTranscriptError: no turn holds a letter or digit.
        AmbiguousTranscriptError: two layouts fit equally well and read differently.
        TranscriptParseError: the text does not fit its (forced or detected) layout.
        UnknownFormatError: ``fmt`` is not a ``TranscriptFormat``.
    """
    if fmt is not None and fmt not in TRANSCRIPT_FORMATS:
        raise UnknownFormatError(str(fmt), TRANSCRIPT_FORMATS)
    src = Source.of(text, path, suffix)
    if not _WORD_RE.search(src.text):
        raise EmptyTranscriptError(path)
    if fmt is not None:
        transcript = PARSERS[fmt](src)
    else:
        candidates = detect_format(src)
        best_fmt, best = candidates[0]
        transcript = PARSERS[best_fmt](src)
        if best >= MIN_SCORE:
            rivals = [f for f, s in candidates[1:] if s >= max(MIN_SCORE, best - AMBIGUITY_MARGIN)]
            differing = [f for f in rivals if not _reads_same(src, f, transcript)]
            if differing:
                raise AmbiguousTranscriptError(path, [best_fmt, *differing])
    if not any(_WORD_RE.search(turn.text) for turn in transcript.turns):
        raise EmptyTranscriptError(path)
    return transcript


def _reads_same(src: Source, fmt: TranscriptFormat, reading: Transcript) -> bool:
    try:
        return _same_reading(PARSERS[fmt](src), reading)
    except TranscriptParseError:
        return True  # a rival that cannot read the file is no rival


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes, path: str | Path) -> str:
    """Decode UTF-8 (BOM or not) or BOM-marked UTF-16/32; refuse anything binary.

    Raises:
        TranscriptParseError: the bytes are not text in one of those encodings.
    """
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), "utf-8")
    if encoding == "utf-8" and b"\x00" in data:
        reason = "not a text file: it holds NUL bytes (UTF-16 needs a byte-order mark)"
        raise TranscriptParseError(path, reason)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        reason = (
            f"not a text file: byte 0x{data[e.start]:02x} at offset {e.start} is not "
            f"{encoding.removesuffix('-sig').upper()} (save the transcript as UTF-8)"
        )
        raise TranscriptParseError(path, reason) from e
    if "\x00" in text:
        raise TranscriptParseError(path, "not a text file: it holds NUL characters")
    return text


def read_transcript(path: str | Path, fmt: TranscriptFormat | None = None) -> Transcript:
    """Read and parse a transcript file: text in any layout, or a Word document.

    Args:
        path: the transcript file.
        fmt: force a layout; None detects it.

    Returns:
        The parsed transcript, with ``path`` as given.

    Raises:
        TranscriptParseError: the file is missing, a directory, unreadable, binary, a
            broken Word document, or does not fit its layout.
        EmptyTranscriptError: the file holds no words in any turn.
    """
    p = Path(path)
    if p.is_dir():
        raise TranscriptParseError(p, "is a directory")
    try:
        data = p.read_bytes()
    except FileNotFoundError as e:
        raise TranscriptParseError(p, "file not found") from e
    except PermissionError as e:
        raise TranscriptParseError(p, "permission denied") from e
    except OSError as e:
        raise TranscriptParseError(p, e.strerror or str(e)) from e
    suffix = p.suffix.lower()
    if data.startswith(ZIP_MAGIC) or suffix == ".docx":
        text = docx_text(p)
        suffix = ".txt"  # its layout is one of the text layouts
    else:
        text = decode_text(data, p)
    return parse_transcript(text, fmt, path=str(path), suffix=suffix)


__all__ = [
    "DETECTORS",
    "PARSERS",
    "decode_text",
    "detect_format",
    "parse_transcript",
    "read_transcript",
]
