"""Subtitles in, the same subtitles out: every input cue kept, with the times the audio gave.

When the transcript was a subtitle file (SRT, WebVTT, SBV, YouTube captions, ASS) or a
Podcasting 2.0 JSON, ``--format srt`` and ``--format vtt`` write its own cues back: the
same cues, text and line breaks (WebVTT voice tags, cue identifiers, settings, NOTE and
STYLE blocks too), each cue starting at its first aligned word and ending at its last.
This is re-syncing by the words, where ffsubsync and alass can only shift and stretch.
Any other transcript gets cues laid out from its words (``layout.build_cues``).

The ``Result`` holds no cue structure, so the cues are read again from the transcript
(``result.transcript.path``); when that file is gone or no longer matches the result's
words, the writer logs a warning and lays the cues out from the words instead.

Cue times: a cue with aligned words spans them; a cue without (``[MUSIC]``, or words the
audio lacks) keeps its input duration and moves by the shift of the nearest cue that has
some. A cue whose first word was not heard (its time is only interpolated) starts where
the input's own clock puts it, corrected by the shift of the heard cues around it, when
they agree on that shift. Cues keep their input order, never start before the one before,
are trimmed where they would run into the next (not below ``MIN_CUE_S``) and end by the
audio's end.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from align.errors import ToolkitError
from align.model import Result
from align.transcript import CUE_FORMATS, Cue, Transcript, read_transcript
from align.writers.options import WriterOptions
from align.writers.subtitles import write_srt, write_vtt

log = logging.getLogger(__name__)

# A cue trimmed to make room for the next one stays on screen at least this long.
MIN_CUE_S = 0.3
# Two heard cues whose input times are off by shifts this close show that the input's
# clock runs smoothly between them; further apart, it jumps there (a cut), and says nothing.
SHIFT_AGREEMENT_S = 0.5
# Word statuses whose time the audio gave (the others are interpolated or missing).
_HEARD = ("matched", "substituted")
_VTT_ONLY_TAG_RE = re.compile(
    r"</?(?:v|c|lang|ruby|rt)(?:[.\s][^>]*)?>|<\d+:\d{2}(?::\d{2})?\.\d{3}>"
)
_VOICE_RE = re.compile(r"<v(?:\.[^\s>]*)?\s+[^>]+>")


@dataclass(frozen=True, slots=True)
class TimedCue:
    """An input cue with its new time: ``start_s``/``end_s`` in seconds."""

    cue: Cue
    start_s: float
    end_s: float


def source_cues(result: Result) -> Transcript | None:
    """The input transcript with its cues, if it was a cue layout that still matches ``result``."""
    if result.transcript.format not in CUE_FORMATS:
        return None
    try:
        source = read_transcript(result.transcript.path, result.transcript.format)  # type: ignore[arg-type]
    except ToolkitError as e:
        log.warning("cannot re-read the subtitle cues (%s); laying cues out from the words", e)
        return None
    words = [len(t.words) for t in result.turns]
    if [len(t.tokens) for t in source.turns] != words or not source.cues:
        log.warning(
            "'%s' no longer matches the alignment; laying cues out from the words",
            result.transcript.path,
        )
        return None
    return source


def retime_cues(source: Transcript, result: Result) -> list[TimedCue]:
    """Give every cue of ``source`` the time of its words in ``result`` (see module doc)."""
    spans: list[tuple[float, float] | None] = []
    heard: list[bool] = []  # the cue's first word was heard, so its start is the audio's
    for cue in source.cues:
        words = result.turns[cue.turn].words[cue.token_start : cue.token_start + cue.token_count]
        timed = [(w.start, w.end) for w in words if w.start is not None and w.end is not None]
        spans.append((timed[0][0], timed[-1][1]) if timed else None)
        heard.append(bool(words) and words[0].status in _HEARD)
    shifts = [None if s is None else s[0] - c.start_s for s, c in zip(spans, source.cues)]
    heard_shifts = [sh if ok else None for sh, ok in zip(shifts, heard, strict=True)]
    duration_s = result.audio.duration
    out: list[TimedCue] = []
    for i, (cue, span) in enumerate(zip(source.cues, spans, strict=True)):
        if span is None:
            # Moved with its nearest timed neighbour, and kept between the timed cues around it.
            shift = _nearest(shifts, i)
            lo = next((s[1] for s in reversed(spans[:i]) if s is not None), 0.0)
            hi = next((s[0] for s in spans[i + 1 :] if s is not None), duration_s)
            start = min(max(cue.start_s + shift, lo), hi)
            span = (start, min(max(cue.end_s + shift, start), hi))
        elif not heard[i] and (agreed := _agreed_shift(heard_shifts, i)) is not None:
            # An unheard first word has only an interpolated time; where the cues around it
            # agree on how far the input's clock is off, that clock places it better.
            start = cue.start_s + agreed
            span = (start, max(span[1], start))
        out.append(TimedCue(cue, max(0.0, span[0]), max(0.0, span[1])))
    return _separate(out, duration_s)


def _nearest(shifts: Sequence[float | None], i: int) -> float:
    for d in range(1, len(shifts)):
        for j in (i - d, i + d):
            if 0 <= j < len(shifts) and shifts[j] is not None:
                return shifts[j]  # type: ignore[return-value]
    return 0.0


def _agreed_shift(shifts: Sequence[float | None], i: int) -> float | None:
    """The mean shift of the nearest cues before and after ``i``, if they agree."""
    before = next((s for s in reversed(shifts[:i]) if s is not None), None)
    after = next((s for s in shifts[i + 1 :] if s is not None), None)
    if before is None or after is None or abs(before - after) > SHIFT_AGREEMENT_S:
        return None
    return (before + after) / 2


def _separate(cues: list[TimedCue], duration_s: float) -> list[TimedCue]:
    out: list[TimedCue] = []
    for k, tc in enumerate(cues):
        start = min(max(tc.start_s, out[-1].start_s if out else 0.0), duration_s)
        end = min(max(tc.end_s, start), duration_s)
        nxt = next((c.start_s for c in cues[k + 1 :]), None)
        if nxt is not None and end > nxt >= start + MIN_CUE_S:
            end = nxt
        out.append(TimedCue(tc.cue, start, end))
    return out


def _clock(t: float, sep: str) -> str:
    total_ms = round(t * 1000)
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{sep}{ms:03d}"


def _srt_lines(cue: Cue, fmt: str, named: bool, speaker_changed: bool) -> list[str]:
    if fmt in ("srt", "sbv"):
        return list(cue.lines)
    lines = [html.unescape(_VTT_ONLY_TAG_RE.sub("", ln)) for ln in cue.lines]
    voiced = any(_VOICE_RE.search(ln) for ln in cue.lines) or fmt in ("ass", "podcast_json")
    if named and speaker_changed and voiced and lines:
        lines[0] = f"{cue.speaker}: {lines[0]}"
    return [ln for ln in lines if ln.strip()] or [""]


def _vtt_lines(cue: Cue, fmt: str, named: bool, speaker_changed: bool) -> list[str]:
    if fmt in ("vtt", "youtube_vtt", "srt", "sbv"):
        return list(cue.lines)
    lines = [html.escape(ln, quote=False) for ln in cue.lines if ln.strip()] or [""]
    if named and speaker_changed:
        name = cue.speaker.replace("&", "&amp;").replace(">", "&gt;")
        lines[0] = f"<v {name}>{lines[0]}"
    return lines


def write_srt_cues(source: Transcript, result: Result, fp: TextIO) -> None:
    named = len({c.speaker for c in source.cues}) > 1
    prev = ""
    for n, tc in enumerate(retime_cues(source, result), start=1):
        lines = _srt_lines(tc.cue, source.format, named, tc.cue.speaker != prev)
        prev = tc.cue.speaker
        fp.write(f"{n}\n{_clock(tc.start_s, ',')} --> {_clock(tc.end_s, ',')}\n")
        fp.write("\n".join(lines) + "\n\n")


def write_vtt_cues(source: Transcript, result: Result, fp: TextIO) -> None:
    header = (
        source.header if source.format in ("vtt", "youtube_vtt") and source.header else "WEBVTT"
    )
    fp.write(header.rstrip("\n") + "\n\n")
    if source.format in ("vtt", "youtube_vtt") and source.front_matter:
        for note in source.front_matter.split("\n\n"):
            fp.write(f"NOTE {note}\n\n")
    named = len({c.speaker for c in source.cues}) > 1
    prev = ""
    for tc in retime_cues(source, result):
        cue = tc.cue
        lines = _vtt_lines(cue, source.format, named, cue.speaker != prev)
        prev = cue.speaker
        ident = f"{cue.ident}\n" if cue.ident and source.format == "vtt" else ""
        settings = f" {cue.settings}" if cue.settings else ""
        fp.write(f"{ident}{_clock(tc.start_s, '.')} --> {_clock(tc.end_s, '.')}{settings}\n")
        fp.write("\n".join(lines) + "\n\n")


def write_srt_resync(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """SubRip: the input's own cues re-timed when it had cues, else cues from the words."""
    source = source_cues(result)
    if source is None:
        write_srt(result, fp, opts)
    else:
        write_srt_cues(source, result, fp)


def write_vtt_resync(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """WebVTT: the input's own cues re-timed when it had cues, else cues from the words."""
    source = source_cues(result)
    if source is None:
        write_vtt(result, fp, opts)
    else:
        write_vtt_cues(source, result, fp)


__all__ = [
    "TimedCue",
    "retime_cues",
    "source_cues",
    "write_srt_cues",
    "write_srt_resync",
    "write_vtt_cues",
    "write_vtt_resync",
]
