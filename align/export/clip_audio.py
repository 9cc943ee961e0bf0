"""Cut clips out of a long recording in one streaming pass, encode them, write them atomically.

Dataset export needs hundreds of short clips from files that can last hours. Decoding the
whole file (``audio.load``) would hold it all in memory, and seeking per clip would decode
the same packets again and again; instead ``iter_clip_samples`` reads the file once with
``audio.iter_blocks`` and keeps only the samples from the earliest clip not yet cut, so
memory stays O(block + longest clip). Encoding goes to memory first, so a rerun can
compare bytes and leave identical files alone, and every file is written to a temporary
name and renamed into place: a crash never leaves half a clip.
"""

from __future__ import annotations

import io
import logging
import wave
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

import audio
from align.atomic import sync_dir, write_bytes
from align.errors import AudioDecodeError, OutputError
from align.export.types import AudioFormat
from audio import SAMPLE_RATE

logger = logging.getLogger(__name__)

ProgressFn = Callable[[float, float], None]

_PCM16_SCALE = 32768.0
"""float32 samples are s16 / 32768 (``audio.frames``), so this scale round-trips them."""


def iter_clip_samples(
    path: str | Path,
    spans: Sequence[tuple[int, int]],
    on_progress: ProgressFn | None = None,
    total_s: float = 0.0,
) -> Iterator[tuple[int, NDArray[np.float32]]]:
    """Stream a file once and yield the samples of each span, in order of span start.

    Decoding starts on iteration and stops after the last span. A span that runs past
    the end of the decoded audio is cut short there (possibly to nothing).

    Args:
        path: The source audio file.
        spans: ``(start_sample, end_sample)`` pairs at ``SAMPLE_RATE``, end exclusive.
        on_progress: Called as ``on_progress(done_s, total_s)`` after each decoded block.
        total_s: The total passed to ``on_progress`` (the file's duration).

    Returns:
        An iterator of ``(index into spans, samples)``; samples have shape (n,), float32.

    Raises:
        AudioDecodeError: The file is missing or cannot be decoded.
    """
    order = sorted(range(len(spans)), key=lambda i: spans[i])
    if not order:
        return
    pos = 0  # next entry of ``order`` to yield
    buf: NDArray[np.float32] = np.zeros(0, dtype=np.float32)  # samples [buf_start, buf_end)
    buf_start = 0
    try:
        for block in audio.iter_blocks(path):
            buf = np.concatenate((buf, block.samples)) if buf.size else block.samples
            buf_end = buf_start + int(buf.shape[0])
            while pos < len(order) and spans[order[pos]][1] <= buf_end:
                start, end = spans[order[pos]]
                yield order[pos], buf[start - buf_start : end - buf_start]
                pos += 1
            if on_progress is not None:
                on_progress(buf_end / SAMPLE_RATE, total_s)
            if pos == len(order):
                return
            keep = min(spans[order[pos]][0], buf_end)
            buf = buf[keep - buf_start :]
            buf_start = keep
    except audio.AudioError as e:
        raise AudioDecodeError(e.path, e.reason) from e
    buf_end = buf_start + int(buf.shape[0])
    for i in order[pos:]:
        start, end = spans[i]
        logger.warning(
            "%s: clip %.3f-%.3f s runs past the decoded audio (%.3f s); cut short",
            path,
            start / SAMPLE_RATE,
            end / SAMPLE_RATE,
            buf_end / SAMPLE_RATE,
        )
        lo = min(max(start, buf_start), buf_end) - buf_start
        yield i, buf[lo : max(min(end, buf_end) - buf_start, lo)]


def encode_clip(samples: NDArray[np.float32], audio_format: AudioFormat) -> bytes:
    """Encode 16 kHz mono float32 samples as a 16-bit FLAC or WAV file, in memory.

    The same samples always give the same bytes (FLAC is written bit-exact, without the
    encoder's version string), so reruns can tell unchanged clips by content.

    Args:
        samples: Shape (n,), float32 in [-1, 1) at ``SAMPLE_RATE``; n may be 0 for WAV.
        audio_format: ``flac`` or ``wav``.

    Returns:
        The encoded file.
    """
    pcm = np.clip(np.round(samples * _PCM16_SCALE), -32768, 32767).astype("<i2")
    if audio_format == "wav":
        return _encode_wav(pcm)
    return _encode_flac(pcm)


def _encode_wav(pcm: NDArray[np.int16]) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm.tobytes())
    return out.getvalue()


def _encode_flac(pcm: NDArray[np.int16]) -> bytes:
    out = io.BytesIO()
    with av.open(out, mode="w", format="flac") as container:
        container.flags |= av.container.Flags.bitexact.value
        stream = container.add_stream("flac", rate=SAMPLE_RATE, layout="mono")
        stream.codec_context.flags |= av.codec.context.Flags.bitexact.value
        if pcm.size:
            frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = SAMPLE_RATE
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically, unless the file already holds exactly it.

    Args:
        path: The final file; its folder must exist.
        data: The whole content.

    Returns:
        True when the file was written, False when an identical file was already there.

    Raises:
        OutputError: The file cannot be read back, written or renamed into place.
    """
    try:
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError as e:
        raise OutputError(path, _reason(e)) from e
    if path.is_dir():
        raise OutputError(path, "a folder has this name")
    try:
        write_bytes(path, data)
    except OSError as e:
        raise OutputError(path, _reason(e)) from e
    return True


def remove_file(path: Path) -> None:
    """Delete a file if it exists.

    Raises:
        OutputError: It exists and cannot be deleted.
    """
    try:
        path.unlink(missing_ok=True)
    except OSError as e:
        raise OutputError(path, _reason(e)) from e


def _reason(e: OSError) -> str:
    return e.strerror or str(e)


__all__ = ["encode_clip", "iter_clip_samples", "remove_file", "sync_dir", "write_if_changed"]
