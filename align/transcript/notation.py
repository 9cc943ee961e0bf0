"""Notations and inline timestamps: written in a turn, never aligned as words.

Transcribers mark what is not speech: ``[inaudible 00:01:35]``, ``[crosstalk]``,
``[laughs]``, ``(laughs)``, ``[MUSIC]``, ``[APPLAUSE]``, YouTube's ``>>`` speaker change.
Exports put timestamps inside the text: ``[00:00:09]``, ``(12:53)``, Rev's ``(00:00:46):``
before a paragraph. Whisper hears none of these as words, and matching them would pull
times towards whatever word sounds like "music". So every reader passes a turn's lines
through ``make_turn``, which keeps the notations in ``written`` (and in ``notations``, with
their place) and leaves only speech in ``text``; a leading timestamp becomes the turn's
time when its label gave none.

What counts as a notation: any short text in square brackets (transcripts use them only
for editorial notes), a bracketed or parenthesised time, and a parenthesis that starts
with a word from ``_NON_SPEECH`` (plain parentheses are often spoken: "(which I loved)").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from align.transcript.base import Notation, TranscriptTurn

# A clock time: 1:02, 01:02:03, 1:02:03.5, 00:00:09,120.
TIME = r"\d{1,3}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_TIME_RE = re.compile(TIME)
_RANGE = rf"{TIME}(?:\s*[-–—>]+\s*{TIME})?"
# Square brackets hold editorial notes; a note longer than this is more likely prose.
_MAX_NOTE_CHARS = 80
# Words that open a parenthesised sound or action note, "(laughs)", "(clears throat)".
_NON_SPEECH = (
    r"laugh\w*|chuckl\w*|giggl\w*|applause|applau\w*|clap\w*|inaudible|unintelligible|"
    r"indistinct\w*|crosstalk|cross-talk|overlapping|overtalk|music\w*|sings?|singing|silence|"
    r"pause\w*|sigh\w*|cough\w*|clears?\s+throat|sniff\w*|groan\w*|gasp\w*|cries|crying|"
    r"noises?|background\s+\w+|foreign|speaking\s+\w+|audio\s+\w+|beep\w*|phone\s+\w+|"
    r"door\s+\w+|static|whisper\w*|off[- ]mic|unclear|mumbl\w*|sound\s+effects?|beat|v\.?o\.?|"
    r"o\.?s\.?|cont'?d|continued|intro|outro|end"
)
_NOTATION_RE = re.compile(
    rf"\(\s*{_RANGE}\s*\)\s*:?"  # (12:53) and Rev's "(00:00:46):"
    rf"|\[\s*{_RANGE}\s*\]"  # [00:00:09]
    rf"|\[[^\[\]\n]{{1,{_MAX_NOTE_CHARS}}}\]"  # [inaudible 00:01:35], [MUSIC]
    rf"|\((?i:{_NON_SPEECH})(?!\w)[^()\n]{{0,40}}\)"  # (laughs), (clears throat)
    r"|(?<!\S)>>(?!\S)"  # YouTube's speaker-change mark
)
_ONLY_TIME_RE = re.compile(rf"[\[(]\s*{_RANGE}\s*[\])]\s*:?")
# Punctuation left alone after a notation went ("down [inaudible]." -> "down ."): it
# belongs to the word before.
_LOOSE_PUNCT_RE = re.compile(r"(?<=\S) +(?=[.,!?;:…]+(?:\s|$))")


def stamp_seconds(stamp: str) -> float | None:
    """Seconds of the first clock time in ``stamp``; None when it holds none (``[--:--]``).

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


def find_notations(line: str) -> list[re.Match[str]]:
    """The notation and timestamp spans of one line, in order."""
    return list(_NOTATION_RE.finditer(line))


def _respace(pieces: Sequence[str]) -> str:
    """The pieces of a line around its notations, joined by single spaces."""
    return _LOOSE_PUNCT_RE.sub("", " ".join(" ".join(pieces).split()))


def join_paragraphs(lines: Iterable[str]) -> str:
    """Strip each line and join: lines by "\\n", runs of blank lines by one "\\n\\n"."""
    paragraphs: list[list[str]] = [[]]
    for raw in lines:
        s = raw.strip()
        if s:
            paragraphs[-1].append(s)
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join("\n".join(p) for p in paragraphs if p)


def _notation(match: re.Match[str], before: int) -> Notation:
    text = match.group().strip()
    if _ONLY_TIME_RE.fullmatch(text):
        try:
            return Notation(text, before, "time", stamp_seconds(text))
        except ValueError:
            pass  # "(12:75)": no time, but no speech either
    return Notation(text, before)


LineTest = Callable[[str], bool]


def split_speech(
    written: str, note_line: LineTest | None = None
) -> tuple[str, tuple[Notation, ...]]:
    """Split a turn's joined text into the speech to align and its notations.

    A line that held a notation is re-spaced ("a [x] b" -> "a b"); a line left empty goes,
    and so does a paragraph left empty. Lines without notations stay exactly as written.
    ``note_line``: lines that are a notation as a whole (a screenplay's parentheticals).
    """
    notations: list[Notation] = []
    paragraphs: list[str] = []
    n_tokens = 0
    for paragraph in written.split("\n\n"):
        kept: list[str] = []
        for line in paragraph.split("\n"):
            if note_line is not None and note_line(line):
                notations.append(Notation(line.strip(), n_tokens))
                continue
            matches = find_notations(line)
            if not matches:
                kept.append(line)
                n_tokens += len(line.split())
                continue
            pieces: list[str] = []
            pos = 0
            for m in matches:
                pieces.append(line[pos : m.start()])
                notations.append(_notation(m, n_tokens + len(_respace(pieces).split())))
                pos = m.end()
            pieces.append(line[pos:])
            speech = _respace(pieces)
            n_tokens += len(speech.split())
            if speech:
                kept.append(speech)
        if kept:
            paragraphs.append("\n".join(kept))
    return "\n\n".join(paragraphs), tuple(notations)


def make_turn(
    speaker: str,
    lines: Sequence[str],
    time_s: float | None,
    line: int,
    role: str = "",
    note_line: LineTest | None = None,
) -> TranscriptTurn:
    """Build a turn from its text lines (label already removed); notations split off.

    A turn whose label gave no time takes the time of a timestamp that opens its text.
    The turn may hold no tokens (only notations); readers drop or merge such turns.
    """
    written = join_paragraphs(lines)
    text, notations = split_speech(written, note_line)
    if time_s is None and notations and notations[0].kind == "time" and notations[0].before == 0:
        time_s = notations[0].time_s
    return TranscriptTurn(
        speaker=speaker,
        text=text,
        tokens=tuple(text.split()),
        original_time_s=time_s,
        line=line,
        written=written if notations else "",
        notations=notations,
        role=role,
    )


def fold_empty_turns(turns: Sequence[TranscriptTurn]) -> list[TranscriptTurn]:
    """Drop turns without words; their notations join the turn before (or after) them.

    A "[MUSIC]" paragraph between two speakers holds nothing to align, but its notation
    stays in the transcript, at the end of the previous turn.
    """
    out: list[TranscriptTurn] = []
    pending: list[TranscriptTurn] = []  # empty turns before the first turn with words
    for turn in turns:
        if turn.tokens:
            for empty in reversed(pending):
                turn = _prepend(turn, empty)
            pending = []
            out.append(turn)
        elif not turn.notations:
            continue
        elif out:
            out[-1] = _append(out[-1], turn)
        else:
            pending.append(turn)
    return out


def _append(turn: TranscriptTurn, empty: TranscriptTurn) -> TranscriptTurn:
    end = len(turn.tokens)
    moved = tuple(Notation(n.text, end, n.kind, n.time_s) for n in empty.notations)
    return _with_notes(turn, f"{turn.as_written}\n\n{empty.as_written}", turn.notations + moved)


def _prepend(turn: TranscriptTurn, empty: TranscriptTurn) -> TranscriptTurn:
    moved = tuple(Notation(n.text, 0, n.kind, n.time_s) for n in empty.notations)
    return _with_notes(turn, f"{empty.as_written}\n\n{turn.as_written}", moved + turn.notations)


def _with_notes(turn: TranscriptTurn, written: str, notes: tuple[Notation, ...]) -> TranscriptTurn:
    return TranscriptTurn(
        turn.speaker,
        turn.text,
        turn.tokens,
        turn.original_time_s,
        turn.line,
        written,
        notes,
        turn.role,
    )


__all__ = [
    "TIME",
    "LineTest",
    "find_notations",
    "fold_empty_turns",
    "join_paragraphs",
    "make_turn",
    "split_speech",
    "stamp_seconds",
]
