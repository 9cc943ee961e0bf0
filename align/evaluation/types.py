"""Options and report types of ``turnalign eval`` (see ``align.evaluation``)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Literal, get_args

from align.errors import UsageError

TurnMapping = Literal["auto", "noisy", "order", "text", "time"]
TURN_MAPPINGS: tuple[str, ...] = get_args(TurnMapping)
EVAL_SCHEMA = "turnalign-eval/1"
# A one-for-one swap this short is the same spoken words in the same slot ("an" for "and").
MAX_SLOT_RUN_WORDS = 2
# Times travel as JSON rounded to 1 ms; don't let float noise drop an error out of a bin.
TOL_EPS_S = 1e-6
# Turn pairs by time need this much intersection-over-union (in %) to count at all.
MIN_TIME_IOU_PCT = 10.0
# Spelled-out numbers only up to here; longer digit strings are ids, not spoken numbers.
_MAX_SPELLED_DIGITS = 6


# -- options and report ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EvalOptions:
    """How ``evaluate`` maps turns, pairs flags with injected errors, and bins errors.

    ``turn_map``: "auto" picks "order" when the turn counts match and every pair's
    text agrees, else "noisy" when the reference's ``noisy_turn_map`` fits and its pairs
    agree, else "text" ("time" for a reference without text). "noisy" uses
    ``Reference.noisy_turn_map``; "text" is the order-keeping pairing with the best total
    text similarity; "time" the same by time overlap (it trusts the result's own times).
    ``min_turn_similarity`` is the rapidfuzz ratio (0-100) a text pair needs.
    ``min_flag_cover`` is the share of an injected span's words a flag must cover.
    ``missing_turn_min_overlap_share``: share of a missing turn's span that heard-speech
    flags must overlap (0 = any overlap).
    """

    turn_map: TurnMapping = "auto"
    turn_tolerances_s: tuple[float, ...] = (0.1, 0.25, 1.0)
    word_tolerances_ms: tuple[int, ...] = (25, 50, 100, 250)
    min_turn_similarity: float = 60.0
    min_flag_cover: float = 0.5
    missing_turn_min_overlap_share: float = 0.0

    def __post_init__(self) -> None:
        if self.turn_map not in TURN_MAPPINGS:
            raise UsageError(f"turn_map must be one of {TURN_MAPPINGS}, got {self.turn_map!r}")
        for name in ("turn_tolerances_s", "word_tolerances_ms"):
            tols = getattr(self, name)
            if not tols or any(not t > 0 for t in tols) or list(tols) != sorted(tols):
                raise UsageError(f"{name} must be positive and ascending, got {tols!r}")
        if not 0 <= self.min_turn_similarity <= 100:
            raise UsageError(f"min_turn_similarity must be 0-100, got {self.min_turn_similarity}")
        for name in ("min_flag_cover", "missing_turn_min_overlap_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise UsageError(f"{name} must be 0-1, got {getattr(self, name)}")


@dataclass(frozen=True, slots=True)
class Within:
    """Share (0-1) of items whose error is at most ``tolerance_s``; None with no items."""

    tolerance_s: float
    share: float | None


@dataclass(frozen=True, slots=True)
class ErrorStats:
    """Absolute errors in seconds over the ``n_timed`` timed items; ``within`` shares are
    over all ``n_total`` items, so untimed ones count as misses."""

    n_total: int
    n_timed: int
    median_s: float | None
    p95_s: float | None
    mean_s: float | None
    max_s: float | None
    within: tuple[Within, ...]


@dataclass(frozen=True, slots=True)
class TurnScores:
    """Turn start/end errors over result turns that map to a reference turn."""

    n_result: int
    n_reference: int
    n_mapped: int
    n_not_found: int
    n_reference_unmapped: int
    n_extra: int
    extra_turns_timed: int
    start: ErrorStats
    end: ErrorStats
    both_within: tuple[Within, ...]


@dataclass(frozen=True, slots=True)
class WordScores:
    """Word errors for one reference grade ("gold", "silver" or "all").

    ``n_matched`` pairs include ``n_slot_paired`` one-for-one swaps (e.g. "an" for "and").
    """

    grade: str
    n_reference: int
    n_matched: int
    n_slot_paired: int
    n_not_timed: int
    n_interpolated: int
    start: ErrorStats
    end: ErrorStats
    boundaries: ErrorStats


@dataclass(frozen=True, slots=True)
class KindDetection:
    """Recall of one injected error kind; ``missed`` describes the ones not flagged."""

    kind: str
    injected: int
    detected: int
    recall: float | None
    missed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Detection:
    """How well mismatch flags find injected errors.

    ``applicable`` is True when the result is of the corrupted transcript (its turn map is
    the reference's ``noisy_turn_map``); otherwise the transcript is taken as exact, and
    every ``not_in_audio`` and ``substitution`` flag is false. A ``substitution`` flag is
    true when it covers a word the corruptions substituted.
    """

    applicable: bool
    kinds: tuple[KindDetection, ...]
    not_in_audio_flags: int
    not_in_audio_true: int
    not_in_audio_false: int
    not_in_audio_precision: float | None
    not_in_transcript_flags: int
    substitution_flags: int
    substitution_true: int = 0
    substitution_false: int = 0
    substitution_precision: float | None = None


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Everything ``evaluate`` measured; ``turn_map[i]`` is result turn i's reference turn."""

    reference: str
    reference_format: str
    transcript: str
    turn_map_method: str
    turn_map: tuple[int | None, ...]
    turns: TurnScores | None
    words: tuple[WordScores, ...]
    result_words: int
    result_words_matched: int
    detection: Detection

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (floats rounded to 0.1 ms), tagged ``schema: turnalign-eval/1``."""
        return {"schema": EVAL_SCHEMA, **_rounded(asdict(self))}


def _rounded(x: Any) -> Any:
    if isinstance(x, float):
        return round(x, 4)
    if isinstance(x, dict):
        return {k: _rounded(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_rounded(v) for v in x]
    return x


_NON_WORD = re.compile(r"[^\w']+")

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})


@lru_cache(maxsize=65536)
def norm_token(token: str) -> str:
    """Lowercase, no punctuation; a small integer spelled out when it is one word ("3")."""
    t = _NON_WORD.sub("", token.translate(_APOSTROPHES).lower()).strip("'")
    if t.isascii() and t.isdigit() and len(t) <= _MAX_SPELLED_DIGITS:
        from num2words import num2words

        spelled = str(num2words(int(t)))
        if spelled.isalpha():
            return spelled
    return t


def norm_text(text: str) -> str:
    return " ".join(n for n in (norm_token(tok) for tok in text.split()) if n)
