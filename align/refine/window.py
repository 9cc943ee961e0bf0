"""One window of the refinement pass: force-align its words, then tidy what the aligner left.

``align_window`` runs the forced aligner over a window's words and keeps the spans it trusts;
``place_skipped`` gives a short run of unheard words the aligner skipped a place between its
neighbours; ``find_turn_hesitations`` listens to the pauses at turn changes for hesitations
the transcript left out; ``snap_window`` snaps the edges of words no aligner placed. Each
works in place on ``align.refine.plan.Item`` objects; ``align.refine`` drives them in order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from align.refine.forced import PocketsphinxAligner, TokenSpan
from align.refine.grammar import AlignToken
from align.refine.plan import Item, RefineOptions, Window, unheard_filler
from align.refine.snap import Neighbour, SpeechMask, snap_spans, speech_mask
from audio import SAMPLE_RATE

log = logging.getLogger(__name__)

ReadFn = Callable[[float, float], NDArray[np.float32]]
"""``read(start_s, end_s)``: the file's samples over that span (see ``align.refine``)."""

# Spans closer than this are one sound (two frames: a segmentation boundary, not a pause).
_TOUCH_S = 0.02
# Filled pauses rarely last longer; the pause before a turn is searched this much further.
_MAX_HESITATION_S = 1.0
# A hesitation is voiced: most of its frames are well above the noise floor.
_MIN_HESITATION_SPEECH = 0.5
# An unheard word found this far from every other word of its turn is some other speech
# (longer than any pause inside one speaker's turn in our data); the items looked at.
_MAX_RECOVERED_GAP_S = 8.0
_NEAR_ITEMS = 40


def align_window(
    items: list[Item],
    win: Window,
    samples: NDArray[np.float32],
    aligner: PocketsphinxAligner,
    opts: RefineOptions,
) -> int:
    """Force-align the window's items to ``samples`` (which start at ``win.start_s``).

    Returns:
        How many items, from ``win.start``, are done (0: the aligner found no path; the
        caller keeps their old times).
    """
    chunk = items[win.start : win.stop]
    spans = aligner.align(samples, [AlignToken(it.text, it.optional) for it in chunk])
    if spans is None:
        log.debug("forced alignment failed for %d words at %.1fs", len(chunk), win.start_s)
        return 0
    keep = len(chunk)
    if not win.final:
        # Words near a window cut for length may be missing audio: leave them to the next.
        guard_s = win.end_s - win.start_s - opts.tail_s
        keep = max(1, len(chunk) - opts.overlap_words)
        while keep > 1 and _last_end(spans[:keep]) > guard_s:
            keep -= 1
    for k, (it, span) in enumerate(zip(chunk[:keep], spans[:keep])):
        if span is None:
            continue
        start_s, end_s = win.start_s + span.start_s, win.start_s + span.end_s
        if it.optional and end_s - start_s < opts.min_recovered_s:
            continue
        if it.optional and _far_from_turn(items, win.start + k, start_s, end_s):
            continue
        it.start_s, it.end_s, it.aligned = start_s, end_s, True
    if opts.place_unheard_words > 0:
        place_skipped(items, win.start, win.start + keep, samples, win.start_s, aligner, opts)
    return keep


def _far_from_turn(items: Sequence[Item], k: int, start_s: float, end_s: float) -> bool:
    """Whether an unheard word found at ``[start_s, end_s]`` lies ``_MAX_RECOVERED_GAP_S``
    or more from every timed word of its turn: then it is another turn's speech (a lost turn
    heard as "for the word" 13 s after the rest of "...to do for them.")."""
    turn = items[k].turn
    near = [
        it
        for it in items[max(0, k - _NEAR_ITEMS) : k + _NEAR_ITEMS]
        if it.turn == turn and not it.optional and it.start_s is not None and it.end_s is not None
    ]
    if not near:
        return False
    gaps = [max(0.0, it.start_s - end_s, start_s - it.end_s) for it in near]  # type: ignore[operator]
    return min(gaps) >= _MAX_RECOVERED_GAP_S


def _last_end(spans: Sequence[TokenSpan | None]) -> float:
    return next((sp.end_s for sp in reversed(spans) if sp is not None), 0.0)


def place_skipped(
    items: list[Item],
    start: int,
    stop: int,
    samples: NDArray[np.float32],
    samples_start_s: float,
    aligner: PocketsphinxAligner,
    opts: RefineOptions,
) -> None:
    """Give a short run of unheard words the aligner skipped a place between its neighbours.

    Fast speech ("I'm prolly gonna") can make the aligner drop an optional word it scores
    poorly, though the transcript says it was spoken. A run of at most
    ``opts.place_unheard_words`` such words between two aligned words of their own turn is
    aligned again with those two, now as required words, in just their stretch of audio.
    """
    k = start
    while k < stop:
        if not items[k].optional or items[k].aligned:
            k += 1
            continue
        j = k
        while j < stop and items[j].optional and not items[j].aligned:
            j += 1
        if k > 0 and j < len(items) and j - k <= opts.place_unheard_words:
            prev, nxt = items[k - 1], items[j]
            if prev.aligned and nxt.aligned and prev.turn == nxt.turn == items[k].turn:
                _realign_run(items, k - 1, j + 1, samples, samples_start_s, aligner)
        k = j


def _realign_run(
    items: list[Item],
    start: int,
    stop: int,
    samples: NDArray[np.float32],
    samples_start_s: float,
    aligner: PocketsphinxAligner,
) -> None:
    """Align items ``[start, stop)`` again, all required, in the audio between the words
    around them (so the pauses on either side are usable too)."""
    first, last = items[start], items[stop - 1]
    if first.start_s is None or last.end_s is None:
        return
    before = items[start - 1].end_s if start > 0 else None
    after = items[stop].start_s if stop < len(items) else None
    lo = before if before is not None and before <= first.start_s else first.start_s
    hi = after if after is not None and after >= last.end_s else last.end_s
    a = max(0, round((lo - samples_start_s) * SAMPLE_RATE))
    b = min(len(samples), round((hi - samples_start_s) * SAMPLE_RATE))
    found = aligner.align(samples[a:b], [AlignToken(it.text) for it in items[start:stop]])
    if found is None:
        return
    spans = [sp for sp in found if sp is not None]
    if len(spans) != stop - start:
        return
    offset = samples_start_s + a / SAMPLE_RATE
    for it, sp in zip(items[start:stop], spans):
        it.start_s, it.end_s = offset + sp.start_s, offset + sp.end_s
        it.placed = it.placed or it.optional


def find_turn_hesitations(
    items: list[Item],
    start: int,
    stop: int,
    read: ReadFn,
    floor_db: float,
    aligner: PocketsphinxAligner,
    opts: RefineOptions,
) -> None:
    """Listen to the pause before each turn in ``items[start:stop]`` for a hesitation the
    transcript left out ("[Um,] so ..."), and widen the turn over it. When the transcript
    does have it, as an opening filler the engine did not hear, that word takes its span.

    The aligner hears one in plain background noise too (a pause normalised on its own
    looks like anything), so a hesitation must also be mostly speech by its energy against
    the noise floor: ``floor_db``, that of the window around the pause, or the pause's own
    where that is lower (a short window of speech has no floor of its own to measure: 3.6 s
    after a 3 s pause put it 20 dB over the pause's, and a spoken "uh" read as 17 % speech).
    """
    for k in range(max(start, 1), stop):
        prev, nxt = items[k - 1], items[k]
        if prev.turn == nxt.turn or not (prev.aligned and nxt.aligned):
            continue
        if prev.end_s is None or nxt.start_s is None or nxt.foreign_before is not None:
            continue  # untranscribed speech there is a whole missing turn, not a hesitation
        lo = max(prev.end_s + opts.word_tail_s,
                 nxt.start_s - opts.max_hesitation_gap_s - _MAX_HESITATION_S)  # fmt: skip
        if nxt.start_s - lo < opts.min_hesitation_s:
            continue
        pause = read(lo, nxt.start_s)
        found = aligner.find_hesitations(pause)
        mask = speech_mask(pause, lo, opts.snap)
        if mask.floor_db > floor_db:
            mask = speech_mask(pause, lo, opts.snap, floor_db)
        for s0, s1 in _merge_touching([(lo + sp.start_s, lo + sp.end_s) for sp in found]):
            if (s1 - s0 >= opts.min_hesitation_s and nxt.start_s - s1 <= opts.max_hesitation_gap_s
                    and mask.speech_share(s0, s1) >= _MIN_HESITATION_SPEECH):  # fmt: skip
                nxt.turn_start_s = s0
                if unheard_filler(nxt):  # the transcript's "uh" opening the turn is this one
                    nxt.start_s, nxt.end_s = s0, s1
                break


def _merge_touching(spans: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Join spans that touch: the aligner hears a long "umm" as "uh" then "mm"."""
    out: list[tuple[float, float]] = []
    for s0, s1 in spans:
        if out and s0 - out[-1][1] <= _TOUCH_S:
            out[-1] = (out[-1][0], s1)
        else:
            out.append((s0, s1))
    return out


def snap_window(
    items: list[Item], start: int, stop: int, mask: SpeechMask, opts: RefineOptions
) -> None:
    """Snap the edges of the timed items in ``items[start:stop]`` that no aligner placed."""
    timed = [it for it in items[start:stop] if it.start_s is not None and it.end_s is not None]
    if all(it.aligned or it.placed for it in timed):
        return
    prev = next((it for it in reversed(items[:start]) if it.end_s is not None), None)
    nxt = next((it for it in items[stop:] if it.start_s is not None), None)
    spans = [[it.start_s, it.end_s] for it in timed]
    snap_spans(
        spans,  # type: ignore[arg-type]  # the filter above leaves no None
        [it.turn for it in timed],
        [it.snappable and not (it.aligned or it.placed) for it in timed],
        mask,
        opts.snap,
        before=Neighbour(prev.end_s, prev.turn) if prev and prev.end_s is not None else None,
        after=Neighbour(nxt.start_s, nxt.turn) if nxt and nxt.start_s is not None else None,
    )
    for it, (s0, s1) in zip(timed, spans):
        it.start_s, it.end_s = s0, s1


__all__ = ["ReadFn", "align_window", "find_turn_hesitations", "place_skipped", "snap_window"]
