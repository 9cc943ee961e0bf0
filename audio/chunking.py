"""The one window planner: cut audio into windows at its quietest moments.

Whisper hears at most 30 s at a time and a cut through a word loses it, so every cut
lands in the quietest 100 ms frame of the last seconds before a length limit. Two callers
share it: the pipeline cuts a file into long windows as its blocks stream in
(``iter_quiet_windows``), and the batched engine cuts a window into 30 s chunks
(``cut_at_quiet_points``). No VAD: quiet speakers are never dropped, and the windows tile
the input exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from .signal import SAMPLE_RATE
from .span import SampleSpan

__all__ = ["QUIET_FRAME_S", "Window", "cut_at_quiet_points", "iter_quiet_windows", "quietest_point"]

QUIET_FRAME_S = 0.1
"""Cuts are placed in the middle of the quietest frame this long."""

# Cuts between 30 s chunks look this far back from the limit for a quiet spot.
_CHUNK_SEARCH_S = 5.0


@dataclass(frozen=True, slots=True)
class Window(SampleSpan):
    """A stretch of the input, as sample indices at ``SAMPLE_RATE`` (end exclusive)."""

    _what: ClassVar[str] = "window"


def quietest_point(samples: NDArray[np.floating], lo: int, hi: int, frame_samples: int) -> int:
    """The middle of the quietest whole frame in ``samples[lo:hi]``; ``hi`` if none fits."""
    seg = np.asarray(samples[lo:hi], dtype=np.float32)
    n = len(seg) // frame_samples
    if n == 0:
        return hi
    energy = (seg[: n * frame_samples].reshape(n, frame_samples) ** 2).mean(axis=1)  # shape: (n,)
    return lo + int(np.argmin(energy)) * frame_samples + frame_samples // 2


def iter_quiet_windows(
    pieces: Iterable[NDArray[np.float32]],
    max_samples: int,
    search_samples: int,
    tail_samples: int = 0,
) -> Iterator[tuple[int, NDArray[np.float32]]]:
    """Cut a stream of sample pieces into ``(offset_samples, samples)`` windows.

    Each cut lies in the quietest frame of the ``search_samples`` before ``max_samples``.
    A cut waits until ``max_samples + tail_samples`` are held, so the last window may run
    up to ``tail_samples`` past the maximum rather than leave a scrap; memory holds one
    window plus one piece.

    Args:
        pieces: consecutive samples (shape (n,) each), e.g. a file's decoded blocks.
        max_samples: the longest window, but for the last one.
        search_samples: how far back from the maximum a cut may go.
        tail_samples: how far past the maximum the last window may run.
    """
    frame = int(QUIET_FRAME_S * SAMPLE_RATE)
    buf: list[NDArray[np.float32]] = []
    held = 0
    offset = 0
    for piece in pieces:
        buf.append(piece)
        held += len(piece)
        # With a tail, cut once max + tail samples are held; without one, past the maximum.
        while held >= max_samples + tail_samples if tail_samples else held > max_samples:
            joined = np.concatenate(buf)
            cut = quietest_point(
                joined, max(frame, max_samples - search_samples), max_samples, frame
            )
            yield offset, joined[:cut]
            offset += cut
            buf, held = [joined[cut:]], len(joined) - cut
    if held:
        yield offset, np.concatenate(buf)


def cut_at_quiet_points(
    samples: NDArray[np.floating], max_chunk_s: float = 30.0, sample_rate: int = SAMPLE_RATE
) -> list[Window]:
    """Split samples into chunks of at most ``max_chunk_s``, each cut at the quietest
    100 ms in the last seconds before the limit, so cuts rarely land inside a word."""
    max_len = int(max_chunk_s * sample_rate)
    search = int(_CHUNK_SEARCH_S * sample_rate)
    arr = np.asarray(samples, dtype=np.float32)
    return [
        Window(offset, offset + len(chunk))
        for offset, chunk in iter_quiet_windows([arr], max_len, search)
    ]
