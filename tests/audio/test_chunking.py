"""The one window planner: windows tile the input, stay bounded, and cut where it is quiet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import audio
from audio import SAMPLE_RATE
from audio.chunking import QUIET_FRAME_S, cut_at_quiet_points, iter_quiet_windows

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "michaelandsickmichael.flac"
SAMPLES = audio.load(EXAMPLE).samples  # 52 s of real speech with pauses


def _frame_energy(samples: np.ndarray, at: int) -> float:
    half = int(QUIET_FRAME_S * SAMPLE_RATE) // 2
    return float((samples[at - half : at + half] ** 2).mean())


@given(
    max_s=st.floats(min_value=6.0, max_value=40.0),
    block_s=st.sampled_from([0.5, 3.0, 30.0, 60.0]),
    tail=st.booleans(),
)
def test_windows_tile_the_input_and_stay_bounded(max_s: float, block_s: float, tail: bool) -> None:
    max_n, search = int(max_s * SAMPLE_RATE), int(4.0 * SAMPLE_RATE)
    tail_n = search if tail else 0
    step = int(block_s * SAMPLE_RATE)
    pieces = [SAMPLES[a : a + step] for a in range(0, len(SAMPLES), step)]
    windows = list(iter_quiet_windows(pieces, max_n, search, tail_n))
    offsets = [off for off, _ in windows]
    assert offsets[0] == 0 and offsets == sorted(offsets)
    assert np.array_equal(np.concatenate([w for _, w in windows]), SAMPLES)  # exact tiling
    assert all(len(w) <= max_n for _, w in windows[:-1])
    assert len(windows[-1][1]) <= max_n + tail_n
    # However the input arrives, the cuts are the same.
    assert [o for o, _ in iter_quiet_windows([SAMPLES], max_n, search, tail_n)] == offsets


def test_cuts_land_in_the_quietest_frame_before_the_limit() -> None:
    chunks = cut_at_quiet_points(SAMPLES, max_chunk_s=20.0)
    assert len(chunks) == 3 and chunks[0].start_sample == 0
    assert chunks[-1].end_sample == len(SAMPLES)
    for chunk in chunks[:-1]:
        cut = chunk.end_sample
        assert chunk.end_sample - chunk.start_sample <= 20 * SAMPLE_RATE
        # Quieter than any other frame centre of the 5 s searched before the limit.
        limit = chunk.start_sample + 20 * SAMPLE_RATE
        others = range(limit - 5 * SAMPLE_RATE + 800, limit - 800, 1600)
        assert _frame_energy(SAMPLES, cut) <= min(_frame_energy(SAMPLES, at) for at in others)


def test_short_input_is_one_window() -> None:
    assert len(cut_at_quiet_points(SAMPLES[: 10 * SAMPLE_RATE])) == 1
    (offset, window), *rest = iter_quiet_windows([SAMPLES], len(SAMPLES), SAMPLE_RATE)
    assert offset == 0 and len(window) == len(SAMPLES) and not rest


@pytest.mark.parametrize("max_s", [29.0, 30.0])
def test_pipeline_windows_match_the_planner(max_s: float) -> None:
    from align.pipeline import iter_windows

    got = [(round(o * SAMPLE_RATE), len(w)) for o, w in iter_windows(EXAMPLE, max_s)]
    search = int(8.0 * SAMPLE_RATE)
    want = [
        (o, len(w))
        for o, w in iter_quiet_windows([SAMPLES], int(max_s * SAMPLE_RATE), search, search)
    ]
    assert got == want
