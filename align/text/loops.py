"""Heard phrases the first pass printed over and over: a Whisper loop. Pure text.

Whisper, decoding a window on its own (no prompt, no previous text), can still fall into a
loop: one phrase printed again and again, often to the end of its 30 s chunk. A four-word
run of heard content units (``align.text.copies.NGRAM``) then recurs within a few words of
itself more often than the transcript writes it. ``find_loops`` says where the excess
copies are, so the pipeline can hear those stretches again (``align.guard``) instead of
matching the transcript onto them.

Copies far apart are left alone: the first pass carries no text from one 30 s chunk to the
next, so a phrase heard twice far apart was said twice (or misheard alike twice: tiny.en
hears conv_dev's "sick corpus" as "sick purpose" 23 s apart), not copied.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from align.text.copies import NGRAM, content_units

DECODE_CONTEXT_S = 30.0
"""Whisper decodes 30 s at a time: copies farther apart than this cannot be one loop."""
# Copies of a phrase whose starts are at most this many content units apart belong to one
# loop: Whisper's loops repeat a phrase or a short sentence back to back, while a speaker's
# real repeat of a four-word phrase has more words between.
_LOOP_PERIOD_UNITS = 20
# Content units before and after a looped stretch, compared with the transcript's own
# neighbours of the phrase to choose which end of the stretch holds the real copy.
_CONTEXT_UNITS = 8
# The transcript's side is wider, so heard words missed or added nearby do not move the
# choice.
_WRITTEN_CONTEXT_UNITS = 12


@dataclass(frozen=True, slots=True)
class LoopSpan:
    """Heard words ``[first_word, last_word]`` (indices into the heard words), heard
    ``start_s``-``end_s``: copies of ``gram`` in a loop, beyond what the transcript holds."""

    first_word: int
    last_word: int
    start_s: float
    end_s: float
    gram: tuple[str, ...]


def find_loops(heard: Sequence[tuple[str, float, float]], written: Iterable[str]) -> list[LoopSpan]:
    """The stretches of heard words where Whisper looped.

    Copies of a heard ``NGRAM`` of content units (fillers left out) that follow each other
    within ``_LOOP_PERIOD_UNITS`` units and ``DECODE_CONTEXT_S`` form a loop; overlapping
    loops (one for each four-word run of a looped sentence) are one stretch. A stretch of
    ``k`` copies of a phrase the transcript has ``m`` times keeps ``max(1, m)`` copies, at
    its start or, when the words after it are the transcript's neighbours of the phrase and
    the words before it are not, at its end; the rest is returned.

    Args:
        heard: the first pass's (text, start_s, end_s) words, in time order.
        written: every transcript token.

    Returns:
        The looped heard words beyond the kept copies, one run per stretch, in time order;
        empty when nothing loops. Deterministic.
    """
    units: list[str] = []
    owner: list[int] = []  # heard word index of each unit
    for k, (text, _, _) in enumerate(heard):
        for u in content_units([text]):
            units.append(u)
            owner.append(k)
    t_units = content_units(written)
    written_at = _positions(t_units)
    loops = [
        _Loop(gram, tuple(places), max(1, len(written_at.get(gram, ()))))
        for gram, all_places in _positions(units).items()
        for places in _split(all_places, [heard[owner[i]][1] for i in all_places])
        if len(places) > 1
    ]
    out: list[LoopSpan] = []
    for lo, hi in _stretches([loop for loop in loops if len(loop.places) > loop.allowed]):
        inside = [loop for loop in loops if loop.places[0] < hi and loop.end > lo]
        copies = max(len(loop.places) for loop in inside)
        allowed = max(loop.allowed for loop in inside)
        if copies <= allowed:
            continue  # the transcript says it as often (its other runs are written fewer times)
        anchor = max(inside, key=lambda loop: (len(loop.places), -loop.places[0]))
        near = _written_context(t_units, written_at.get(anchor.gram, []))
        period = _period(inside)
        # Whole copies of the looped phrase, and at least the kept copies of the run itself
        # where the phrase is shorter than a run ("words words words words" printed again).
        keep = min(hi - lo, max(allowed * period, (allowed - 1) * period + NGRAM))
        before = _agreement(units[max(0, lo - _CONTEXT_UNITS) : lo], near)
        after = _agreement(units[hi : hi + _CONTEXT_UNITS], near)
        a, b = (lo, hi - keep) if after > before else (lo + keep, hi)
        words = [w for w in sorted({owner[i] for i in range(a, b)})
                 if all(a <= i < b for i in range(lo, hi) if owner[i] == w)]  # fmt: skip
        if words:
            first, last = words[0], words[-1]
            out.append(LoopSpan(first, last, heard[first][1], heard[last][2], anchor.gram))
    return out


@dataclass(frozen=True, slots=True)
class _Loop:
    """Unit positions (ascending) of one phrase's copies close enough to be one loop, and how
    many copies the transcript allows."""

    gram: tuple[str, ...]
    places: tuple[int, ...]
    allowed: int

    @property
    def end(self) -> int:
        return self.places[-1] + NGRAM


def _split(places: Sequence[int], starts_s: Sequence[float]) -> list[list[int]]:
    """``places`` (a phrase's unit positions, ascending) split where copies are too far apart
    to be one loop."""
    out: list[list[int]] = [[places[0]]]
    for k in range(1, len(places)):
        if (
            places[k] - places[k - 1] <= _LOOP_PERIOD_UNITS
            and starts_s[k] - starts_s[k - 1] < DECODE_CONTEXT_S
        ):
            out[-1].append(places[k])
        else:
            out.append([places[k]])
    return out


def _stretches(loops: Sequence[_Loop]) -> list[tuple[int, int]]:
    """The unit ranges ``[lo, hi)`` the loops cover, overlapping ones merged."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted((loop.places[0], loop.end) for loop in loops):
        if out and lo < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _period(loops: Sequence[_Loop]) -> int:
    """The commonest distance in units between consecutive copies (ties: the shortest)."""
    steps = Counter(b - a for loop in loops for a, b in zip(loop.places, loop.places[1:]))
    return min(steps, key=lambda d: (-steps[d], d))


def _positions(units: Sequence[str]) -> dict[tuple[str, ...], list[int]]:
    out: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i in range(len(units) - NGRAM + 1):
        out[tuple(units[i : i + NGRAM])].append(i)
    return out


def _written_context(t_units: Sequence[str], places: Sequence[int]) -> frozenset[str]:
    """The units the transcript has just before and after each of its copies of a phrase."""
    w = _WRITTEN_CONTEXT_UNITS
    near: set[str] = set()
    for i in places:
        near.update(t_units[max(0, i - w) : i])
        near.update(t_units[i + NGRAM : i + NGRAM + w])
    return frozenset(near)


def _agreement(around: Sequence[str], near: frozenset[str]) -> int:
    """How many of the heard units ``around`` a stretch the transcript has near the phrase."""
    return sum(1 for u in around if u in near)


__all__ = ["DECODE_CONTEXT_S", "LoopSpan", "find_loops"]
