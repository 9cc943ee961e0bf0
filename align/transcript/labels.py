"""Plain text with labels: ``speaker_block``, ``speaker_inline``, ``timestamped``, ``plain``.

Users bring transcripts in a few shapes: a podcast page with ``Speaker 1:`` lines, chat-style
``Alice: hi``, timestamped exports, bare paragraphs. This module finds the turns in any of
them from the text alone (no audio) and keeps the front matter (title, credits) apart.
Timestamps found in the input are kept as ``original_time_s`` but never trusted.

- ``speaker_block``: a label alone on its line (``Speaker 1:``, ``Dr. Jane Smith:``,
  optionally ``Speaker 1: [00:01:02.5]``), then one or more paragraphs.
- ``speaker_inline``: ``Alice: text`` (optionally ``Alice: [00:01:02.5] text``, the layout
  of Sonix); a turn runs on over unlabelled lines, blank ones included, until the next label.
- ``timestamped``: a leading time, ``[00:01:02] Alice: text`` (Descript), ``00:01:02
  Alice:`` or ``[00:00:00.00] - Alice`` with the text on the next lines (Happy Scribe),
  ``(01:02) Alice: text``.
- ``plain``: paragraphs without labels, one turn each, all by ``Speaker 1``.

Rules the parser keeps: a label is a name (a letter first, not lower case; letters, digits,
spaces, ``.``, ``-``, ``_``, apostrophes; at most 40 characters and 5 words), optionally
with a role in parentheses (``Jane Doe (Host):``: speaker "Jane Doe", role "Host"). A
label with no words after it is skipped, as it holds nothing to align. Each line of a
turn's text is stripped, and runs of blank lines become one ``"\\n\\n"`` between paragraphs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from align.errors import TranscriptParseError
from align.transcript.base import DEFAULT_SPEAKER, TranscriptTurn
from align.transcript.notation import TIME, fold_empty_turns, make_turn, stamp_seconds

LabelledFormat = Literal["speaker_block", "speaker_inline", "timestamped", "plain"]

# Labels are names, not sentences: "Dr. Jane Smith" fits, "So what I was going to say" doesn't.
MAX_LABEL_CHARS = 40
MAX_LABEL_WORDS = 5
# A labelled format must label at least this share of the non-blank lines from its first
# turn on; below it, the "labels" are prose that happens to hold a colon.
MIN_LABEL_SHARE = 0.1
# With this few labels, the body must also outweigh the front matter, so that a stray
# "Signed: Jane Doe" closing an essay does not turn the whole essay into front matter.
FEW_LABELS = 2

_RANGE = rf"{TIME}(?:\s*[-–—>]+\s*{TIME})?"
_STAMP_BRACKETED = rf"(?:\[\s*{_RANGE}\s*\]|\(\s*{_RANGE}\s*\)|\[--:--(?::--)?\])"
# The name part is bounded, so that a long line without a colon cannot backtrack for long.
_NAME = r"[^\W\d_][\w.'’ \-]{0,59}"
# A role has no digits, so that "(00:05)" stays a time.
_ROLE = r"\((?P<role>[^\W\d_][^()\d:\n]{0,39})\)"
_LEADING_STAMP_RE = re.compile(rf"{_STAMP_BRACKETED}|{TIME}")
_LABEL_ALONE_RE = re.compile(
    rf"(?P<name>{_NAME})\s*(?:{_ROLE}\s*)?(?:(?P<st1>{_STAMP_BRACKETED})\s*)?[:：]"
    rf"\s*(?:(?P<st2>{_STAMP_BRACKETED})\s*)?"
)
_LABEL_INLINE_RE = re.compile(
    rf"(?P<name>{_NAME})\s*(?:{_ROLE}\s*)?(?:(?P<st1>{_STAMP_BRACKETED})\s*)?[:：]\s+"
    rf"(?:(?P<st2>{_STAMP_BRACKETED})\s+)?(?P<text>\S.*)"
)
_NAME_ALONE_RE = re.compile(_NAME)
_NAME_THEN_STAMP_RE = re.compile(rf"(?P<name>{_NAME})\s+(?P<st1>{_STAMP_BRACKETED}|{TIME})")
_SEPARATORS = "-–—|"


class _Kind(Enum):
    """What one line of a transcript looks like, before the format is known."""

    BLANK = "blank"
    TEXT = "text"
    LABEL_ALONE = "label alone"  # "Alice:" (a time may sit next to the colon)
    LABEL_INLINE = "label inline"  # "Alice: text"
    TS_LABEL_ALONE = "timestamped label alone"  # "[00:01:02] Alice:"
    TS_LABEL_INLINE = "timestamped label inline"  # "[00:01:02] Alice: text"
    TS_NAME = "timestamped name"  # "00:01:02 Alice" or "Alice 00:01:02", text below
    TS_TEXT = "timestamped text"  # "[00:01:02] text" with no speaker
    TS_ONLY = "timestamp only"  # "[00:01:02]"


# Detection order: on a tie in label lines, the earlier format wins.
_LABELLED_FORMATS: tuple[LabelledFormat, ...] = ("timestamped", "speaker_block", "speaker_inline")
_TS_KINDS = frozenset({_Kind.TS_LABEL_ALONE, _Kind.TS_LABEL_INLINE, _Kind.TS_NAME, _Kind.TS_TEXT})
# Lines that vote for a format when it is detected.
_EVIDENCE: dict[LabelledFormat, frozenset[_Kind]] = {
    "timestamped": _TS_KINDS,
    "speaker_block": frozenset({_Kind.LABEL_ALONE}),
    "speaker_inline": frozenset({_Kind.LABEL_INLINE}),
}
# Lines that start a turn once the format is known.
_STARTS: dict[LabelledFormat, frozenset[_Kind]] = {
    "speaker_block": frozenset({_Kind.LABEL_ALONE, _Kind.TS_LABEL_ALONE, _Kind.TS_NAME}),
    "speaker_inline": frozenset(
        {_Kind.LABEL_INLINE, _Kind.LABEL_ALONE, _Kind.TS_LABEL_INLINE, _Kind.TS_LABEL_ALONE}
    ),
    "timestamped": _TS_KINDS | {_Kind.TS_ONLY, _Kind.LABEL_INLINE, _Kind.LABEL_ALONE},
}
# Lines that may end the front matter: in timestamped exports only a timed line does, so
# that "Title: My Podcast" above the first time stays front matter.
_FIRST: dict[LabelledFormat, frozenset[_Kind]] = {
    "speaker_block": _STARTS["speaker_block"],
    "speaker_inline": _STARTS["speaker_inline"],
    "timestamped": _TS_KINDS,
}


@dataclass(frozen=True, slots=True)
class _Line:
    kind: _Kind
    text: str = ""  # what is left on the line once label and time are removed
    speaker: str | None = None
    time_s: float | None = None
    role: str = ""


def _is_name(name: str, *, title_case: bool) -> bool:
    """Whether ``name`` (already matched by ``_NAME``) is short and name-like enough."""
    words = name.split()
    if not words or len(name) > MAX_LABEL_CHARS or len(words) > MAX_LABEL_WORDS:
        return False
    # Names are capitalized; this keeps fragments like "and the answer is:" in the text.
    # Without a colon the evidence is weaker, so every word must be ("Robin Chauhan").
    if title_case:
        return all(not w[0].islower() for w in words)
    return not name[0].islower()


def _split_label(s: str) -> _Line | None:
    """Read ``s`` as a label line without a leading time, or None.

    ``Jane Doe (Host):`` is a label of Jane Doe in the role of host; a parenthesis that
    holds a time is the turn's time instead (``Speaker 1 (00:05):``).
    """
    m = _LABEL_ALONE_RE.fullmatch(s)
    kind = _Kind.LABEL_ALONE
    if m is None:
        m = _LABEL_INLINE_RE.fullmatch(s)
        kind = _Kind.LABEL_INLINE
    if m is not None:
        name = m["name"].strip()
        stamp = m["st1"] or m["st2"]
        if _is_name(name, title_case=False):
            try:
                time_s = stamp_seconds(stamp) if stamp else None
            except ValueError:
                return None
            text = m["text"] if kind is _Kind.LABEL_INLINE else ""
            return _Line(kind, text, name, time_s, (m["role"] or "").strip())
    return None


def _classify(raw: str, *, name_alone: bool = True) -> _Line:
    """Say what one line looks like; ``name_alone=False`` reads no unlabelled name."""
    s = raw.strip()
    if not s:
        return _Line(_Kind.BLANK)
    lead = _LEADING_STAMP_RE.match(s)
    rest = s[lead.end() :] if lead else ""
    if lead and (lead.group()[0] in "[(" or not rest or rest[0].isspace() or rest[0] in "-–—|"):
        try:
            time_s = stamp_seconds(lead.group())
        except ValueError:
            return _Line(_Kind.TEXT, s)
        rest = rest.strip()
        if rest and rest[0] in _SEPARATORS:
            rest = rest[1:].strip()
        if not rest:
            return _Line(_Kind.TS_ONLY, "", None, time_s)
        label = _split_label(rest)
        if label is not None:
            kind = (
                _Kind.TS_LABEL_ALONE if label.kind is _Kind.LABEL_ALONE else _Kind.TS_LABEL_INLINE
            )
            return _Line(kind, label.text, label.speaker, time_s, label.role)
        if name_alone and _NAME_ALONE_RE.fullmatch(rest) and _is_name(rest, title_case=True):
            return _Line(_Kind.TS_NAME, "", rest, time_s)
        return _Line(_Kind.TS_TEXT, rest, None, time_s)
    label = _split_label(s)
    if label is not None:
        return label
    m = _NAME_THEN_STAMP_RE.fullmatch(s) if name_alone else None
    if m is not None and _is_name(m["name"].strip(), title_case=True):
        try:
            return _Line(_Kind.TS_NAME, "", m["name"].strip(), stamp_seconds(m["st1"]))
        except ValueError:
            pass
    return _Line(_Kind.TEXT, s)


def _classify_all(lines: Sequence[str]) -> list[_Line]:
    """Classify every line; a name after a time is a label only if text follows it."""
    kinds = [_classify(raw) for raw in lines]
    following = _Kind.BLANK
    for i in range(len(kinds) - 1, -1, -1):
        ln = kinds[i]
        if ln.kind is _Kind.TS_NAME and following is not _Kind.TEXT:
            kinds[i] = _classify(lines[i], name_alone=False)
        if kinds[i].kind is not _Kind.BLANK:
            following = kinds[i].kind
    return kinds


def _detect(lines: Sequence[_Line]) -> tuple[LabelledFormat, int]:
    """Pick the labelled format with the most label lines, else ``plain``."""
    best: LabelledFormat = "plain"
    best_count = 0
    for fmt in _LABELLED_FORMATS:
        first = next((i for i, ln in enumerate(lines) if ln.kind in _FIRST[fmt]), None)
        if first is None:
            continue
        count = sum(ln.kind in _EVIDENCE[fmt] for ln in lines[first:])
        after = sum(ln.kind is not _Kind.BLANK for ln in lines[first:])
        before = sum(ln.kind is not _Kind.BLANK for ln in lines[:first])
        if count / after < MIN_LABEL_SHARE or (count <= FEW_LABELS and before > after):
            continue
        if count > best_count:
            best, best_count = fmt, count
    return best, best_count


def _labelled_turns(
    raws: Sequence[str], lines: Sequence[_Line], fmt: LabelledFormat, first: int
) -> list[TranscriptTurn]:
    starts = [i for i in range(first, len(lines)) if lines[i].kind in _STARTS[fmt]]
    turns: list[TranscriptTurn] = []
    speaker, role = DEFAULT_SPEAKER, ""
    for k, i in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        if lines[i].speaker:  # an unlabelled timed line: same speaker
            speaker, role = lines[i].speaker or speaker, lines[i].role
        body = [lines[i].text, *raws[i + 1 : end]]
        turns.append(make_turn(speaker, body, lines[i].time_s, i + 1, role))
    # A label with no words holds nothing to align: skipped (its notations are kept).
    return fold_empty_turns(turns)


def _plain_turns(raws: Sequence[str], lines: Sequence[_Line]) -> list[TranscriptTurn]:
    turns: list[TranscriptTurn] = []
    i = 0
    while i < len(lines):
        if lines[i].kind is _Kind.BLANK:
            i += 1
            continue
        end = i
        while end < len(lines) and lines[end].kind is not _Kind.BLANK:
            end += 1
        timed = lines[i].kind is _Kind.TS_ONLY  # "[00:01:02]" above a paragraph: its time
        body = raws[i + 1 if timed else i : end]
        turns.append(make_turn(DEFAULT_SPEAKER, body, lines[i].time_s if timed else None, i + 1))
        i = end
    return fold_empty_turns(turns)


def detect_labels(raws: Sequence[str]) -> tuple[LabelledFormat, int]:
    """The labelled layout that fits ``raws`` best and its count of label lines.

    ``plain`` with 0 when no labelled layout fits.
    """
    lines = _classify_all(raws)
    return _detect(lines)


def parse_labels(
    raws: Sequence[str], fmt: LabelledFormat, path: str
) -> tuple[str, list[TranscriptTurn]]:
    """Front matter and turns of ``raws`` read in ``fmt``.

    Raises:
        TranscriptParseError: ``fmt`` is labelled and no line has its labels.
    """
    lines = _classify_all(raws)
    if fmt == "plain":
        return "", _plain_turns(raws, lines)
    first = next((i for i, ln in enumerate(lines) if ln.kind in _FIRST[fmt]), None)
    if first is None:
        example = {"speaker_block": "Speaker 1:", "speaker_inline": "Speaker 1: text"}
        raise TranscriptParseError(
            path,
            f"no {fmt} turn found (expected lines like "
            f"'{example.get(fmt, '[00:01:02] Speaker 1: text')}'); "
            "leave the format unset to detect it",
        )
    return "\n".join(raws[:first]).strip(), _labelled_turns(raws, lines, fmt, first)


__all__ = ["LabelledFormat", "detect_labels", "parse_labels"]
