"""Decoding real speech from every container we promise, and failing cleanly on bad input."""

from __future__ import annotations

import logging
import pickle
import tracemalloc
from pathlib import Path

import av
import numpy as np
import pytest
from numpy.typing import NDArray

import audio.decode
from audio import (
    SAMPLE_RATE,
    AudioError,
    Signal,
    iter_blocks,
    load,
    probe_duration_s,
)

JFK_DURATION_S = 11.0
DURATION_TOLERANCE_S = 0.1  # codec priming and frame padding; far below a word
MAX_LAG_SAMPLES = 800  # 50 ms search range for the cross-correlation
MAX_SHIFT_SAMPLES = 160  # 10 ms: a decoder that left codec delay in would shift every word


@pytest.fixture(scope="module")
def reference(jfk_path: Path) -> Signal:
    return load(jfk_path)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def _rms(x: NDArray[np.float32]) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def _best_correlation(x: NDArray[np.float32], ref: NDArray[np.float32]) -> tuple[float, int]:
    """Highest normalised cross-correlation of x against ref within MAX_LAG_SAMPLES, and its lag."""
    n = min(x.shape[0], ref.shape[0])
    a, b = x[:n].astype(np.float64), ref[:n].astype(np.float64)
    size = 1 << (2 * n - 1).bit_length()
    full = np.fft.irfft(np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size)), size)
    lags = np.arange(-MAX_LAG_SAMPLES, MAX_LAG_SAMPLES + 1)
    corr = full[lags] / (np.linalg.norm(a) * np.linalg.norm(b))  # full[-k] is lag -k
    best = int(np.argmax(corr))
    return float(corr[best]), int(lags[best])


def _transcode(
    src: Path,
    dst: Path,
    audio_codec: str | None,
    video_codec: str | None = None,
    audio_rate: int | None = None,
) -> None:
    """Re-encode src's audio with audio_codec (None: drop it) and add a generated video."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        in_stream = inp.streams.audio[0]
        if video_codec is not None:
            video = out.add_stream(video_codec, rate=10)
            video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        if audio_codec is not None:
            rate = audio_rate or in_stream.rate
            stream = out.add_stream(audio_codec, rate=rate, layout="stereo")
            if audio_codec == "vorbis":  # FFmpeg's native Vorbis encoder is experimental
                stream.codec_context.options = {"strict": "experimental"}
            encoder_format = stream.codec_context.codec.audio_formats[0].name
            resampler = av.AudioResampler(format=encoder_format, layout="stereo", rate=rate)
            for frame in inp.decode(in_stream):
                for converted in resampler.resample(frame):
                    out.mux(stream.encode(converted))
            for converted in resampler.resample(None):
                out.mux(stream.encode(converted))
            out.mux(stream.encode(None))
        if video_codec is not None:
            for i in range(round(JFK_DURATION_S * 10)):
                pixels = np.full((48, 64, 3), (i * 7) % 256, dtype=np.uint8)
                picture = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                picture.pts = i
                out.mux(video.encode(picture))
            out.mux(video.encode(None))


def test_load_gives_16k_mono_float32(reference: Signal, jfk_path: Path) -> None:
    assert reference.samples.dtype == np.float32
    assert reference.samples.ndim == 1
    assert reference.sample_rate == SAMPLE_RATE == 16000
    assert reference.duration_s == pytest.approx(JFK_DURATION_S, abs=1e-3)
    assert reference.path == str(jfk_path)
    assert float(np.abs(reference.samples).max()) <= 1.0
    assert _rms(reference.samples) > 0.05  # real speech, not silence


def test_stereo_is_mixed_down_to_the_channel_mean(reference: Signal, jfk_path: Path) -> None:
    # Decode both channels independently (float, so no down-mix) and average them.
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=SAMPLE_RATE)
    with av.open(str(jfk_path)) as container:
        assert container.streams.audio[0].layout.nb_channels == 2
        assert container.streams.audio[0].rate == 44100
        frames = [out for frame in container.decode(audio=0) for out in resampler.resample(frame)]
    frames += resampler.resample(None)
    planes = [frame.to_ndarray() for frame in frames]  # each shape (2, k)
    mean = np.concatenate(planes, axis=1).mean(axis=0)  # shape (n,)
    n = min(mean.shape[0], reference.samples.shape[0])
    # s16 keeps the level of (L + R) / 2; an fltp down-mix would be sqrt(2) louder.
    assert np.abs(reference.samples[:n] - mean[:n]).max() < 1e-3
    assert _rms(reference.samples) == pytest.approx(_rms(mean), rel=0.01)


def test_matches_faster_whisper_decode_audio(reference: Signal, jfk_path: Path) -> None:
    from faster_whisper.audio import decode_audio

    theirs = decode_audio(str(jfk_path))
    assert theirs.shape == reference.samples.shape
    assert np.abs(theirs - reference.samples).max() < 1e-6


@pytest.mark.parametrize(
    ("suffix", "audio_codec", "video_codec", "audio_rate"),
    [
        ("mp3", "libmp3lame", None, None),
        ("m4a", "aac", None, None),
        ("ogg", "vorbis", None, None),
        ("opus", "libopus", None, 48000),
        ("mp4", "aac", "libx264", None),
        ("mkv", "libopus", "mpeg4", 48000),
        ("webm", "libopus", "libvpx", 48000),
    ],
)
def test_decodes_every_promised_format(
    reference: Signal,
    jfk_path: Path,
    tmp_path: Path,
    suffix: str,
    audio_codec: str,
    video_codec: str | None,
    audio_rate: int | None,
) -> None:
    path = tmp_path / f"jfk.{suffix}"
    _transcode(jfk_path, path, audio_codec, video_codec, audio_rate)

    signal = load(path)

    assert signal.samples.dtype == np.float32
    assert signal.samples.ndim == 1
    assert signal.duration_s == pytest.approx(JFK_DURATION_S, abs=DURATION_TOLERANCE_S)
    assert probe_duration_s(path) == pytest.approx(JFK_DURATION_S, abs=DURATION_TOLERANCE_S)
    # Lossy codecs cut some highs (mp3 ~5% RMS) but keep the speech where it was.
    assert _rms(signal.samples) == pytest.approx(_rms(reference.samples), rel=0.1)
    corr, lag = _best_correlation(signal.samples, reference.samples)
    assert corr > 0.98, (corr, lag)
    assert abs(lag) <= MAX_SHIFT_SAMPLES, lag  # decoders trim codec delay: times hold
    streamed = np.concatenate([b.samples for b in iter_blocks(path, block_s=4.0)])
    np.testing.assert_array_equal(streamed, signal.samples)


def test_iter_blocks_yields_exact_contiguous_blocks(reference: Signal, jfk_path: Path) -> None:
    blocks = list(iter_blocks(jfk_path, block_s=2.0))

    assert [b.offset_samples for b in blocks] == [i * 32000 for i in range(len(blocks))]
    assert all(b.samples.shape == (32000,) for b in blocks[:-1])
    assert 0 < blocks[-1].samples.shape[0] <= 32000
    assert blocks[-1].end_sample == reference.num_samples
    assert blocks[1].offset_s == pytest.approx(2.0)
    np.testing.assert_array_equal(np.concatenate([b.samples for b in blocks]), reference.samples)


def test_iter_blocks_memory_is_bounded_by_the_block(reference: Signal, tmp_path: Path) -> None:
    # 10 minutes of real speech as 16 kHz WAV: 38 MB once decoded to float32.
    long_samples = np.tile(reference.samples, 55)
    path = tmp_path / "long.wav"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=SAMPLE_RATE, layout="mono")
        pcm = (long_samples * 32767).astype(np.int16)
        for start in range(0, pcm.shape[0], SAMPLE_RATE * 10):
            frame = av.AudioFrame.from_ndarray(
                pcm[None, start : start + SAMPLE_RATE * 10], format="s16", layout="mono"
            )
            frame.sample_rate = SAMPLE_RATE
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    whole_bytes = long_samples.nbytes
    del long_samples, pcm

    tracemalloc.start()
    try:
        total = 0
        for block in iter_blocks(path, block_s=5.0):
            total += block.samples.shape[0]
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert total == reference.num_samples * 55
    assert peak_bytes < whole_bytes / 4, (peak_bytes, whole_bytes)


def test_signal_window_clamps_and_views(reference: Signal) -> None:
    window = reference.window(1.0, 2.5)
    assert window.shape == (24000,)
    assert np.shares_memory(window, reference.samples)
    assert reference.window(-3.0, 0.5).shape == (8000,)
    assert reference.window(10.5, 99.0).shape == (8000,)
    assert reference.window(20.0, 30.0).shape == (0,)
    with pytest.raises(ValueError, match="before its start"):
        reference.window(2.0, 1.0)


def test_signal_rejects_non_mono_float32() -> None:
    with pytest.raises(ValueError, match="1-D float32"):
        Signal(samples=np.zeros((2, 10), dtype=np.float32), path="x.wav")
    with pytest.raises(ValueError, match="1-D float32"):
        Signal(samples=np.zeros(10, dtype=np.float64), path="x.wav")


def test_probe_duration_reads_metadata_and_falls_back_to_decoding(
    jfk_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert probe_duration_s(jfk_path) == pytest.approx(JFK_DURATION_S, abs=1e-3)
    monkeypatch.setattr(audio.decode, "_metadata_duration_s", lambda container, stream: None)
    assert probe_duration_s(jfk_path) == pytest.approx(JFK_DURATION_S, abs=1e-3)


def test_block_s_must_be_positive(jfk_path: Path) -> None:
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="block_s"):
            iter_blocks(jfk_path, block_s=bad)


# -- bad input ------------------------------------------------------------------------


def _reason(path: Path) -> str:
    with pytest.raises(AudioError) as info:
        load(path)
    assert info.value.path == str(path)
    assert str(info.value) == f"cannot read audio '{path}': {info.value.reason}"
    return info.value.reason


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.wav"
    assert _reason(path) == "file not found"
    with pytest.raises(AudioError, match="file not found"):
        iter_blocks(path)  # checked at call time, before iteration
    with pytest.raises(AudioError, match="file not found"):
        probe_duration_s(path)


def test_directory(tmp_path: Path) -> None:
    assert _reason(tmp_path) == "is a directory, not a file"


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.touch()
    assert _reason(path) == "file is empty (0 bytes)"


def test_random_bytes(tmp_path: Path, rng: np.random.Generator) -> None:
    path = tmp_path / "noise.mp3"
    path.write_bytes(rng.bytes(20_000))
    expected = "not a decodable audio file (Invalid data found when processing input)"
    assert _reason(path) == expected


def test_text_file_named_like_audio(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("this is a transcript, not audio\n" * 50)
    assert _reason(path).startswith("not a decodable audio file (")


def test_header_without_samples(tmp_path: Path) -> None:
    path = tmp_path / "header_only.wav"
    with av.open(str(path), "w") as out:
        out.add_stream("pcm_s16le", rate=SAMPLE_RATE, layout="mono")
        out.start_encoding()
    assert path.stat().st_size > 0
    assert _reason(path) == "decodes to no audio samples"


def test_video_without_audio(jfk_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "silent_film.mp4"
    _transcode(jfk_path, path, audio_codec=None, video_codec="libx264")
    assert _reason(path) == "no audio stream (found: video h264)"
    blocks = iter_blocks(path)  # the container is opened on iteration
    with pytest.raises(AudioError, match="no audio stream"):
        next(blocks)


def test_truncated_file_decodes_what_it_can(
    reference: Signal, jfk_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = jfk_path.read_bytes()
    path = tmp_path / "truncated.flac"
    path.write_bytes(data[: int(len(data) * 0.3)])

    with caplog.at_level(logging.WARNING, logger="audio.decode"):
        signal = load(path)

    # Documented behaviour: the frames before the cut decode, the cut packet is skipped
    # (and logged), and the metadata still claims the full length.
    assert 2.0 < signal.duration_s < 4.5
    head = signal.samples[: 2 * SAMPLE_RATE]
    np.testing.assert_allclose(head, reference.samples[: 2 * SAMPLE_RATE], atol=1e-6)
    assert "undecodable packet" in caplog.text
    assert probe_duration_s(path) == pytest.approx(JFK_DURATION_S, abs=1e-3)


def test_truncated_to_the_header_fails_cleanly(jfk_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "stub.flac"
    path.write_bytes(jfk_path.read_bytes()[:2000])
    assert _reason(path).startswith("not a decodable audio file (")


def test_corrupt_packets_become_silence_of_their_length(
    reference: Signal, jfk_path: Path, tmp_path: Path, rng: np.random.Generator
) -> None:
    clean = tmp_path / "clean.m4a"
    _transcode(jfk_path, clean, "aac")
    data = bytearray(clean.read_bytes())
    middle = len(data) // 2  # inside the AAC payload (mdat); the index (moov) is at the end
    data[middle : middle + 3000] = rng.bytes(3000)
    damaged = tmp_path / "damaged.m4a"
    damaged.write_bytes(bytes(data))

    expected = load(clean)
    signal = load(damaged)

    # Every later sample stays at its true time: same length, same tail.
    assert signal.num_samples == expected.num_samples
    tail = slice(-3 * SAMPLE_RATE, None)
    np.testing.assert_allclose(signal.samples[tail], expected.samples[tail], atol=1e-3)


def test_audio_error_survives_pickling() -> None:
    error = AudioError("a.wav", "file not found")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.path, copy.reason, str(copy)) == (error.path, error.reason, str(error))
