"""Score an alignment ``Result`` against a reference: turn and word time errors, flag recall.

Refinement and matching work need one set of numbers to move (e.g. "gold word boundaries
median <= 25 ms, >= 85 % within 50 ms"), and the benchmark's truth file also lists the
errors injected into its noisy transcript, so we can check that the aligner flags them.
``align.evaluation.reference`` reads reference files into one ``Reference``; ``evaluate``
compares a ``Result`` with it and returns a frozen ``EvalReport`` (``to_dict`` for JSON,
``format_text`` for a terminal). The scorer keeps its own small text normalization on
purpose: sharing ``align.text.normalize`` would let the matcher's mistakes grade themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from align.errors import UsageError
from align.evaluation.detect import score_detection
from align.evaluation.reference import Reference, RefWord
from align.evaluation.types import (
    MAX_SLOT_RUN_WORDS,
    MIN_TIME_IOU_PCT,
    TOL_EPS_S,
    ErrorStats,
    EvalOptions,
    EvalReport,
    TurnScores,
    Within,
    WordScores,
    norm_text,
    norm_token,
)
from align.model import Result, Word


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
        detection=score_detection(result, ref, targets, opts),
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
        texts = [norm_text(t.text) for t in result.turns]
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

        queries = [norm_text(t.text) for t in result.turns]
        score = process.cdist(queries, [norm_text(t.text) for t in ref.turns], scorer=fuzz.ratio)
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
    return "time", _monotone_pairs(iou, MIN_TIME_IOU_PCT)


def _ratio(a: str, b: str) -> float:
    from rapidfuzz import fuzz

    return float(fuzz.ratio(a, norm_text(b)))


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
    a = [norm_token(w.text) or f"\0r{k}" for k, w in enumerate(words)]
    b = [norm_token(r.text) or f"\0f{k}" for k, r in enumerate(refs)]
    pairs: list[_Pair] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        slot = tag == "replace" and i2 - i1 == j2 - j1 <= MAX_SLOT_RUN_WORDS
        if tag == "equal" or slot:
            pairs += [_Pair(words[i1 + k], refs[j1 + k], slot) for k in range(i2 - i1)]
    return pairs


def _stats(errors_s: Sequence[float], n_total: int, tolerances_s: Sequence[float]) -> ErrorStats:
    arr = np.asarray(errors_s, dtype=float)  # shape: (n_timed,)
    within = tuple(
        Within(tol, float(np.sum(arr <= tol + TOL_EPS_S)) / n_total if n_total else None)
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


__all__ = ["evaluate", "map_turns"]
