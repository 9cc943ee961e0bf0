"""Turn edges: which turn a heard word at a boundary belongs to.

Text alone cannot tell whether a heard "the" ends one turn or opens the next when both
have one; the times can. Used by ``align.timing`` after pairs become times.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from align.engines.base import HeardWord
from align.text.normalize import is_filler, normalize_token
from align.timing.types import TimingOptions, TokenSlot

# A turn's edge words matched this far from the rest of it were matched to another turn's
# speech (a lost turn Whisper heard as "for the word" in loud noise, 13 s after the rest of
# "...to do for them."): longer than any pause inside one speaker's turn in our data.
_FAR_EDGE_S = 8.0
# Only a short run at the edge is dropped, and only from a turn whose rest is longer.
_FAR_EDGE_MAX_WORDS = 3


def drop_far_edges(slots: list[TokenSlot], by_turn: list[list[int]]) -> None:
    """Unpair a short run of edge words timed far from the rest of their turn: those heard
    words are someone else's, and the turn must not stretch over what lies between."""
    for ks in by_turn:
        timed = [q for q in ks if slots[q].start is not None]
        if len(timed) < 2 * _FAR_EDGE_MAX_WORDS:
            continue
        for run in (_far_run(slots, timed), _far_run(slots, timed[::-1])):
            for q in run:
                e = slots[q]
                e.unbind()


def _far_run(slots: list[TokenSlot], timed: list[int]) -> list[int]:
    """The first ``_FAR_EDGE_MAX_WORDS`` or fewer of ``timed`` when a gap of
    ``_FAR_EDGE_S`` separates them from the rest (``timed`` runs away from the edge)."""
    for n in range(1, _FAR_EDGE_MAX_WORDS + 1):
        a, b = slots[timed[n - 1]], slots[timed[n]]
        assert a.start is not None and a.end is not None
        assert b.start is not None and b.end is not None
        gap = b.start - a.end if b.start >= a.end else a.start - b.end
        if gap >= _FAR_EDGE_S:
            return timed[:n]
    return []


def rebind_detached_edges(
    slots: list[TokenSlot],
    by_turn: list[list[int]],
    heard: Sequence[HeardWord],
    opts: TimingOptions,
) -> None:
    """Move an edge word that sits far from its turn onto the same word heard next to it.

    Text alone cannot choose between two heard "and"s when only one is the transcript's:
    the one that runs with the rest of the turn is.
    """
    used = {h for s in slots for h in s.heard}
    starts = [w.start for w in heard]
    for ks in by_turn:
        timed = [q for q in ks if slots[q].start is not None]
        if len(timed) < 2:
            continue
        for edge, inner, before in ((timed[0], timed[1], True), (timed[-1], timed[-2], False)):
            e, n = slots[edge], slots[inner]
            assert e.start is not None and e.end is not None
            assert n.start is not None and n.end is not None
            gap = n.start - e.end if before else e.start - n.end
            if gap < opts.detached_gap_s:
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


def repair_turn_edges(
    slots: list[TokenSlot], by_turn: list[list[int]], opts: TimingOptions
) -> None:
    """Give an edge word back to the turn whose speech it runs with.

    Text alone cannot tell whether a heard "the" ends one turn or opens the next when both
    turns have one; the times can: a word separated from the rest of its turn by a long
    pause but touching the neighbouring turn's speech belongs to the neighbour, when the
    neighbour has the same word unheard at that edge.
    """
    for k in range(len(by_turn) - 1):
        a = [q for q in by_turn[k] if slots[q].start is not None]
        b = [q for q in by_turn[k + 1] if slots[q].start is not None]
        if len(a) >= 2 and b:
            moved, rest, other = slots[a[-1]], slots[a[-2]], slots[b[0]]
            if _detached(moved, rest, other, opts):
                target = _untimed_neighbour(slots, by_turn[k + 1], b[0], moved.units, forward=False)
                if target is not None:
                    _move_pairs(moved, slots[target])
                    continue
        if len(b) >= 2 and a:
            moved, rest, other = slots[b[0]], slots[b[1]], slots[a[-1]]
            if _detached(moved, rest, other, opts):
                target = _untimed_neighbour(slots, by_turn[k], a[-1], moved.units, forward=True)
                if target is not None:
                    _move_pairs(moved, slots[target])


def _detached(moved: TokenSlot, rest: TokenSlot, other: TokenSlot, opts: TimingOptions) -> bool:
    """``moved`` is far from ``rest`` (its own turn) and touches ``other`` (the neighbour)."""
    assert moved.start is not None and moved.end is not None
    assert rest.start is not None and rest.end is not None
    assert other.start is not None and other.end is not None
    gap_own = rest.start - moved.end if rest.start >= moved.end else moved.start - rest.end
    gap_other = other.start - moved.end if other.start >= moved.end else moved.start - other.end
    return gap_own >= opts.detached_gap_s and gap_other <= opts.max_word_gap_s


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
        return q if slots[q].units == units else None
    return None


def _move_pairs(src: TokenSlot, dst: TokenSlot) -> None:
    for name in ("heard", "kinds", "sims", "status", "start", "end", "confidence", "heard_text"):
        setattr(dst, name, getattr(src, name))
    src.unbind()
