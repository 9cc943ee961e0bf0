"""Window planning: bounded, sorted, non-overlapping windows that keep all speech."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audio import SAMPLE_RATE
from audio.chunking import ChunkOptions, Window, plan_windows
from audio.vad import SpeechSpan

# detect_speech(load(tests/data/jfk.flac)) with default VadOptions, fixed here so the
# chunking tests need no model.
JFK_SPANS = [
    SpeechSpan(3520, 37440),
    SpeechSpan(51648, 71232),
    SpeechSpan(85440, 123456),
    SpeechSpan(129984, 169536),
]
JFK_SAMPLES = 176000


def _s(seconds: float) -> int:
    return round(seconds * SAMPLE_RATE)


def _spans_s(*pairs: tuple[float, float]) -> list[SpeechSpan]:
    return [SpeechSpan(_s(a), _s(b)) for a, b in pairs]


def _windows_s(windows: list[Window]) -> list[tuple[float, float]]:
    return [(round(w.start_s, 3), round(w.end_s, 3)) for w in windows]


def _check_invariants(
    windows: list[Window], spans: list[SpeechSpan], total: int, opts: ChunkOptions
) -> None:
    max_samples = round(opts.max_chunk_s * SAMPLE_RATE)
    speech = np.zeros(total, dtype=bool)
    for span in spans:
        speech[min(span.start_sample, total) : min(span.end_sample, total)] = True
    inside = np.zeros(total, dtype=bool)
    for window in windows:
        assert 0 <= window.start_sample < window.end_sample <= total
        assert window.end_sample - window.start_sample <= max_samples
        # Windows start and end on speech: no leading or trailing silence.
        assert speech[window.start_sample] and speech[window.end_sample - 1]
        inside[window.start_sample : window.end_sample] = True
    for a, b in zip(windows, windows[1:], strict=False):
        assert a.end_sample <= b.start_sample  # sorted, non-overlapping
    assert not np.any(speech & ~inside)  # all speech is covered


def test_jfk_fits_one_window() -> None:
    windows = plan_windows(JFK_SPANS, JFK_SAMPLES)
    assert windows == [Window(3520, 169536)]


@pytest.mark.parametrize("max_chunk_s", [30.0, 5.0, 3.0, 2.0, 1.0, 0.5])
def test_jfk_invariants_for_any_maximum(max_chunk_s: float) -> None:
    opts = ChunkOptions(max_chunk_s=max_chunk_s)
    windows = plan_windows(JFK_SPANS, JFK_SAMPLES, opts)
    _check_invariants(windows, JFK_SPANS, JFK_SAMPLES, opts)


def test_a_span_longer_than_the_maximum_is_split_evenly() -> None:
    windows = plan_windows(_spans_s((0.0, 70.0)), _s(70.0), ChunkOptions(max_chunk_s=30.0))
    lengths = [w.end_sample - w.start_sample for w in windows]
    assert len(lengths) == 3 and max(lengths) - min(lengths) <= 1  # no short remainder
    assert windows[0].start_sample == 0
    assert windows[-1].end_sample == _s(70.0)


def test_cuts_at_the_last_real_pause_rather_than_between_words() -> None:
    # A 0.5 s pause at 10 s, then only 0.1 s gaps between words.
    spans = _spans_s((0.0, 10.0), (10.5, 20.0), (20.1, 28.0), (28.1, 35.0))
    windows = plan_windows(spans, _s(40.0), ChunkOptions(max_chunk_s=30.0, min_silence_ms=300))
    assert _windows_s(windows) == [(0.0, 10.0), (10.5, 35.0)]


def test_without_a_real_pause_cuts_at_the_longest_gap() -> None:
    spans = _spans_s((0.0, 10.0), (10.2, 20.0), (20.1, 28.0), (28.1, 35.0))
    windows = plan_windows(spans, _s(40.0), ChunkOptions(max_chunk_s=30.0, min_silence_ms=300))
    assert _windows_s(windows) == [(0.0, 10.0), (10.2, 35.0)]


def test_a_long_silence_always_ends_a_window() -> None:
    spans = _spans_s((0.0, 2.0), (9.0, 11.0), (12.0, 13.0))
    windows = plan_windows(spans, _s(20.0), ChunkOptions(max_inner_silence_s=5.0))
    assert _windows_s(windows) == [(0.0, 2.0), (9.0, 13.0)]


def test_spans_are_sorted_merged_and_clipped() -> None:
    spans = _spans_s((5.0, 7.0), (1.0, 3.0), (2.0, 4.0), (9.0, 12.0))
    windows = plan_windows(spans, _s(10.0))
    assert _windows_s(windows) == [(1.0, 10.0)]


def test_no_speech_no_windows() -> None:
    assert plan_windows([], 1000) == []
    assert plan_windows([SpeechSpan(5, 5)], 1000) == []
    assert plan_windows(_spans_s((1.0, 2.0)), 0) == []


def test_options_are_validated_and_frozen() -> None:
    for bad in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="max_chunk_s"):
            ChunkOptions(max_chunk_s=bad)
    with pytest.raises(ValueError, match="min_silence_ms"):
        ChunkOptions(min_silence_ms=-1)
    with pytest.raises(ValueError, match="max_inner_silence_s"):
        ChunkOptions(max_inner_silence_s=-0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ChunkOptions().max_chunk_s = 10.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="total_samples"):
        plan_windows([], -1)


def test_window_times() -> None:
    window = Window(start_sample=16000, end_sample=40000)
    assert (window.start_s, window.end_s, window.duration_s) == (1.0, 2.5, 1.5)
    with pytest.raises(ValueError):
        Window(start_sample=10, end_sample=5)


@st.composite
def _layouts(draw: st.DrawFn) -> tuple[list[SpeechSpan], int, ChunkOptions]:
    total = draw(st.integers(min_value=0, max_value=60_000))
    raw = draw(
        st.lists(
            st.tuples(st.integers(0, 70_000), st.integers(0, 20_000)),
            max_size=30,
        )
    )
    spans = [SpeechSpan(start, start + length) for start, length in raw]
    opts = ChunkOptions(
        max_chunk_s=draw(st.sampled_from([0.05, 0.3, 1.0, 2.5, 30.0])),
        min_silence_ms=draw(st.sampled_from([0, 50, 300])),
        max_inner_silence_s=draw(st.sampled_from([0.0, 0.2, 5.0])),
    )
    return spans, total, opts


@settings(max_examples=300, deadline=None)
@given(_layouts())
def test_invariants_hold_for_any_layout(layout: tuple[list[SpeechSpan], int, ChunkOptions]) -> None:
    spans, total, opts = layout
    windows = plan_windows(spans, total, opts)
    _check_invariants(windows, spans, total, opts)
