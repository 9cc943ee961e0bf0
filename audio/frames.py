"""The decoder chain: PyAV packets -> frames -> grouped frames -> 16 kHz mono float32 blocks.

This is faster-whisper's ``audio.py`` generator chain, but it ends in bounded blocks
(``assemble_blocks``) instead of one buffer of the whole file, so streaming a long file
costs O(block) memory. ``audio.decode`` opens the file, runs the chain and turns library
errors into ``AudioError``.

We resample to s16, not float. FFmpeg normalises the down-mix matrix only for integer
output: a stereo -> mono mix to fltp is (L + R) / sqrt(2) and can exceed 1.0, while s16
gives (L + R) / 2, the same samples openai-whisper (``ffmpeg -ac 1 -f s16le``) and
faster-whisper feed the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeAlias

import av
import numpy as np
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.container import InputContainer
from numpy.typing import NDArray

from .signal import SAMPLE_RATE, AudioBlock

GROUP_SOURCE_SAMPLES = 500_000
"""Source samples per resampler call; frame-by-frame calls cost a Python round trip per
~1k samples. Same figure as faster-whisper ``decode_audio``."""

_S16_SCALE = 1.0 / 32768.0

_MAX_PACKET_SILENCE_S = 5.0
"""Longest silence put in place of one bad packet; longer claimed durations are corrupt
metadata (real audio packets last milliseconds), so nothing is filled."""

_UNSIGNED_FORMATS = frozenset({"u8", "u8p"})
"""Sample formats whose silence is 0x80, not 0."""

_FrameSignature: TypeAlias = tuple[str, str, int]


def decode_frames(
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


def group_frames(frames: Iterable[AudioFrame], num_samples: int) -> Iterator[AudioFrame]:
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


def resample_frames(frames: Iterable[AudioFrame]) -> Iterator[NDArray[np.float32]]:
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


def assemble_blocks(
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


__all__ = [
    "GROUP_SOURCE_SAMPLES",
    "assemble_blocks",
    "decode_frames",
    "group_frames",
    "resample_frames",
]
