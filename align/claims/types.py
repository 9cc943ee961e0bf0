"""The options of the claims stage and the candidates it judges."""

from __future__ import annotations

from dataclasses import dataclass

from align.errors import UsageError

_MAX_CONTEXT_S = 12.0
"""Twice this, and the candidate, must fit in one Whisper window of 30 s."""


@dataclass(frozen=True, slots=True)
class ClaimOptions:
    """How the audio judges a "heard differently" report (``align.claims``).

    ``judge``: ask the audio at all (off: every place Whisper's text differs is reported,
    as before this stage existed). A report is read against the audio only where Whisper
    gave the word it wrote at least ``min_read_confidence`` in its first pass (below, its
    word is a guess). It stands when, forced to read the transcript there, Whisper finds
    the written word unlikely (``max_written_prob``), the heard one likely
    (``min_heard_prob``) and at least ``min_prob_ratio`` times likelier, and Whisper is
    sure of the heard word: ``min_heard_confidence`` in its first pass, or
    ``sure_heard_prob`` read in the transcript's context. ``max_inserted_prob``: the
    written word read right after the heard one at least this likely means the heard word
    was said *before* it (the transcript dropped a word; the written one stands).
    Candidates are read with ``context_words`` written words before them and the audio of
    ``after_words`` after them, none further than ``context_s`` away.

    "Not in the transcript" stays reported only where the transcript's words, as placed,
    cover less than ``max_covered_share`` of the stretch, and the written word after it,
    read straight after the one before, comes out at most ``max_next_prob``.
    """

    judge: bool = True
    min_read_confidence: float = 0.3
    min_heard_confidence: float = 0.8
    sure_heard_prob: float = 0.7
    max_written_prob: float = 0.01
    min_heard_prob: float = 0.05
    min_prob_ratio: float = 10.0
    max_inserted_prob: float = 0.05
    context_words: int = 6
    after_words: int = 2
    context_s: float = 4.0
    max_covered_share: float = 0.5
    max_next_prob: float = 0.05

    def __post_init__(self) -> None:
        for name in (
            "min_read_confidence",
            "min_heard_confidence",
            "sure_heard_prob",
            "max_written_prob",
            "min_heard_prob",
            "max_inserted_prob",
            "max_covered_share",
            "max_next_prob",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise UsageError(f"claims: {name} must be between 0 and 1, got {value}")
        if self.min_prob_ratio < 1.0:
            raise UsageError(f"claims: min_prob_ratio must be >= 1, got {self.min_prob_ratio}")
        if min(self.context_words, self.after_words, self.context_s) < 0:
            raise UsageError("claims: context_words, after_words and context_s must be >= 0")
        if self.context_s > _MAX_CONTEXT_S:
            raise UsageError(
                f"claims: context_s must be at most {_MAX_CONTEXT_S} (Whisper reads 30 s at "
                f"most), got {self.context_s}"
            )


@dataclass(frozen=True, slots=True)
class Candidate:
    """One "heard differently" report to judge: the written words (``first`` to ``last``,
    positions in the run of timed words the stage reads), and what Whisper wrote."""

    mismatch: int  # its index in ``Result.mismatches``
    first: int
    last: int
    heard: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Reading:
    """What the audio said of one candidate (teacher-forced probabilities, 0-1), and
    ``heard_confidence``, Whisper's own in the word it wrote (first pass).

    ``inserted``: the written reading's probability right after the heard words, or
    ``None`` where it was not asked."""

    written: float
    heard: float
    inserted: float | None
    heard_confidence: float = 0.0


__all__ = ["Candidate", "ClaimOptions", "Reading"]
