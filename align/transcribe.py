"""The first pass: the engine over the whole file, a bounded window at a time.

Windows depend on the file's duration alone (``window_length_s``), never on how many
engine workers run, and are cut at quiet points (``audio.chunking``), so the words heard
are the same for any worker count. Up to ``engine.parallel`` windows are transcribed at
once; memory holds those and one more, decoded and waiting.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

import audio
from align.engines.base import Engine, Heard, ProgressFn
from align.errors import AudioDecodeError
from audio import SAMPLE_RATE
from audio.chunking import iter_quiet_windows

# Where to cut between windows: the quietest 100 ms in the window's last seconds, so a
# cut rarely lands inside a word.
_CUT_SEARCH_S = 8.0
# Files of a minute or more are cut into at least this many windows, none under 30 s.
_MIN_WINDOWS = 2
_MIN_WINDOW_S = 30.0


def probe_duration(path: audio.AudioSource) -> float:
    """The audio's duration in seconds; raises ``AudioDecodeError`` when it cannot be read."""
    if isinstance(path, audio.DecodedAudio):
        return path.duration_s
    try:
        return audio.probe_duration_s(path)
    except audio.AudioError as e:
        raise AudioDecodeError(e.path, e.reason) from e


def iter_windows(path: audio.AudioSource, window_s: float) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(offset_s, samples)`` windows of about ``window_s``, cut at quiet points
    (``audio.chunking.iter_quiet_windows``; the last may run ``_CUT_SEARCH_S`` longer)."""
    search = int(_CUT_SEARCH_S * SAMPLE_RATE)
    try:
        if isinstance(path, audio.DecodedAudio):
            blocks = path.iter_blocks()
        else:
            blocks = audio.iter_blocks(path)
        pieces = (block.samples for block in blocks)
        for offset, samples in iter_quiet_windows(
            pieces, int(window_s * SAMPLE_RATE), search, search
        ):
            yield offset / SAMPLE_RATE, samples
    except audio.AudioError as e:
        raise AudioDecodeError(e.path, e.reason) from e


def transcribe_file(
    path: audio.AudioSource,
    engine: Engine,
    window_s: float,
    on_progress: ProgressFn | None = None,
    total_s: float | None = None,
) -> Heard:
    """Run the engine over the whole file, one bounded window at a time.

    ``total_s``: the file's duration when the caller has probed it already.
    """
    if total_s is None:
        total_s = probe_duration(path)
    windows = iter_windows(path, window_length_s(total_s, window_s))
    return transcribe_windows(windows, total_s, engine, on_progress)


def window_length_s(total_s: float, window_s: float) -> float:
    """How long to make each window of a ``total_s`` file: split evenly into windows of
    at most ``window_s``, and into at least two once there is a minute of audio, so two
    engine workers share even a short file. Depends on nothing but its arguments, so the
    windows are the same however many workers run."""
    if total_s <= 0:  # unknown duration
        return window_s
    n = max(math.ceil(total_s / window_s), min(_MIN_WINDOWS, int(total_s // _MIN_WINDOW_S)), 1)
    return min(window_s, max(_MIN_WINDOW_S, total_s / n))


def window_count(total_s: float, window_s: float) -> int | None:
    """How many windows ``transcribe_file`` cuts a ``total_s`` file into at most (the last
    may take in a short rest); ``None`` when the duration is unknown."""
    if total_s <= 0:
        return None
    return max(1, math.ceil(total_s / window_length_s(total_s, window_s) - 1e-9))


def transcribe_windows(
    windows: Iterable[tuple[float, np.ndarray]],
    total_s: float,
    engine: Engine,
    on_progress: ProgressFn | None = None,
) -> Heard:
    """Run the engine over ``(offset_s, samples)`` windows (from ``iter_windows``), up to
    ``engine.parallel`` of them at once; at most one more window waits decoded in memory."""
    workers = max(1, engine.parallel)
    done_s: dict[float, float] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def transcribe(offset_s: float, samples: np.ndarray) -> Heard:
        def progress(done: float, _total: float) -> None:
            if stop.is_set():  # called between 30 s chunks: the quickest way out of a window
                raise _Stopped()
            if on_progress is not None:
                with lock:
                    done_s[offset_s] = done
                    on_progress(min(total_s, sum(done_s.values())), total_s)

        return engine.transcribe(samples, offset_s=offset_s, on_progress=progress)

    parts: list[Heard] = []
    if workers == 1:
        parts = [transcribe(offset_s, samples) for offset_s, samples in windows]
    else:
        with ThreadPoolExecutor(workers, thread_name_prefix="turnalign-engine") as pool:
            pending: deque[Future[Heard]] = deque()
            try:
                for offset_s, samples in windows:
                    pending.append(pool.submit(transcribe, offset_s, samples))
                    while len(pending) > workers:
                        parts.append(pending.popleft().result())
                parts.extend(f.result() for f in pending)
            except BaseException:  # Ctrl-C or a failed window: stop the others soon
                stop.set()
                for f in pending:
                    f.cancel()
                raise
    words = tuple(w for part in parts for w in part.words)
    language = next((p.language for p in parts if p.language), "")
    return Heard(words, language)


class _Stopped(Exception):
    """Raised inside a window's transcription to end it early (another one failed)."""


__all__ = [
    "iter_windows",
    "window_count",
    "probe_duration",
    "transcribe_file",
    "transcribe_windows",
    "window_length_s",
]
