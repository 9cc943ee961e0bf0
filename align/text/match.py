"""Sequence alignment of transcript units to heard units: pure text, no times, no audio.

Long inputs (a 3-hour episode: ~30,000 words a side) never build an n*m matrix. The
aligner works like patience diff: n-grams that occur exactly once on both sides become
anchors, the longest chain of anchors that is increasing on both sides (LIS) is kept,
and the stretches between anchors are aligned recursively with smaller n-grams, until a
stretch is small enough for an exact dynamic programme (Gotoh, affine gaps, so a whole
turn missing on one side costs one gap, not scattered matches of "the" and "and").

Fillers (uh, um) are set aside before the alignment and paired afterwards when both
sides have the same filler between the same neighbours: a transcript that omits them
and an engine that drops them both cost nothing.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz.distance import Indel

from align.text.normalize import is_filler

PairKind = Literal["exact", "near", "sub"]


@dataclass(frozen=True, slots=True)
class MatchOptions:
    """Scoring and limits of the unit alignment.

    ``near_similarity``: normalized Indel similarity (0-1) at or above which two
    different units count as the same word misheard or misspelled ("an" ~ "and").
    ``max_dp_cells``: the largest stretch (rows * columns) aligned exactly.
    ``max_anchor_repeats``: n-grams seen more often than this ("you know") never anchor.
    """

    anchor_ngram_sizes: tuple[int, ...] = (4, 3, 2)
    near_similarity: float = 0.7
    exact_score: float = 2.0
    near_base_score: float = 1.6
    sub_score: float = -1.0
    gap_open_score: float = -2.5
    gap_extend_score: float = -0.4
    max_dp_cells: int = 40_000
    max_anchor_repeats: int = 64

    def __post_init__(self) -> None:
        if not 0.0 < self.near_similarity <= 1.0:
            raise ValueError(f"near_similarity must be in (0, 1], got {self.near_similarity}")
        if self.max_dp_cells < 16:
            raise ValueError(f"max_dp_cells must be >= 16, got {self.max_dp_cells}")
        if any(n < 1 for n in self.anchor_ngram_sizes):
            raise ValueError("anchor n-gram sizes must be >= 1")


@dataclass(frozen=True, slots=True)
class Pair:
    """Transcript unit ``t`` aligned to heard unit ``h``."""

    t: int
    h: int
    kind: PairKind
    similarity: float


def similarity(a: str, b: str) -> float:
    """Character similarity of two units in 0-1 (1 for equal strings)."""
    if a == b:
        return 1.0
    return float(Indel.normalized_similarity(a, b))


def match_units(
    t_units: Sequence[str],
    h_units: Sequence[str],
    opts: MatchOptions = MatchOptions(),
    t_turn_starts: frozenset[int] = frozenset(),
) -> tuple[Pair, ...]:
    """Align transcript units to heard units.

    ``t_turn_starts``: transcript unit indices that open a turn. A gap never runs on
    across a turn boundary (each turn's unheard words open their own gap), so a phrase
    left out at the end of one turn cannot pull the next turn's first word into it.

    Returns:
        Pairs sorted by ``t``, strictly increasing in both ``t`` and ``h``. Units not
        in any pair are gaps: transcript text not heard, or speech not transcribed.
    """
    t_idx = [i for i, u in enumerate(t_units) if not is_filler(u)]
    h_idx = [j for j, u in enumerate(h_units) if not is_filler(u)]
    t_core = [t_units[i] for i in t_idx]
    h_core = [h_units[j] for j in h_idx]
    starts = sorted(t_turn_starts)
    turn_of = [bisect.bisect_right(starts, i) for i in t_idx]
    breaks = {c for c in range(1, len(t_idx)) if turn_of[c] != turn_of[c - 1]}
    aligner = _Aligner(t_core, h_core, opts, frozenset(breaks))
    core_pairs = aligner.run()
    pairs = [Pair(t_idx[p.t], h_idx[p.h], p.kind, p.similarity) for p in core_pairs]
    return tuple(_pair_fillers(pairs, t_units, h_units))


def _pair_fillers(pairs: list[Pair], t_units: Sequence[str], h_units: Sequence[str]) -> list[Pair]:
    """Pair equal fillers that sit between the same aligned neighbours."""
    out: list[Pair] = []
    bounds = [Pair(-1, -1, "exact", 1.0), *pairs, Pair(len(t_units), len(h_units), "exact", 1.0)]
    for left, right in zip(bounds, bounds[1:]):
        if left.t >= 0:
            out.append(left)
        h_free = [j for j in range(left.h + 1, right.h) if is_filler(h_units[j])]
        k = 0
        for i in range(left.t + 1, right.t):
            if not is_filler(t_units[i]):
                continue
            while k < len(h_free) and h_units[h_free[k]] != t_units[i]:
                k += 1
            if k < len(h_free):
                out.append(Pair(i, h_free[k], "exact", 1.0))
                k += 1
    return out


class _Aligner:
    def __init__(
        self, t: list[str], h: list[str], opts: MatchOptions, breaks: frozenset[int]
    ) -> None:
        self.t = t
        self.h = h
        self.opts = opts
        self.breaks = breaks

    def run(self) -> list[Pair]:
        out: list[Pair] = []
        # An explicit stack instead of recursion: long files have deep anchor chains.
        stack: list[tuple[int, int, int, int]] = [(0, len(self.t), 0, len(self.h))]
        while stack:
            t0, t1, h0, h1 = stack.pop()
            if t0 >= t1 or h0 >= h1:
                continue
            if (t1 - t0) * (h1 - h0) <= self.opts.max_dp_cells:
                out.extend(_gotoh(self.t, self.h, t0, t1, h0, h1, self.opts, self.breaks))
                continue
            anchors = self._anchors(t0, t1, h0, h1)
            if not anchors:
                out.extend(self._diagonal_chunks(t0, t1, h0, h1))
                continue
            out.extend(Pair(a, b, "exact", 1.0) for a, b in anchors)
            # Sub-problems between consecutive anchors, pushed so they pop in any order:
            # the output is sorted at the end.
            prev_t, prev_h = t0 - 1, h0 - 1
            for a, b in [*anchors, (t1, h1)]:
                stack.append((prev_t + 1, a, prev_h + 1, b))
                prev_t, prev_h = a, b
        out.sort(key=lambda p: p.t)
        return out

    def _anchors(self, t0: int, t1: int, h0: int, h1: int) -> list[tuple[int, int]]:
        """Unit pairs from n-grams that occur equally often on both sides, largest n first.

        An n-gram seen k times in the transcript stretch and k times in the heard stretch
        pairs its occurrences in order (k = 1 is the classic unique anchor; k > 1 keeps
        long, repetitive recordings anchored). A phrase duplicated on one side only has
        unequal counts and never anchors.
        """
        for n in self.opts.anchor_ngram_sizes:
            if t1 - t0 < n or h1 - h0 < n:
                continue
            t_pos: dict[tuple[str, ...], list[int]] = defaultdict(list)
            h_pos: dict[tuple[str, ...], list[int]] = defaultdict(list)
            for i in range(t0, t1 - n + 1):
                t_pos[tuple(self.t[i : i + n])].append(i)
            for j in range(h0, h1 - n + 1):
                h_pos[tuple(self.h[j : j + n])].append(j)
            cands: list[tuple[int, int]] = []
            for gram, ts in t_pos.items():
                hs = h_pos.get(gram)
                if hs is not None and len(hs) == len(ts) <= self.opts.max_anchor_repeats:
                    cands.extend(zip(ts, hs))
            if not cands:
                continue
            cands.sort()
            chain = _longest_increasing(cands)
            pairs: list[tuple[int, int]] = []
            for i, j in chain:
                for k in range(n):
                    a, b = i + k, j + k
                    if not pairs or (a > pairs[-1][0] and b > pairs[-1][1]):
                        pairs.append((a, b))
            return pairs
        return []

    def _diagonal_chunks(self, t0: int, t1: int, h0: int, h1: int) -> list[Pair]:
        """Last resort for a large stretch with no shared unique unit: align it piecewise
        along the diagonal, so cost stays linear. Such stretches are unrelated text."""
        side = max(4, int(self.opts.max_dp_cells**0.5))
        steps = max(1, -(-max(t1 - t0, h1 - h0) // side))
        out: list[Pair] = []
        for k in range(steps):
            a0 = t0 + (t1 - t0) * k // steps
            a1 = t0 + (t1 - t0) * (k + 1) // steps
            b0 = h0 + (h1 - h0) * k // steps
            b1 = h0 + (h1 - h0) * (k + 1) // steps
            out.extend(_gotoh(self.t, self.h, a0, a1, b0, b1, self.opts, self.breaks))
        return out


def _longest_increasing(cands: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest chain of (t, h) candidates increasing in both (input sorted by t)."""
    tails: list[int] = []  # smallest h ending a chain of each length
    tail_idx: list[int] = []
    prev: list[int] = [-1] * len(cands)
    for k, (_, h) in enumerate(cands):
        pos = bisect.bisect_left(tails, h)
        if pos == len(tails):
            tails.append(h)
            tail_idx.append(k)
        else:
            tails[pos] = h
            tail_idx[pos] = k
        prev[k] = tail_idx[pos - 1] if pos > 0 else -1
    chain: list[tuple[int, int]] = []
    k = tail_idx[-1] if tail_idx else -1
    while k >= 0:
        chain.append(cands[k])
        k = prev[k]
    chain.reverse()
    return chain


_NEG = float("-inf")


def _gotoh(
    t: list[str],
    h: list[str],
    t0: int,
    t1: int,
    h0: int,
    h1: int,
    opts: MatchOptions,
    breaks: frozenset[int] = frozenset(),
) -> list[Pair]:
    """Global alignment of t[t0:t1] with h[h0:h1] with affine gaps (Gotoh 1982)."""
    n, m = t1 - t0, h1 - h0
    if n == 0 or m == 0:
        return []
    go, ge = opts.gap_open_score, opts.gap_extend_score
    # Three score layers: M ends in a pair, X ends with t unpaired, Y ends with h unpaired.
    big_m = [[_NEG] * (m + 1) for _ in range(n + 1)]
    big_x = [[_NEG] * (m + 1) for _ in range(n + 1)]
    big_y = [[_NEG] * (m + 1) for _ in range(n + 1)]
    big_m[0][0] = 0.0
    # Extending a transcript gap into a new turn costs a fresh gap open.
    ext = [ge] + [go if (t0 + i - 1) in breaks else ge for i in range(1, n + 1)]
    for i in range(1, n + 1):
        big_x[i][0] = big_x[i - 1][0] + ext[i] if i > 1 else go
    for j in range(1, m + 1):
        big_y[0][j] = go + (j - 1) * ge
    pair_score: dict[tuple[int, int], tuple[float, PairKind, float]] = {}
    for i in range(1, n + 1):
        ti = t[t0 + i - 1]
        mi, mi1, xi, xi1, yi, yi1 = (
            big_m[i], big_m[i - 1], big_x[i], big_x[i - 1], big_y[i], big_y[i - 1]
        )  # fmt: skip
        for j in range(1, m + 1):
            hj = h[h0 + j - 1]
            kind: PairKind
            if ti == hj:
                s, kind, sim = opts.exact_score, "exact", 1.0
            else:
                sim = similarity(ti, hj)
                if sim >= opts.near_similarity:
                    s, kind = opts.near_base_score * sim, "near"
                else:  # graded, so "corpus" ~ "purpose" beats "words" ~ "purpose"
                    s, kind = opts.sub_score * (1.0 - sim), "sub"
            pair_score[(i, j)] = (s, kind, sim)
            mi[j] = max(mi1[j - 1], xi1[j - 1], yi1[j - 1]) + s
            xi[j] = max(mi1[j] + go, xi1[j] + ext[i], yi1[j] + go)
            yi[j] = max(mi[j - 1] + go, yi[j - 1] + ge, xi[j - 1] + go)
    # Traceback from the best end state.
    i, j = n, m
    state = max(("M", big_m[n][m]), ("X", big_x[n][m]), ("Y", big_y[n][m]), key=lambda s: s[1])[0]
    out: list[Pair] = []
    while i > 0 or j > 0:
        if state == "M":
            s, kind, sim = pair_score[(i, j)]
            out.append(Pair(t0 + i - 1, h0 + j - 1, kind, sim))
            prev = big_m[i][j] - s
            i, j = i - 1, j - 1
            state = _which(prev, big_m[i][j], big_x[i][j], big_y[i][j], 0.0, 0.0, 0.0)
        elif state == "X":
            cur = big_x[i][j]
            i -= 1
            state = _which(cur, big_m[i][j], big_x[i][j], big_y[i][j], go, ext[i + 1], go)
        else:
            cur = big_y[i][j]
            j -= 1
            state = _which(cur, big_m[i][j], big_x[i][j], big_y[i][j], go, go, ge)
    out.reverse()
    return out


def _which(target: float, m: float, x: float, y: float, dm: float, dx: float, dy: float) -> str:
    """The predecessor state whose score plus its transition reproduces ``target``."""
    eps = 1e-9
    if m != _NEG and abs(m + dm - target) < eps:
        return "M"
    if x != _NEG and abs(x + dx - target) < eps:
        return "X"
    if y != _NEG and abs(y + dy - target) < eps:
        return "Y"
    # Boundary rows: only one state is reachable.
    best = max(("M", m + dm), ("X", x + dx), ("Y", y + dy), key=lambda s: s[1])
    return best[0]
