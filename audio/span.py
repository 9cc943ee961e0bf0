"""A stretch of audio as sample indices: the one shape speech spans and windows share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .signal import SAMPLE_RATE


@dataclass(frozen=True, slots=True)
class SampleSpan:
    """Sample indices at ``SAMPLE_RATE``, end exclusive; validated on construction."""

    start_sample: int
    end_sample: int

    _what: ClassVar[str] = "span"

    def __post_init__(self) -> None:
        if not 0 <= self.start_sample <= self.end_sample:
            raise ValueError(
                f"{self._what} needs 0 <= start <= end, got {self.start_sample}..{self.end_sample}"
            )

    @property
    def start_s(self) -> float:
        """Start in seconds."""
        return self.start_sample / SAMPLE_RATE

    @property
    def end_s(self) -> float:
        """End in seconds."""
        return self.end_sample / SAMPLE_RATE

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return (self.end_sample - self.start_sample) / SAMPLE_RATE
