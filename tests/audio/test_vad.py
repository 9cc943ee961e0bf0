"""Speech detection and the energy envelope on real speech."""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from audio import SAMPLE_RATE, Signal, load
from audio.errors import VadUnavailableError
from audio.vad import ENERGY_FLOOR_DB, SpeechSpan, VadOptions, detect_speech, energy_envelope

# Word times of tests/data/jfk.flac: pocketsphinx 5.1.1 forced alignment (10 ms frames),
# from shared/data/real/D_derived_pocketsphinx/jfk.words.json. Silver, not ground truth.
JFK_WORDS_S = [
    ("and", 0.29, 0.63),
    ("so", 0.63, 0.97),
    ("my", 0.97, 1.24),
    ("fellow", 1.24, 1.63),
    ("americans", 1.63, 2.16),
    ("ask", 3.25, 3.85),
    ("not", 3.99, 4.30),
    ("what", 5.37, 5.61),
    ("your", 5.61, 5.86),
    ("country", 5.86, 6.42),
    ("can", 6.42, 6.66),
    ("do", 6.66, 6.91),
    ("for", 6.91, 7.05),
    ("you", 7.05, 7.67),
    ("ask", 8.15, 8.53),
    ("what", 8.53, 8.82),
    ("you", 8.82, 9.17),
    ("can", 9.20, 9.37),
    ("do", 9.37, 9.62),
    ("for", 9.62, 9.78),
    ("your", 9.78, 9.99),
    ("country", 9.99, 10.46),
]
PAUSES_S = [(2.6, 2.9), (4.8, 5.0)]  # over 1 s of silence around each, between phrases
APPENDED_SILENCE_S = 5.0


@pytest.fixture(scope="module")
def jfk(jfk_path: Path) -> Signal:
    return load(jfk_path)


@pytest.fixture(scope="module")
def jfk_then_silence(jfk: Signal) -> np.ndarray:
    silence = np.zeros(round(APPENDED_SILENCE_S * SAMPLE_RATE), dtype=np.float32)
    return np.concatenate([jfk.samples, silence])


def _covered_s(spans: list[SpeechSpan], start_s: float, end_s: float) -> float:
    return sum(max(0.0, min(end_s, s.end_s) - max(start_s, s.start_s)) for s in spans)


def test_speech_spans_cover_the_words(jfk: Signal, jfk_then_silence: np.ndarray) -> None:
    spans = detect_speech(jfk_then_silence)

    assert spans, "no speech found in a speech recording"
    assert all(a.end_sample <= b.start_sample for a, b in zip(spans, spans[1:], strict=False))
    assert spans[-1].end_sample <= jfk_then_silence.shape[0]
    for word, start_s, end_s in JFK_WORDS_S:
        covered = _covered_s(spans, start_s, end_s)
        assert covered >= 0.8 * (end_s - start_s), (word, start_s, end_s, spans)


def test_pauses_and_appended_silence_are_not_speech(
    jfk: Signal, jfk_then_silence: np.ndarray
) -> None:
    spans = detect_speech(jfk_then_silence)

    for start_s, end_s in PAUSES_S:
        assert _covered_s(spans, start_s, end_s) == 0.0, (start_s, end_s, spans)
    # The appended zeros: nothing past the speech, beyond the pad, is speech.
    assert spans[-1].end_s <= jfk.duration_s
    assert _covered_s(spans, jfk.duration_s, jfk.duration_s + APPENDED_SILENCE_S) == 0.0


def test_options_change_the_spans(jfk: Signal) -> None:
    default = detect_speech(jfk.samples)
    unpadded = detect_speech(jfk.samples, VadOptions(speech_pad_ms=0))
    merged = detect_speech(jfk.samples, VadOptions(min_silence_duration_ms=2000))

    assert sum(s.duration_s for s in unpadded) < sum(s.duration_s for s in default)
    assert len(merged) < len(default)


def test_silence_and_empty_input_have_no_speech() -> None:
    assert detect_speech(np.zeros(3 * SAMPLE_RATE, dtype=np.float32)) == []
    assert detect_speech(np.zeros(0, dtype=np.float32)) == []


def test_detect_speech_rejects_multichannel() -> None:
    with pytest.raises(ValueError, match="1-D"):
        detect_speech(np.zeros((2, SAMPLE_RATE), dtype=np.float32))


def test_missing_backend_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "faster_whisper.vad", None)  # makes the import fail
    with pytest.raises(VadUnavailableError, match="not installed") as info:
        detect_speech(np.zeros(SAMPLE_RATE, dtype=np.float32) + 0.1)
    assert isinstance(info.value.__cause__, ImportError)


def test_vad_options_are_validated_and_frozen() -> None:
    with pytest.raises(ValueError, match="threshold"):
        VadOptions(threshold=1.5)
    with pytest.raises(ValueError, match="speech_pad_ms"):
        VadOptions(speech_pad_ms=-1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        VadOptions().threshold = 0.3  # type: ignore[misc]


def test_speech_span_times_and_validation() -> None:
    span = SpeechSpan(start_sample=8000, end_sample=24000)
    assert (span.start_s, span.end_s, span.duration_s) == (0.5, 1.5, 1.0)
    with pytest.raises(ValueError):
        SpeechSpan(start_sample=10, end_sample=5)


def test_energy_envelope_levels() -> None:
    # 400 Hz fits 4 whole periods in a 10 ms frame, so each frame's RMS is exactly 1/sqrt(2).
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    sine = np.sin(2 * np.pi * 400 * t).astype(np.float32)
    levels = energy_envelope(np.concatenate([sine, np.zeros(1050, dtype=np.float32)]))

    assert levels.dtype == np.float32
    assert levels.shape == (math.ceil((SAMPLE_RATE + 1050) / 160),)  # last frame is partial
    np.testing.assert_allclose(levels[:100], -10 * math.log10(2), atol=0.01)
    assert np.all(levels[100:] == ENERGY_FLOOR_DB)
    assert energy_envelope(np.zeros(0, dtype=np.float32)).shape == (0,)
    assert energy_envelope(sine, frame_ms=25).shape == (40,)


def test_energy_envelope_separates_words_from_pauses(jfk: Signal) -> None:
    levels = energy_envelope(jfk.samples, frame_ms=10)
    frame_s = np.arange(levels.shape[0]) * 0.010

    def mean_db(start_s: float, end_s: float) -> float:
        return float(levels[(frame_s >= start_s) & (frame_s < end_s)].mean())

    speech = mean_db(5.4, 7.6)  # "what your country can do for you"
    for start_s, end_s in PAUSES_S:
        assert speech > mean_db(start_s, end_s) + 10.0


def test_energy_envelope_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="1-D"):
        energy_envelope(np.zeros((2, 10), dtype=np.float32))
    with pytest.raises(ValueError, match="frame_ms"):
        energy_envelope(np.zeros(10, dtype=np.float32), frame_ms=0)
