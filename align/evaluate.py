"""Score an alignment ``Result`` against a reference: turn and word time errors, flag recall.

Refinement and matching work need one set of numbers to move (e.g. "gold word boundaries
median <= 25 ms, >= 85 % within 50 ms"), and the benchmark's truth file also lists the
errors injected into its noisy transcript, so we can check that the aligner flags them.
``align.reference`` reads reference files into one ``Reference``; ``evaluate`` compares a
``Result`` with it and returns a frozen ``EvalReport`` (``to_dict`` for JSON,
``format_text`` for a terminal). The scorer keeps its own small text normalization on
purpose: sharing ``align.normalize`` would let the matcher's mistakes grade themselves.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any, Literal, get_args

import numpy as np

from align.errors import UsageError
from align.model import Mismatch, Result, Turn, Word
from align.reference import (
    REFERENCE_FORMATS,
    Corruption,
    Reference,
    RefTurn,
    RefWord,
    read_reference,
    read_result,
)

TurnMapping = Literal["auto", "noisy", "order", "text", "time"]
TURN_MAPPINGS: tuple[str, ...] = get_args(TurnMapping)
EVAL_SCHEMA = "turnalign-eval/1"
# A one-for-one swap this short is the same spoken words in the same slot ("an" for "and").
_MAX_SLOT_RUN_WORDS = 2
# Times travel as JSON rounded to 1 ms; don't let float noise drop an error out of a bin.
_TOL_EPS_S = 1e-6
# Turn pairs by time need this much intersection-over-union (in %) to count at all.
_MIN_TIME_IOU_PCT = 10.0
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
    the reference's ``noisy_turn_map``); otherwise every ``not_in_audio`` flag is false.
    """

    applicable: bool
    kinds: tuple[KindDetection, ...]
    not_in_audio_flags: int
    not_in_audio_true: int
    not_in_audio_false: int
    not_in_audio_precision: float | None
    not_in_transcript_flags: int
    substitution_flags: int


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


# -- evaluation --------------------------------------------------------------------------
def evaluate(result: Result, ref: Reference, opts: EvalOptions = EvalOptions()) -> EvalReport:
    """Score ``result`` against ``ref``.

    Args:
        result: the alignment to score.
        ref: the reference, from ``read_reference``.
        opts: turn mapping, tolerances and detection thresholds.

    Returns:
        The report: turn errors, word errors by grade, and flag recall/precision.

    Raises:
        UsageError: the requested turn mapping cannot apply to this result and reference.
    """
    method, targets = map_turns(result, ref, opts)
    pairs = _pair_words(result, ref, targets)
    return EvalReport(
        reference=ref.path,
        reference_format=ref.format,
        transcript=result.transcript.path,
        turn_map_method=method,
        turn_map=targets,
        turns=_score_turns(result, ref, targets, opts) if ref.turns else None,
        words=_score_words(ref, pairs, opts),
        result_words=sum(len(t.words) for t in result.turns),
        result_words_matched=len(pairs),
        detection=_score_detection(result, ref, targets, opts),
    )


def map_turns(
    result: Result, ref: Reference, opts: EvalOptions = EvalOptions()
) -> tuple[str, tuple[int | None, ...]]:
    """Pair each result turn with a reference turn or None (see ``EvalOptions``).

    Returns:
        (method, targets): the method used ("none" when either side has no turns) and,
        for each result turn, its reference turn index or None.

    Raises:
        UsageError: "order" with unequal turn counts, or "noisy" without a fitting map.
    """
    n, m, how = len(result.turns), len(ref.turns), opts.turn_map
    if m == 0 or n == 0:
        return "none", (None,) * n
    has_text = any(t.text for t in ref.turns)
    noisy = ref.noisy_turn_map
    if how == "order" and n != m:
        raise UsageError(f"turn_map 'order' needs equal turn counts: result {n}, reference {m}")
    if how == "noisy" and (noisy is None or len(noisy) != n):
        have = "no noisy_turn_map" if noisy is None else f"a noisy_turn_map of {len(noisy)} turns"
        raise UsageError(f"turn_map 'noisy': the reference has {have}; the result has {n} turns")
    if how in ("order", "noisy"):
        return how, tuple(range(n)) if how == "order" else tuple(noisy or ())
    if how == "auto" and has_text:
        texts = [_norm_text(t.text) for t in result.turns]
        agree = opts.min_turn_similarity

        def fits(cand: Sequence[int | None]) -> bool:
            return all(
                j is None or _ratio(texts[i], ref.turns[j].text) >= agree
                for i, j in enumerate(cand)
            )

        if n == m and fits(range(n)):
            return "order", tuple(range(n))
        if noisy is not None and len(noisy) == n and fits(noisy):
            return "noisy", noisy
    if how == "auto" and not has_text and n == m:
        return "order", tuple(range(n))
    if how == "text" or (how == "auto" and has_text):
        from rapidfuzz import fuzz, process

        queries = [_norm_text(t.text) for t in result.turns]
        score = process.cdist(queries, [_norm_text(t.text) for t in ref.turns], scorer=fuzz.ratio)
        return "text", _monotone_pairs(np.asarray(score, dtype=float), opts.min_turn_similarity)
    nan = float("nan")  # untimed result turns overlap nothing
    spans = [(nan, nan) if t.start is None else (t.start, t.end) for t in result.turns]
    r_span = np.array(spans, dtype=float)  # shape: (n, 2): start, end
    r_start, r_end = r_span[:, :1], r_span[:, 1:]  # shape: (n, 1) each
    f_start = np.array([t.start_s for t in ref.turns])  # shape: (m,)
    f_end = np.array([t.end_s for t in ref.turns])  # shape: (m,)
    inter = np.minimum(r_end, f_end) - np.maximum(r_start, f_start)  # shape: (n, m)
    union = np.maximum(r_end, f_end) - np.minimum(r_start, f_start)
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where((inter > 0) & (union > 0), 100.0 * inter / union, 0.0)
    return "time", _monotone_pairs(iou, _MIN_TIME_IOU_PCT)


def _ratio(a: str, b: str) -> float:
    from rapidfuzz import fuzz

    return float(fuzz.ratio(a, _norm_text(b)))


def _monotone_pairs(score: np.ndarray, min_score: float) -> tuple[int | None, ...]:
    """Order-keeping one-to-one pairing (an LCS over turns) with the best total score.

    ``score`` has shape (result turns, reference turns); cells below ``min_score`` never
    pair. Each pair gains ``score - min_score + 1`` so a pair at the threshold still counts.
    """
    n, m = score.shape
    gain = (score - min_score + 1.0).tolist()
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        row, prev, g = best[i], best[i - 1], gain[i - 1]
        for j in range(1, m + 1):
            b = max(prev[j], row[j - 1])
            if g[j - 1] >= 1.0:
                b = max(b, prev[j - 1] + g[j - 1])
            row[j] = b
    targets: list[int | None] = [None] * n
    i, j = n, m
    while i > 0 and j > 0:
        if best[i][j] == best[i - 1][j]:
            i -= 1
        elif best[i][j] == best[i][j - 1]:
            j -= 1
        else:
            targets[i - 1] = j - 1
            i, j = i - 1, j - 1
    return tuple(targets)


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
_NON_WORD = re.compile(r"[^\w']+")


@lru_cache(maxsize=65536)
def _norm(token: str) -> str:
    """Lowercase, no punctuation; a small integer spelled out when it is one word ("3")."""
    t = _NON_WORD.sub("", token.translate(_APOSTROPHES).lower()).strip("'")
    if t.isascii() and t.isdigit() and len(t) <= _MAX_SPELLED_DIGITS:
        from num2words import num2words

        spelled = str(num2words(int(t)))
        if spelled.isalpha():
            return spelled
    return t


def _norm_text(text: str) -> str:
    return " ".join(n for n in (_norm(tok) for tok in text.split()) if n)


@dataclass(frozen=True, slots=True)
class _Pair:
    word: Word
    ref: RefWord
    by_slot: bool


def _pair_words(result: Result, ref: Reference, targets: Sequence[int | None]) -> list[_Pair]:
    """Match result words to reference words per mapped turn (or over the whole file when
    the reference words carry no turns) on normalized text."""
    if not ref.words:
        return []
    if not any(w.turn is not None for w in ref.words) or not any(t is not None for t in targets):
        return _align_tokens([w for t in result.turns for w in t.words], ref.words)
    by_turn: dict[int, list[RefWord]] = {}
    for w in ref.words:
        if w.turn is not None:
            by_turn.setdefault(w.turn, []).append(w)
    pairs: list[_Pair] = []
    for turn, j in zip(result.turns, targets, strict=True):
        if j is not None:
            pairs += _align_tokens(turn.words, by_turn.get(j, []))
    return pairs


def _align_tokens(words: Sequence[Word], refs: Sequence[RefWord]) -> list[_Pair]:
    # Tokens that normalize to nothing get a unique placeholder, so they never match.
    a = [_norm(w.text) or f"\0r{k}" for k, w in enumerate(words)]
    b = [_norm(r.text) or f"\0f{k}" for k, r in enumerate(refs)]
    pairs: list[_Pair] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        slot = tag == "replace" and i2 - i1 == j2 - j1 <= _MAX_SLOT_RUN_WORDS
        if tag == "equal" or slot:
            pairs += [_Pair(words[i1 + k], refs[j1 + k], slot) for k in range(i2 - i1)]
    return pairs


def _stats(errors_s: Sequence[float], n_total: int, tolerances_s: Sequence[float]) -> ErrorStats:
    arr = np.asarray(errors_s, dtype=float)  # shape: (n_timed,)
    within = tuple(
        Within(tol, float(np.sum(arr <= tol + _TOL_EPS_S)) / n_total if n_total else None)
        for tol in tolerances_s
    )
    if arr.size == 0:
        return ErrorStats(n_total, 0, None, None, None, None, within)
    return ErrorStats(
        n_total,
        int(arr.size),
        float(np.median(arr)),
        float(np.percentile(arr, 95)),
        float(arr.mean()),
        float(arr.max()),
        within,
    )


def _score_turns(
    result: Result, ref: Reference, targets: Sequence[int | None], opts: EvalOptions
) -> TurnScores:
    starts, ends, both = [], [], []
    n_mapped = n_not_found = n_extra = extra_timed = 0
    for turn, j in zip(result.turns, targets, strict=True):
        if j is None:
            n_extra += 1
            extra_timed += turn.status == "aligned"
            continue
        n_mapped += 1
        if turn.start is None or turn.end is None:
            n_not_found += 1
            continue
        starts.append(abs(turn.start - ref.turns[j].start_s))
        ends.append(abs(turn.end - ref.turns[j].end_s))
        both.append(max(starts[-1], ends[-1]))
    tols = opts.turn_tolerances_s
    return TurnScores(
        n_result=len(result.turns),
        n_reference=len(ref.turns),
        n_mapped=n_mapped,
        n_not_found=n_not_found,
        n_reference_unmapped=len(ref.turns) - len({j for j in targets if j is not None}),
        n_extra=n_extra,
        extra_turns_timed=extra_timed,
        start=_stats(starts, n_mapped, tols),
        end=_stats(ends, n_mapped, tols),
        both_within=_stats(both, n_mapped, tols).within,
    )


def _score_words(
    ref: Reference, pairs: Sequence[_Pair], opts: EvalOptions
) -> tuple[WordScores, ...]:
    tols = [ms / 1000 for ms in opts.word_tolerances_ms]
    scores = []
    for grade in ("gold", "silver", "all"):
        n_ref = sum(1 for w in ref.words if grade in ("all", w.grade))
        if n_ref == 0:
            continue
        mine = [p for p in pairs if grade in ("all", p.ref.grade)]
        timed = [
            (p.word.start, p.word.end, p.ref)
            for p in mine
            if p.word.start is not None and p.word.end is not None
        ]
        starts = [abs(start - r.start_s) for start, _, r in timed]
        ends = [abs(end - r.end_s) for _, end, r in timed]
        scores.append(
            WordScores(
                grade=grade,
                n_reference=n_ref,
                n_matched=len(mine),
                n_slot_paired=sum(p.by_slot for p in mine),
                n_not_timed=len(mine) - len(timed),
                n_interpolated=sum(p.word.status == "interpolated" for p in mine),
                start=_stats(starts, len(mine), tols),
                end=_stats(ends, len(mine), tols),
                boundaries=_stats(starts + ends, 2 * len(mine), tols),
            )
        )
    return tuple(scores)


# -- mismatch detection --------------------------------------------------------------------
def _score_detection(
    result: Result, ref: Reference, targets: Sequence[int | None], opts: EvalOptions
) -> Detection:
    flags = [m for m in result.mismatches if m.kind == "not_in_audio"]
    n_heard = sum(m.kind == "not_in_transcript" for m in result.mismatches)
    n_subs = sum(m.kind == "substitution" for m in result.mismatches)
    applicable = bool(ref.corruptions) and tuple(targets) == ref.noisy_turn_map
    if not applicable:
        return Detection(False, (), len(flags), 0, len(flags), None, n_heard, n_subs)
    row_of = {j: i for i, j in enumerate(targets) if j is not None}
    extras = [i for i, j in enumerate(targets) if j is None]
    dup_spans: dict[int, list[range]] = {}
    for c in ref.corruptions:
        if c.kind == "duplicate" and c.turn is not None and c.turn in row_of:
            row = row_of[c.turn]
            dup_spans.setdefault(row, []).extend(_dup_spans(result.turns[row], c))
    kinds: dict[str, tuple[list[bool], list[str]]] = {}
    for k, c in enumerate(ref.corruptions):
        i = row_of.get(c.turn) if c.turn is not None else None
        if c.kind == "duplicate":
            hit = i is not None and _dup_detected(result, i, c, flags, opts)
        elif c.kind == "extra_turn":
            order = sum(1 for d in ref.corruptions[:k] if d.kind == "extra_turn")
            hit = order < len(extras) and _extra_detected(result, extras[order], flags, opts)
        elif c.kind == "missing_turn":
            hit = (
                c.turn is not None
                and c.turn < len(ref.turns)
                and _missing_detected(result, ref.turns[c.turn], opts)
            )
        elif c.kind == "substitution":
            hit = i is not None and _sub_detected(result, i, c)
        else:
            continue  # digits, fillers, deletions: not the aligner's job to flag
        hits, missed = kinds.setdefault(c.kind, ([], []))
        hits.append(hit)
        if not hit:
            where = f"ref turn {c.turn}" if c.turn is not None else f"after ref turn {c.after_turn}"
            into = f" written {c.into!r}" if c.into else ""
            missed.append(f"{where}: {c.text!r}{into}")
    n_true = sum(_flag_is_true(m, result, targets, dup_spans, opts) for m in flags)
    return Detection(
        applicable=True,
        kinds=tuple(
            KindDetection(kind, len(h), sum(h), sum(h) / len(h), tuple(miss))
            for kind, (h, miss) in sorted(kinds.items())
        ),
        not_in_audio_flags=len(flags),
        not_in_audio_true=n_true,
        not_in_audio_false=len(flags) - n_true,
        not_in_audio_precision=n_true / len(flags) if flags else None,
        not_in_transcript_flags=n_heard,
        substitution_flags=n_subs,
    )


def _dup_spans(turn: Turn, c: Corruption) -> list[range]:
    """The inserted copy's word range, plus the copy before it when it reads the same
    (an aligner may keep either copy and flag the other)."""
    if c.at_word is None:
        return []
    n = c.word_count or len(c.text.split())
    spans = [range(c.at_word, c.at_word + n)]
    before = range(c.at_word - n, c.at_word)
    if before.start >= 0 and _words_norm(turn, before) == _words_norm(turn, spans[0]):
        spans.append(before)
    return spans


def _words_norm(turn: Turn, span: range) -> list[str]:
    return [_norm(turn.words[k].text) for k in span if k < len(turn.words)]


def _flag_words(m: Mismatch) -> set[int]:
    if m.word_start is None or m.word_count <= 0:
        return set()
    return set(range(m.word_start, m.word_start + m.word_count))


def _text_cover(flag_text: str, target_text: str) -> float:
    """Share of ``target_text``'s normalized words found among ``flag_text``'s."""
    target = Counter(_norm_text(target_text).split())
    if not target:
        return 0.0
    found = Counter(_norm_text(flag_text).split()) & target
    return sum(found.values()) / sum(target.values())


def _dup_detected(
    result: Result, i: int, c: Corruption, flags: Sequence[Mismatch], opts: EvalOptions
) -> bool:
    mine = [m for m in flags if m.turn == i]
    covered = set().union(*(_flag_words(m) for m in mine))
    spans = _dup_spans(result.turns[i], c)  # both copies read the same: either may be flagged
    if spans and len(covered & set().union(*spans)) >= opts.min_flag_cover * len(spans[0]):
        return True
    text = " ".join(m.text for m in mine if not _flag_words(m))
    return bool(text) and _text_cover(text, c.text) >= opts.min_flag_cover


def _extra_detected(result: Result, i: int, flags: Sequence[Mismatch], opts: EvalOptions) -> bool:
    turn = result.turns[i]
    if turn.status == "not_found":
        return True
    mine = [m for m in flags if m.turn == i]
    covered = set().union(*(_flag_words(m) for m in mine)) & set(range(len(turn.words)))
    if covered and len(covered) >= opts.min_flag_cover * len(turn.words):
        return True
    text = " ".join(m.text for m in mine if not _flag_words(m))
    return bool(text) and _text_cover(text, turn.text) >= opts.min_flag_cover


def _missing_detected(result: Result, truth: RefTurn, opts: EvalOptions) -> bool:
    spans = sorted(
        (max(m.start, truth.start_s), min(m.end, truth.end_s))
        for m in result.mismatches
        if m.kind == "not_in_transcript" and m.start is not None and m.end is not None
    )
    overlap_s, reach_s = 0.0, truth.start_s
    for s, e in spans:  # union of the flags' overlaps with the truth span
        s = max(s, reach_s)
        if e > s:
            overlap_s, reach_s = overlap_s + e - s, e
    duration_s = max(truth.end_s - truth.start_s, _TOL_EPS_S)
    return overlap_s > 0 and overlap_s / duration_s >= opts.missing_turn_min_overlap_share


def _sub_detected(result: Result, i: int, c: Corruption) -> bool:
    turn, at = result.turns[i], c.at_word
    for m in result.mismatches:
        if m.kind != "substitution" or m.turn != i:
            continue
        if m.word_start is not None and at is not None:
            if m.word_start <= at < m.word_start + max(1, m.word_count):
                return True
        elif c.into is not None and _norm(m.text) == _norm(c.into):
            return True
    return at is not None and at < len(turn.words) and turn.words[at].status == "substituted"


def _flag_is_true(
    m: Mismatch,
    result: Result,
    targets: Sequence[int | None],
    dup_spans: dict[int, list[range]],
    opts: EvalOptions,
) -> bool:
    """A not_in_audio flag is true when it sits in an extra turn or mostly on a duplicate."""
    if m.turn is None or not 0 <= m.turn < len(targets):
        return False
    if targets[m.turn] is None:
        return True
    words = _flag_words(m)
    spans = dup_spans.get(m.turn, [])
    if words:
        inside = set().union(*(set(s) for s in spans)) & words
        return bool(inside) and len(inside) >= opts.min_flag_cover * len(words)
    turn = result.turns[m.turn]
    dup_text = " ".join(turn.words[k].text for s in spans for k in s if k < len(turn.words))
    return bool(m.text) and _text_cover(dup_text, m.text) >= max(opts.min_flag_cover, _TOL_EPS_S)


# -- text report ---------------------------------------------------------------------------
def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, scale: float) -> str:
    return "-" if x is None else f"{x * scale:.3f}" if scale == 1 else f"{x * scale:.1f}"


def _table(
    title: str, unit: str, rows: list[tuple[str, ErrorStats]], tol_labels: list[str]
) -> list[str]:
    scale = 1000.0 if unit == "ms" else 1.0
    head = f"  {title:<18}{'n':>6}{'timed':>7}{'median':>9}{'p95':>9}{'mean':>9}"
    lines = [head + "".join(f"{'<=' + t:>9}" for t in tol_labels) + f"   ({unit})"]
    for label, st in rows:
        cells = [_num(st.median_s, scale), _num(st.p95_s, scale), _num(st.mean_s, scale)]
        lines.append(
            f"  {label:<18}{st.n_total:>6}{st.n_timed:>7}"
            + "".join(f"{c:>9}" for c in cells)
            + "".join(f"{_pct(w.share):>9}" for w in st.within)
        )
    return lines


def format_text(report: EvalReport) -> str:
    """A readable multi-line summary of ``report`` for a terminal."""
    out = [
        f"reference  {report.reference} ({report.reference_format})",
        f"transcript {report.transcript}",
        f"turn map: {report.turn_map_method}",
    ]
    t = report.turns
    if t is not None:
        out.append(
            f"\nturns: {t.n_mapped} of {t.n_result} mapped to {t.n_reference} reference turns; "
            f"{t.n_not_found} not found, {t.n_reference_unmapped} reference turns unmapped, "
            f"{t.n_extra} extra ({t.extra_turns_timed} given a time)"
        )
        tols = [f"{w.tolerance_s:g}s" for w in t.start.within]
        both = ErrorStats(t.n_mapped, t.start.n_timed, None, None, None, None, t.both_within)
        out += _table("turn", "s", [("start", t.start), ("end", t.end), ("start+end", both)], tols)
    if report.words:
        out.append(
            f"\nwords: {report.result_words_matched} of {report.result_words} result words "
            "matched to the reference"
        )
        rows = []
        for w in report.words:
            rows += [(f"{w.grade} start", w.start), (f"{w.grade} end", w.end)]
            rows.append((f"{w.grade} boundaries", w.boundaries))
        tols = [f"{w.tolerance_s * 1000:g}" for w in report.words[0].start.within]
        out += _table("word", "ms", rows, tols)
        out += [
            f"  {w.grade}: {w.n_matched} of {w.n_reference} reference words matched "
            f"({w.n_slot_paired} by slot), {w.n_not_timed} untimed, {w.n_interpolated} interpolated"
            for w in report.words
        ]
    d = report.detection
    out.append("\nmismatch flags:")
    for k in d.kinds:
        out.append(f"  {k.kind:<14} recall {_pct(k.recall):>7}  ({k.detected}/{k.injected})")
        out += [f"    missed {m}" for m in k.missed]
    out.append(
        f"  not_in_audio: {d.not_in_audio_flags} flags, {d.not_in_audio_false} false"
        + (f", precision {_pct(d.not_in_audio_precision)}" if d.applicable else "")
    )
    out.append(
        f"  not_in_transcript: {d.not_in_transcript_flags}, substitution: {d.substitution_flags}"
    )
    return "\n".join(out)


__all__ = [
    "EVAL_SCHEMA",
    "REFERENCE_FORMATS",
    "TURN_MAPPINGS",
    "Corruption",
    "Detection",
    "ErrorStats",
    "EvalOptions",
    "EvalReport",
    "KindDetection",
    "RefTurn",
    "RefWord",
    "Reference",
    "TurnScores",
    "Within",
    "WordScores",
    "evaluate",
    "format_text",
    "map_turns",
    "read_reference",
    "read_result",
]
