"""Subtitles as transcripts: SRT and WebVTT read cue by cue, speakers found in the cues.

A subtitle file is a transcript cut into timed cues. This module reads the cues (number,
identifier, timing, WebVTT settings, text lines) and ``assemble_cues`` turns them into
speaker turns: consecutive cues of one speaker form one turn, and every cue is kept
(``Transcript.cues``) so that a writer can give it a new time and write the file back.

Where the speaker comes from, first match wins:

1. the cue itself: a WebVTT voice span (``<v Anna Kowalski>``, Teams and Apple Podcasts),
   an ASS event's Name, a podcast JSON segment's ``speaker``;
2. a name prefix on the cue's first line (``Sarah: In today's episode``, Zoom and the
   podcast namespace's SRT; YouTube's ``>> ALICE:``), used only when names open more
   cues than other words before a colon do;
3. the speaker of the cue before (the podcast namespace marks only changes of speaker),
   and ``Speaker 1`` for cues before any name.

SRT and WebVTT are read by hand, not with pysubs2 (1.8): it drops cue identifiers,
settings and NOTE blocks, which a file written back must keep, and it folds a broken
timing line into the previous cue's text, where it would be aligned as words. A broken
timing line is a ``TranscriptParseError`` naming its line.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from align.errors import EmptyTranscriptError, TranscriptParseError
from align.transcript.base import (
    DEFAULT_SPEAKER,
    MAX_NAME_CHARS,
    MAX_NAME_WORDS,
    Cue,
    Source,
    Transcript,
    TranscriptFormat,
    TranscriptTurn,
)
from align.transcript.notation import make_turn, split_speech

_SRT_TIME = r"\d{1,3}:\d{2}:\d{2}[,.]\d{1,3}"
_SRT_TIMING_RE = re.compile(rf"\s*(?P<start>{_SRT_TIME})\s*-->\s*(?P<end>{_SRT_TIME})(?:\s+.*)?")
_VTT_TIME = r"(?:\d+:)?\d{2}:\d{2}\.\d{3}"
_VTT_TIMING_RE = re.compile(
    rf"\s*(?P<start>{_VTT_TIME})\s+-->\s+(?P<end>{_VTT_TIME})(?P<settings>(?:\s+\S+)*)\s*"
)
# A line meant as a timing line: an arrow, or two clock times on one line.
_TIMING_LIKE_RE = re.compile(r"-+>|\d+:\d{2}[,.:]\d+.*\d+:\d{2}[,.:]\d+|^\s*\d+:\d{2}:\d{2}[,.]")
_INDEX_RE = re.compile(r"\s*\d+\s*")
_VOICE_RE = re.compile(r"<v(?:\.[^\s>]*)?\s+(?P<name>[^>]+)>")
_TAG_RE = re.compile(r"</?[a-zA-Z][^>]*>|<\d+:\d{2}(?::\d{2})?\.\d{3}>")
# YouTube's automatic captions time each word inside the cue: "so<00:00:00.560><c> today</c>".
WORD_TIMESTAMP_RE = re.compile(r"<\d{2}:\d{2}:\d{2}\.\d{3}>")
_PREFIX_RE = re.compile(r"(?:>>\s*)?(?P<name>[^\W\d_][\w.'’ \-]{0,59}?)\s*[:：]\s+(?P<rest>\S.*)")
_ANY_PREFIX_RE = re.compile(r"(?:>>\s*)?(?P<lead>[^:：]{1,40})[:：]\s")


@dataclass(frozen=True, slots=True)
class RawCue:
    """A cue as read: times, lines as written, and a speaker if the cue names one."""

    start_s: float
    end_s: float
    lines: tuple[str, ...]
    line: int  # 1-based line of the cue's first line (or segment number)
    ident: str = ""
    settings: str = ""
    speaker: str | None = None  # from the cue itself (voice span, ASS Name, JSON field)


def clock_seconds(stamp: str) -> float:
    """Seconds of ``HH:MM:SS,mmm`` / ``MM:SS.mmm`` (1 to 3 decimals)."""
    main, _, frac = stamp.replace(",", ".").partition(".")
    parts = [int(p) for p in main.split(":")]
    hours, minutes, seconds = parts if len(parts) == 3 else [0, *parts]
    if seconds >= 60 or minutes >= 60:
        raise ValueError(f"not a time: {stamp!r}")
    return hours * 3600 + minutes * 60 + seconds + (int(frac) / 10 ** len(frac) if frac else 0.0)


def _timing_like(line: str) -> bool:
    return _TIMING_LIKE_RE.search(_TAG_RE.sub("", line)) is not None


def _blocks(lines: Sequence[str], *, empty_only: bool = False) -> list[tuple[int, list[str]]]:
    """Runs of non-blank lines, each with its 0-based first line number.

    ``empty_only``: only an empty line ends a block (WebVTT: YouTube writes cues whose
    second line is a single space); otherwise a line of spaces does too (SubRip).
    """
    out: list[tuple[int, list[str]]] = []
    for i, raw in enumerate(lines):
        if (raw != "") if empty_only else raw.strip():
            if out and out[-1][0] + len(out[-1][1]) == i:
                out[-1][1].append(raw)
            else:
                out.append((i, [raw]))
    return out


def _timing(m: re.Match[str] | None, raw: str, lineno: int, path: str) -> tuple[float, float]:
    expected = "'00:00:01,000 --> 00:00:02,500'"
    if m is None:
        raise TranscriptParseError(
            path, f"broken timing line {raw.strip()!r}: expected {expected}", lineno
        )
    try:
        start, end = clock_seconds(m["start"]), clock_seconds(m["end"])
    except ValueError as e:
        raise TranscriptParseError(path, f"broken timing line {raw.strip()!r}: {e}", lineno) from e
    if end < start:
        raise TranscriptParseError(
            path, f"cue ends ({m['end']}) before it starts ({m['start']})", lineno
        )
    return start, end


def read_srt_cues(src: Source) -> list[RawCue]:
    """The cues of a SubRip file.

    Raises:
        TranscriptParseError: a timing line that does not parse, a numbered cue without
            one, or no cue at all.
    """
    cues: list[RawCue] = []
    for first, block in _blocks(src.lines):
        k = 1 if _INDEX_RE.fullmatch(block[0]) and len(block) > 1 else 0
        if not _timing_like(block[k]):
            if k == 0 and cues:  # a blank line inside a cue's text: the text goes on
                prev = cues[-1]
                cues[-1] = replace(prev, lines=(*prev.lines, "", *block))
                continue
            raise TranscriptParseError(
                src.path, f"expected a cue timing line, found {block[k].strip()!r}", first + k + 1
            )
        start, end = _timing(_SRT_TIMING_RE.fullmatch(block[k]), block[k], first + k + 1, src.path)
        ident = block[0].strip() if k else ""
        cues.append(RawCue(start, end, tuple(block[k + 1 :]), first + 1, ident))
    if not cues:
        raise TranscriptParseError(src.path, "no subtitle cues found")
    return cues


def read_vtt_cues(src: Source) -> tuple[list[RawCue], str, str]:
    """The cues of a WebVTT file, its NOTE text (front matter) and header blocks.

    The header keeps the ``WEBVTT`` block and any STYLE and REGION blocks, to be written
    back; NOTE blocks are comments for people and become the front matter.

    Raises:
        TranscriptParseError: no ``WEBVTT`` line, a timing line that does not parse.
    """
    blocks = _blocks(src.lines, empty_only=True)
    if not blocks or not blocks[0][1][0].lstrip().startswith("WEBVTT"):
        raise TranscriptParseError(src.path, "a WebVTT file starts with a 'WEBVTT' line", 1)
    header = ["\n".join(blocks[0][1])]
    notes: list[str] = []
    cues: list[RawCue] = []
    for first, block in blocks[1:]:
        head = block[0].strip()
        if head.startswith(("STYLE", "REGION")) and "-->" not in head:
            header.append("\n".join(block))
            continue
        if head == "NOTE" or head.startswith(("NOTE ", "NOTE\t")):
            notes.append("\n".join([head[4:].strip(), *block[1:]]).strip())
            continue
        k = 0 if _timing_like(block[0]) else 1
        if k >= len(block) or not _timing_like(block[k]):
            if cues:  # text after a blank line: WebVTT ends the cue there; keep the words
                prev = cues[-1]
                cues[-1] = replace(prev, lines=(*prev.lines, "", *block))
                continue
            raise TranscriptParseError(
                src.path, f"expected a cue timing line, found {head!r}", first + 1
            )
        m = _VTT_TIMING_RE.fullmatch(block[k])
        start, end = _timing(m, block[k], first + k + 1, src.path)
        settings = m["settings"].strip() if m else ""
        ident = block[0].strip() if k else ""
        cues.append(RawCue(start, end, tuple(block[k + 1 :]), first + 1, ident, settings))
    if not cues:
        raise TranscriptParseError(src.path, "no subtitle cues found")
    return cues, "\n\n".join(n for n in notes if n), "\n\n".join(header)


def detect_srt(src: Source) -> float:
    """1 when the file opens with a SubRip cue (its timing may be broken), else 0."""
    blocks = _blocks(src.lines[:200])
    if not blocks or src.text.lstrip().startswith("WEBVTT"):
        return 0.0
    block = blocks[0][1]
    k = 1 if _INDEX_RE.fullmatch(block[0]) and len(block) > 1 else 0
    if "-->" in block[k] or (k and _timing_like(block[k])):
        return 1.0
    return 0.9 if src.suffix == ".srt" and "-->" in src.text else 0.0


def detect_vtt(src: Source) -> float:
    """1 for WebVTT; less for YouTube's automatic captions, which ``youtube_vtt`` reads."""
    if not src.text.lstrip().startswith("WEBVTT"):
        return 0.0
    return 0.6 if WORD_TIMESTAMP_RE.search(src.text) else 1.0


def cue_text(lines: Sequence[str]) -> str:
    """A cue's text as read: tags and entities resolved, lines joined by spaces."""
    text = " ".join(ln.strip() for ln in lines if ln.strip())
    return html.unescape(_TAG_RE.sub("", text)).strip()


def _is_name(name: str) -> bool:
    words = name.split()
    return (
        bool(words)
        and len(name) <= MAX_NAME_CHARS
        and len(words) <= MAX_NAME_WORDS
        and (not name[0].islower())
    )


def _prefix(text: str) -> tuple[str, str] | None:
    m = _PREFIX_RE.fullmatch(text)
    if m is None or not _is_name(m["name"].strip()):
        return None
    return m["name"].strip(), m["rest"]


def assemble_cues(
    src: Source,
    fmt: TranscriptFormat,
    raw: Sequence[RawCue],
    front_matter: str = "",
    header: str = "",
) -> Transcript:
    """Group cues into turns of one speaker each (see the module docstring).

    Raises:
        EmptyTranscriptError: the cues hold no words at all.
    """
    texts = [cue_text(c.lines) for c in raw]
    voices = [_voice(c) for c in raw]
    use_prefixes = not any(v for v in voices) and _prefixes_name_speakers(texts)
    speaker = DEFAULT_SPEAKER
    groups: list[tuple[str, list[int], list[str]]] = []  # speaker, cue indexes, cue texts
    for i, text in enumerate(texts):
        named = voices[i]
        if named is None and use_prefixes and (p := _prefix(text)) is not None:
            named, text = p
        if named and named != speaker or not groups:
            speaker = named or speaker
            groups.append((speaker, [], []))
        groups[-1][1].append(i)
        groups[-1][2].append(text)
    turns: list[TranscriptTurn] = []
    cues: list[Cue] = []
    for speaker, members, parts in _fold_wordless(groups):
        # The turn's time is when its words start: a "[MUSIC]" cue before them does not count.
        worded = [i for i, p in zip(members, parts, strict=True) if split_speech(p)[0]]
        first = raw[(worded or members)[0]]
        line = raw[members[0]].line
        turn = make_turn(speaker, [" ".join(p for p in parts if p)], first.start_s, line)
        start = 0
        for i, part in zip(members, parts, strict=True):
            n = len(split_speech(part)[0].split())
            c = raw[i]
            cues.append(
                Cue(c.start_s, c.end_s, len(turns), start, n, c.lines, c.ident, c.settings, speaker)
            )
            start += n
        turns.append(turn)
    if not any(t.tokens for t in turns):
        raise EmptyTranscriptError(src.path)
    return Transcript(src.path, fmt, front_matter, tuple(turns), tuple(cues), header)


def _voice(c: RawCue) -> str | None:
    if c.speaker:
        return c.speaker.strip()
    for line in c.lines:
        m = _VOICE_RE.search(line)
        if m:
            return html.unescape(m["name"]).strip()
    return None


def _prefixes_name_speakers(texts: Sequence[str]) -> bool:
    """Names open more cues than other words before a colon ("Note: ...", "so: ...")."""
    names = sum(_prefix(t) is not None for t in texts)
    others = sum(_ANY_PREFIX_RE.match(t) is not None and _prefix(t) is None for t in texts)
    return names > others


def _fold_wordless(
    groups: list[tuple[str, list[int], list[str]]],
) -> list[tuple[str, list[int], list[str]]]:
    """A run of cues without words ("[MUSIC]") joins the turn before it, or after it."""
    out: list[tuple[str, list[int], list[str]]] = []
    carry: tuple[list[int], list[str]] = ([], [])
    for speaker, members, parts in groups:
        if not any(split_speech(p)[0] for p in parts):
            if out:
                out[-1][1].extend(members)
                out[-1][2].extend(parts)
            else:
                carry[0].extend(members)
                carry[1].extend(parts)
            continue
        out.append((speaker, carry[0] + members, carry[1] + parts))
        carry = ([], [])
    if carry[0] and not out:
        out.append((DEFAULT_SPEAKER, *carry))
    return out


def parse_srt(src: Source) -> Transcript:
    return assemble_cues(src, "srt", read_srt_cues(src))


def parse_vtt(src: Source) -> Transcript:
    cues, notes, header = read_vtt_cues(src)
    return assemble_cues(src, "vtt", cues, notes, header)


__all__ = [
    "RawCue",
    "assemble_cues",
    "clock_seconds",
    "cue_text",
    "detect_srt",
    "detect_vtt",
    "parse_srt",
    "parse_vtt",
    "read_srt_cues",
    "read_vtt_cues",
]
