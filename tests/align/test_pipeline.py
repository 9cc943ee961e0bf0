"""Pipeline plumbing on real audio: windows and re-read spans match the decoded file."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import audio
from align.engines.base import EngineOptions, Heard, HeardWord
from align.model import EngineInfo
from align.pipeline import (
    AlignOptions,
    engine_options_for,
    iter_windows,
    load_engine,
    read_spans,
    transcribe_windows,
    window_count,
    window_length_s,
)
from audio import SAMPLE_RATE

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "michaelandsickmichael.flac"


def test_windows_tile_the_file_exactly() -> None:
    whole = audio.load(EXAMPLE).samples
    pieces = list(iter_windows(EXAMPLE, window_s=30.0))
    assert len(pieces) == 2  # 52 s cut once, near 30 s, at a quiet point
    assert pieces[0][0] == 0.0
    assert abs(pieces[1][0] - 30.0) < 8.0
    assert np.array_equal(np.concatenate([p for _, p in pieces]), whole)


def test_spans_are_read_in_one_pass_and_match_the_file() -> None:
    whole = audio.load(EXAMPLE).samples
    spans = [(1.0, 3.5), (2.0, 4.0), (29.5, 31.0), (51.5, 60.0)]  # overlapping, past the end
    got = list(read_spans(EXAMPLE, spans))
    assert len(got) == len(spans)
    for (a, b), samples in zip(spans, got):
        ref = whole[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)]
        assert np.array_equal(samples, ref)


def test_window_length_splits_evenly_and_shares_a_short_file() -> None:
    # Long files: even windows of at most window_s.
    assert window_length_s(3 * 3600.0, 300.0) == pytest.approx(300.0)
    assert window_length_s(700.0, 300.0) == pytest.approx(700.0 / 3)
    # A minute or more: at least two windows, so two engine workers share it.
    assert window_length_s(309.0, 300.0) == pytest.approx(154.5)
    assert window_length_s(61.0, 300.0) == pytest.approx(30.5)
    # Under a minute, or unknown: one window.
    assert window_length_s(52.0, 300.0) == pytest.approx(52.0)
    assert window_length_s(0.0, 300.0) == 300.0


@pytest.mark.parametrize("window_s", [30.0, 300.0])
def test_window_count_is_the_number_of_windows_cut(window_s: float) -> None:
    total_s = audio.probe_duration_s(EXAMPLE)
    cut = list(iter_windows(EXAMPLE, window_length_s(total_s, window_s)))
    assert window_count(total_s, window_s) == len(cut) == (2 if window_s == 30.0 else 1)


def test_a_one_window_file_loads_no_engine_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    import align
    from align import api

    opts = AlignOptions()
    assert opts.engine.workers == 2
    assert engine_options_for(opts, 52.4).workers == 1  # the example: one window
    assert engine_options_for(opts, 300.0) == opts.engine  # conv_dev: two windows
    assert engine_options_for(opts, 0.0) == opts.engine  # duration unknown
    loaded: list[EngineOptions] = []

    def fake_load(name: str, engine_opts: EngineOptions) -> Any:
        loaded.append(engine_opts)
        raise _Loaded()

    monkeypatch.setattr(api.pipeline, "load_engine", fake_load)
    transcript = EXAMPLE.with_suffix(".txt")
    with pytest.raises(_Loaded):
        align.align_file(EXAMPLE, transcript)
    monkeypatch.setattr("align.pipeline.load_engine", fake_load)
    with pytest.raises(_Loaded):
        api.pipeline.align_file(EXAMPLE, transcript)
    assert [o.workers for o in loaded] == [1, 1]


class _Loaded(Exception):
    """Raised by a fake ``load_engine`` once it has seen its options."""


def test_parallel_engine_workers_hear_what_one_worker_hears() -> None:
    """Two workers transcribe the two windows of the example at once (this process and a
    helper process): the words come back in time order, progress reaches the end, and they
    are exactly the words one worker hears (issue 14: each call runs alone in its process)."""
    total_s = audio.probe_duration_s(EXAMPLE)
    length_s = window_length_s(total_s, 30.0)
    heard = {}
    for workers in (1, 2):
        engine = load_engine("faster-whisper", EngineOptions(workers=workers))
        assert engine.parallel == workers
        seen: list[float] = []
        windows = iter_windows(EXAMPLE, length_s)
        heard[workers] = transcribe_windows(windows, total_s, engine, _recorder(seen))
        assert seen and max(seen) == pytest.approx(total_s)
    assert len(heard[1].words) >= 60
    starts = [w.start for w in heard[2].words]
    assert starts == sorted(starts)
    assert heard[2] == heard[1]


def test_a_stopped_helper_call_ends_the_helper_and_the_next_call_starts_one() -> None:
    """A stop request raised from progress inside a helper's window kills that helper;
    the engine then starts a new one and hears the same words as before."""
    engine = load_engine("faster-whisper", EngineOptions(workers=2))
    samples = next(iter_windows(EXAMPLE, 30.0))[1]
    gate = threading.Event()

    def hold(_done: float, _total: float) -> None:
        gate.wait(10)

    def stop(_done: float, _total: float) -> None:
        raise KeyboardInterrupt

    # Keep this process's own slot busy, so the stopped call goes to a helper.
    with ThreadPoolExecutor(1) as pool:
        busy = pool.submit(engine.transcribe, samples, on_progress=hold)
        time.sleep(0.5)
        with pytest.raises(KeyboardInterrupt):
            engine.transcribe(samples, on_progress=stop)
        gate.set()
        first = busy.result()
    with ThreadPoolExecutor(2) as pool:
        again = list(pool.map(lambda _: engine.transcribe(samples), range(2)))
    assert again == [first, first]
    engine.close()  # type: ignore[attr-defined]


class _FakeEngine:
    """An engine whose ``hear(offset_s, samples, on_progress)`` stands in for Whisper."""

    info = EngineInfo("fake", "fake", "cpu", "none", "en")

    def __init__(self, parallel: int, hear: Callable[..., Heard]) -> None:
        self._parallel = parallel
        self._hear = hear

    @property
    def parallel(self) -> int:
        return self._parallel

    def transcribe(self, samples: np.ndarray, *, offset_s: float = 0.0, **kw: Any) -> Heard:
        return self._hear(offset_s, samples, kw.get("on_progress"))


def _scrambled(offset_s: float, samples: np.ndarray, on_progress: Any) -> Heard:
    """One word per window, at its start; later windows finish first."""
    time.sleep(0.05 * (3 - int(offset_s) % 3))
    on_progress(len(samples) / 16000, len(samples) / 16000)
    return Heard((HeardWord(f"w{int(offset_s)}", offset_s, offset_s + 0.5, 0.9),), "en")


def test_windows_finishing_out_of_order_keep_their_order() -> None:
    windows = [(float(k), np.zeros(16000, np.float32)) for k in range(7)]
    seen: list[float] = []
    engine = _FakeEngine(3, _scrambled)
    heard = transcribe_windows(windows, 7.0, engine, _recorder(seen))
    assert [w.text for w in heard.words] == [f"w{k}" for k in range(7)]
    assert max(seen) == pytest.approx(7.0) and heard.language == "en"


def _recorder(seen: list[float]) -> Callable[[float, float], None]:
    return lambda done_s, _total_s: seen.append(done_s)


def test_a_failed_window_stops_the_others_between_chunks() -> None:
    """Ctrl-C or an engine error in one window must not wait for the other to finish."""
    chunks_done = []

    def hear(offset_s: float, _samples: np.ndarray, on_progress: Any) -> Heard:
        if offset_s == 0.0:  # the first window fails once the other has started
            time.sleep(0.05)
            raise RuntimeError("window 0 failed")
        for k in range(2000):  # the second would take 2,000 chunks
            time.sleep(0.001)
            chunks_done.append(k)
            on_progress(float(k), 2000.0)
        return Heard((), "en")

    windows = [(0.0, np.zeros(16000, np.float32)), (1.0, np.zeros(16000, np.float32))]
    with pytest.raises(RuntimeError, match="window 0 failed"):
        transcribe_windows(windows, 2.0, _FakeEngine(2, hear))
    assert 0 < len(chunks_done) < 2000
