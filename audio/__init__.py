"""The signal side of turnalign: decode files into 16 kHz mono samples, find speech, plan windows.

Deals in samples and seconds only and never imports ``align``. Importing this package loads
PyAV and numpy but not faster-whisper: ``audio.vad`` imports it on first use.
"""

from .cursor import SpanCursor
from .decode import iter_blocks, load, probe_duration_s
from .errors import AudioError
from .signal import SAMPLE_RATE, AudioBlock, Signal
from .source import (
    AudioSource,
    DecodedAudio,
    ReadableAudio,
    SpanReading,
    SpanSource,
    decode_once,
    open_reader,
    resample,
    source_path,
)

__all__ = [
    "SAMPLE_RATE",
    "AudioBlock",
    "AudioError",
    "AudioSource",
    "DecodedAudio",
    "ReadableAudio",
    "Signal",
    "SpanCursor",
    "SpanReading",
    "SpanSource",
    "decode_once",
    "iter_blocks",
    "load",
    "open_reader",
    "probe_duration_s",
    "resample",
    "source_path",
]
