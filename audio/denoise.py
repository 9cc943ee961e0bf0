"""Take a steady noise floor out of what the forced aligner hears.

Pocketsphinx's acoustic model was trained on quiet speech. Under a raised noise floor (hiss,
a fan, a room's hum: the stress suite's -30 dBFS case) it hears a word's quiet tail as noise
and ends turns 0.2-0.4 s early, and it scores a whole turn better left out than spoken. A
spectral subtraction of the file's own noise spectrum gives it back most of that speech
(issue 15). Whisper still hears the original: it copes with noise better than with the
subtraction's "musical noise".

``measure_noise`` estimates the noise spectrum and the file's signal-to-noise ratio in one
streamed pass; ``DenoisedAudio`` wraps a source so that every span read from it is cleaned
with that spectrum. Only a file whose ratio is under ``DenoiseOptions.max_snr_db`` is
cleaned (``NoiseProfile.noisy``): a clean file's reads are left exactly as decoded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .decode import iter_blocks
from .signal import SAMPLE_RATE, AudioBlock
from .source import AudioSource, DecodedAudio, SpanReading, open_reader
from .vad import energy_envelope

__all__ = ["DenoiseOptions", "DenoisedAudio", "NoiseProfile", "denoise", "measure_noise"]

# Levels are measured on 10 ms frames (as ``align.refine.snap``'s speech mask).
_LEVEL_FRAME_MS = 10
# The noise spectrum is averaged over blocks this long, then the median taken across them,
# so a block that is all speech does not raise it.
_BLOCK_S = 30.0
_S16 = 32768.0
# Frames cleaned at once (about 8 s of audio): whole-file arrays ran the FFT 3x slower.
_CHUNK_FRAMES = 1024


@dataclass(frozen=True, slots=True)
class DenoiseOptions:
    """How the noise is measured and taken out.

    ``max_snr_db``: a file is cleaned only when its speech (the ``speech_percentile`` of its
    10 ms frame levels) stands less than this above its noise floor (the median over
    ``floor_span_s`` spans of their quietest frame: minimum statistics, which a recording
    with few pauses does not fool as a percentile does). Measured (docs/benchmarks.md): a
    -30 dBFS white or pink floor under conv_dev gives 14 dB and -36 dBFS 18 dB, both
    aligned far better cleaned; the real recordings in ``../shared`` give 21-55 dB, and
    cleaning them all moved gold word edges the wrong way on three (conv_dev, the MFA
    acoustic corpus at 21 dB, an LJSpeech clip) and the right way on the two "cold" ones.
    ``quiet_percentile``: the noise spectrum is the mean over each block's quietest frames.
    ``n_fft``/``hop``: the short-time spectrum's frame and step (32 ms and 8 ms).
    ``over_subtraction``: the noise power taken out, as a multiple of its estimate (3, in
    Berouti's range for a low ratio: a single bin's power scatters around the mean, and at
    1.5 a fifth of the noise bins survived as tones); ``gain_floor``: the least amplitude
    a bin keeps, so speech under the noise is attenuated, never cut, and what is left of
    the noise is a quieter copy of it, which the aligner's silence model takes.
    ``smooth_frames``/``smooth_bins``: the gain follows the power averaged over this many
    frames and bins on either side. ``margin_s``: audio read beyond each span and cleaned
    with it, so its edges are cleaned as its middle.
    """

    max_snr_db: float = 19.0
    floor_span_s: float = 1.0
    speech_percentile: float = 95.0
    quiet_percentile: float = 10.0
    n_fft: int = 512
    hop: int = 128
    over_subtraction: float = 3.0
    gain_floor: float = 0.1
    smooth_frames: int = 2
    smooth_bins: int = 1
    margin_s: float = 0.1

    def __post_init__(self) -> None:
        for name in ("speech_percentile", "quiet_percentile"):
            if not 0.0 < getattr(self, name) <= 100.0:
                raise ValueError(f"{name} must be in (0, 100], got {getattr(self, name)}")
        if self.floor_span_s <= 0.0:
            raise ValueError(f"floor_span_s must be > 0, got {self.floor_span_s}")
        if self.hop < 1 or self.n_fft % self.hop or self.n_fft // self.hop < 2:
            raise ValueError(
                f"n_fft must be a multiple (2 or more) of hop, got {self.n_fft} and {self.hop}"
            )
        if self.over_subtraction <= 0.0 or not 0.0 <= self.gain_floor <= 1.0:
            raise ValueError("over_subtraction must be > 0 and gain_floor in [0, 1]")
        if min(self.smooth_frames, self.smooth_bins) < 0:
            raise ValueError("smooth_frames and smooth_bins must be >= 0")
        if self.margin_s < 0.0:
            raise ValueError(f"margin_s must be >= 0, got {self.margin_s}")


@dataclass(frozen=True, slots=True, eq=False)
class NoiseProfile:
    """A file's noise: its power spectrum and how far its speech stands above it."""

    power: NDArray[np.float64]  # shape (n_fft // 2 + 1,): mean |X|^2 of a noise frame
    floor_db: float
    speech_db: float
    opts: DenoiseOptions

    @property
    def snr_db(self) -> float:
        return self.speech_db - self.floor_db

    @property
    def noisy(self) -> bool:
        """Whether the file's reads are worth cleaning (``opts.max_snr_db``)."""
        return self.snr_db < self.opts.max_snr_db


def measure_noise(source: AudioSource, opts: DenoiseOptions = DenoiseOptions()) -> NoiseProfile:
    """The noise spectrum and signal-to-noise ratio of a whole file, read once in blocks.

    Raises:
        AudioError: the file cannot be decoded.
    """
    levels: list[NDArray[np.float32]] = []
    spectra: list[NDArray[np.float64]] = []
    for block in _blocks(source):
        if block.samples.shape[0] == 0:
            continue
        levels.append(energy_envelope(block.samples, _LEVEL_FRAME_MS))
        quiet = _quiet_power(block.samples, opts)
        if quiet is not None:
            spectra.append(quiet)
    bins = opts.n_fft // 2 + 1
    if not levels:
        return NoiseProfile(np.zeros(bins), 0.0, 0.0, opts)
    level_db = np.concatenate(levels)
    speech_db = float(np.percentile(level_db, opts.speech_percentile))
    floor_db = _floor_db(level_db, opts)
    # shape: (n_blocks, bins) -> (bins,)
    power = np.median(np.stack(spectra), axis=0) if spectra else np.zeros(bins)
    return NoiseProfile(power, float(floor_db), float(speech_db), opts)


def denoise(samples: NDArray[np.float32], profile: NoiseProfile) -> NDArray[np.float32]:
    """``samples`` (shape (n,), 16 kHz) with ``profile``'s noise subtracted, bin by bin,
    on the 16-bit grid the decoder produces (so a read is the same on any CPU's FFT)."""
    opts = profile.opts
    n = samples.shape[0]
    if n == 0:
        return samples.copy()
    padded = np.concatenate([np.zeros(opts.n_fft), samples.astype(np.float64),
                             np.zeros(opts.n_fft)])  # fmt: skip
    frames = _frames(padded, opts)  # shape: (n_frames, n_fft), a view
    cleaned = np.empty(frames.shape)
    halo = opts.smooth_frames
    for k in range(0, frames.shape[0], _CHUNK_FRAMES):  # a chunk at a time: cache-sized
        lo, hi = max(0, k - halo), min(frames.shape[0], k + _CHUNK_FRAMES + halo)
        part = _clean(frames[lo:hi], profile)
        cleaned[k : k + _CHUNK_FRAMES] = part[k - lo : k - lo + _CHUNK_FRAMES]
    body = _overlap_add(cleaned, opts)[opts.n_fft : opts.n_fft + n] / _window_power(n, opts)
    return (np.round(np.clip(body, -1.0, 1.0 - 1.0 / _S16) * _S16) / _S16).astype(np.float32)


class DenoisedAudio:
    """A source whose every read is cleaned with ``profile`` (see ``open_reader``)."""

    def __init__(self, source: AudioSource, profile: NoiseProfile) -> None:
        self.source = source
        self.profile = profile

    def reader(self) -> DenoisedReader:
        return DenoisedReader(open_reader(self.source), self.profile)


class DenoisedReader:
    """``SpanReading`` over another reader: each span read with a margin, cleaned, cut."""

    def __init__(self, inner: SpanReading, profile: NoiseProfile) -> None:
        self._inner = inner
        self._profile = profile
        self._margin = round(profile.opts.margin_s * SAMPLE_RATE)

    def read_samples(self, a: int, b: int) -> NDArray[np.float32]:
        a = max(a, 0)
        b = max(b, a)
        # Frames on one grid for the whole file, so two reads agree where they overlap.
        hop = self._profile.opts.hop
        lo = max(0, a - self._margin) // hop * hop
        wide = np.asarray(self._inner.read_samples(lo, b + self._margin), dtype=np.float32)
        return denoise(wide, self._profile)[a - lo : b - lo]

    def release(self, before_s: float) -> None:
        self._inner.release(before_s - self._profile.opts.margin_s)

    def release_samples(self, before: int) -> None:
        self._inner.release_samples(before - self._margin)


def _clean(frames: NDArray[np.float64], profile: NoiseProfile) -> NDArray[np.float64]:
    """Frames (shape (m, n_fft)) with the noise power subtracted from each bin, windowed
    for overlap-add. The gain follows the power averaged over neighbouring frames and bins:
    a single bin's noise sticking out over the estimate then no longer survives as a lone
    tone ("musical noise"), which the aligner hears as phones."""
    opts = profile.opts
    window = np.hanning(opts.n_fft)
    spectrum = np.fft.rfft(frames * window, axis=1)
    power = spectrum.real**2 + spectrum.imag**2
    smooth = _moving_mean(_moving_mean(power, opts.smooth_frames, 0), opts.smooth_bins, 1)
    keep = 1.0 - opts.over_subtraction * profile.power / np.maximum(smooth, 1e-20)
    gain = np.sqrt(np.maximum(keep, opts.gain_floor**2))
    return np.fft.irfft(spectrum * gain, n=opts.n_fft, axis=1) * window


def _moving_mean(x: NDArray[np.float64], half: int, axis: int) -> NDArray[np.float64]:
    """Mean over ``2 * half + 1`` neighbours along ``axis`` (fewer at the ends)."""
    if half <= 0:
        return x
    n = x.shape[axis]
    pad = [(0, 0), (0, 0)]
    pad[axis] = (1, 0)
    total = np.cumsum(np.pad(x, pad), axis=axis)  # total[i] = sum of x[:i]
    idx = np.arange(n)
    lo, hi = np.maximum(idx - half, 0), np.minimum(idx + half + 1, n)
    sums = np.take(total, hi, axis=axis) - np.take(total, lo, axis=axis)
    count = (hi - lo).astype(np.float64)
    return np.asarray(sums / (count[:, None] if axis == 0 else count[None, :]))


def _floor_db(level_db: NDArray[np.float32], opts: DenoiseOptions) -> float:
    """The noise floor: the median, over spans of ``opts.floor_span_s``, of each span's
    quietest 10 ms frame (the whole file's quietest frame when it is shorter)."""
    per_span = max(1, round(opts.floor_span_s * 1000 / _LEVEL_FRAME_MS))
    n_spans = level_db.shape[0] // per_span
    if n_spans == 0:
        return float(level_db.min())
    # shape: (n_spans, per_span)
    return float(np.median(level_db[: n_spans * per_span].reshape(n_spans, per_span).min(axis=1)))


def _blocks(source: AudioSource) -> Iterator[AudioBlock]:
    if isinstance(source, DecodedAudio):
        return source.iter_blocks(_BLOCK_S)
    return iter_blocks(source, _BLOCK_S)


def _frames(x: NDArray[np.float64], opts: DenoiseOptions) -> NDArray[np.float64]:
    """Overlapping frames of ``x``: shape (n_frames, n_fft), a view."""
    n_frames = (x.shape[0] - opts.n_fft) // opts.hop + 1
    return np.lib.stride_tricks.sliding_window_view(x, opts.n_fft)[:: opts.hop][:n_frames]


def _overlap_add(frames: NDArray[np.float64], opts: DenoiseOptions) -> NDArray[np.float64]:
    """Frames ``hop`` apart (shape (n_frames, n_fft)) summed into one signal."""
    step = opts.n_fft // opts.hop
    n_frames = frames.shape[0]
    parts = frames.reshape(n_frames, step, opts.hop)
    out = np.zeros((n_frames + step - 1, opts.hop))
    for j in range(step):  # the j-th hop of frame k lands in hop k + j of the output
        out[j : j + n_frames] += parts[:, j, :]
    return out.reshape(-1)


def _window_power(n: int, opts: DenoiseOptions) -> NDArray[np.float64]:
    """The squared windows summed under each of ``n`` samples past the first ``n_fft`` of a
    padded read (every frame is there, so it repeats every ``hop``)."""
    w2 = np.hanning(opts.n_fft) ** 2
    period = w2.reshape(-1, opts.hop).sum(axis=0)  # shape (hop,)
    return np.resize(period, n)


def _quiet_power(samples: NDArray[np.float32], opts: DenoiseOptions) -> NDArray[np.float64] | None:
    """Mean power spectrum of the block's quietest frames (``opts.quiet_percentile``), over
    frames laid end to end (the estimate needs no overlap)."""
    n_frames = samples.shape[0] // opts.n_fft
    if n_frames == 0:
        return None
    frames = samples[: n_frames * opts.n_fft].astype(np.float64).reshape(n_frames, opts.n_fft)
    energy = np.einsum("ij,ij->i", frames, frames)
    quiet = frames[energy <= np.percentile(energy, opts.quiet_percentile)]
    spectrum = np.fft.rfft(quiet * np.hanning(opts.n_fft), axis=1)
    return np.asarray(np.mean(spectrum.real**2 + spectrum.imag**2, axis=0))
