"""The sample rate every decoded signal has, and the two shapes decoded samples come in:
a whole file (``Signal``) or consecutive blocks of one (``AudioBlock``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

AudioPath: TypeAlias = str | os.PathLike[str]

SAMPLE_RATE = 16000
"""Samples per second of every decoded signal (Whisper's input rate)."""


@dataclass(frozen=True, slots=True, eq=False)
class Signal:
    """A whole decoded file: 16 kHz mono float32 samples and the path they came from.

    Compared by identity (``eq=False``): array equality has no single truth value.
    Treat ``samples`` as read-only.
    """

    samples: NDArray[np.float32]  # shape (n,), float32, 16 kHz mono
    path: str

    def __post_init__(self) -> None:
        if self.samples.ndim != 1 or self.samples.dtype != np.float32:
            raise ValueError(
                f"Signal samples must be 1-D float32, got shape {self.samples.shape} "
                f"and dtype {self.samples.dtype}"
            )

    @property
    def sample_rate(self) -> int:
        """Samples per second (always ``SAMPLE_RATE``)."""
        return SAMPLE_RATE

    @property
    def num_samples(self) -> int:
        """Number of samples."""
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.num_samples / SAMPLE_RATE

    def window(self, start_s: float, end_s: float) -> NDArray[np.float32]:
        """Return the samples from ``start_s`` to ``end_s``, clamped to the signal.

        Args:
            start_s: Window start in seconds; values before 0 are clamped to 0.
            end_s: Window end in seconds; values past the end are clamped to it.

        Returns:
            A view (not a copy) of ``samples``; empty when the window lies outside.

        Raises:
            ValueError: ``end_s`` is before ``start_s``.
        """
        if end_s < start_s:
            raise ValueError(f"window end ({end_s:.3f}s) is before its start ({start_s:.3f}s)")
        n = self.num_samples
        start = min(max(round(start_s * SAMPLE_RATE), 0), n)
        end = min(max(round(end_s * SAMPLE_RATE), start), n)
        return self.samples[start:end]


@dataclass(frozen=True, slots=True, eq=False)
class AudioBlock:
    """A consecutive piece of a decoded file, as streamed by ``iter_blocks``."""

    offset_samples: int  # index of samples[0] in the whole file, at SAMPLE_RATE
    samples: NDArray[np.float32]  # shape (n,), float32, 16 kHz mono

    @property
    def offset_s(self) -> float:
        """Start of the block in seconds from the start of the file."""
        return self.offset_samples / SAMPLE_RATE

    @property
    def end_sample(self) -> int:
        """Index one past the block's last sample in the whole file."""
        return self.offset_samples + int(self.samples.shape[0])


__all__ = ["SAMPLE_RATE", "AudioBlock", "AudioPath", "Signal"]
