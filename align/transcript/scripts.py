"""Interviews and screenplays: labels that are not ``Name:`` lines.

- ``interview``: question and answer, ``Q:`` / ``A:`` (or ``Q.`` / ``A.``) opening each
  turn, after header lines such as ``Date: 12 May 2021`` or ``Interviewer: Jane Doe``.
  The header is front matter, not turns of speakers called "Date" and "Interviewer".
- ``screenplay``: a character cue alone on its line in capitals (``SARAH``, ``DR. JONES``,
  ``TOM (V.O.)``), the dialogue below it until a blank line. Parentheticals
  (``(whispering)``) are notations of the turn; scene headings (``INT. KITCHEN - NIGHT``),
  action paragraphs and transitions (``CUT TO:``) are not speech and are dropped; the
  title page before the first scene or cue is front matter.

``Name (Role):`` labels are read by ``align.transcript.labels``.
"""

from __future__ import annotations

import re

from align.errors import TranscriptParseError
from align.transcript.base import Source, Transcript, TranscriptTurn
from align.transcript.notation import fold_empty_turns, make_turn

# A layout claims a file only where its labels outnumber other label-like lines this much.
_DOMINANCE = 2.0
# A character cue is a short name: at most this many words.
MAX_CUE_WORDS = 4

_QA_RE = re.compile(r"(?P<who>[QA])\s*[:.]\s*(?P<text>.*)")
_COLON_LABEL_RE = re.compile(r"[^\W\d_][\w.'’ \-]{0,39}\s*[:：](?:\s|$)")
_SCENE_RE = re.compile(r"(?:INT|EXT|INT\./EXT|INT/EXT|I/E|EST)[.\s].*")
_TRANSITION_RE = re.compile(r"(?:[A-Z ]+ TO:|FADE IN:|FADE OUT\.?|FADE TO BLACK\.?|THE END)")
_EXTENSION = r"\((?:V\.O\.|O\.S\.|O\.C\.|CONT[’']D|cont[’']d|V\.O|O\.S)\)"
_CUE_RE = re.compile(rf"(?P<name>[A-Z][A-Z0-9 .'’\-]*?[A-Z0-9.])(?P<ext>(?:\s*{_EXTENSION})*)")
_PARENTHETICAL_RE = re.compile(r"\s*\(.*\)\s*")


# -- interviews -----------------------------------------------------------------------------
def detect_interview(src: Source) -> float:
    qa = [(i, m["who"]) for i, ln in enumerate(src.lines) if (m := _QA_RE.fullmatch(ln.strip()))]
    if len(qa) < 2 or {"Q", "A"} - {who for _, who in qa}:
        return 0.0
    others = sum(
        _COLON_LABEL_RE.match(ln.strip()) is not None and not _QA_RE.fullmatch(ln.strip())
        for ln in src.lines[qa[0][0] :]
    )
    return 0.9 if len(qa) >= _DOMINANCE * others else 0.0


def parse_interview(src: Source) -> Transcript:
    """Raises ``TranscriptParseError`` when no line opens with ``Q:`` or ``A:``."""
    starts = [i for i, ln in enumerate(src.lines) if _QA_RE.fullmatch(ln.strip())]
    if not starts:
        raise TranscriptParseError(src.path, "no 'Q:' or 'A:' line found")
    turns: list[TranscriptTurn] = []
    for k, i in enumerate(starts):
        m = _QA_RE.fullmatch(src.lines[i].strip())
        assert m is not None  # starts holds matching lines only
        end = starts[k + 1] if k + 1 < len(starts) else len(src.lines)
        turns.append(make_turn(m["who"], [m["text"], *src.lines[i + 1 : end]], None, i + 1))
    front = "\n".join(src.lines[: starts[0]]).strip()
    return Transcript(src.path, "interview", front, tuple(fold_empty_turns(turns)))


# -- screenplays ----------------------------------------------------------------------------
def _cue_name(line: str) -> str | None:
    """The character of a cue line (``TOM (V.O.)`` -> ``TOM``), or None."""
    s = line.strip()
    if not s or _SCENE_RE.fullmatch(s) or _TRANSITION_RE.fullmatch(s):
        return None
    m = _CUE_RE.fullmatch(s)
    if m is None or len(m["name"].split()) > MAX_CUE_WORDS or sum(c.isalpha() for c in s) < 2:
        return None
    return m["name"].strip()


def _cues(src: Source) -> list[tuple[int, str]]:
    """Cue lines with dialogue right below them (no blank line between)."""
    out = []
    for i, ln in enumerate(src.lines[:-1]):
        name = _cue_name(ln)
        below = src.lines[i + 1].strip()
        if name and below and _cue_name(below) is None and not _SCENE_RE.fullmatch(below):
            out.append((i, name))
    return out


def detect_screenplay(src: Source) -> float:
    cues = _cues(src)
    scenes = sum(_SCENE_RE.fullmatch(ln.strip()) is not None for ln in src.lines)
    names = [name for _, name in cues]
    repeated = len(set(names)) < len(names)
    if len(cues) < 2 or not (scenes or repeated):
        return 0.0
    start = min(
        [cues[0][0], *(i for i, ln in enumerate(src.lines) if _SCENE_RE.fullmatch(ln.strip()))]
    )  # a title page ("Title: ...") comes before
    others = sum(
        _COLON_LABEL_RE.match(ln.strip()) is not None and not _TRANSITION_RE.fullmatch(ln.strip())
        for ln in src.lines[start:]
    )
    return 0.85 if len(cues) >= _DOMINANCE * others else 0.0


def _is_parenthetical(line: str) -> bool:
    return _PARENTHETICAL_RE.fullmatch(line) is not None


def parse_screenplay(src: Source) -> Transcript:
    """Raises ``TranscriptParseError`` when no character cue has dialogue below it."""
    cues = _cues(src)
    if not cues:
        raise TranscriptParseError(src.path, "no character cue (a name in capitals) found")
    first_scene = next(
        (i for i, ln in enumerate(src.lines) if _SCENE_RE.fullmatch(ln.strip())), cues[0][0]
    )
    turns: list[TranscriptTurn] = []
    for i, name in cues:
        end = i + 1
        while end < len(src.lines) and src.lines[end].strip():
            end += 1  # the dialogue runs to the next blank line; action follows it
        turns.append(
            make_turn(name, src.lines[i + 1 : end], None, i + 1, note_line=_is_parenthetical)
        )
    front = "\n".join(src.lines[: min(first_scene, cues[0][0])]).strip()
    return Transcript(src.path, "screenplay", front, tuple(fold_empty_turns(turns)))


__all__ = ["detect_interview", "detect_screenplay", "parse_interview", "parse_screenplay"]
