"""Decode any audio file, or the audio track of a video, into 16 kHz mono float32.

We decode with PyAV (https://github.com/PyAV-Org/PyAV), which bundles the FFmpeg libraries,
so no ffmpeg binary is needed. The pipeline is faster-whisper's ``audio.py`` generator chain
(packets -> frames -> grouped frames -> resampled frames), but it ends in bounded blocks
instead of one buffer of the whole file: streaming a long file costs O(block) memory.

We resample to s16, not float. FFmpeg normalises the down-mix matrix only for integer
output: a stereo -> mono mix to fltp is (L + R) / sqrt(2) and can exceed 1.0, while s16
gives (L + R) / 2, the same samples openai-whisper (``ffmpeg -ac 1 -f s16le``) and
faster-whisper feed the model.
"""

from __future__ import annotations

import logging
import math
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeAlias

import av
import numpy as np
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.container import InputContainer
from numpy.typing import NDArray

from .errors import AudioError

__all__ = [
    "SAMPLE_RATE",
    "AudioBlock",
    "AudioPath",
    "Signal",
    "iter_blocks",
    "load",
    "probe_duration_s",
]

logger = logging.getLogger(__name__)

AudioPath: TypeAlias = str | os.PathLike[str]

SAMPLE_RATE = 16000
"""Samples per second of every decoded signal (Whisper's input rate)."""

DEFAULT_BLOCK_S = 30.0
"""Block length of ``iter_blocks``: one Whisper window."""

_GROUP_SOURCE_SAMPLES = 500_000
"""Source samples per resampler call; frame-by-frame calls cost a Python round trip per
~1k samples. Same figure as faster-whisper ``decode_audio``."""

_S16_SCALE = 1.0 / 32768.0

_PRESIZE_SLACK_S = 1.0
"""Extra capacity over the container's duration when ``load`` pre-sizes its buffer."""

_MAX_PRESIZE_S = 24 * 3600.0
"""Durations above this are treated as bogus metadata and not used to pre-size."""

_MAX_PACKET_SILENCE_S = 5.0
"""Longest silence put in place of one bad packet; longer claimed durations are corrupt
metadata (real audio packets last milliseconds), so nothing is filled."""

_UNSIGNED_FORMATS = frozenset({"u8", "u8p"})
"""Sample formats whose silence is 0x80, not 0."""

_FrameSignature: TypeAlias = tuple[str, str, int]


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
        frames = _decode_frames(container, stream, skipped)
        pieces = _resample_frames(_group_frames(frames, _GROUP_SOURCE_SAMPLES))
        for block in _assemble_blocks(pieces, block_samples):
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


def _decode_frames(
    container: InputContainer, stream: AudioStream, skipped: list[str]
) -> Iterator[AudioFrame]:
    """Decode packet by packet; a packet with invalid data becomes silence of its length.

    faster-whisper's ``_ignore_invalid_frames`` wraps ``container.decode()``, but a generator
    that raised is finished, so decoding stops at the first bad packet. Catching per packet
    really skips it, and the silence keeps every later sample at its true time. A demuxer
    that hits invalid data or EOF ends the stream (a truncated file).
    """
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except (av.error.InvalidDataError, av.error.EOFError) as e:
            skipped.append(f"demuxer: {e.strerror}")
            yield from _flush_decoder(stream, skipped)
            return
        try:
            frames = packet.decode()
        except av.error.InvalidDataError as e:
            skipped.append(str(e.strerror))
            gap = _silence_for(packet, stream)
            if gap is not None:
                yield gap
            continue
        yield from frames


def _silence_for(packet: av.Packet, stream: AudioStream) -> AudioFrame | None:
    """A silent frame as long as ``packet`` (None when its length or format is unknown)."""
    context = stream.codec_context
    if not packet.duration or packet.time_base is None or not context.sample_rate:
        return None
    num_samples = round(packet.duration * packet.time_base * context.sample_rate)
    if not 0 < num_samples <= _MAX_PACKET_SILENCE_S * context.sample_rate:
        return None
    if context.format is None or not context.layout.nb_channels:
        return None
    frame = AudioFrame(format=context.format.name, layout=context.layout.name, samples=num_samples)
    fill = b"\x80" if context.format.name in _UNSIGNED_FORMATS else b"\x00"
    for plane in frame.planes:
        plane.update(fill * plane.buffer_size)
    frame.sample_rate = context.sample_rate
    return frame


def _flush_decoder(stream: AudioStream, skipped: list[str]) -> list[AudioFrame]:
    """Drain frames the decoder still holds after the demuxer stopped early."""
    try:
        return stream.codec_context.decode(None)
    except av.error.FFmpegError as e:
        skipped.append(f"decoder flush: {e.strerror}")
        return []


def _signature(frame: AudioFrame) -> _FrameSignature:
    return (frame.format.name, frame.layout.name, frame.sample_rate)


def _group_frames(frames: Iterable[AudioFrame], num_samples: int) -> Iterator[AudioFrame]:
    """Merge small frames into frames of at least ``num_samples`` (a new group starts
    whenever format, layout or rate change mid-stream, which a FIFO cannot mix)."""
    fifo: av.AudioFifo | None = None
    signature: _FrameSignature | None = None
    for frame in frames:
        frame_signature = _signature(frame)
        if fifo is None or frame_signature != signature:
            if fifo is not None and fifo.samples > 0:
                yield from _drain(fifo)
            fifo = av.AudioFifo()
            signature = frame_signature
        frame.pts = None  # The FIFO checks timestamps for continuity; we count samples.
        fifo.write(frame)
        if fifo.samples >= num_samples:
            yield from _drain(fifo)
    if fifo is not None and fifo.samples > 0:
        yield from _drain(fifo)


def _drain(fifo: av.AudioFifo) -> Iterator[AudioFrame]:
    frame = fifo.read()
    if frame is not None:
        yield frame


def _resample_frames(frames: Iterable[AudioFrame]) -> Iterator[NDArray[np.float32]]:
    """Resample to 16 kHz mono s16 and convert to float32 in [-1, 1).

    A resampler is fixed to its first frame's parameters, so a change mid-stream flushes
    it and starts a new one. ``resample(None)`` flushes the samples it still holds.
    """
    resampler: av.AudioResampler | None = None
    signature: _FrameSignature | None = None
    for frame in frames:
        frame_signature = _signature(frame)
        if resampler is None or frame_signature != signature:
            if resampler is not None:
                yield from _to_float(resampler.resample(None))
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            signature = frame_signature
        yield from _to_float(resampler.resample(frame))
    if resampler is not None:
        yield from _to_float(resampler.resample(None))


def _to_float(frames: Iterable[AudioFrame]) -> Iterator[NDArray[np.float32]]:
    for frame in frames:
        pcm = frame.to_ndarray()  # shape (1, n), int16 (packed mono)
        yield np.multiply(pcm.reshape(-1), _S16_SCALE, dtype=np.float32)


def _assemble_blocks(
    pieces: Iterable[NDArray[np.float32]], block_samples: int
) -> Iterator[AudioBlock]:
    """Cut a stream of arbitrary-length pieces into blocks of exactly ``block_samples``
    (the last one shorter); each block owns its array, so memory stays O(block)."""
    buffer = np.empty(block_samples, dtype=np.float32)
    filled = 0
    offset = 0
    for piece in pieces:
        taken = 0
        while taken < piece.shape[0]:
            count = min(block_samples - filled, piece.shape[0] - taken)
            buffer[filled : filled + count] = piece[taken : taken + count]
            filled += count
            taken += count
            if filled == block_samples:
                yield AudioBlock(offset_samples=offset, samples=buffer)
                offset += block_samples
                buffer = np.empty(block_samples, dtype=np.float32)
                filled = 0
    if filled > 0:
        yield AudioBlock(offset_samples=offset, samples=buffer[:filled].copy())
