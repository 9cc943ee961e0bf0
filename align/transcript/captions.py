"""Caption files that are subtitles with a twist: YouTube's SBV and automatic captions, ASS.

- ``sbv``: YouTube's SubViewer layout, ``0:00:00.599,0:00:04.160`` above the text, blank
  line between cues; speakers as ``>> ALICE:`` prefixes (YouTube's own example).
- ``youtube_vtt``: WebVTT as YouTube's automatic captions write it. Each line is shown
  three times while it rolls up the screen: as the new line (with ``<c>`` word timing
  tags), as the line above the next new one, and alone in a 10 ms cue in between. Only
  the first showing is kept: a cue keeps the lines that the cue before did not end with,
  and a cue left with none is dropped. Written back, the cues are plain, one showing each.
- ``ass``: Advanced SubStation Alpha, read with pysubs2; an event's Name is its speaker,
  Comment events are skipped, override tags (``{\\i1}``) removed.

All three become turns through ``subtitles.assemble_cues``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from align.errors import TranscriptParseError
from align.transcript.base import Source, Transcript
from align.transcript.subtitles import (
    WORD_TIMESTAMP_RE,
    RawCue,
    assemble_cues,
    clock_seconds,
    cue_text,
    read_vtt_cues,
)

_SBV_TIME = r"\d{1,2}:\d{2}:\d{2}\.\d{3}"
_SBV_TIMING_RE = re.compile(rf"\s*(?P<start>{_SBV_TIME}),(?P<end>{_SBV_TIME})\s*")
_SBV_LIKE_RE = re.compile(r"\s*\d+:\d{2}:\d{2}[.,]\d+\s*,")


def detect_sbv(src: Source) -> float:
    first = next((ln for ln in src.lines if ln.strip()), "")
    return 1.0 if _SBV_TIMING_RE.fullmatch(first) else 0.0


def detect_youtube_vtt(src: Source) -> float:
    if not src.text.lstrip().startswith("WEBVTT"):
        return 0.0
    return 1.0 if WORD_TIMESTAMP_RE.search(src.text) else 0.0


def detect_ass(src: Source) -> float:
    head = src.text.lstrip()[:2000]
    return 1.0 if head.startswith("[Script Info]") or "\nDialogue:" in src.text else 0.0


def parse_sbv(src: Source) -> Transcript:
    """Raises ``TranscriptParseError`` on a timing line that does not parse."""
    cues: list[RawCue] = []
    block: list[str] = []
    start_line = 0

    def flush() -> None:
        if not block:
            return
        m = _SBV_TIMING_RE.fullmatch(block[0])
        if m is None:
            if cues and not _SBV_LIKE_RE.match(block[0]):  # a blank line inside the text
                cues[-1] = replace(cues[-1], lines=(*cues[-1].lines, "", *block))
                return
            raise TranscriptParseError(
                src.path,
                f"broken timing line {block[0].strip()!r}: expected '0:00:01.000,0:00:02.500'",
                start_line,
            )
        start, end = clock_seconds(m["start"]), clock_seconds(m["end"])
        if end < start:
            raise TranscriptParseError(src.path, "cue ends before it starts", start_line)
        cues.append(RawCue(start, end, tuple(block[1:]), start_line))

    for i, raw in enumerate(src.lines):
        if raw.strip():
            if not block:
                start_line = i + 1
            block.append(raw)
        else:
            flush()
            block = []
    flush()
    if not cues:
        raise TranscriptParseError(src.path, "no subtitle cues found")
    return assemble_cues(src, "sbv", cues)


def parse_youtube_vtt(src: Source) -> Transcript:
    cues, notes, header = read_vtt_cues(src)
    kept: list[RawCue] = []
    shown: list[str] = []  # the text lines of the cue before, as on screen
    for cue in cues:
        lines = [t for t in (cue_text([ln]) for ln in cue.lines) if t]
        overlap = next(
            (k for k in range(min(len(lines), len(shown)), 0, -1) if shown[-k:] == lines[:k]), 0
        )
        new = lines[overlap:]
        shown = lines
        if new:
            kept.append(replace(cue, lines=tuple(new), settings=""))
    if not kept:
        raise TranscriptParseError(src.path, "no subtitle cues found")
    return assemble_cues(src, "youtube_vtt", kept, notes, header.split("\n\n")[0])


def parse_ass(src: Source) -> Transcript:
    import pysubs2

    try:
        subs = pysubs2.SSAFile.from_string(src.text, format_="ass")
    except (pysubs2.exceptions.Pysubs2Error, ValueError) as e:
        raise TranscriptParseError(src.path, f"not a readable ASS/SSA file: {e}") from e
    cues = [
        RawCue(
            ev.start / 1000,
            max(ev.start, ev.end) / 1000,
            tuple(ev.plaintext.split("\n")),
            n + 1,
            speaker=ev.name or None,
        )
        for n, ev in enumerate(e for e in subs if not e.is_comment)
    ]
    if not cues:
        raise TranscriptParseError(src.path, "no Dialogue events found")
    title = str(subs.info.get("Title", "")).strip()
    return assemble_cues(src, "ass", cues, title)


__all__ = [
    "detect_ass",
    "detect_sbv",
    "detect_youtube_vtt",
    "parse_ass",
    "parse_sbv",
    "parse_youtube_vtt",
]
