"""A recording decoded once, read by every stage of a run.

Transcription, re-listening, refinement and verification each read the audio again, in
their own order. Decoding the file for each of them cost one FFmpeg pass per stage (issue
18); ``DecodedAudio`` decodes it once. A short recording is held in memory; a longer one
is streamed, block by block, into an unlinked temporary file of 16-bit samples and mapped,
so memory holds only what a stage is reading: what a stage has passed is handed back to
the kernel (``madvise``), and the decoder never holds more than one block.

The samples are the decoder's own: it produces 16-bit PCM (``audio.frames``), and the
float32 values read back are bit for bit those ``iter_blocks`` yields.
"""

from __future__ import annotations

import mmap
import os
import tempfile
from collections.abc import Iterator
from typing import Protocol, TypeAlias

import numpy as np
from numpy.typing import NDArray

from .cursor import SpanCursor
from .decode import DEFAULT_BLOCK_S, iter_blocks
from .errors import AudioError
from .signal import SAMPLE_RATE, AudioBlock, AudioPath

__all__ = [
    "AudioSource",
    "DecodedAudio",
    "SpanReader",
    "ReadableAudio",
    "SpanReading",
    "SpanSource",
    "decode_once",
    "open_reader",
    "resample",
    "source_path",
]

IN_MEMORY_MAX_S = 600.0
"""Recordings up to this long stay in memory (38 MB of float32 for 10 minutes); longer
ones go to a mapped temporary file (115 MB of disk an hour)."""

_S16_SCALE = np.float32(1.0 / 32768.0)
"""The decoder's own int16 -> float32 scale (``audio.frames``), so values round-trip."""


class DecodedAudio:
    """16 kHz mono samples of one file, decoded once. Build with ``decode_once`` or
    ``from_array``; read with ``read_samples`` or a ``reader()`` per stage."""

    def __init__(
        self,
        path: str,
        samples: NDArray[np.float32] | None = None,
        pcm: NDArray[np.int16] | None = None,
        mapping: mmap.mmap | None = None,
    ) -> None:
        if (samples is None) == (pcm is None):
            raise ValueError("DecodedAudio needs float samples or int16 pcm, not both")
        self.path = path
        self._samples = samples  # shape (n,), float32, in memory
        self._pcm = pcm  # shape (n,), int16, a view of ``mapping``
        self._mapping = mapping

    @classmethod
    def from_array(cls, samples: NDArray[np.floating], path: str = "<array>") -> DecodedAudio:
        """Samples a caller already has (shape (n,), 16 kHz mono, in [-1, 1])."""
        arr = np.ascontiguousarray(samples, dtype=np.float32)
        if arr.ndim != 1 or arr.shape[0] == 0:
            raise AudioError(path, f"expected a non-empty 1-D array, got shape {arr.shape}")
        if not np.isfinite(arr).all():
            raise AudioError(path, "the array holds NaN or infinite samples")
        return cls(path, samples=arr)

    @property
    def num_samples(self) -> int:
        data = self._samples if self._samples is not None else self._pcm
        assert data is not None
        return int(data.shape[0])

    @property
    def duration_s(self) -> float:
        return self.num_samples / SAMPLE_RATE

    def read_samples(self, a: int, b: int) -> NDArray[np.float32]:
        """Samples ``a`` to ``b`` (clamped to the recording), as a new float32 array."""
        a = min(max(a, 0), self.num_samples)
        b = min(max(b, a), self.num_samples)
        if self._samples is not None:
            return self._samples[a:b].copy()
        assert self._pcm is not None
        return np.multiply(self._pcm[a:b], _S16_SCALE, dtype=np.float32)

    def iter_blocks(self, block_s: float = DEFAULT_BLOCK_S) -> Iterator[AudioBlock]:
        """The recording as consecutive blocks, like ``audio.iter_blocks`` on the file."""
        step = round(block_s * SAMPLE_RATE)
        for a in range(0, self.num_samples, step):
            yield AudioBlock(a, self.read_samples(a, a + step))
            self.forget(a + step)

    def reader(self) -> SpanReader:
        """A reader with ``audio.SpanCursor``'s interface, for one stage's pass."""
        return SpanReader(self)

    def forget(self, before: int) -> None:
        """Hand the mapped pages before sample ``before`` back to the kernel (a later read
        maps them in again from the file); a no-op for a recording held in memory."""
        if self._mapping is None or not hasattr(self._mapping, "madvise"):
            return
        page = mmap.PAGESIZE
        nbytes = (min(before, self.num_samples) * 2 // page) * page
        if nbytes > 0:
            self._mapping.madvise(mmap.MADV_DONTNEED, 0, nbytes)

    def close(self) -> None:
        """Unmap the temporary file (it was unlinked at creation); reads fail after this."""
        if self._mapping is not None:
            self._pcm = None
            self._mapping.close()
            self._mapping = None


class SpanReader:
    """``SpanCursor``'s interface over a ``DecodedAudio``: spans by sample index; what lies
    before the last release reads as silence, as it does from a cursor."""

    def __init__(self, source: DecodedAudio) -> None:
        self._source = source
        self._released = 0

    def read_samples(self, a: int, b: int) -> NDArray[np.float32]:
        a = max(a, 0)
        b = max(b, a)
        if a < self._released:
            gone = np.zeros(min(b, self._released) - a, dtype=np.float32)
            return np.concatenate([gone, self.read_samples(self._released, b)])
        return self._source.read_samples(a, b)

    def release(self, before_s: float) -> None:
        self.release_samples(round(before_s * SAMPLE_RATE))

    def release_samples(self, before: int) -> None:
        self._released = max(self._released, before)
        self._source.forget(self._released)


AudioSource: TypeAlias = AudioPath | DecodedAudio
"""What the stages read audio from: a file (decoded by each reader) or a decoded one."""


def source_path(source: AudioSource) -> str:
    """Where a source came from: its file's path, or ``<array>`` for samples in memory."""
    return source.path if isinstance(source, DecodedAudio) else os.fspath(source)


def resample(samples: NDArray[np.floating], sample_rate: int) -> NDArray[np.float32]:
    """Mono samples at ``sample_rate`` Hz as 16 kHz float32 (FFmpeg's resampler via PyAV).

    Raises:
        AudioError: not a 1-D array, or a sample rate that is not a positive integer.
    """
    arr = np.asarray(samples, dtype=np.float32)
    if arr.ndim != 1:
        raise AudioError("<array>", f"expected mono samples of shape (n,), got {arr.shape}")
    if not isinstance(sample_rate, int) or sample_rate <= 0:
        raise AudioError("<array>", f"sample_rate must be a positive integer, got {sample_rate!r}")
    if sample_rate == SAMPLE_RATE:
        return np.ascontiguousarray(arr)
    import av

    frame = av.AudioFrame.from_ndarray(arr[None, :], format="flt", layout="mono")
    frame.sample_rate = sample_rate
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    out = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    out += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(out).astype(np.float32, copy=False) if out else arr[:0]


def decode_once(path: AudioPath, in_memory_max_s: float = IN_MEMORY_MAX_S) -> DecodedAudio:
    """Decode ``path`` once, into memory or, past ``in_memory_max_s``, a mapped temporary file.

    Raises:
        AudioError: the file is missing or cannot be decoded (see ``audio.iter_blocks``).
    """
    blocks = iter_blocks(path)
    held: list[NDArray[np.float32]] = []
    held_samples = 0
    limit = round(in_memory_max_s * SAMPLE_RATE)
    for block in blocks:
        held.append(block.samples)
        held_samples += block.samples.shape[0]
        if held_samples > limit:
            return _spill(os.fspath(path), held, blocks)
    if not held:  # iter_blocks raises first; kept for the type checker
        raise AudioError(os.fspath(path), "decodes to no samples")
    return DecodedAudio(os.fspath(path), samples=np.concatenate(held))


def _spill(path: str, held: list[NDArray[np.float32]], rest: Iterator[AudioBlock]) -> DecodedAudio:
    """Write what is held and the rest of the blocks as int16 to an unlinked temporary file,
    then map it."""
    with tempfile.TemporaryFile(prefix="turnalign_audio_") as f:
        for samples in held:
            f.write(_to_pcm(samples).tobytes())
        held.clear()
        for block in rest:
            f.write(_to_pcm(block.samples).tobytes())
        f.flush()
        size = f.tell()
        mapping = mmap.mmap(f.fileno(), size, access=mmap.ACCESS_READ)
    pcm = np.frombuffer(mapping, dtype=np.int16)
    return DecodedAudio(path, pcm=pcm, mapping=mapping)


def _to_pcm(samples: NDArray[np.float32]) -> NDArray[np.int16]:
    # The decoder's floats are int16 / 32768 exactly, so this is lossless.
    return np.round(samples * 32768.0).astype(np.int16)


class SpanReading(Protocol):
    """What a stage reads spans through: ``SpanCursor`` (a file) or ``SpanReader``."""

    def read_samples(self, a: int, b: int) -> NDArray[np.float32]: ...

    def release(self, before_s: float) -> None: ...

    def release_samples(self, before: int) -> None: ...


class ReadableAudio(Protocol):
    """A source that makes its own readers: ``DecodedAudio``, or one that transforms
    another's reads (``audio.denoise.DenoisedAudio``)."""

    def reader(self) -> SpanReading: ...


SpanSource: TypeAlias = AudioSource | ReadableAudio
"""What a stage reads spans from (``open_reader``)."""


def open_reader(source: SpanSource) -> SpanReading:
    """A span reader for one stage: a ``SpanCursor`` decoding a path, or the source's own
    reader (a decoded recording: no second decode).

    Raises:
        AudioError: a path that cannot be opened.
    """
    if isinstance(source, (str, os.PathLike)):
        return SpanCursor(source)
    return source.reader()
