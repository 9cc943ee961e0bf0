"""Reading speaker-turn transcripts: text in, ``Transcript`` out, and back to text.

Users bring transcripts in a few shapes: a podcast page with ``Speaker 1:`` lines, chat-style
``Alice: hi``, timestamped exports, bare paragraphs. This module finds the turns in any of
them from the text alone (no audio), keeps the front matter (title, credits) apart, and
writes a transcript back in its own shape for the "corrected transcript" output. Timestamps
found in the input are kept as ``original_time_s`` but never trusted for alignment.

Formats (``TranscriptFormat``):

- ``speaker_block``: a label alone on its line (``Speaker 1:``, ``Dr. Jane Smith:``,
  optionally ``Speaker 1: [00:01:02.5]``), then one or more paragraphs.
- ``speaker_inline``: ``Alice: text`` (optionally ``Alice: [00:01:02.5] text``); a turn runs
  on over unlabelled lines, blank ones included, until the next label.
- ``timestamped``: a leading time, ``[00:01:02] Alice: text``, ``00:01:02 Alice:`` or
  ``00:01:02 Alice`` with the text on the next lines, ``(01:02) Alice: text``.
- ``plain``: paragraphs without labels, one turn each, all by ``Speaker 1``.

Rules the parser keeps: a label is a name (a letter first, not lower case; letters, digits,
spaces, ``.``, ``-``, ``_``, apostrophes; at most 40 characters and 5 words). A label with
no text after it is skipped, as it holds nothing to align. Each line of a turn's text is
stripped, and runs of blank lines become one ``"\\n\\n"`` between paragraphs.
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Literal, get_args

from align.errors import EmptyTranscriptError, TranscriptParseError, UnknownFormatError

TranscriptFormat = Literal["speaker_block", "speaker_inline", "timestamped", "plain"]
TRANSCRIPT_FORMATS: tuple[TranscriptFormat, ...] = get_args(TranscriptFormat)

# The speaker of plain paragraphs, and of timestamped lines before any label.
DEFAULT_SPEAKER = "Speaker 1"
# Labels are names, not sentences: "Dr. Jane Smith" fits, "So what I was going to say" doesn't.
MAX_LABEL_CHARS = 40
MAX_LABEL_WORDS = 5
# A labelled format must label at least this share of the non-blank lines from its first
# turn on; below it, the "labels" are prose that happens to hold a colon.
MIN_LABEL_SHARE = 0.1
# With this few labels, the body must also outweigh the front matter, so that a stray
# "Signed: Jane Doe" closing an essay does not turn the whole essay into front matter.
FEW_LABELS = 2
# Rendered times are [HH:MM:SS.s]: a tenth of a second is what a reader of a transcript uses.
RENDER_TIME_DECIMALS = 1
# Written by render_transcript where the timestamped format needs a time and there is none.
NO_TIME_STAMP = "[--:--:--]"

_TIME = r"\d{1,3}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_RANGE = rf"{_TIME}(?:\s*[-–—>]+\s*{_TIME})?"
_STAMP_BRACKETED = rf"(?:\[\s*{_RANGE}\s*\]|\(\s*{_RANGE}\s*\)|\[--:--(?::--)?\])"
# The name part is bounded, so that a long line without a colon cannot backtrack for long.
_NAME = r"[^\W\d_][\w.'’ \-]{0,59}"
_TIME_RE = re.compile(_TIME)
_LEADING_STAMP_RE = re.compile(rf"{_STAMP_BRACKETED}|{_TIME}")
_LABEL_ALONE_RE = re.compile(
    rf"(?P<name>{_NAME})\s*(?:(?P<st1>{_STAMP_BRACKETED})\s*)?[:：]"
    rf"\s*(?:(?P<st2>{_STAMP_BRACKETED})\s*)?"
)
_LABEL_INLINE_RE = re.compile(
    rf"(?P<name>{_NAME})\s*(?:(?P<st1>{_STAMP_BRACKETED})\s*)?[:：]\s+"
    rf"(?:(?P<st2>{_STAMP_BRACKETED})\s+)?(?P<text>\S.*)"
)
_NAME_ALONE_RE = re.compile(_NAME)
_NAME_THEN_STAMP_RE = re.compile(rf"(?P<name>{_NAME})\s+(?P<st1>{_STAMP_BRACKETED}|{_TIME})")
_WORD_RE = re.compile(r"[^\W_]")
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
_LABELLED_FORMATS: tuple[TranscriptFormat, ...] = ("timestamped", "speaker_block", "speaker_inline")
_TS_KINDS = frozenset({_Kind.TS_LABEL_ALONE, _Kind.TS_LABEL_INLINE, _Kind.TS_NAME, _Kind.TS_TEXT})
# Lines that vote for a format when it is detected.
_EVIDENCE: dict[TranscriptFormat, frozenset[_Kind]] = {
    "timestamped": _TS_KINDS,
    "speaker_block": frozenset({_Kind.LABEL_ALONE}),
    "speaker_inline": frozenset({_Kind.LABEL_INLINE}),
}
# Lines that start a turn once the format is known.
_STARTS: dict[TranscriptFormat, frozenset[_Kind]] = {
    "speaker_block": frozenset({_Kind.LABEL_ALONE, _Kind.TS_LABEL_ALONE, _Kind.TS_NAME}),
    "speaker_inline": frozenset(
        {_Kind.LABEL_INLINE, _Kind.LABEL_ALONE, _Kind.TS_LABEL_INLINE, _Kind.TS_LABEL_ALONE}
    ),
    "timestamped": _TS_KINDS | {_Kind.TS_ONLY, _Kind.LABEL_INLINE, _Kind.LABEL_ALONE},
}
# Lines that may end the front matter: in timestamped exports only a timed line does, so
# that "Title: My Podcast" above the first time stays front matter.
_FIRST: dict[TranscriptFormat, frozenset[_Kind]] = {
    "speaker_block": _STARTS["speaker_block"],
    "speaker_inline": _STARTS["speaker_inline"],
    "timestamped": _TS_KINDS,
}


@dataclass(frozen=True, slots=True)
class TranscriptTurn:
    """One speaker turn as written.

    ``text``: the turn's words, label and timestamp removed, paragraphs joined by "\\n\\n".
    ``tokens``: ``text.split()``. ``original_time_s``: the time the input gave this turn,
    in seconds, if any. ``line``: the 1-based line where the turn starts.
    """

    speaker: str
    text: str
    tokens: tuple[str, ...]
    original_time_s: float | None
    line: int

    def __post_init__(self) -> None:
        if self.tokens != tuple(self.text.split()):
            raise ValueError(f"turn at line {self.line}: tokens must equal text.split()")
        if self.line < 1:
            raise ValueError(f"turn line must be >= 1, got {self.line}")
        t = self.original_time_s
        if t is not None and not (math.isfinite(t) and t >= 0):
            raise ValueError(f"turn at line {self.line}: bad original_time_s {t}")


@dataclass(frozen=True, slots=True)
class Transcript:
    """A parsed transcript: its source, format, front matter and turns in order."""

    path: str
    format: TranscriptFormat
    front_matter: str
    turns: tuple[TranscriptTurn, ...]

    def __post_init__(self) -> None:
        if self.format not in TRANSCRIPT_FORMATS:
            raise ValueError(f"unknown transcript format {self.format!r}")


@dataclass(frozen=True, slots=True)
class _Line:
    kind: _Kind
    text: str = ""  # what is left on the line once label and time are removed
    speaker: str | None = None
    time_s: float | None = None


def _stamp_seconds(stamp: str) -> float | None:
    """Seconds of the first time in ``stamp``; None for ``[--:--:--]``.

    Raises:
        ValueError: minutes or seconds are out of range ("12:75" is no time).
    """
    m = _TIME_RE.search(stamp)
    if m is None:
        return None
    main, _, frac = m.group().replace(",", ".").partition(".")
    parts = [int(p) for p in main.split(":")]
    hours, minutes, seconds = parts if len(parts) == 3 else [0, *parts]
    if seconds >= 60 or (len(parts) == 3 and minutes >= 60):
        raise ValueError(f"not a time: {stamp!r}")
    return hours * 3600 + minutes * 60 + seconds + (float(f"0.{frac}") if frac else 0.0)


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
    """Read ``s`` as a label line without a leading time, or None."""
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
                time_s = _stamp_seconds(stamp) if stamp else None
            except ValueError:
                return None
            text = m["text"] if kind is _Kind.LABEL_INLINE else ""
            return _Line(kind, text, name, time_s)
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
            time_s = _stamp_seconds(lead.group())
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
            return _Line(kind, label.text, label.speaker, time_s)
        if name_alone and _NAME_ALONE_RE.fullmatch(rest) and _is_name(rest, title_case=True):
            return _Line(_Kind.TS_NAME, "", rest, time_s)
        return _Line(_Kind.TS_TEXT, rest, None, time_s)
    label = _split_label(s)
    if label is not None:
        return label
    m = _NAME_THEN_STAMP_RE.fullmatch(s) if name_alone else None
    if m is not None and _is_name(m["name"].strip(), title_case=True):
        try:
            return _Line(_Kind.TS_NAME, "", m["name"].strip(), _stamp_seconds(m["st1"]))
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


def _detect(lines: Sequence[_Line]) -> TranscriptFormat:
    """Pick the labelled format with the most label lines, else ``plain``."""
    best: TranscriptFormat = "plain"
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
    return best


def _join_paragraphs(lines: Sequence[str]) -> str:
    """Strip each line and join: lines by "\\n", paragraphs by one "\\n\\n"."""
    paragraphs: list[list[str]] = [[]]
    for raw in lines:
        s = raw.strip()
        if s:
            paragraphs[-1].append(s)
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join("\n".join(p) for p in paragraphs if p)


def _make_turn(speaker: str, text: str, time_s: float | None, line: int) -> TranscriptTurn:
    return TranscriptTurn(speaker, text, tuple(text.split()), time_s, line)


def _labelled_turns(
    raws: Sequence[str], lines: Sequence[_Line], fmt: TranscriptFormat, first: int
) -> list[TranscriptTurn]:
    starts = [i for i in range(first, len(lines)) if lines[i].kind in _STARTS[fmt]]
    turns: list[TranscriptTurn] = []
    speaker = DEFAULT_SPEAKER
    for k, i in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        speaker = lines[i].speaker or speaker  # an unlabelled timed line: same speaker
        text = _join_paragraphs([lines[i].text, *raws[i + 1 : end]])
        if text:  # a label with no text at all holds nothing to align: skipped
            turns.append(_make_turn(speaker, text, lines[i].time_s, i + 1))
    return turns


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
        text = _join_paragraphs(raws[i + 1 if timed else i : end])
        if text:
            turns.append(
                _make_turn(DEFAULT_SPEAKER, text, lines[i].time_s if timed else None, i + 1)
            )
        i = end
    return turns


def parse_transcript(
    text: str, fmt: TranscriptFormat | None = None, *, path: str = "<string>"
) -> Transcript:
    """Find the front matter and the speaker turns in a transcript's text.

    Args:
        text: the whole transcript; any line endings, a leading BOM is ignored.
        fmt: force a format; None detects it from the share of lines fitting each one.
        path: where the text came from, for error messages and ``Transcript.path``.

    Returns:
        The transcript; plain text has no front matter.

    Raises:
        EmptyTranscriptError: no turn holds a letter or digit.
        TranscriptParseError: ``fmt`` was forced and no line has its labels.
        UnknownFormatError: ``fmt`` is not a ``TranscriptFormat``.
    """
    if fmt is not None and fmt not in TRANSCRIPT_FORMATS:
        raise UnknownFormatError(str(fmt), TRANSCRIPT_FORMATS)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not _WORD_RE.search(text):
        raise EmptyTranscriptError(path)
    raws = text.split("\n")
    lines = _classify_all(raws)
    chosen = fmt or _detect(lines)
    if chosen == "plain":
        front_matter, turns = "", _plain_turns(raws, lines)
    else:
        first = next((i for i, ln in enumerate(lines) if ln.kind in _FIRST[chosen]), None)
        if first is None:
            example = {"speaker_block": "Speaker 1:", "speaker_inline": "Speaker 1: text"}
            raise TranscriptParseError(
                path,
                f"no {chosen} turn found (expected lines like "
                f"'{example.get(chosen, '[00:01:02] Speaker 1: text')}'); "
                "leave the format unset to detect it",
            )
        front_matter = "\n".join(raws[:first]).strip()
        turns = _labelled_turns(raws, lines, chosen, first)
    if not any(_WORD_RE.search(turn.text) for turn in turns):
        raise EmptyTranscriptError(path)
    return Transcript(path, chosen, front_matter, tuple(turns))


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decode(data: bytes, path: Path) -> str:
    """Decode UTF-8 (BOM or not) or BOM-marked UTF-16/32; refuse anything binary."""
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
    """Read and parse a transcript file (UTF-8 with or without BOM, or UTF-16 with BOM).

    Args:
        path: the transcript file.
        fmt: force a format; None detects it.

    Returns:
        The parsed transcript, with ``path`` as given.

    Raises:
        TranscriptParseError: the file is missing, a directory, unreadable or binary,
            or ``fmt`` was forced and does not fit.
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
    return parse_transcript(_decode(data, p), fmt, path=str(path))


def _format_time(time_s: float) -> str:
    """``[HH:MM:SS.s]``, rounded to ``RENDER_TIME_DECIMALS``."""
    scale = 10**RENDER_TIME_DECIMALS
    hours, rest = divmod(round(time_s * scale), 3600 * scale)
    minutes, rest = divmod(rest, 60 * scale)
    seconds, frac = divmod(rest, scale)
    return f"[{hours:02d}:{minutes:02d}:{seconds:02d}.{frac:0{RENDER_TIME_DECIMALS}d}]"


def _render_turn(fmt: TranscriptFormat, speaker: str, text: str, time_s: float | None) -> str:
    stamp = _format_time(time_s) if time_s is not None else None
    if fmt == "speaker_block":
        return f"{speaker}: {stamp}\n\n{text}" if stamp else f"{speaker}:\n\n{text}"
    if fmt == "speaker_inline":
        return f"{speaker}: {stamp} {text}" if stamp else f"{speaker}: {text}"
    if fmt == "timestamped":
        return f"{stamp or NO_TIME_STAMP} {speaker}: {text}"
    return f"{stamp}\n{text}" if stamp else text


def render_transcript(
    transcript: Transcript, turn_texts: Sequence[str | None], times_s: Sequence[float | None]
) -> str:
    """Write a transcript back in its own format, with new texts and times.

    Front matter comes first, then each kept turn under its speaker's label. Times are
    written as ``[HH:MM:SS.s]``: after the label (``Speaker 1: [00:01:02.5]``) in
    ``speaker_block`` and ``speaker_inline``, before it in ``timestamped`` (``[--:--:--]``
    where a time is None), on a line above the paragraph in ``plain``. Parsing the result
    gives back the speakers, texts and (rounded) times, as long as each text fits its
    format: a ``plain`` text with a blank line reads back as two turns.

    Args:
        transcript: the parsed transcript.
        turn_texts: the new text of each turn; None, or only whitespace, drops the turn.
        times_s: each turn's time in seconds, or None for no time.

    Returns:
        The transcript text, ending with a newline.

    Raises:
        ValueError: the sequences do not match the turns, or a time is negative or not finite.
    """
    n_turns = len(transcript.turns)
    if len(turn_texts) != n_turns or len(times_s) != n_turns:
        raise ValueError(
            f"need one text and one time per turn ({n_turns}), "
            f"got {len(turn_texts)} texts and {len(times_s)} times"
        )
    parts = [transcript.front_matter] if transcript.front_matter else []
    for turn, text, time_s in zip(transcript.turns, turn_texts, times_s, strict=True):
        if time_s is not None and not (math.isfinite(time_s) and time_s >= 0):
            raise ValueError(f"turn at line {turn.line}: time must be >= 0, got {time_s}")
        if text is not None and text.strip():
            parts.append(_render_turn(transcript.format, turn.speaker, text.strip(), time_s))
    return "\n\n".join(parts) + "\n"
