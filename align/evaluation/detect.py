"""Mismatch detection scores: did the aligner flag the errors injected into a transcript?"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from align.evaluation.reference import (
    Corruption,
    Reference,
    RefTurn,
)
from align.evaluation.types import (
    TOL_EPS_S,
    Detection,
    EvalOptions,
    KindDetection,
    norm_text,
    norm_token,
)
from align.model import Mismatch, Result, Turn


# -- mismatch detection --------------------------------------------------------------------
def score_detection(
    result: Result, ref: Reference, targets: Sequence[int | None], opts: EvalOptions
) -> Detection:
    flags = [m for m in result.mismatches if m.kind == "not_in_audio"]
    n_heard = sum(m.kind == "not_in_transcript" for m in result.mismatches)
    n_subs = sum(m.kind == "substitution" for m in result.mismatches)
    applicable = bool(ref.corruptions) and tuple(targets) == ref.noisy_turn_map
    if not applicable:
        return Detection(
            False, (), len(flags), 0, len(flags), None, n_heard, n_subs, 0, n_subs, None
        )
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
    subs_true = _true_substitutions(result, ref, row_of)
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
        substitution_true=subs_true,
        substitution_false=n_subs - subs_true,
        substitution_precision=subs_true / n_subs if n_subs else None,
    )


def _true_substitutions(result: Result, ref: Reference, row_of: dict[int, int]) -> int:
    """How many ``substitution`` flags cover a word the corruptions substituted."""
    targets = {
        (row_of[c.turn], c.at_word)
        for c in ref.corruptions
        if c.kind == "substitution" and c.turn in row_of and c.at_word is not None
    }
    return sum(
        1
        for m in result.mismatches
        if m.kind == "substitution"
        and m.turn is not None
        and m.word_start is not None
        and any(
            (m.turn, k) in targets for k in range(m.word_start, m.word_start + max(1, m.word_count))
        )
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
    return [norm_token(turn.words[k].text) for k in span if k < len(turn.words)]


def _flag_words(m: Mismatch) -> set[int]:
    if m.word_start is None or m.word_count <= 0:
        return set()
    return set(range(m.word_start, m.word_start + m.word_count))


def _text_cover(flag_text: str, target_text: str) -> float:
    """Share of ``target_text``'s normalized words found among ``flag_text``'s."""
    target = Counter(norm_text(target_text).split())
    if not target:
        return 0.0
    found = Counter(norm_text(flag_text).split()) & target
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
    duration_s = max(truth.end_s - truth.start_s, TOL_EPS_S)
    return overlap_s > 0 and overlap_s / duration_s >= opts.missing_turn_min_overlap_share


def _sub_detected(result: Result, i: int, c: Corruption) -> bool:
    """A substitution is found when a ``substitution`` mismatch covers its word (a word
    merely paired with another heard word is no report)."""
    at = c.at_word
    for m in result.mismatches:
        if m.kind != "substitution" or m.turn != i:
            continue
        if m.word_start is not None and at is not None:
            if m.word_start <= at < m.word_start + max(1, m.word_count):
                return True
        elif c.into is not None and norm_token(m.text) == norm_token(c.into):
            return True
    return False


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
    return bool(m.text) and _text_cover(dup_text, m.text) >= max(opts.min_flag_cover, TOL_EPS_S)
