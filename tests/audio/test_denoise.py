"""audio.denoise on real speech: MFA's acoustic corpus (tests/data, gold word times), with and
without a raised noise floor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from praatio import textgrid

import audio
from audio.denoise import DenoisedAudio, DenoiseOptions, denoise, measure_noise

DATA = Path(__file__).resolve().parents[1] / "data"
NOISE_DBFS = -30.0


@pytest.fixture(scope="module")
def speech() -> NDArray[np.float32]:
    return audio.load(DATA / "acoustic_corpus.wav").samples


@pytest.fixture(scope="module")
def noisy(speech: NDArray[np.float32]) -> NDArray[np.float32]:
    rng = np.random.default_rng(15)
    noise = rng.standard_normal(speech.shape[0]) * 10 ** (NOISE_DBFS / 20)
    return (speech + noise).astype(np.float32)


def _words() -> list[tuple[float, float]]:
    tg = textgrid.openTextgrid(str(DATA / "acoustic_corpus.TextGrid"), False)
    return [(e.start, e.end) for e in tg.getTier("words").entries if e.label.strip()]


def _level_db(x: NDArray[np.float32], spans: list[tuple[float, float]]) -> float:
    parts = [x[round(a * audio.SAMPLE_RATE) : round(b * audio.SAMPLE_RATE)] for a, b in spans]
    joined = np.concatenate(parts).astype(np.float64)
    return float(10 * np.log10(np.mean(joined**2)))


def test_a_clean_recording_is_left_alone_and_a_noisy_one_is_cleaned(
    speech: NDArray[np.float32], noisy: NDArray[np.float32]
) -> None:
    clean = measure_noise(audio.DecodedAudio.from_array(speech))
    loud = measure_noise(audio.DecodedAudio.from_array(noisy))
    assert not clean.noisy and clean.snr_db > 19.0
    assert loud.noisy and loud.snr_db < 15.0
    # The floor is the added noise: -30 dBFS RMS, within the 10 ms frames' spread.
    assert NOISE_DBFS - 4.0 <= loud.floor_db <= NOISE_DBFS


def test_noise_between_words_drops_and_the_words_keep_their_level(
    speech: NDArray[np.float32], noisy: NDArray[np.float32]
) -> None:
    words = _words()
    pauses = [(a[1], b[0]) for a, b in zip(words, words[1:]) if b[0] - a[1] >= 0.15]
    assert len(pauses) >= 5
    profile = measure_noise(audio.DecodedAudio.from_array(noisy))
    cleaned = denoise(noisy, profile)
    assert cleaned.shape == noisy.shape and cleaned.dtype == np.float32
    # The pauses hold the room's own sound too (-41 dB here, under the -28 dB of noise).
    assert _level_db(cleaned, pauses) <= _level_db(noisy, pauses) - 6.0
    assert abs(_level_db(cleaned, words) - _level_db(noisy, words)) <= 3.0
    # The speech is still the recording's: the cleaned words lie closer to the clean ones
    # than the noisy words do.
    spans = [slice(round(a * 16000), round(b * 16000)) for a, b in words]
    err_noisy = sum(float(np.sum((noisy[s] - speech[s]) ** 2)) for s in spans)
    err_clean = sum(float(np.sum((cleaned[s] - speech[s]) ** 2)) for s in spans)
    assert err_clean < err_noisy


def test_reads_agree_with_the_whole_file_cleaned_at_once(noisy: NDArray[np.float32]) -> None:
    """Frames sit on one grid for the file, so where a read falls changes no sample."""
    source = audio.DecodedAudio.from_array(noisy)
    profile = measure_noise(source)
    whole = denoise(noisy, profile)
    reader = DenoisedAudio(source, profile).reader()
    for a_s, b_s in ((1.0, 3.5), (2.0017, 7.3), (12.5, 26.0)):
        a, b = round(a_s * 16000), round(b_s * 16000)
        assert np.array_equal(reader.read_samples(a, b), whole[a:b])
    # Quantised to the decoder's 16-bit grid.
    assert np.array_equal(np.round(whole * 32768) / 32768, whole)


def test_the_aligners_audio_is_the_original_unless_it_is_noisy(
    speech: NDArray[np.float32], noisy: NDArray[np.float32]
) -> None:
    from align.options import AlignOptions
    from align.pipeline import aligner_audio

    clean_src = audio.DecodedAudio.from_array(speech)
    noisy_src = audio.DecodedAudio.from_array(noisy)
    assert aligner_audio(clean_src, AlignOptions()) is clean_src
    assert isinstance(aligner_audio(noisy_src, AlignOptions()), DenoisedAudio)
    assert aligner_audio(noisy_src, AlignOptions(denoise=None)) is noisy_src
    assert aligner_audio(noisy_src, AlignOptions(refine="fast")) is noisy_src


@pytest.mark.parametrize(
    "kwargs",
    [{"hop": 100}, {"hop": 512}, {"gain_floor": 1.5}, {"over_subtraction": 0.0},
     {"smooth_frames": -1}, {"floor_span_s": 0.0}, {"quiet_percentile": 0.0},
     {"margin_s": -0.1}],
)  # fmt: skip
def test_bad_options_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        DenoiseOptions(**kwargs)  # type: ignore[arg-type]
