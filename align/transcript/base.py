"""The parsed transcript: turns to align, what was written around them, and cue structure.

Every layout reader (``align.transcript.labels``, ``subtitles``, ``markdown``, ...) builds
the same ``Transcript``. A turn keeps two texts: ``text``, the words to align as written
(paragraphs and line breaks kept), and ``written``, the same with the notations
(``[inaudible 00:01:35]``, ``(laughs)``, ``[MUSIC]``) and inline timestamps left in place.
Only ``text`` reaches the aligner, so a notation is never matched to a heard word and the
result's words always spell its turn text. Subtitle and podcast JSON layouts also keep
their cues, so that a writer can give each cue a new time and write the file back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

TranscriptFormat = Literal[
    # plain text with labels (align.transcript.labels)
    "speaker_block",
    "speaker_inline",
    "timestamped",
    "plain",
    # service text exports (align.transcript.services)
    "rev",
    "otter",
    "teams",
    # Markdown (align.transcript.markdown)
    "markdown",
    "markdown_table",
    # other labels (align.transcript.scripts)
    "interview",
    "screenplay",
    # subtitles (align.transcript.subtitles, align.transcript.captions)
    "srt",
    "vtt",
    "sbv",
    "youtube_vtt",
    "ass",
    # Podcasting 2.0 JSON (align.transcript.podcast)
    "podcast_json",
]
TRANSCRIPT_FORMATS: tuple[TranscriptFormat, ...] = get_args(TranscriptFormat)
# Layouts made of timed cues: their cue structure is kept so that they can be written back.
CUE_FORMATS: frozenset[str] = frozenset({"srt", "vtt", "sbv", "youtube_vtt", "ass", "podcast_json"})

# The speaker of text without labels.
DEFAULT_SPEAKER = "Speaker 1"

MAX_NAME_CHARS = 40
MAX_NAME_WORDS = 5
"""A speaker label is a name: at most this many characters and words, in every layout."""

NotationKind = Literal["notation", "time"]


@dataclass(frozen=True, slots=True)
class Notation:
    """Something written in a turn that is not speech, with where it sits.

    ``kind``: ``notation`` for ``[laughs]``, ``[inaudible 00:01:35]``, ``(applause)``, a
    screenplay parenthetical; ``time`` for an inline timestamp (``[00:00:09]``, Rev's
    ``(00:00:46):``), whose value is ``time_s``. ``before``: the index of the turn token it
    precedes (``len(tokens)`` when it ends the turn).
    """

    text: str
    before: int
    kind: NotationKind = "notation"
    time_s: float | None = None


@dataclass(frozen=True, slots=True)
class TranscriptTurn:
    """One speaker turn as written.

    ``text``: the words to align, label, notations and timestamps removed, lines joined by
    "\\n" and paragraphs by "\\n\\n". ``tokens``: ``text.split()``, exactly the words the
    aligner gets. ``original_time_s``: the time the input gave this turn, in seconds, if
    any (kept, never trusted). ``line``: the 1-based line (or cue, or segment) where the
    turn starts. ``written``: the turn's text with its notations in place ("" when it has
    none, see ``as_written``). ``notations``: those notations and inline timestamps.
    ``role``: what the label said beside the name (``Jane Doe (Host):`` gives "Host").
    """

    speaker: str
    text: str
    tokens: tuple[str, ...]
    original_time_s: float | None
    line: int
    written: str = ""
    notations: tuple[Notation, ...] = ()
    role: str = ""

    def __post_init__(self) -> None:
        if self.tokens != tuple(self.text.split()):
            raise ValueError(f"turn at line {self.line}: tokens must equal text.split()")
        if self.line < 1:
            raise ValueError(f"turn at line {self.line}: line must be >= 1")
        _check_time(self.original_time_s, f"turn at line {self.line}")
        for n in self.notations:
            if not 0 <= n.before <= len(self.tokens):
                raise ValueError(f"turn at line {self.line}: notation {n.text!r} out of place")

    @property
    def as_written(self) -> str:
        """The turn's text as the input had it: notations in, label out."""
        return self.written or self.text


@dataclass(frozen=True, slots=True)
class Cue:
    """One subtitle cue (or podcast JSON segment) of the input, to be written back.

    ``start_s``/``end_s``: its time in the input, seconds. ``turn``, ``token_start`` and
    ``token_count``: the tokens of that turn it holds (none for a cue of notations only,
    "[MUSIC]"). ``lines``: the cue's text lines exactly as written (tags and speaker
    prefix included). ``ident``: the cue identifier line, if any. ``settings``: WebVTT
    cue settings (``align:start position:0%``). ``speaker``: the speaker it was read as.
    """

    start_s: float
    end_s: float
    turn: int
    token_start: int
    token_count: int
    lines: tuple[str, ...]
    ident: str = ""
    settings: str = ""
    speaker: str = ""

    def __post_init__(self) -> None:
        _check_time(self.start_s, "cue")
        _check_time(self.end_s, "cue")
        if self.token_start < 0 or self.token_count < 0 or self.turn < 0:
            raise ValueError(f"cue at {self.start_s:.3f}s: bad token span")


@dataclass(frozen=True, slots=True)
class Transcript:
    """A parsed transcript: its source, layout, front matter, turns and cues in order.

    ``header``: layout text a writer needs to write the file back but that is no front
    matter (a WebVTT file's ``WEBVTT`` line and ``STYLE`` blocks).
    """

    path: str
    format: TranscriptFormat
    front_matter: str
    turns: tuple[TranscriptTurn, ...]
    cues: tuple[Cue, ...] = ()
    header: str = ""

    def __post_init__(self) -> None:
        if self.format not in TRANSCRIPT_FORMATS:
            raise ValueError(f"unknown transcript format {self.format!r}")
        for cue in self.cues:
            if cue.turn >= len(self.turns):
                raise ValueError(f"cue at {cue.start_s:.3f}s names turn {cue.turn}")
            if cue.token_start + cue.token_count > len(self.turns[cue.turn].tokens):
                raise ValueError(f"cue at {cue.start_s:.3f}s runs past its turn's tokens")


@dataclass(frozen=True, slots=True)
class Source:
    """A transcript's text as every layout reader sees it.

    ``text``: BOM removed, line endings made "\\n". ``lines``: ``text.split("\\n")``.
    ``path``: for messages and ``Transcript.path``. ``suffix``: the file name's extension,
    lower case (".srt"; "" for a string), a hint some detectors weigh.
    """

    text: str
    lines: tuple[str, ...]
    path: str
    suffix: str = ""

    @classmethod
    def of(cls, text: str, path: str = "<string>", suffix: str = "") -> Source:
        text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        return cls(text, tuple(text.split("\n")), path, suffix.lower())


def _check_time(t: float | None, what: str) -> None:
    if t is not None and not (math.isfinite(t) and t >= 0):
        raise ValueError(f"{what}: bad time {t}")


__all__ = [
    "CUE_FORMATS",
    "DEFAULT_SPEAKER",
    "TRANSCRIPT_FORMATS",
    "Cue",
    "Notation",
    "NotationKind",
    "Source",
    "Transcript",
    "TranscriptFormat",
    "TranscriptTurn",
]
