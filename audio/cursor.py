"""Read spans of a file in increasing order, in one pass, holding only what later spans need."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from .decode import iter_blocks
from .signal import SAMPLE_RATE, AudioBlock, AudioPath


class SpanCursor:
    """Decodes a file once, front to back, and serves spans of it by sample index.

    Spans may overlap and go back as far as the last ``release``; what lies before it reads
    as silence. Memory: the samples from the last release to the furthest span read.

    Raises:
        AudioError: the file cannot be opened or decoded (on creation or on a read).
    """

    def __init__(self, path: AudioPath) -> None:
        self._blocks: Iterator[AudioBlock] = iter_blocks(path)
        self._buf = np.zeros(0, dtype=np.float32)  # shape (n,), file samples from _buf_start
        self._buf_start = 0
        self._released = 0  # file samples before this read as silence
        self._done = False

    def read_samples(self, a: int, b: int) -> NDArray[np.float32]:
        """File samples ``a`` to ``b`` (shape (n,)), cut short at the end of the file; any
        part before the last ``release`` reads as silence. A view: copy to keep it."""
        a = max(a, 0)
        held_from = max(self._buf_start, self._released)
        if a < held_from:
            gone = np.zeros(min(b, held_from) - a, dtype=np.float32)
            return np.concatenate([gone, self.read_samples(held_from, b)])
        b = max(b, a)
        while not self._done and self._buf_start + len(self._buf) < b:
            block = next(self._blocks, None)
            if block is None:
                self._done = True
            elif block.end_sample <= a:  # wholly before the span: never held
                self._buf, self._buf_start = self._buf[:0], block.end_sample
            else:
                self._buf = np.concatenate([self._buf, block.samples])
        return self._buf[a - self._buf_start : b - self._buf_start]

    def release(self, before_s: float) -> None:
        """Forget the samples before ``before_s``."""
        self.release_samples(round(before_s * SAMPLE_RATE))

    def release_samples(self, before: int) -> None:
        """Forget the samples before file sample ``before``."""
        self._released = max(self._released, before)
        # Never past what is held: the buffer's start must stay where the decoder is, or the
        # next block would be filed under a later time (a span read after a long skip got
        # the audio of the block after the last one read).
        cut = min(before - self._buf_start, len(self._buf))
        if cut > 0:
            self._buf = self._buf[cut:].copy()
            self._buf_start += cut

    @property
    def held_samples(self) -> int:
        """Samples held now (for tests of the memory bound)."""
        return len(self._buf)
