"""Decode any audio file, or the audio track of a video, into 16 kHz mono float32.

We decode with PyAV (https://github.com/PyAV-Org/PyAV), which bundles the FFmpeg libraries,
so no ffmpeg binary is needed. The pipeline is faster-whisper's ``audio.py`` generator chain
(packets -> frames -> grouped frames -> resampled frames, in ``audio.frames``), but it ends
in bounded blocks instead of one buffer of the whole file: streaming a long file costs
O(block) memory. This module checks and opens the file, runs the chain, and turns library
errors into ``AudioError``, once.
"""

from __future__ import annotations

import logging
import math
import os
import stat
from collections.abc import Iterator

import av
import numpy as np
from av.audio.stream import AudioStream
from av.container import InputContainer

from .errors import AudioError
from .frames import (
    GROUP_SOURCE_SAMPLES,
    assemble_blocks,
    decode_frames,
    group_frames,
    resample_frames,
)
from .signal import SAMPLE_RATE, AudioBlock, AudioPath, Signal

__all__ = ["DEFAULT_BLOCK_S", "iter_blocks", "load", "probe_duration_s"]

logger = logging.getLogger(__name__)

DEFAULT_BLOCK_S = 30.0
"""Block length of ``iter_blocks``: one Whisper window."""

_PRESIZE_SLACK_S = 1.0
"""Extra capacity over the container's duration when ``load`` pre-sizes its buffer."""

_MAX_PRESIZE_S = 24 * 3600.0
"""Durations above this are treated as bogus metadata and not used to pre-size."""


def iter_blocks(path: AudioPath, block_s: float = DEFAULT_BLOCK_S) -> Iterator[AudioBlock]:
    """Stream a file as consecutive 16 kHz mono float32 blocks.

    The path is checked at call time; decoding starts on iteration. Every block but the
    last holds exactly ``round(block_s * SAMPLE_RATE)`` samples. Packets with invalid data
    (a damaged or truncated file) are skipped with a warning.

    Args:
        path: Audio file, or video file with an audio track (the first audio stream is used).
        block_s: Block length in seconds.

    Returns:
        An iterator of ``AudioBlock`` in file order.

    Raises:
        AudioError: The file is missing, a directory or empty (at call time); it is not
            decodable, has no audio stream or decodes to no samples (during iteration).
        ValueError: ``block_s`` is not positive.
    """
    block_samples = _block_samples(block_s)
    checked = _check_path(path)
    return _iter_blocks(checked, block_samples)


def load(path: AudioPath) -> Signal:
    """Decode a whole file into a ``Signal`` (16 kHz mono float32).

    Args:
        path: Audio file, or video file with an audio track (the first audio stream is used).

    Returns:
        The decoded signal.

    Raises:
        AudioError: The file is missing, not decodable, has no audio stream or decodes to
            no samples.
    """
    checked = _check_path(path)
    with _open(checked) as container:
        stream = _audio_stream(container, checked)
        hint_s = _metadata_duration_s(container, stream)
        capacity = SAMPLE_RATE
        if hint_s is not None and hint_s <= _MAX_PRESIZE_S:
            capacity = math.ceil((hint_s + _PRESIZE_SLACK_S) * SAMPLE_RATE)
        buffer = np.empty(capacity, dtype=np.float32)
        filled = 0
        blocks = _decode_blocks(container, stream, checked, _block_samples(DEFAULT_BLOCK_S))
        for block in blocks:
            end = filled + block.samples.shape[0]
            if end > buffer.shape[0]:
                grown = np.empty(max(end, buffer.shape[0] * 3 // 2), dtype=np.float32)
                grown[:filled] = buffer[:filled]
                buffer = grown
            buffer[filled:end] = block.samples
            filled = end
    slack = buffer.shape[0] - filled
    # Drop a badly over-sized buffer (wrong metadata); a little slack is cheaper to keep.
    samples = buffer[:filled] if slack <= _PRESIZE_SLACK_S * SAMPLE_RATE else buffer[:filled].copy()
    return Signal(samples=samples, path=checked)


def probe_duration_s(path: AudioPath) -> float:
    """Return the duration of the audio stream in seconds.

    Reads the container's metadata, which is quick but can be wrong for damaged or
    truncated files; when the metadata has no duration the file is decoded and counted.

    Args:
        path: Audio file, or video file with an audio track.

    Returns:
        Duration in seconds.

    Raises:
        AudioError: The file is missing, not decodable or has no audio stream (or, when
            the metadata has no duration, decodes to no samples).
    """
    checked = _check_path(path)
    with _open(checked) as container:
        stream = _audio_stream(container, checked)
        duration_s = _metadata_duration_s(container, stream)
        if duration_s is not None:
            return duration_s
        blocks = _decode_blocks(container, stream, checked, _block_samples(DEFAULT_BLOCK_S))
        return sum(block.samples.shape[0] for block in blocks) / SAMPLE_RATE


def _block_samples(block_s: float) -> int:
    block_samples = round(block_s * SAMPLE_RATE) if math.isfinite(block_s) else 0
    if block_samples < 1:
        raise ValueError(f"block_s must be a positive number of seconds, got {block_s!r}")
    return block_samples


def _check_path(path: AudioPath) -> str:
    """Fail early, with a plain reason, on paths FFmpeg would report cryptically."""
    checked = os.fspath(path)
    try:
        info = os.stat(checked)
    except OSError as e:
        raise AudioError(checked, _os_reason(e)) from e
    if stat.S_ISDIR(info.st_mode):
        raise AudioError(checked, "is a directory, not a file")
    if stat.S_ISREG(info.st_mode) and info.st_size == 0:
        raise AudioError(checked, "file is empty (0 bytes)")
    return checked


def _os_reason(e: OSError) -> str:
    if isinstance(e, FileNotFoundError):
        return "file not found"
    if isinstance(e, PermissionError):
        return "permission denied"
    if isinstance(e, IsADirectoryError):
        return "is a directory, not a file"
    return e.strerror or str(e)


def _open(path: str) -> InputContainer:
    try:
        return av.open(path, mode="r", metadata_errors="ignore")
    except av.error.FFmpegError as e:
        if isinstance(e, OSError):  # av.error.FileNotFoundError etc. are both
            raise AudioError(path, _os_reason(e)) from e
        raise AudioError(path, f"not a decodable audio file ({e.strerror})") from e
    except OSError as e:
        raise AudioError(path, _os_reason(e)) from e


def _audio_stream(container: InputContainer, path: str) -> AudioStream:
    if not container.streams.audio:
        found = ", ".join(_describe(s) for s in container.streams)
        raise AudioError(path, f"no audio stream (found: {found or 'no streams'})")
    return container.streams.audio[0]


def _describe(stream: av.stream.Stream) -> str:
    context = getattr(stream, "codec_context", None)  # attachments and data have none
    return f"{stream.type} {context.name}" if context is not None else stream.type


def _metadata_duration_s(container: InputContainer, stream: AudioStream) -> float | None:
    if stream.duration is not None and stream.duration > 0 and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    return None


def _iter_blocks(path: str, block_samples: int) -> Iterator[AudioBlock]:
    with _open(path) as container:
        stream = _audio_stream(container, path)
        yield from _decode_blocks(container, stream, path, block_samples)


def _decode_blocks(
    container: InputContainer, stream: AudioStream, path: str, block_samples: int
) -> Iterator[AudioBlock]:
    """Run the decode chain and turn library errors into ``AudioError`` once, here."""
    skipped: list[str] = []  # reasons of packets that could not be decoded
    decoded = 0
    try:
        frames = decode_frames(container, stream, skipped)
        pieces = resample_frames(group_frames(frames, GROUP_SOURCE_SAMPLES))
        for block in assemble_blocks(pieces, block_samples):
            decoded = block.end_sample
            yield block
    except (av.error.FFmpegError, OSError) as e:
        reason = e.strerror if isinstance(e, av.error.FFmpegError) else _os_reason(e)
        raise AudioError(path, f"decoding failed at {decoded / SAMPLE_RATE:.1f}s ({reason})") from e
    if skipped:
        logger.warning(
            "%s: skipped %d undecodable packet(s) (%s); decoded %.1fs",
            path,
            len(skipped),
            skipped[0],
            decoded / SAMPLE_RATE,
        )
    if decoded == 0:
        detail = f" ({len(skipped)} undecodable packet(s): {skipped[0]})" if skipped else ""
        raise AudioError(path, f"decodes to no audio samples{detail}")
