"""Boundary refinement after alignment: precise word, pause and turn edges.

Whisper's word times are coarse (about 100 ms off at the median on the benchmark's gold
words) and drift into pauses, so turn edges inherit a bias. ``refine_result`` reads the audio
again, once and in order, a window at a time, and

- ``full``: force-aligns the transcript's words with pocketsphinx (``align.refine.forced``; offline,
  US English). A window runs across turn changes unless a clear pause separates the turns,
  so the aligner, not Whisper, decides where a turn that Whisper stretched over a pause
  really ends. The pause before each turn is searched for a hesitation the transcript left
  out, which then opens the turn. Words the aligner cannot place are snapped as in ``fast``.
- ``fast``: snaps pause and turn edges to speech onsets and offsets in the energy envelope
  (``align.refine.snap``), never into a word.

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
from typing import TYPE_CHECKING

import audio
from align.defaults import DEFAULT_REFINE_MODE
from align.errors import AudioDecodeError, EngineUnavailableError, UsageError
from align.model import REFINE_MODES, RefineMode, Result
from align.refine.forced import PocketsphinxAligner, load_aligner
from align.refine.plan import Item, RefineOptions, Segment, plan_items, plan_segments
from align.refine.rebuild import rebuild_turns
from align.refine.walk import (
    ArrayCursor,
    SegmentTask,
    run_task,
    segment_reader,
    segment_work,
    to_sample,
    walk_segment,
)
from audio import SpanSource, open_reader

if TYPE_CHECKING:  # the package does not import ``worker`` (``python -m`` runs it)
    from align.refine.worker import WorkerProcess

log = logging.getLogger(__name__)

DEFAULT_MODE: RefineMode = DEFAULT_REFINE_MODE
"""The best refinement that costs a few seconds a file: ``full`` adds about 1.5 % of the
audio's duration in CPU time (``scripts/measure_refine.py``)."""

# Languages the bundled acoustic model can align; "auto" is judged by the words themselves.
_ALIGNABLE_LANGUAGES = frozenset({"en", "auto", ""})
_DEFAULT_OPTIONS = RefineOptions()


def refine_result(
    result: Result,
    audio_path: SpanSource,
    mode: str,
    opts: RefineOptions = _DEFAULT_OPTIONS,
    aligner: PocketsphinxAligner | None = None,
    workers: RefineWorkers | None = None,
) -> Result:
    """Refine the word, pause and turn boundaries of ``result`` by listening again.

    Args:
        result: an alignment of ``audio_path``.
        audio_path: the audio; read once, in order, a window at a time.
        mode: "none" (returned unchanged), "fast" (energy snapping) or "full" (forced
            alignment, and snapping where it could not help).
        opts: windows and thresholds.
        aligner: a loaded forced aligner to use; loaded on demand in "full" mode.
        workers: worker processes started ahead (``RefineWorkers.start``), closed here;
            started here when ``None`` and the pass has more than one segment.

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
        if workers is not None:
            workers.close()
        return result
    items = plan_items(result, recover=opts.recover_unheard and mode == "full")
    helpers = workers if workers is not None else RefineWorkers()
    try:
        if workers is None and mode == "full" and _parallel(items, result.audio.duration, opts):
            helpers = RefineWorkers.start(opts)  # start-up overlaps the aligner's load
        if mode == "full" and aligner is None and items:
            aligner = _try_load_aligner(result, items, opts)
        if mode == "fast" or aligner is None:
            aligner = None
            items = [it for it in items if not it.optional]
        if items:
            _refine_items(items, audio_path, result.audio.duration, aligner, opts, helpers)
        helpers.close()
    except audio.AudioError as e:
        raise AudioDecodeError(e.path, e.reason) from e
    finally:
        helpers.kill()  # Ctrl-C or an error: stop them at once (nothing left after close)
    turns, mismatches = rebuild_turns(result, items)
    applied = mode if not items else "full" if aligner is not None else "fast"
    return result.with_turns(turns, mismatches=mismatches, refine=applied)


def _parallel(items: Sequence[Item], duration_s: float, opts: RefineOptions) -> bool:
    """Whether worker processes would get work: more than one segment to share."""
    return opts.workers > 1 and bool(items) and len(plan_segments(items, duration_s, opts)) > 1


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


def _refine_items(
    items: list[Item],
    audio_path: SpanSource,
    duration_s: float,
    aligner: PocketsphinxAligner | None,
    opts: RefineOptions,
    helpers: RefineWorkers,
) -> None:
    """Refine every segment of ``items`` in place: here, one after another, or with the
    help of worker processes (pocketsphinx holds the GIL, so threads would not help)."""
    segments = plan_segments(items, duration_s, opts)
    if aligner is not None and len(segments) > 1 and helpers.workers:
        counts = _refine_in_processes(items, segments, audio_path, aligner, opts, helpers)
    else:
        cursor = open_reader(audio_path)
        counts = []
        for k, seg in enumerate(segments):
            reader = segment_reader(cursor, segments, k)
            counts.append(walk_segment(segment_work(items, seg), seg, reader, aligner, opts))
    failed, windows = sum(c[0] for c in counts), sum(c[1] for c in counts)
    if failed:
        log.info("forced alignment failed in %d of %d windows; kept snapped times", failed, windows)


def _refine_in_processes(
    items: list[Item],
    segments: Sequence[Segment],
    audio_path: SpanSource,
    aligner: PocketsphinxAligner,
    opts: RefineOptions,
    helpers: RefineWorkers,
) -> list[tuple[int, int]]:
    """Send segments to the worker processes while they are busy and refine the rest
    here, reading the file once, in order; at most one segment's audio waits per worker.
    A segment whose worker fails is refined here instead."""
    cursor = open_reader(audio_path)
    counts: list[tuple[int, int]] = []
    idle: queue.SimpleQueue[WorkerProcess] = queue.SimpleQueue()
    pending: dict[Future[tuple[list[Item], tuple[int, int]]], tuple[Segment, ArrayCursor]] = {}
    workers = helpers.workers

    def remote(task: SegmentTask) -> tuple[list[Item], tuple[int, int]]:
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
                task = SegmentTask(segment_work(items, seg), seg, source, opts)
                refined, count = run_task(task, aligner)
            items[seg.start : seg.stop] = refined
            counts.append(count)

    threads = ThreadPoolExecutor(len(workers), thread_name_prefix="turnalign-refine")
    try:
        for w in workers:
            idle.put(w)
        for k, seg in enumerate(segments):
            collect(wait_all=False)
            if len(pending) < len(workers):
                samples = cursor.read_samples(to_sample(seg.start_s), to_sample(seg.end_s))
                source = ArrayCursor(samples.copy(), to_sample(seg.start_s))
                task = SegmentTask(segment_work(items, seg), seg, source, opts)
                pending[threads.submit(remote, task)] = (seg, source)
            else:
                reader = segment_reader(cursor, segments, k)
                counts.append(walk_segment(segment_work(items, seg), seg, reader, aligner, opts))
            if k + 1 < len(segments):
                cursor.release(segments[k + 1].start_s)
        collect(wait_all=True)
    finally:
        threads.shutdown(cancel_futures=True)
    return counts


class RefineWorkers:
    """The refinement's worker processes (``opts.workers - 1``). ``start`` them before
    other work (the pipeline does, before the first pass) so their start-up overlaps it;
    ``refine_result`` closes them when done. A worker that fails leaves ``workers``."""

    def __init__(self) -> None:
        self.workers: list[WorkerProcess] = []

    @classmethod
    def start(cls, opts: RefineOptions) -> RefineWorkers:
        from align.refine.worker import WorkerProcess

        out = cls()
        for _ in range(opts.workers - 1):
            try:
                out.workers.append(WorkerProcess(opts.forced))
            except OSError as e:
                log.debug("cannot start a refine worker: %s", e)
                break
        return out

    def close(self) -> None:
        """Let them end (a no-op once closed or killed)."""
        while self.workers:
            self.workers.pop().close()

    def kill(self) -> None:
        """Stop them now (Ctrl-C or an error)."""
        while self.workers:
            self.workers.pop().kill()


__all__ = ["DEFAULT_MODE", "RefineWorkers", "refine_result"]
