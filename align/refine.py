"""Boundary refinement after alignment: precise word, pause and turn edges.

Whisper's word times are coarse (about 100 ms off at the median on the benchmark's gold
words) and drift into pauses, so turn edges inherit a bias. ``refine_result`` reads the audio
again, once and in order, a window at a time, and

- ``full``: force-aligns the transcript's words with pocketsphinx (``align.forced``; offline,
  US English). A window runs across turn changes unless a clear pause separates the turns,
  so the aligner, not Whisper, decides where a turn that Whisper stretched over a pause
  really ends. The pause before each turn is searched for a hesitation the transcript left
  out, which then opens the turn. Words the aligner cannot place are snapped as in ``fast``.
- ``fast``: snaps pause and turn edges to speech onsets and offsets in the energy envelope
  (``align.refine_snap``), never into a word.

``full`` falls back to ``fast`` for other languages and when pocketsphinx is missing;
``Result.refine`` records the mode applied. Words the engine did not hear (but not repeated
phrases) are offered to the aligner; those it finds, or places between their neighbours,
get a time and the status ``interpolated`` (``RefineOptions.recover_unheard``).

Memory: the audio streams through a buffer of about one window (``RefineOptions.window_s``),
so a 3-hour file costs what a 3-minute one does.
"""

from __future__ import annotations

import logging
import pickle
import queue
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

import audio
from align.errors import AudioDecodeError, EngineUnavailableError, UsageError
from align.forced import PocketsphinxAligner, load_aligner
from align.model import REFINE_MODES, Mismatch, RefineMode, Result, Turn, Word
from align.refine_plan import (
    Item,
    RefineOptions,
    Segment,
    Window,
    find_turn_cut,
    plan_items,
    plan_segments,
    window_bounds,
)
from align.refine_snap import silences, speech_mask
from align.refine_window import align_window, find_turn_hesitations, snap_window
from audio import SpanCursor

log = logging.getLogger(__name__)

DEFAULT_MODE: RefineMode = "full"
"""The best refinement that costs a few seconds a file: ``full`` adds about 1.5 % of the
audio's duration in CPU time (``scripts/measure_refine.py``)."""

# Languages the bundled acoustic model can align; "auto" is judged by the words themselves.
_ALIGNABLE_LANGUAGES = frozenset({"en", "auto", ""})
# A word the aligner found though the engine did not hear it gets the confidence timing
# gives interpolated words the engine heard something at; one it only placed, the lowest.
_RECOVERED_CONFIDENCE = 0.3
_PLACED_CONFIDENCE = 0.15
# Times are written with millisecond precision (as ``align.timing`` does).
_TIME_DECIMALS = 3
_DEFAULT_OPTIONS = RefineOptions()
# A window the aligner fails on is tried again in halves when it holds this many words.
_MIN_RETRY_WORDS = 8


def refine_result(
    result: Result,
    audio_path: str | Path,
    mode: str,
    opts: RefineOptions = _DEFAULT_OPTIONS,
    aligner: PocketsphinxAligner | None = None,
) -> Result:
    """Refine the word, pause and turn boundaries of ``result`` by listening again.

    Args:
        result: an alignment of ``audio_path``.
        audio_path: the audio; read once, in order, a window at a time.
        mode: "none" (returned unchanged), "fast" (energy snapping) or "full" (forced
            alignment, and snapping where it could not help).
        opts: windows and thresholds.
        aligner: a loaded forced aligner to use; loaded on demand in "full" mode.

    Returns:
        A new ``Result`` with refined times and ``refine`` set to the mode applied ("fast"
        when "full" had to fall back).

    Raises:
        UsageError: an unknown mode.
        AudioDecodeError: the audio cannot be read.
    """
    if mode not in REFINE_MODES:
        raise UsageError(f"unknown refine mode '{mode}'; choose {', '.join(REFINE_MODES)}")
    if mode == "none":
        return result
    items = plan_items(result, recover=opts.recover_unheard and mode == "full")
    if mode == "full" and aligner is None and items:
        aligner = _try_load_aligner(result, items, opts)
    if mode == "fast" or aligner is None:
        aligner = None
        items = [it for it in items if not it.optional]
    if items:
        try:
            _refine_items(items, audio_path, result.audio.duration, aligner, opts)
        except audio.AudioError as e:
            raise AudioDecodeError(e.path, e.reason) from e
    turns, mismatches = _rebuild(result, items)
    applied = mode if not items else "full" if aligner is not None else "fast"
    return result.with_turns(turns, mismatches=mismatches, refine=applied)


def _try_load_aligner(
    result: Result, items: Sequence[Item], opts: RefineOptions
) -> PocketsphinxAligner | None:
    language = result.engine.language.lower().split("-")[0]
    if language not in _ALIGNABLE_LANGUAGES:
        log.info("no forced aligner for language '%s'; refining by energy only", language)
        return None
    try:
        aligner = load_aligner(opts.forced)
    except EngineUnavailableError as e:
        log.warning("%s; refining by energy only", e)
        return None
    share = aligner.known_share([it.text for it in items])
    if share < opts.min_known_share:
        log.info("only %.0f%% of the words are English; refining by energy only", 100 * share)
        return None
    return aligner


class _ArrayCursor:
    """``SpanCursor``'s reads over samples already in memory (a segment sent to a worker),
    which start at file sample ``offset``."""

    def __init__(self, samples: NDArray[np.float32], offset: int) -> None:
        self._samples = samples
        self._offset = offset

    def read_samples(self, a: int, b: int) -> NDArray[np.float32]:
        return self._samples[max(a - self._offset, 0) : max(b - self._offset, 0)]

    def release(self, before_s: float) -> None:
        pass


class _SpanReader:
    """What a segment may hear: its span of the file; before it silence, after it nothing
    (as at the end of a file). The same reads whether the file or a copy serves them."""

    def __init__(
        self, source: SpanCursor | _ArrayCursor, seg: Segment, keep_from_s: float | None = None
    ) -> None:
        self._source = source
        self._lo, self._hi = _sample(seg.start_s), max(_sample(seg.end_s), _sample(seg.start_s))
        # Never forget what the next segment will read (it starts inside this one's span).
        self._keep_from_s = seg.end_s if keep_from_s is None else keep_from_s

    def read(self, start_s: float, end_s: float) -> NDArray[np.float32]:
        a, b = max(_sample(start_s), 0), min(_sample(end_s), self._hi)
        if b <= a:
            return np.zeros(0, dtype=np.float32)
        if a >= self._lo:
            return self._source.read_samples(a, b)
        head = np.zeros(min(b, self._lo) - a, dtype=np.float32)
        tail = self._source.read_samples(self._lo, b) if b > self._lo else head[:0]
        return np.concatenate([head, tail])

    def release(self, before_s: float) -> None:
        self._source.release(min(before_s, self._keep_from_s))


def _sample(t_s: float) -> int:
    return round(t_s * audio.SAMPLE_RATE)


def _refine_items(
    items: list[Item],
    audio_path: str | Path,
    duration_s: float,
    aligner: PocketsphinxAligner | None,
    opts: RefineOptions,
) -> None:
    """Refine every segment of ``items`` in place: here, one after another, or with the
    help of worker processes (pocketsphinx holds the GIL, so threads would not help)."""
    segments = plan_segments(items, duration_s, opts)
    if aligner is not None and len(segments) > 1 and opts.workers > 1:
        counts = _refine_in_processes(items, segments, audio_path, aligner, opts)
    else:
        cursor = SpanCursor(audio_path)
        counts = [_walk(_work(items, seg), seg, _reader(cursor, segments, k), aligner, opts)
                  for k, seg in enumerate(segments)]  # fmt: skip
    failed, windows = sum(c[0] for c in counts), sum(c[1] for c in counts)
    if failed:
        log.info("forced alignment failed in %d of %d windows; kept snapped times", failed, windows)


def _reader(cursor: SpanCursor, segments: Sequence[Segment], k: int) -> _SpanReader:
    keep_from_s = segments[k + 1].start_s if k + 1 < len(segments) else None
    return _SpanReader(cursor, segments[k], keep_from_s)


def _work(items: list[Item], seg: Segment) -> list[Item]:
    """The items a segment's walk sees: its context (never changed), then its own."""
    own = items[seg.start : seg.stop]
    return [seg.context, *own] if seg.context is not None else own


def _refine_in_processes(
    items: list[Item],
    segments: Sequence[Segment],
    audio_path: str | Path,
    aligner: PocketsphinxAligner,
    opts: RefineOptions,
) -> list[tuple[int, int]]:
    """Send segments to ``opts.workers - 1`` worker processes while they are busy and
    refine the rest here, reading the file once, in order; at most one segment's audio
    waits per worker. A segment whose worker fails is refined here instead."""
    from align.refine_worker import WorkerProcess

    cursor = SpanCursor(audio_path)
    counts: list[tuple[int, int]] = []
    idle: queue.SimpleQueue[WorkerProcess] = queue.SimpleQueue()
    pending: dict[Future[tuple[list[Item], tuple[int, int]]], tuple[Segment, _ArrayCursor]] = {}
    workers: list[WorkerProcess] = []

    def remote(task: _Task) -> tuple[list[Item], tuple[int, int]]:
        worker = idle.get()
        try:
            answer: tuple[list[Item], tuple[int, int]] = worker.run(task)
        except BaseException:
            workers.remove(worker)  # a dead worker takes no more segments
            raise
        idle.put(worker)
        return answer

    def collect(wait_all: bool) -> None:
        for fut in [f for f in pending if wait_all or f.done()]:
            seg, source = pending.pop(fut)
            try:
                refined, count = fut.result()
            except (OSError, EOFError, pickle.UnpicklingError) as e:
                log.debug("refine worker failed (%s); refining the segment here", e)
                refined, count = run_task(_Task(_work(items, seg), seg, source, opts), aligner)
            items[seg.start : seg.stop] = refined
            counts.append(count)

    threads = ThreadPoolExecutor(opts.workers - 1, thread_name_prefix="turnalign-refine")
    finished = False
    try:
        for _ in range(opts.workers - 1):
            try:
                workers.append(WorkerProcess(opts.forced))
            except OSError as e:
                log.debug("cannot start a refine worker: %s", e)
                break
        for w in workers:
            idle.put(w)
        for k, seg in enumerate(segments):
            collect(wait_all=False)
            if len(pending) < len(workers):
                samples = cursor.read_samples(_sample(seg.start_s), _sample(seg.end_s))
                source = _ArrayCursor(samples.copy(), _sample(seg.start_s))
                task = _Task(_work(items, seg), seg, source, opts)
                pending[threads.submit(remote, task)] = (seg, source)
            else:
                reader = _reader(cursor, segments, k)
                counts.append(_walk(_work(items, seg), seg, reader, aligner, opts))
            if k + 1 < len(segments):
                cursor.release(segments[k + 1].start_s)
        collect(wait_all=True)
        finished = True
    finally:
        for w in list(workers):
            if finished:
                w.close()
            else:  # Ctrl-C or an error: stop them at once
                w.kill()
        threads.shutdown(cancel_futures=True)
    return counts


@dataclass(frozen=True, slots=True)
class _Task:
    """One segment for a worker process: its items, bounds, audio and options."""

    work: list[Item]
    seg: Segment
    source: _ArrayCursor
    opts: RefineOptions


def run_task(task: _Task, aligner: PocketsphinxAligner) -> tuple[list[Item], tuple[int, int]]:
    """Refine one segment (in a worker process, or here when one failed); its items and
    ``(failed, windows)``."""
    count = _walk(task.work, task.seg, _SpanReader(task.source, task.seg), aligner, task.opts)
    return (task.work[1:] if task.seg.context is not None else task.work), count


def _walk(
    items: list[Item],
    seg: Segment,
    reader: _SpanReader,
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
            samples = samples[: max(0, _sample(win.end_s - win.start_s))]
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
    return half, samples[: max(0, _sample(end_s - win.start_s))]


def _rebuild(
    result: Result, items: Sequence[Item]
) -> tuple[tuple[Turn, ...], tuple[Mismatch, ...]]:
    """The refined turns (times monotonic, inside [0, duration]) and updated mismatches."""
    duration = result.audio.duration
    by_key = {(it.turn, it.word): it for it in items}
    last_end = 0.0
    recovered: set[tuple[int, int]] = set()
    placed: dict[tuple[int, int], tuple[float, float]] = {}
    turns: list[Turn] = []
    for turn in result.turns:
        words: list[Word] = []
        for k, w in enumerate(turn.words):
            it = by_key.get((turn.index, k))
            if it is None or it.start_s is None or it.end_s is None:
                words.append(w)  # untimed: not found, or in a turn not found
                continue
            start = round(min(max(it.start_s, last_end, 0.0), duration), _TIME_DECIMALS)
            end = round(min(max(it.end_s, start), duration), _TIME_DECIMALS)
            last_end = end
            if w.status != "not_found":
                words.append(replace(w, start=start, end=end))
                continue
            placed[(turn.index, k)] = (start, end)
            if not it.placed:
                recovered.add((turn.index, k))
            confidence = _PLACED_CONFIDENCE if it.placed else _RECOVERED_CONFIDENCE
            words.append(Word(w.text, start, end, "interpolated", confidence))
        turns.append(_retime(turn, words, by_key, turns))
    return tuple(turns), _update_mismatches(result.mismatches, recovered, placed)


def _retime(
    turn: Turn, words: list[Word], by_key: dict[tuple[int, int], Item], done: Sequence[Turn]
) -> Turn:
    """``turn`` with its new words; its span theirs, widened back over a hesitation that
    opens it, but never before the previous turn's end."""
    spans = [(w.start, w.end) for w in words if w.start is not None and w.end is not None]
    if not spans or turn.start is None:
        return replace(turn, words=tuple(words))
    start, end = spans[0][0], max(e for _, e in spans)
    first = next(by_key.get((turn.index, k)) for k, w in enumerate(words) if w.start is not None)
    if first is not None and first.turn_start_s is not None:
        prev_end = next((t.end for t in reversed(done) if t.end is not None), 0.0)
        start = round(max(min(start, first.turn_start_s), prev_end), _TIME_DECIMALS)
    return replace(turn, words=tuple(words), start=start, end=end)


def _update_mismatches(
    mismatches: Sequence[Mismatch],
    recovered: set[tuple[int, int]],
    placed: dict[tuple[int, int], tuple[float, float]],
) -> tuple[Mismatch, ...]:
    """Drop the "not in audio" reports whose every word the aligner heard after all; give
    the ones whose words it only placed their place in the audio."""
    out: list[Mismatch] = []
    for m in mismatches:
        if m.kind == "not_in_audio" and m.turn is not None and m.word_start is not None:
            keys = [(m.turn, k) for k in range(m.word_start, m.word_start + m.word_count)]
            if keys and all(k in recovered for k in keys):
                continue
            if keys and all(k in placed for k in keys):
                m = replace(m, start=placed[keys[0]][0], end=placed[keys[-1]][1])
        out.append(m)
    return tuple(out)


__all__ = ["DEFAULT_MODE", "REFINE_MODES", "RefineMode", "RefineOptions", "refine_result"]
