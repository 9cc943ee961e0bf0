"""Evidence: which heard words time each transcript token, decided turn by turn.

Text alone cannot choose between two heard "and"s when only one is the transcript's, nor
tell whether a heard "the" ends one turn or opens the next when both have one; the times
can. ``bind_evidence`` decides it in one ordered pass:

1. Each turn on its own: its pairs bind its tokens unless its matched text is chance ("the",
   "and"); a token's time is the span of the heard words it pairs with; a short run of edge
   words timed far from the rest of the turn is someone else's speech and is let go.
2. Then turn by turn in time order: an edge word (or a run of them) detached from its turn
   is let go when it only resembles heard words, or takes the identical heard word next to
   its turn (the time-aware tie-break); then the boundary with the previous turn is
   settled: an edge word that runs with the neighbour's speech, while the neighbour lacks
   that very word at that edge, is the neighbour's.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence

from align.engines.base import HeardWord
from align.text.match import Pair, similarity
from align.text.normalize import is_filler, normalize_token
from align.timing.types import TimingOptions, TokenSlot

# A turn's edge words matched this far from the rest of it were matched to another turn's
# speech (a lost turn Whisper heard as "for the word" in loud noise, 13 s after the rest of
# "...to do for them."): longer than any pause inside one speaker's turn in our data.
_FAR_EDGE_S = 8.0
# Only a short run at the edge is let go, and only from a turn whose rest is longer.
_FAR_EDGE_MAX_WORDS = 3
# This many edge words in a row paired only with unlike heard words (mean similarity below
# this) spread over more than this many times their typical duration are another sentence,
# not this turn's words misheard: a turn's end Whisper did not hear pairs with whatever
# speech follows, even when Whisper stretched the last word it did hear over the pause.
# Words misheard in noise ("Thou art thy" as "Now our son,") keep about their own length.
_UNLIKE_RUN_WORDS = 3
_UNLIKE_SIMILARITY = 0.5
_UNLIKE_STRETCH = 2.0
# An edge word handed to the neighbour turn may time a word there that sounds like it
# ("the" for "thee": 0.86; "a" for "an" 0.67 does not count).
_SOUNDS_ALIKE_SIMILARITY = 0.75


def bind_evidence(
    slots: list[TokenSlot],
    by_turn: list[list[int]],
    heard: Sequence[HeardWord],
    heard_units: Sequence[int],
    pairs: Sequence[Pair],
    opts: TimingOptions,
) -> set[int]:
    """Bind ``pairs`` to ``slots`` and time them; returns the heard words in use.

    Args:
        slots: one per transcript token, in order; ``pairs[].t`` indexes their units.
        by_turn: the slot indices of each turn.
        heard: the engine's words, in time order; ``heard_units[u]`` owns heard unit u.
    """
    unit_to_slot = [k for k, s in enumerate(slots) for _ in s.units]
    for p in pairs:
        s = slots[unit_to_slot[p.t]]
        s.heard.append(heard_units[p.h])
        s.kinds.append(p.kind)
        s.sims.append(p.similarity)
    for ks in by_turn:
        if not _beyond_chance([slots[k] for k in ks], opts):
            for k in ks:
                slots[k].unbind()
            continue
        for k in ks:
            _time_from_pairs(slots[k], heard)
        _let_go_far_edges(slots, ks)
    used = {h for s in slots for h in s.heard}
    starts = [w.start for w in heard]
    for t, ks in enumerate(by_turn):
        _settle_detached_edges(slots, ks, heard, starts, used, opts)
        if t > 0:
            _settle_boundary(slots, by_turn[t - 1], ks, heard, opts)
    return used


def _beyond_chance(turn: list[TokenSlot], opts: TimingOptions) -> bool:
    """Whether the turn's exact matches are more than chance: enough of them, or enough of
    its words (fillers do not count unless the turn is only fillers)."""
    counted = [s for s in turn if s.units and not all(is_filler(u) for u in s.units)]
    if not counted:
        counted = [s for s in turn if s.units]
    exact = sum(1 for s in counted if "exact" in s.kinds)
    coverage = exact / len(counted) if counted else 0.0
    needed = min(opts.min_turn_matched, len(counted))
    return exact >= needed and (
        coverage >= opts.min_turn_coverage or exact >= 2 * opts.min_turn_matched
    )


def _time_from_pairs(s: TokenSlot, heard: Sequence[HeardWord]) -> None:
    if not s.heard:
        return
    ws = [heard[h] for h in sorted(set(s.heard))]
    s.start = min(w.start for w in ws)
    s.end = max(w.end for w in ws)
    prob = sum(w.probability for w in ws) / len(ws)
    sim = max(s.sims)
    if "exact" in s.kinds:
        s.status = "matched"
        s.confidence = prob * (0.5 + 0.5 * s.kinds.count("exact") / len(s.units))
    else:
        s.status = "substituted"
        s.heard_text = " ".join(w.text for w in ws)
        s.confidence = prob * sim * 0.8 if sim >= 0.5 else prob * 0.3


def _gap_s(a: TokenSlot, b: TokenSlot) -> float:
    """The pause between two timed tokens, whichever comes first."""
    assert a.start is not None and a.end is not None
    assert b.start is not None and b.end is not None
    return b.start - a.end if b.start >= a.end else a.start - b.end


def _inward_gap_s(outer: TokenSlot, inner: TokenSlot, before: bool) -> float:
    """The pause from an edge token to the next one inward (``before``: at the turn's start)."""
    assert outer.start is not None and outer.end is not None
    assert inner.start is not None and inner.end is not None
    return inner.start - outer.end if before else outer.start - inner.end


def _let_go_far_edges(slots: list[TokenSlot], ks: list[int]) -> None:
    """Unbind a short run of edge words timed far from the rest of their turn: those heard
    words are someone else's, and the turn must not stretch over what lies between."""
    timed = [q for q in ks if slots[q].start is not None]
    if len(timed) < 2 * _FAR_EDGE_MAX_WORDS:
        return
    for run in (_far_run(slots, timed), _far_run(slots, timed[::-1])):
        for q in run:
            slots[q].unbind()


def _far_run(slots: list[TokenSlot], timed: list[int]) -> list[int]:
    """The first ``_FAR_EDGE_MAX_WORDS`` or fewer of ``timed`` when a gap of
    ``_FAR_EDGE_S`` separates them from the rest (``timed`` runs away from the edge)."""
    for n in range(1, _FAR_EDGE_MAX_WORDS + 1):
        if _gap_s(slots[timed[n - 1]], slots[timed[n]]) >= _FAR_EDGE_S:
            return timed[:n]
    return []


def _settle_detached_edges(
    slots: list[TokenSlot],
    ks: list[int],
    heard: Sequence[HeardWord],
    starts: list[float],
    used: set[int],
    opts: TimingOptions,
) -> None:
    """An edge word ``detached_gap_s`` or more from the rest of its turn: let go when it
    only resembles what was heard, or moved onto the identical unused heard word within
    ``max_word_gap_s`` of its turn. A run of such words that only resemble what was heard,
    that far from the turn's matched words, is let go together: a turn's end Whisper did
    not hear pairs with whatever comes next ("...power to do for them." with "There's a
    little bit of water in the sink", 13 s of the next turn's audio under loud noise)."""
    for before in (True, False):
        timed = [q for q in ks if slots[q].start is not None]
        if len(timed) < 2:
            return
        order = timed if before else timed[::-1]
        edge, inner = order[0], order[1]
        run = list(itertools.takewhile(lambda q: all(k == "sub" for k in slots[q].kinds), order))
        if 1 < len(run) < len(order):
            detached = (
                _inward_gap_s(slots[run[-1]], slots[order[len(run)]], before) >= opts.detached_gap_s
            )
            sims = [max(slots[q].sims) for q in run]
            span_s = max(slots[q].end or 0.0 for q in run) - min(slots[q].start or 0.0 for q in run)
            expected_s = sum(len(slots[q].text) + 1 for q in run) * opts.seconds_per_char
            unlike = (
                len(run) >= _UNLIKE_RUN_WORDS
                and sum(sims) / len(sims) < _UNLIKE_SIMILARITY
                and span_s > _UNLIKE_STRETCH * expected_s
            )
            if detached or unlike:
                for q in run:
                    used.difference_update(slots[q].heard)
                    slots[q].unbind()
                continue
        e, n = slots[edge], slots[inner]
        assert n.start is not None and n.end is not None
        if _inward_gap_s(e, n, before) < opts.detached_gap_s:
            continue
        if all(kind == "sub" for kind in e.kinds):
            # A dissimilar word far from the rest of its turn is no evidence of anything.
            used.difference_update(e.heard)
            e.unbind()
            continue
        if len(set(e.heard)) != 1:
            continue
        lo = (n.start - opts.max_word_gap_s) if before else n.end
        hi = n.start if before else n.end + opts.max_word_gap_s
        for h in range(bisect.bisect_left(starts, lo - 1.0), len(heard)):
            w = heard[h]
            if w.start > hi:
                break
            near = (lo <= w.end <= hi + 1e-6) if before else (lo - 1e-6 <= w.start <= hi)
            if near and h not in used and normalize_token(w.text) == e.units:
                used.discard(e.heard[0])
                used.add(h)
                e.heard = [h]
                e.start, e.end = w.start, w.end
                break


def _settle_boundary(
    slots: list[TokenSlot],
    prev: list[int],
    cur: list[int],
    heard: Sequence[HeardWord],
    opts: TimingOptions,
) -> None:
    """Hand an edge word across the boundary of turns ``prev`` and ``cur`` when it is far
    from its own turn, touches the other's speech, and the other lacks that word, or one
    that sounds like it, there: "...dies with thee." heard as "with the", and the "the"
    matched to the next turn's opening "the", 2.3 s before the rest of that turn."""
    a = [q for q in prev if slots[q].start is not None]
    b = [q for q in cur if slots[q].start is not None]
    if len(a) >= 2 and b and _detached(slots[a[-1]], slots[a[-2]], slots[b[0]], opts):
        target = _untimed_neighbour(slots, cur, b[0], slots[a[-1]].units, forward=False)
        if target is not None:
            _move_pairs(slots[a[-1]], slots[target], heard)
            return
    if len(b) >= 2 and a and _detached(slots[b[0]], slots[b[1]], slots[a[-1]], opts):
        target = _untimed_neighbour(slots, prev, a[-1], slots[b[0]].units, forward=True)
        if target is not None:
            _move_pairs(slots[b[0]], slots[target], heard)


def _detached(moved: TokenSlot, rest: TokenSlot, other: TokenSlot, opts: TimingOptions) -> bool:
    """``moved`` is far from ``rest`` (its own turn) and touches ``other`` (the neighbour)."""
    return (
        _gap_s(moved, rest) >= opts.detached_gap_s and _gap_s(moved, other) <= opts.max_word_gap_s
    )


def _untimed_neighbour(
    slots: list[TokenSlot], ks: list[int], edge: int, units: tuple[str, ...], forward: bool
) -> int | None:
    """The untimed token with ``units`` right before (or after) ``edge`` in ``ks``."""
    pos = ks.index(edge)
    order = ks[pos + 1 :] if forward else ks[:pos][::-1]
    for q in order:
        if slots[q].start is not None:
            return None
        if not slots[q].units or all(is_filler(u) for u in slots[q].units):
            continue
        return q if _sounds_alike(slots[q].units, units) else None
    return None


def _sounds_alike(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return a == b or (len(a) == len(b) == 1 and similarity(a[0], b[0]) >= _SOUNDS_ALIKE_SIMILARITY)


def _move_pairs(src: TokenSlot, dst: TokenSlot, heard: Sequence[HeardWord]) -> None:
    if src.units == dst.units:
        for name in ("heard", "kinds", "sims", "status", "start", "end", "confidence",
                     "heard_text"):  # fmt: skip
            setattr(dst, name, getattr(src, name))
    else:  # heard as a word like it: a substitution of the word it now times
        sim = similarity(src.units[0], dst.units[0])
        n = len(src.heard)
        dst.heard, dst.kinds, dst.sims = list(src.heard), ["sub"] * n, [sim] * n
        _time_from_pairs(dst, heard)
    src.unbind()
