"""The options and the planned clips of dataset export: what ``plan_clips`` decides and the
rest of ``align.export`` cuts, encodes and lists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Literal

from audio.span import SampleSpan

AudioFormat = Literal["flac", "wav"]
AUDIO_FORMATS: tuple[str, ...] = ("flac", "wav")

DropReason = Literal[
    "not_in_audio", "too_long", "too_short", "overlap", "mismatch", "low_coverage", "low_confidence"
]
DROP_REASONS: tuple[str, ...] = (
    "not_in_audio",
    "too_long",
    "too_short",
    "overlap",
    "mismatch",
    "low_coverage",
    "low_confidence",
)

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """Options of ``export_clips``.

    Attributes:
        min_s: Clips shorter than this (padding included) are dropped as ``too_short``.
        max_s: Turns longer than this are split at pauses; a single word longer than
            this is dropped as ``too_long``. 30 s is Whisper's window.
        pad_ms: Silence kept before the first and after the last word, cut short at the
            midpoint of the gap to the neighbouring timed word (of any turn).
        min_coverage: Clips whose share of heard words (matched or substituted, among
            all transcript words in the clip) is below this are dropped.
        min_confidence: Clips whose mean word confidence is below this are dropped.
        drop_mismatched: Drop clips that any mismatch touches (a substitution, transcript
            words not heard, speech heard that no turn covers).
        audio_format: ``flac`` or ``wav`` (both 16 kHz mono, 16-bit).
        name_prefix: First part of every clip name; default: the stem of the result's
            audio file. Letters, digits, ``.``, ``_`` and ``-`` only; words that
            Hugging Face reads as split names are capitalized (``safe_prefix``).
    """

    min_s: float = 1.0
    max_s: float = 30.0
    pad_ms: int = 100
    min_coverage: float = 0.0
    min_confidence: float = 0.0
    drop_mismatched: bool = False
    audio_format: AudioFormat = "flac"
    name_prefix: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_s < float("inf"):
            raise ValueError(f"min_s must be >= 0 seconds, got {self.min_s}")
        if not 0.0 < self.max_s < float("inf"):
            raise ValueError(f"max_s must be a positive number of seconds, got {self.max_s}")
        if self.min_s > self.max_s:
            raise ValueError(f"min_s ({self.min_s} s) must not exceed max_s ({self.max_s} s)")
        if self.pad_ms < 0:
            raise ValueError(f"pad_ms must be >= 0, got {self.pad_ms}")
        for name in ("min_coverage", "min_confidence"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.audio_format not in AUDIO_FORMATS:
            raise ValueError(
                f"audio_format must be one of {', '.join(AUDIO_FORMATS)}, got {self.audio_format!r}"
            )
        if self.name_prefix is not None and not _SAFE_NAME.match(self.name_prefix):
            raise ValueError(
                f"name_prefix {self.name_prefix!r} must start with a letter or digit and "
                "hold only letters, digits, '.', '_' and '-'"
            )


@dataclass(frozen=True, slots=True)
class Clip(SampleSpan):
    """One planned clip: a run of one turn's words and the stretch of audio that holds them.

    ``word_start``/``word_count`` index the turn's words (``not_found`` words inside the
    run count but are not in ``text``). The audio is ``SampleSpan``'s, from the source's start.
    ``coverage``: share of the run's words heard (matched or substituted); ``confidence``:
    mean confidence of its timed words; ``mismatch_kinds``: kinds of the mismatches that
    touch it (empty when none does).
    """

    clip_id: str
    turn: int
    word_start: int
    word_count: int
    speaker: str
    text: str
    coverage: float
    confidence: float
    mismatch_kinds: tuple[str, ...] = ()

    _what: ClassVar[str] = "clip"

    @property
    def mismatch(self) -> bool:
        """Whether any mismatch touches the clip."""
        return bool(self.mismatch_kinds)


@dataclass(frozen=True, slots=True)
class DroppedClip:
    """A clip (or a whole turn with no audio) that was not exported, and why.

    ``clip`` is ``None`` for a turn none of whose words were found in the audio.
    ``detail`` says it in words, with the figure and the limit.
    """

    turn: int
    speaker: str
    reason: DropReason
    detail: str
    clip: Clip | None = None
    text: str = ""


__all__ = [
    "AUDIO_FORMATS",
    "DROP_REASONS",
    "AudioFormat",
    "Clip",
    "DropReason",
    "DroppedClip",
    "ExportOptions",
]
