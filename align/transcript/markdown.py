"""Markdown transcripts: show notes and wikis, and turnalign's own ``--format md``.

- ``markdown``: a bold label opens each turn: ``**Jane Doe:** text`` or ``**Jane Doe**:
  text``, ``**Jane Doe:**`` alone above its paragraphs, ``**Jane Doe** [00:01:02]`` alone
  (what ``--format md`` writes; ``[not found]`` there means no time).
- ``markdown_table``: a table whose header names a speaker column and a text column
  (``| Time | Speaker | Text |``, in any order; a time column is optional).

YAML front matter (``---`` ... ``---`` at the top), headings, lines that are only a link
or an image, and everything before the first turn are front matter; horizontal rules are
dropped. In a turn's text, a link counts as its words (``[the site](https://...)`` is "the
site") and emphasis markers go, since neither is spoken.
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

# Bold labels must outnumber plain "Name:" labels for the file to be read as Markdown.
_DOMINANCE = 1.0

_NAME = r"[^\W\d_][\w.'’ \-]{0,59}?"
_ROLE = r"(?:\s*\((?P<role>[^\W\d_][^()\d:\n]{0,39})\))?"
_STAMP = rf"(?:\[\s*(?P<time>{TIME}|not found)\s*\]|\(\s*(?P<ptime>{TIME})\s*\))"
_BOLD_LABEL_RES = (
    re.compile(rf"\*\*(?P<name>{_NAME}){_ROLE}\s*[:：]\s*\*\*\s*(?:{_STAMP}\s*)?(?P<text>.*)"),
    re.compile(rf"\*\*(?P<name>{_NAME}){_ROLE}\*\*\s*(?:{_STAMP}\s*)?[:：]\s*(?P<text>.*)"),
    re.compile(rf"\*\*(?P<name>{_NAME}){_ROLE}\*\*\s*(?:{_STAMP})?\s*(?P<text>)"),
)
_PLAIN_LABEL_RE = re.compile(rf"{_NAME}\s*[:：](?:\s|$)")
_HEADING_RE = re.compile(r"#{1,6}\s.*|#{1,6}")
_RULE_RE = re.compile(r"(?:-{3,}|\*{3,}|_{3,})")
_LINK_ONLY_RE = re.compile(r"!?\[[^\]]*\]\([^)]*\)")
_LINK_RE = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[(?P<label>[^\]]*)\]\([^)]*\)")
_EMPHASIS_RE = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)")
_TABLE_RULE_RE = re.compile(r"\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?")
_COLUMNS = {
    "time": ("time", "timestamp", "timecode", "start", "start time"),
    "speaker": ("speaker", "name", "who", "person", "speaker name"),
    "text": ("text", "transcript", "dialogue", "content", "words", "utterance", "what was said"),
}


def _is_name(name: str) -> bool:
    words = name.split()
    return (
        bool(words)
        and len(name) <= MAX_NAME_CHARS
        and len(words) <= MAX_NAME_WORDS
        and (not name[0].islower())
    )


def _bold_label(line: str) -> tuple[str, str, float | None, str] | None:
    """(name, role, time, text) of a bold label line, or None."""
    s = line.strip()
    for rx in _BOLD_LABEL_RES:
        m = rx.fullmatch(s)
        if m and _is_name(m["name"].strip()):
            stamp = m["time"] or m["ptime"]
            try:
                time_s = stamp_seconds(stamp) if stamp and stamp != "not found" else None
            except ValueError:
                continue
            return m["name"].strip(), (m["role"] or "").strip(), time_s, m["text"]
    return None


def _cells(line: str) -> list[str]:
    s = line.strip()
    if "|" not in s:
        return []
    return [c.strip() for c in s.strip("|").split("|")]


def _table_header(lines: Sequence[str]) -> tuple[int, dict[str, int]] | None:
    """The header line of a transcript table and its column of each role, or None."""
    for i in range(len(lines) - 1):
        if not _TABLE_RULE_RE.fullmatch(lines[i + 1].strip()):
            continue
        cols: dict[str, int] = {}
        for k, cell in enumerate(_cells(lines[i])):
            for role, names in _COLUMNS.items():
                if cell.lower().strip("*_ ") in names and role not in cols:
                    cols[role] = k
        if "speaker" in cols and "text" in cols:
            return i, cols
    return None


def detect_markdown(src: Source) -> list[tuple[TranscriptFormat, float]]:
    """Scores for ``markdown_table`` and ``markdown``."""
    if _table_header(src.lines) is not None:
        return [("markdown_table", 0.95)]
    bold = sum(_bold_label(ln) is not None for ln in src.lines)
    plain = sum(
        _PLAIN_LABEL_RE.match(ln.strip()) is not None and _bold_label(ln) is None
        for ln in src.lines
    )
    if bold and bold >= _DOMINANCE * plain:
        return [("markdown", 0.9)]
    return []


def _front_lines(lines: Sequence[str]) -> tuple[list[str], int]:
    """YAML front matter at the top: its lines and where the rest starts."""
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() in ("---", "..."):
                return list(lines[: i + 1]), i + 1
    return [], 0


def _is_front(line: str) -> bool:
    s = line.strip()
    return bool(_HEADING_RE.fullmatch(s) or _LINK_ONLY_RE.fullmatch(s))


def _speech_line(line: str) -> str:
    """A body line without Markdown: links as their words, emphasis markers gone."""
    s = _LINK_RE.sub(lambda m: m["label"] or "", line)
    return _EMPHASIS_RE.sub("", s)


def parse_markdown(src: Source) -> Transcript:
    """Raises ``TranscriptParseError`` when no line is a bold label."""
    front, start = _front_lines(src.lines)
    starts = [(i, lab) for i in range(start, len(src.lines)) if (lab := _bold_label(src.lines[i]))]
    if not starts:
        raise TranscriptParseError(src.path, "no bold speaker label found (like '**Jane:**')")
    front += [ln for ln in src.lines[start : starts[0][0]] if not _RULE_RE.fullmatch(ln.strip())]
    turns: list[TranscriptTurn] = []
    for k, (i, (name, role, time_s, text)) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(src.lines)
        body: list[str] = []
        for ln in [text, *src.lines[i + 1 : end]]:
            if _is_front(ln):
                front.append(ln)
            elif not _RULE_RE.fullmatch(ln.strip()):
                body.append(_speech_line(ln))
        turns.append(make_turn(name, body, time_s, i + 1, role))
    return Transcript(
        src.path, "markdown", "\n".join(front).strip(), tuple(fold_empty_turns(turns))
    )


def parse_markdown_table(src: Source) -> Transcript:
    """Raises ``TranscriptParseError`` without a table naming speaker and text columns."""
    found = _table_header(src.lines)
    if found is None:
        raise TranscriptParseError(
            src.path, "no transcript table found (a header like '| Time | Speaker | Text |')"
        )
    head, cols = found
    turns: list[TranscriptTurn] = []
    i = head + 2
    while i < len(src.lines) and "|" in src.lines[i]:
        cells = _cells(src.lines[i])
        cell = {role: cells[k] if k < len(cells) else "" for role, k in cols.items()}
        speaker = _speech_line(cell["speaker"]).strip() or DEFAULT_SPEAKER
        try:
            time_s = stamp_seconds(cell.get("time", "")) if cell.get("time") else None
        except ValueError:
            time_s = None
        lines = [_speech_line(part) for part in re.split(r"<br\s*/?>", cell["text"])]
        turns.append(make_turn(speaker, lines, time_s, i + 1))
        i += 1
    front = [ln for ln in src.lines[:head] if not _RULE_RE.fullmatch(ln.strip())]
    front += [ln for ln in src.lines[i:] if ln.strip()]
    return Transcript(
        src.path, "markdown_table", "\n".join(front).strip(), tuple(fold_empty_turns(turns))
    )


__all__ = ["detect_markdown", "parse_markdown", "parse_markdown_table"]
