"""Pipeline plumbing on real audio: windows and re-read spans match the decoded file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import audio
from align.pipeline import SAMPLE_RATE, iter_windows, read_spans

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
