"""Plan the windows long audio is transcribed in.

Whisper sees at most 30 s at a time, and a cut through a word loses it. ``plan_windows``
packs VAD speech spans greedily into windows no longer than ``max_chunk_s`` and cuts in
pauses: at the last pause of at least ``min_silence_ms`` when there is one, otherwise at
the longest pause, and only inside a span that alone is too long does it cut hard.
Pure functions on sample indices; no audio, no model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from .signal import SAMPLE_RATE
from .span import SampleSpan
from .vad import SpeechSpan

__all__ = ["ChunkOptions", "Window", "plan_windows"]


@dataclass(frozen=True, slots=True)
class ChunkOptions:
    """Options of ``plan_windows``.

    Attributes:
        max_chunk_s: Longest window in seconds (Whisper's input is 30 s).
        min_silence_ms: Pauses at least this long are preferred cut points; shorter ones
            (between words) are used only when a window has no longer pause.
        max_inner_silence_s: A pause this long always ends a window, even if the next
            speech would fit: Whisper tends to hallucinate text over long silence.
    """

    max_chunk_s: float = 30.0
    min_silence_ms: int = 300
    max_inner_silence_s: float = 5.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.max_chunk_s) and self.max_chunk_s * SAMPLE_RATE >= 1):
            raise ValueError(f"max_chunk_s must be a positive duration, got {self.max_chunk_s}")
        if self.min_silence_ms < 0:
            raise ValueError(f"min_silence_ms must be >= 0, got {self.min_silence_ms}")
        if not self.max_inner_silence_s >= 0:
            raise ValueError(f"max_inner_silence_s must be >= 0, got {self.max_inner_silence_s}")


@dataclass(frozen=True, slots=True)
class Window(SampleSpan):
    """A stretch of the file to transcribe, as sample indices at ``SAMPLE_RATE`` (end
    exclusive)."""

    _what: ClassVar[str] = "window"


def plan_windows(
    spans: Sequence[SpeechSpan], total_samples: int, opts: ChunkOptions = ChunkOptions()
) -> list[Window]:
    """Group speech spans into windows of at most ``opts.max_chunk_s``, cut at pauses.

    Every window starts where speech starts and ends where speech ends, so the silence
    between windows is left out. Spans may come unsorted or overlapping.

    Args:
        spans: Speech spans, e.g. from ``detect_speech``.
        total_samples: Length of the audio; spans are clipped to ``[0, total_samples]``.
        opts: Window length and pause preferences.

    Returns:
        Sorted, non-overlapping windows that cover all speech; empty without speech.

    Raises:
        ValueError: ``total_samples`` is negative.
    """
    if total_samples < 0:
        raise ValueError(f"total_samples must be >= 0, got {total_samples}")
    max_samples = max(1, round(opts.max_chunk_s * SAMPLE_RATE))
    pieces = [
        piece
        for start, end in _merge_spans(spans, total_samples)
        for piece in _split_hard(start, end, max_samples)
    ]
    windows: list[Window] = []
    min_gap = opts.min_silence_ms * SAMPLE_RATE // 1000
    max_inner_gap = round(opts.max_inner_silence_s * SAMPLE_RATE)
    first = 0  # index of the first piece of the window being built
    for i in range(1, len(pieces) + 1):
        if i < len(pieces) and pieces[i][0] - pieces[i - 1][1] < max_inner_gap:
            while pieces[i][1] - pieces[first][0] > max_samples:
                cut = _choose_cut(pieces, first, i, min_gap)
                windows.append(Window(pieces[first][0], pieces[cut - 1][1]))
                first = cut
            continue
        # A long pause or the end of the audio: close the window so far.
        windows.append(Window(pieces[first][0], pieces[i - 1][1]))
        first = i
    return windows


def _merge_spans(spans: Sequence[SpeechSpan], total_samples: int) -> list[tuple[int, int]]:
    """Clip, sort and merge overlapping or touching spans; drop empty ones."""
    clipped = sorted(
        (min(span.start_sample, total_samples), min(span.end_sample, total_samples))
        for span in spans
    )
    merged: list[tuple[int, int]] = []
    for start, end in clipped:
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _split_hard(start: int, end: int, max_samples: int) -> list[tuple[int, int]]:
    """Split a span longer than the maximum into equal pieces (no tiny remainder)."""
    count = -(-(end - start) // max_samples)  # ceil division
    if count <= 1:
        return [(start, end)]
    bounds = [start + (end - start) * k // count for k in range(count + 1)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _choose_cut(pieces: list[tuple[int, int]], first: int, last: int, min_gap: int) -> int:
    """Index of the piece that starts the next window, cutting within ``pieces[first:last+1]``.

    Prefers the last pause of at least ``min_gap`` (the fullest window), else the longest
    pause. Any cut fits: ``pieces[first:last]`` fit before ``pieces[last]`` was added.
    """
    candidates = range(first + 1, last + 1)
    long_pauses = [k for k in candidates if pieces[k][0] - pieces[k - 1][1] >= min_gap]
    if long_pauses:
        return long_pauses[-1]
    return max(candidates, key=lambda k: (pieces[k][0] - pieces[k - 1][1], k))


# Cuts between fixed-length chunks look this far back from the limit for a quiet spot.
_QUIET_SEARCH_S = 5.0
_QUIET_FRAME_S = 0.1


def quietest_point(samples: NDArray[np.floating], lo: int, hi: int, frame_samples: int) -> int:
    """The middle of the quietest whole frame in ``samples[lo:hi]``; ``hi`` if none fits."""
    seg = np.asarray(samples[lo:hi], dtype=np.float32)
    n = len(seg) // frame_samples
    if n == 0:
        return hi
    energy = (seg[: n * frame_samples].reshape(n, frame_samples) ** 2).mean(axis=1)  # shape: (n,)
    return lo + int(np.argmin(energy)) * frame_samples + frame_samples // 2


def cut_at_quiet_points(
    samples: NDArray[np.floating], max_chunk_s: float = 30.0, sample_rate: int = SAMPLE_RATE
) -> list[Window]:
    """Split samples into chunks of at most ``max_chunk_s``, each cut at the quietest
    100 ms in the last seconds before the limit, so cuts rarely land inside a word.

    Unlike ``plan_windows`` this needs no VAD and drops nothing: the chunks tile the input.
    """
    max_len = int(max_chunk_s * sample_rate)
    frame = int(_QUIET_FRAME_S * sample_rate)
    search = int(_QUIET_SEARCH_S * sample_rate)
    out: list[Window] = []
    start = 0
    total = len(samples)
    while total - start > max_len:
        cut = quietest_point(samples, start + max(frame, max_len - search), start + max_len, frame)
        out.append(Window(start, cut))
        start = cut
    if total > start:
        out.append(Window(start, total))
    return out
