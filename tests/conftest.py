"""Shared fixtures: paths to test data under ``tests/data`` and ``../shared``."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import av
import pytest
from hypothesis import settings

import audio

# Property tests explore the same examples on every run, so CI never flakes on a new one;
# `--hypothesis-seed=N` (or HYPOTHESIS_PROFILE=explore) searches afresh.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only ``shared/`` data folder beside the repository root; skips if absent."""
    path = REPO_ROOT.parent / "shared"
    if not path.is_dir():
        pytest.skip(
            f"../shared not found: {path} is missing (benchmark data lives beside the repo)"
        )
    return path


DATA_DIR = REPO_ROOT / "tests" / "data"


@pytest.fixture(scope="session")
def jfk_path() -> Path:
    """11 s of JFK's inaugural address, 44.1 kHz stereo FLAC (public domain; see LICENSES.md)."""
    return DATA_DIR / "jfk.flac"


EncodeFn = Callable[[Path, Path, str], Path]


def _encode_audio(src: Path, dst: Path, codec: str) -> Path:
    """Re-encode ``src`` into ``dst`` with PyAV, as mono at 16 kHz."""
    samples = audio.load(src).samples  # shape: (n,), float32
    with av.open(str(dst), "w") as out:
        rate = 48000 if codec == "libopus" else 16000  # Opus has no 16 kHz mode in FFmpeg
        stream = out.add_stream(codec, rate=rate, layout="mono")
        resampler = av.AudioResampler(
            format=stream.codec_context.format.name, layout="mono", rate=rate
        )
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
        frame.sample_rate = 16000
        for res in resampler.resample(frame):
            for packet in stream.encode(res):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return dst


@pytest.fixture(scope="session")
def encode_audio() -> EncodeFn:
    """``encode_audio(src, dst, codec)``: a copy of a recording in another codec."""
    return _encode_audio
