"""Text exports of transcription services whose labels carry times: Rev, Otter, Teams.

- ``rev`` (also Temi, Rev's automatic service): ``Jane Doe (00:00:03):`` opens a turn,
  with its text on the same line or below; ``(00:00:46):`` alone opens the next paragraph
  of the same speaker (an inline timestamp: kept in the turn as a notation, not aligned).
  Older Rev files write ``Interviewer: (00:07)``.
- ``otter``: ``Jane Doe  0:03`` (the name, two spaces, the time) above the turn's text;
  a time alone (``0:15``) opens a new paragraph of the last speaker; the footer
  ``Transcribed by https://otter.ai`` goes to the front matter.
- ``teams``: Microsoft Teams' Word (.docx) layout, ``Jane Doe   0:03`` above the text,
  with no blank line between turns, after a header (meeting title, date, duration).
  ``Jane Doe started transcription`` / ``stopped transcription`` events are not speech:
  they go to the front matter with the header.

Footers and events are kept in the front matter, not dropped, so the written-back file
still says where it came from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from align.errors import TranscriptParseError
from align.transcript.base import (
    DEFAULT_SPEAKER,
    MAX_NAME_CHARS,
    MAX_NAME_WORDS,
    Source,
    Transcript,
    TranscriptFormat,
    TranscriptTurn,
)
from align.transcript.notation import TIME, fold_empty_turns, make_turn, stamp_seconds

# A layout claims a file only where its labels outnumber other label-like lines this much.
_DOMINANCE = 2.0

_NAME = r"[^\W\d_][\w.'’ \-]{0,59}?"
_ROLE = r"(?:\s*\((?P<role>[^\W\d_][^()\d:\n]{0,39})\))?"
_REV_LABEL_RE = re.compile(rf"(?P<name>{_NAME}){_ROLE}\s*\((?P<time>{TIME})\)\s*:\s*(?P<text>.*)")
_REV_OLD_RE = re.compile(rf"(?P<name>{_NAME}){_ROLE}\s*:\s*\((?P<time>{TIME})\)\s*(?P<text>.*)")
_REV_CONT_RE = re.compile(rf"\((?P<time>{TIME})\)\s*:\s*(?P<text>.*)")
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?"
_NAME_TIME_RE = re.compile(rf"(?P<name>{_NAME})(?P<gap>\s+)(?P<time>{_CLOCK})\s*")
_TIME_ALONE_RE = re.compile(rf"(?P<time>{_CLOCK})\s*")
_OTTER_FOOTER_RE = re.compile(r"Transcribed by https?://(?:www\.)?otter\.ai\S*", re.IGNORECASE)
_TEAMS_EVENT_RE = re.compile(rf"{_NAME}\s+(?:started|stopped) transcription\.?", re.IGNORECASE)
# Any line that another layout could take for a label: "Name: text".
_COLON_LABEL_RE = re.compile(rf"{_NAME}\s*[:：](?:\s|$)")


def _is_name(name: str, *, every_word: bool) -> bool:
    words = name.split()
    if not words or len(name) > MAX_NAME_CHARS or len(words) > MAX_NAME_WORDS:
        return False
    if every_word:  # without a colon, only a capitalised name is a label ("Robin Chauhan")
        return all(not w[0].islower() for w in words)
    return not name[0].islower()


def _seconds(stamp: str) -> float | None:
    try:
        return stamp_seconds(stamp)
    except ValueError:
        return None


# -- Rev ------------------------------------------------------------------------------------
def _rev_label(line: str) -> tuple[str, str, float | None, str] | None:
    """(name, role, time, text) of a Rev label line, or None."""
    s = line.strip()
    for rx in (_REV_LABEL_RE, _REV_OLD_RE):
        m = rx.fullmatch(s)
        if m and _is_name(m["name"].strip(), every_word=False):
            time_s = _seconds(m["time"])
            if time_s is not None:
                return m["name"].strip(), (m["role"] or "").strip(), time_s, m["text"]
    return None


def detect_rev(src: Source) -> float:
    labels = sum(_rev_label(ln) is not None for ln in src.lines)
    conts = sum(_REV_CONT_RE.fullmatch(ln.strip()) is not None for ln in src.lines)
    others = sum(
        _COLON_LABEL_RE.match(ln.strip()) is not None and _rev_label(ln) is None for ln in src.lines
    )
    if labels >= 2 or (labels and conts):
        return 0.9 if labels + conts >= _DOMINANCE * others else 0.0
    return 0.0


def parse_rev(src: Source) -> Transcript:
    """Raises ``TranscriptParseError`` when no line is a Rev label."""
    starts = [(i, lab) for i, ln in enumerate(src.lines) if (lab := _rev_label(ln)) is not None]
    if not starts:
        raise TranscriptParseError(src.path, "no Rev label found (like 'Jane Doe (00:00:03):')")
    turns: list[TranscriptTurn] = []
    for k, (i, (name, role, time_s, text)) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(src.lines)
        turns.append(make_turn(name, [text, *src.lines[i + 1 : end]], time_s, i + 1, role))
    front = "\n".join(src.lines[: starts[0][0]]).strip()
    return Transcript(src.path, "rev", front, tuple(fold_empty_turns(turns)))


# -- Otter and Teams --------------------------------------------------------------------------
def _name_time(line: str) -> tuple[str, float, int] | None:
    """(name, time, width of the gap) of an Otter/Teams speaker line, or None."""
    m = _NAME_TIME_RE.fullmatch(line.strip())
    if m is None or not _is_name(m["name"].strip(), every_word=True):
        return None
    time_s = _seconds(m["time"])
    return None if time_s is None else (m["name"].strip(), time_s, len(m["gap"]))


def _speaker_lines(lines: Sequence[str]) -> list[int]:
    """Speaker lines that have text under them (a name and a time alone prove little)."""
    out = []
    for i, ln in enumerate(lines):
        if _name_time(ln) is None:
            continue
        nxt = next((x for x in lines[i + 1 :] if x.strip()), "")
        if nxt and _name_time(nxt) is None and not _OTTER_FOOTER_RE.fullmatch(nxt.strip()):
            out.append(i)
    return out


def _time_lines(lines: Sequence[str]) -> list[int]:
    """Lines of a time alone with text under them (Otter, when it names no speaker)."""
    return [
        i
        for i, ln in enumerate(lines)
        if _TIME_ALONE_RE.fullmatch(ln.strip()) and i + 1 < len(lines) and lines[i + 1].strip()
    ]


def detect_name_time(src: Source) -> list[tuple[TranscriptFormat, float]]:
    """Scores for ``otter`` and ``teams``: names over times, text below each."""
    heads = _speaker_lines(src.lines)
    footer = any(_OTTER_FOOTER_RE.fullmatch(ln.strip()) for ln in src.lines)
    events = any(_TEAMS_EVENT_RE.fullmatch(ln.strip()) for ln in src.lines)
    others = sum(_COLON_LABEL_RE.match(ln.strip()) is not None for ln in src.lines)
    if footer and not heads and len(_time_lines(src.lines)) >= 2:
        return [("otter", 0.9)]  # Otter without speaker names: times above paragraphs
    if not (len(heads) >= 2 or (heads and (footer or events))):
        return []
    if len(heads) < _DOMINANCE * others:
        return []
    wide = sum((_name_time(src.lines[i]) or ("", 0.0, 0))[2] >= 3 for i in heads)
    teams = events or (not footer and wide > len(heads) / 2)
    return [("teams", 0.9)] if teams else [("otter", 0.9)]


def parse_name_time(src: Source, fmt: str) -> Transcript:
    """Otter or Teams text; raises ``TranscriptParseError`` without a speaker line."""
    heads = set(_speaker_lines(src.lines))
    opening = heads | set(_time_lines(src.lines))
    if not opening:
        raise TranscriptParseError(src.path, "no speaker line found (like 'Jane Doe  0:03')")
    first = min(opening)
    front = [ln.strip() for ln in src.lines[:first] if ln.strip()]
    turns: list[TranscriptTurn] = []
    speaker, time_s, line = DEFAULT_SPEAKER, None, 0
    body: list[str] = []
    for i in range(first, len(src.lines)):
        raw = src.lines[i].strip()
        alone = _TIME_ALONE_RE.fullmatch(raw)
        if i in heads or alone:
            if body or time_s is not None:
                turns.append(make_turn(speaker, body, time_s, line))
            head = _name_time(raw)
            if head:
                speaker, time_s = head[0], head[1]
            else:
                time_s = _seconds(raw)
            body, line = [], i + 1
        elif _OTTER_FOOTER_RE.fullmatch(raw) or _TEAMS_EVENT_RE.fullmatch(raw):
            front.append(raw)
        else:
            body.append(src.lines[i])
    turns.append(make_turn(speaker, body, time_s, line))
    layout: TranscriptFormat = "teams" if fmt == "teams" else "otter"
    return Transcript(src.path, layout, "\n".join(front), tuple(fold_empty_turns(turns)))


__all__ = ["detect_name_time", "detect_rev", "parse_name_time", "parse_rev"]
