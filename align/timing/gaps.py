"""Unheard runs: transcript words the engine did not hear, placed or rejected.

A run is ``not_found`` when it repeats its neighbours (a duplicated phrase) or does not fit
the audio between them; otherwise it is ``interpolated`` over that gap, claiming the
unheard speech there when it resembles the run. Used by ``align.timing``.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

from align.engines.base import HeardWord
from align.model import Mismatch
from align.text.match import similarity
from align.text.normalize import is_filler, normalize_token
from align.text.repeats import find_repeats
from align.timing.types import TimingOptions, TokenSlot

# How alike a heard word and an unheard edge word must be for the edge to claim it.
_EDGE_OWN_SIMILARITY = 0.5


@dataclass(slots=True)
class FillContext:
    """What every run of a file is filled against: the tokens, the heard words and which
    of them are claimed, the options, and the mismatch list runs report to."""

    slots: list[TokenSlot]
    heard: Sequence[HeardWord]
    used_heard: set[int]
    opts: TimingOptions
    mismatches: list[Mismatch] = field(default_factory=list)
    heard_starts: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self.heard_starts = [w.start for w in self.heard]  # engines emit words in time order


def fill_runs(ctx: FillContext, ks: list[int], turn: int) -> None:
    """Time or reject each run of untimed tokens inside aligned turn ``turn`` (slots
    ``ks``). Times stay monotonic when they were before: a run lies between its neighbours."""
    slots = ctx.slots
    if not any(slots[k].start is not None for k in ks):
        return  # the whole turn is not found; reported with the turn
    repeats = find_repeats([slots[k].text for k in ks])
    i = 0
    while i < len(ks):
        if slots[ks[i]].start is not None:
            i += 1
            continue
        j = i
        while j < len(ks) and slots[ks[j]].start is None:
            j += 1
        in_repeat = any(r.start < j and i < r.start + r.length for r in repeats)
        _fill_one_run(ctx, ks, i, j, turn, in_repeat)
        i = j


def _prev_timed(slots: list[TokenSlot], k: int) -> TokenSlot | None:
    for q in range(k - 1, -1, -1):
        if slots[q].end is not None:
            return slots[q]
    return None


def _next_timed(slots: list[TokenSlot], k: int) -> TokenSlot | None:
    for q in range(k + 1, len(slots)):
        if slots[q].start is not None:
            return slots[q]
    return None


def _run_units(slots: list[TokenSlot], ks: Sequence[int]) -> list[str]:
    return [u for k in ks for u in slots[k].units if not is_filler(u)]


def _is_repeat(slots: list[TokenSlot], ks: list[int], i: int, j: int, opts: TimingOptions) -> bool:
    """Whether tokens ks[i:j] are a stutter copy of the words around them.

    ASR-made transcripts repeat phrases ("three look in thy glass and three look in thy
    glass and tell"). Removing the copy leaves ``before + after``; the copy is a repeat
    when it reads like the text that straddles that cut, ``after[:d] + before[-(n-d):]``
    for some d (d = 0: it repeats what precedes, d = n: what follows, else a rotation).
    """
    run = _run_units(slots, ks[i:j])
    if not run:
        return False
    n = len(run)
    before = _run_units(slots, ks[:i])[-n:] if i > 0 else []
    after = _run_units(slots, ks[j:])[:n]
    run_text = " ".join(run)
    for d in range(n + 1):
        tail = before[len(before) - (n - d) :] if n - d <= len(before) else None
        if tail is None or d > len(after):
            continue
        candidate = after[:d] + tail
        if similarity(run_text, " ".join(candidate)) >= opts.repeat_similarity:
            return True
    return False


def _fill_one_run(
    ctx: FillContext, ks: list[int], i: int, j: int, turn: int, in_text_repeat: bool
) -> None:
    """Interpolate tokens ``ks[i:j]`` of ``turn`` between their timed neighbours, or report
    them ``not_in_audio`` (a duplicate, or no room)."""
    slots, heard, opts = ctx.slots, ctx.heard, ctx.opts
    run = ks[i:j]
    first, last = run[0], run[-1]
    prev = _prev_timed(slots, first)
    nxt = _next_timed(slots, last)
    in_turn_prev = prev is not None and prev.turn == turn
    in_turn_next = nxt is not None and nxt.turn == turn
    chars = sum(len(slots[k].text) + 1 for k in run)
    expected_s = chars * opts.seconds_per_char
    lo = prev.end if prev is not None and prev.end is not None else 0.0
    hi = nxt.start if nxt is not None and nxt.start is not None else lo + expected_s
    has_units = any(slots[k].units for k in run)
    fillers_only = has_units and all(is_filler(u) for k in run for u in slots[k].units)
    repeat = has_units and not fillers_only and _is_repeat(slots, ks, i, j, opts)
    # Unclaimed heard words between the neighbours: the engine heard something else here.
    first_h = bisect.bisect_left(ctx.heard_starts, lo - 1e-6)
    gap_heard = []
    for h in range(first_h, len(heard)):
        if heard[h].start > hi + 1e-6:
            break
        if h not in ctx.used_heard and heard[h].end <= hi + 1e-6:
            gap_heard.append(h)
    if in_turn_prev and in_turn_next:
        lo_e, hi_e = lo, hi
    elif in_turn_next:  # run opens the turn: only speech running into the turn is its own
        gap_heard = _contiguous(heard, gap_heard[::-1], hi, len(run) + 1, opts)[::-1]
        gap_heard = _own_words(slots, run, heard, gap_heard)
        lo_e = heard[gap_heard[0]].start if gap_heard else hi - expected_s - 0.1
        lo_e = max(lo, min(lo_e, hi), hi - opts.edge_max_lead_s)
        hi_e = hi
    else:  # run closes the turn: only speech running on from the turn is its own
        gap_heard = _contiguous(heard, gap_heard, lo, len(run) + 1, opts)
        gap_heard = _own_words(slots, run, heard, gap_heard)
        # Leave the next turn's unheard opening words their share of the pause.
        opening = [q for q in range(last + 1, len(slots)) if slots[q].start is None]
        opening = opening[
            : next((n for n, q in enumerate(opening) if q != last + 1 + n), len(opening))
        ]
        hi = hi - sum(len(slots[q].text) + 1 for q in opening) * opts.seconds_per_char
        lo_e = lo
        hi_e = heard[gap_heard[-1]].end if gap_heard else lo + expected_s + 0.1
        # The next turn's share may leave less than nothing: the run then sits at ``lo``.
        hi_e = max(lo, min(hi_e, hi, lo + opts.edge_max_lead_s))
    # The text repeats itself here and the audio holds no extra words: a duplicate.
    repeat = repeat or (in_text_repeat and has_units and not fillers_only and not gap_heard)
    available = max(0.0, hi_e - lo_e)
    fits = bool(gap_heard) or (available >= opts.min_fit_ratio * expected_s and available > 0)
    if not has_units:
        # Punctuation-only tokens ("--", "&"): ride on the neighbour, zero length.
        anchor = lo if in_turn_prev or not in_turn_next else hi
        for k in run:
            slots[k].status, slots[k].start, slots[k].end = "interpolated", anchor, anchor
        return
    if fillers_only and not fits:
        return  # engines drop hesitations; not finding one is no disagreement worth reporting
    if repeat or not fits:
        for k in run:
            slots[k].reason = "duplicate" if repeat else "no room in audio"
        text = " ".join(slots[k].text for k in run)
        ctx.mismatches.append(
            Mismatch(
                kind="not_in_audio",
                turn=turn,
                text=text,
                start=None,
                end=None,
                word_start=slots[first].word,
                word_count=len(run),
                reason="repeated phrase" if repeat else "not heard",
                confidence=0.9 if repeat else 0.6,
            )
        )
        return
    ctx.used_heard.update(gap_heard)
    _spread(slots, run, lo_e, hi_e)
    heard_text = " ".join(heard[h].text for h in gap_heard)
    for k in run:
        slots[k].status = "interpolated"
        slots[k].confidence = 0.3 if gap_heard else 0.15
        if gap_heard:
            slots[k].heard = list(gap_heard)
            slots[k].heard_text = heard_text
    if gap_heard and len(run) <= 3:
        text = " ".join(slots[k].text for k in run)
        ctx.mismatches.append(
            Mismatch(
                kind="substitution",
                turn=turn,
                text=text,
                start=slots[first].start,
                end=slots[last].end,
                heard=heard_text,
                confidence=0.5,
                word_start=slots[first].word,
                word_count=len(run),
                reason="heard differently",
                scores=(("heard_confidence", heard_confidence(heard, gap_heard)),),
            )
        )


def heard_confidence(heard: Sequence[HeardWord], indexes: Sequence[int]) -> float:
    """Whisper's own confidence in the words it wrote (the mean of their probabilities)."""
    probs = [heard[h].probability for h in indexes]
    return round(sum(probs) / len(probs), 3) if probs else 0.0


def _contiguous(
    heard: Sequence[HeardWord],
    candidates: list[int],
    edge_s: float,
    limit: int,
    opts: TimingOptions,
) -> list[int]:
    """The candidates (ordered away from ``edge_s``) that form unbroken speech from the edge."""
    out: list[int] = []
    last = edge_s
    for h in candidates[:limit]:
        w = heard[h]
        gap = (last - w.end) if w.end <= edge_s else (w.start - last)
        if gap > opts.max_word_gap_s:
            break
        out.append(h)
        last = w.start if w.end <= edge_s else w.end
    return out


def _own_words(
    slots: list[TokenSlot], run: list[int], heard: Sequence[HeardWord], candidates: list[int]
) -> list[int]:
    """Keep edge candidates only when one of them sounds like one of the run's words.

    Unclaimed speech next to a turn's edge may just as well be the neighbouring turn's
    words that its transcript lacks; it is the run's own only when the words resemble.
    """
    run_units = [u for k in run for u in slots[k].units]
    for h in candidates:
        for u in normalize_token(heard[h].text):
            if any(similarity(u, r) >= _EDGE_OWN_SIMILARITY for r in run_units):
                return candidates
    return []


def _spread(slots: list[TokenSlot], run: list[int], lo: float, hi: float) -> None:
    """Share [lo, hi] among the run's tokens in proportion to their length."""
    weights = [len(slots[k].text) + 1 for k in run]
    total = sum(weights)
    t = lo
    for k, w in zip(run, weights):
        d = (hi - lo) * w / total
        slots[k].start, slots[k].end = t, t + d
        t += d
