"""Find where people speak, and how loud each instant is.

``detect_speech`` runs the Silero VAD model that faster-whisper ships (ONNX, CPU), so
chunking can cut long audio at pauses instead of mid-word. faster-whisper is imported
lazily, inside the call, to keep ``import audio`` light; its untyped ``List[dict]`` result
becomes ``SpeechSpan`` here. ``energy_envelope`` is a cheap, model-free loudness curve a
refinement stage uses to snap word boundaries to onsets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from .errors import VadUnavailableError
from .signal import SAMPLE_RATE
from .span import SampleSpan

__all__ = ["ENERGY_FLOOR_DB", "SpeechSpan", "VadOptions", "detect_speech", "energy_envelope"]

ENERGY_FLOOR_DB = -100.0
"""Level reported for digital silence, where the RMS is 0 and its log undefined."""


@dataclass(frozen=True, slots=True)
class VadOptions:
    """Options of ``detect_speech``.

    The defaults keep phrase-length spans with a little margin: pauses shorter than
    ``min_silence_duration_ms`` (between words) do not split a span, and the pad keeps
    soft onsets and trailing consonants, which the model scores low, inside it.

    Attributes:
        threshold: Speech probability (0-1) at or above which a 32 ms window is speech.
        min_speech_duration_ms: Spans shorter than this are dropped (clicks, breaths).
        min_silence_duration_ms: A span ends only after this much silence.
        speech_pad_ms: Each span is widened by this much on both sides (never into its
            neighbour: overlapping pads meet halfway).
    """

    threshold: float = 0.5
    min_speech_duration_ms: int = 250
    min_silence_duration_ms: int = 300
    speech_pad_ms: int = 100

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {self.threshold}")
        for name in ("min_speech_duration_ms", "min_silence_duration_ms", "speech_pad_ms"):
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")


@dataclass(frozen=True, slots=True)
class SpeechSpan(SampleSpan):
    """A stretch of speech, as sample indices at ``SAMPLE_RATE`` (end exclusive)."""

    _what: ClassVar[str] = "speech span"


def detect_speech(
    samples: NDArray[np.floating], opts: VadOptions = VadOptions()
) -> list[SpeechSpan]:
    """Find the speech in 16 kHz mono audio with the Silero VAD model.

    Args:
        samples: shape (n,), 16 kHz mono, values in [-1, 1] (e.g. ``Signal.samples``).
        opts: Detection thresholds and padding.

    Returns:
        Sorted, non-overlapping spans within ``[0, n]``; empty when nothing is speech.

    Raises:
        ValueError: ``samples`` is not one-dimensional.
        VadUnavailableError: faster-whisper or onnxruntime is not installed.
    """
    if samples.ndim != 1:
        raise ValueError(f"samples must be 1-D (mono), got shape {samples.shape}")
    if samples.shape[0] == 0:
        return []
    try:
        import onnxruntime  # noqa: F401  (faster-whisper turns its absence into RuntimeError)
        from faster_whisper.vad import VadOptions as FwVadOptions
        from faster_whisper.vad import get_speech_timestamps
    except ImportError as e:
        raise VadUnavailableError(
            f"{e.name or 'a dependency'} is not installed; pip install faster-whisper onnxruntime"
        ) from e

    fw_opts = FwVadOptions(
        threshold=opts.threshold,
        min_speech_duration_ms=opts.min_speech_duration_ms,
        min_silence_duration_ms=opts.min_silence_duration_ms,
        speech_pad_ms=opts.speech_pad_ms,
    )
    audio = np.asarray(samples, dtype=np.float32)
    found = get_speech_timestamps(audio, vad_options=fw_opts, sampling_rate=SAMPLE_RATE)
    return [SpeechSpan(int(span["start"]), int(span["end"])) for span in found]


def energy_envelope(samples: NDArray[np.floating], frame_ms: int = 10) -> NDArray[np.float32]:
    """Return the RMS level of consecutive frames, in dB relative to full scale.

    Frame ``i`` covers samples ``[i * f, (i + 1) * f)`` with ``f = frame_ms * 16``, i.e.
    it starts at ``i * frame_ms / 1000`` seconds; the last frame may be shorter.

    Args:
        samples: shape (n,), 16 kHz mono, values in [-1, 1].
        frame_ms: Frame length in milliseconds.

    Returns:
        shape (ceil(n / f),), float32 dB; a full-scale sine is about -3 dB and digital
        silence is ``ENERGY_FLOOR_DB``.

    Raises:
        ValueError: ``samples`` is not one-dimensional or ``frame_ms`` is under one sample.
    """
    if samples.ndim != 1:
        raise ValueError(f"samples must be 1-D (mono), got shape {samples.shape}")
    frame_samples = frame_ms * SAMPLE_RATE // 1000
    if frame_samples < 1:
        raise ValueError(f"frame_ms must cover at least one sample, got {frame_ms}")
    audio = np.asarray(samples, dtype=np.float32)
    num_full = audio.shape[0] // frame_samples
    full = audio[: num_full * frame_samples].reshape(num_full, frame_samples)
    power = np.einsum("ij,ij->i", full, full) / frame_samples  # shape (num_full,)
    tail = audio[num_full * frame_samples :]
    if tail.shape[0] > 0:
        power = np.append(power, np.dot(tail, tail) / tail.shape[0])
    with np.errstate(divide="ignore"):  # log10(0) = -inf, raised to the floor below
        level_db = 10.0 * np.log10(power)
    return np.maximum(level_db, ENERGY_FLOOR_DB).astype(np.float32)
