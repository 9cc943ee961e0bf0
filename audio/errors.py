"""Errors of the signal side.

``audio/`` must not import ``align/``, so it has its own small error types; ``align``
translates them into its ``ToolkitError`` family at the boundary
(``AudioError`` -> ``AudioDecodeError``, ``VadUnavailableError`` -> ``EngineUnavailableError``).
"""

from __future__ import annotations

import os


class AudioError(Exception):
    """An audio file is missing, unreadable or decodes to no samples."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"cannot read audio '{self.path}': {reason}")

    def __reduce__(self) -> tuple[type[AudioError], tuple[str, str]]:
        # The default reduce calls cls(message), which breaks pickling across processes.
        return (type(self), (self.path, self.reason))


class VadUnavailableError(Exception):
    """The speech detector cannot run (faster-whisper or onnxruntime is missing)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"speech detection is unavailable: {reason}")

    def __reduce__(self) -> tuple[type[VadUnavailableError], tuple[str]]:
        return (type(self), (self.reason,))
