"""One segment of the refinement pass, walked window by window: what the runner and its
worker processes share.

A segment's items are refined in place by ``walk_segment``; here (``segment_reader`` over the
file) or in a worker (``run_task`` over a ``SegmentTask``, whose audio travels with it as an
``ArrayCursor``). It is its own module so that the worker imports it, not the runner: the
runner starts workers, and neither imports the other back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from align.refine.forced import PocketsphinxAligner
from align.refine.plan import Item, RefineOptions, Segment, Window, find_turn_cut, window_bounds
from align.refine.snap import silences, speech_mask
from align.refine.window import align_window, find_turn_hesitations, snap_window
from audio import SAMPLE_RATE, SpanReading

# A window the aligner fails on is tried again in halves when it holds this many words.
_MIN_RETRY_WORDS = 8


class ArrayCursor:
    """``SpanCursor``'s reads over samples already in memory (a segment sent to a worker),
    which start at file sample ``offset``."""

    def __init__(self, samples: NDArray[np.float32], offset: int) -> None:
        self._samples = samples
        self._offset = offset

    def read_samples(self, a: int, b: int) -> NDArray[np.float32]:
        return self._samples[max(a - self._offset, 0) : max(b - self._offset, 0)]

    def release(self, before_s: float) -> None:
        pass


class SpanReader:
    """What a segment may hear: its span of the file; before it silence, after it nothing
    (as at the end of a file). The same reads whether the file or a copy serves them."""

    def __init__(
        self, source: SpanReading | ArrayCursor, seg: Segment, keep_from_s: float | None = None
    ) -> None:
        self._source = source
        lo = to_sample(seg.start_s)
        self._lo, self._hi = lo, max(to_sample(seg.end_s), lo)
        # Never forget what the next segment will read (it starts inside this one's span).
        self._keep_from_s = seg.end_s if keep_from_s is None else keep_from_s

    def read(self, start_s: float, end_s: float) -> NDArray[np.float32]:
        a, b = max(to_sample(start_s), 0), min(to_sample(end_s), self._hi)
        if b <= a:
            return np.zeros(0, dtype=np.float32)
        if a >= self._lo:
            return self._source.read_samples(a, b)
        head = np.zeros(min(b, self._lo) - a, dtype=np.float32)
        tail = self._source.read_samples(self._lo, b) if b > self._lo else head[:0]
        return np.concatenate([head, tail])

    def release(self, before_s: float) -> None:
        self._source.release(min(before_s, self._keep_from_s))


def to_sample(t_s: float) -> int:
    return round(t_s * SAMPLE_RATE)


def segment_reader(cursor: SpanReading, segments: Sequence[Segment], k: int) -> SpanReader:
    keep_from_s = segments[k + 1].start_s if k + 1 < len(segments) else None
    return SpanReader(cursor, segments[k], keep_from_s)


def segment_work(items: list[Item], seg: Segment) -> list[Item]:
    """The items a segment's walk sees: its context (never changed), then its own."""
    own = items[seg.start : seg.stop]
    return [seg.context, *own] if seg.context is not None else own


@dataclass(frozen=True, slots=True)
class SegmentTask:
    """One segment for a worker process: its items, bounds, audio and options."""

    work: list[Item]
    seg: Segment
    source: ArrayCursor
    opts: RefineOptions


def run_task(task: SegmentTask, aligner: PocketsphinxAligner) -> tuple[list[Item], tuple[int, int]]:
    """Refine one segment (in a worker process, or here when one failed); its items and
    ``(failed, windows)``."""
    count = walk_segment(task.work, task.seg, SpanReader(task.source, task.seg), aligner, task.opts)
    return (task.work[1:] if task.seg.context is not None else task.work), count


def walk_segment(
    items: list[Item],
    seg: Segment,
    reader: SpanReader,
    aligner: PocketsphinxAligner | None,
    opts: RefineOptions,
) -> tuple[int, int]:
    """Walk one segment's items window by window, setting each item's refined span in
    place; ``(failed, windows)``: windows the aligner found no path through, of all."""
    start = 1 if seg.context is not None else 0
    floor_s = seg.start_s  # no window reads audio before the end of what the last one kept
    windows = failed = 0
    while start < len(items):
        win = window_bounds(items, start, floor_s, seg.end_s, opts)
        samples = reader.read(win.start_s, win.end_s)
        mask = speech_mask(samples, win.start_s, opts.snap)
        cut = find_turn_cut(items, win, silences(mask, opts.min_cut_pause_s), opts.min_cut_pause_s)
        if cut is not None:
            win = replace(win, stop=cut[0], end_s=cut[1], final=True)
            samples = samples[: max(0, to_sample(win.end_s - win.start_s))]
        done = 0
        if aligner is not None:
            done = align_window(items, win, samples, aligner, opts)
            if done == 0 and win.stop - win.start >= _MIN_RETRY_WORDS:
                win, samples = _first_half(items, win, samples, opts)
                done = align_window(items, win, samples, aligner, opts)
            failed += done == 0
        windows += 1
        if done == 0:  # no aligner, or it failed: keep the times alignment gave
            done = win.stop - win.start
        stop = win.start + done
        snap_window(items, win.start, stop, mask, opts)
        if aligner is not None:
            find_turn_hesitations(items, win.start, stop, reader.read, mask.floor_db, aligner, opts)
        last_end = max((it.end_s for it in items[win.start : stop] if it.end_s is not None),
                       default=floor_s)  # fmt: skip
        floor_s = max(floor_s, last_end, win.end_s if cut is not None and stop == win.stop else 0.0)
        reader.release(min(last_end, floor_s))  # the next window searches the pause after it
        start = stop
    return failed, windows


def _first_half(
    items: Sequence[Item], win: Window, samples: NDArray[np.float32], opts: RefineOptions
) -> tuple[Window, NDArray[np.float32]]:
    """The first half of a window the aligner found no path through, to try again: one
    word the acoustic model cannot fit then costs half a window, not all of it."""
    stop = win.start + (win.stop - win.start) // 2
    ends = [it.end_s for it in items[win.start : stop] if it.end_s is not None]
    end_s = min(win.end_s, (max(ends) if ends else win.end_s) + opts.tail_s)
    half = replace(win, stop=stop, end_s=end_s, final=False)
    return half, samples[: max(0, to_sample(end_s - win.start_s))]


__all__ = [
    "ArrayCursor",
    "SegmentTask",
    "SpanReader",
    "run_task",
    "segment_reader",
    "segment_work",
    "to_sample",
    "walk_segment",
]
