"""The one exception family of turnalign.

Every error a user can cause (a missing or undecodable file, an empty transcript, a bad
option, a transcript that does not fit the audio) is a ``ToolkitError``. The CLI turns
each into a one-line message and a documented exit code; anything else is a bug and is
allowed to crash.

Hierarchy::

    ToolkitError                      exit code 2 unless stated
    ├── InputError
    │   ├── AudioDecodeError(path, reason)
    │   ├── TranscriptParseError(path, reason, line)
    │   │   └── AmbiguousTranscriptError(path, candidates)   fits two layouts equally well
    │   ├── EmptyTranscriptError(path)
    │   ├── ReferenceParseError(path, reason, line)   a truth file for ``turnalign eval``
    │   ├── ResultParseError(path, reason)            a file that is not a turnalign/1 result
    │   └── ManifestError(path, reason, line)
    ├── UsageError(message)          a bad option or combination of options
    │   └── UnknownFormatError(fmt, known)
    ├── EngineUnavailableError(name, reason)
    ├── ModelNotFoundError(name, reason)
    ├── OutputError(path, reason)
    └── AlignmentFailedError(coverage, min_coverage, result)    exit code 3
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

EXIT_OK = 0
EXIT_BATCH_FAILURES = 1
EXIT_BAD_INPUT = 2
EXIT_POOR_FIT = 3
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a reader that stopped


class ToolkitError(Exception):
    """Root of every error turnalign raises on purpose."""

    exit_code: int = EXIT_BAD_INPUT


class InputError(ToolkitError):
    """An input file is missing, unreadable or unusable."""


class AudioDecodeError(InputError):
    """The audio file is missing or cannot be decoded into samples."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"cannot read audio '{self.path}': {reason}")


class TranscriptParseError(InputError):
    """The transcript file cannot be read or parsed."""

    def __init__(self, path: str | Path, reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = f" (line {line})" if line is not None else ""
        super().__init__(f"cannot read transcript '{self.path}'{where}: {reason}")


class AmbiguousTranscriptError(TranscriptParseError):
    """The transcript fits two or more layouts equally well, and they read it differently."""

    def __init__(self, path: str | Path, candidates: Iterable[str]) -> None:
        self.candidates = tuple(candidates)
        super().__init__(
            path,
            f"it reads as {' or '.join(self.candidates)}, with different turns; "
            "choose one with --transcript-format",
        )


class EmptyTranscriptError(InputError):
    """The transcript holds no words to align."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        super().__init__(f"transcript '{self.path}' has no words to align")


class ReferenceParseError(InputError):
    """A reference (truth) file for evaluation cannot be read."""

    def __init__(self, path: str | Path, reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = f" (line {line})" if line is not None else ""
        super().__init__(f"cannot read reference '{self.path}'{where}: {reason}")


class ResultParseError(InputError):
    """A file given as a turnalign result is missing or not a "turnalign/1" JSON."""

    def __init__(self, path: str | Path, reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = f" (line {line})" if line is not None else ""
        super().__init__(f"cannot read result '{self.path}'{where}: {reason}")


class ManifestError(InputError):
    """A batch manifest cannot be read."""

    def __init__(self, path: str | Path, reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = f" (line {line})" if line is not None else ""
        super().__init__(f"cannot read manifest '{self.path}'{where}: {reason}")


class UsageError(ToolkitError):
    """A bad option value or combination of options."""


class UnknownFormatError(UsageError):
    """An output or input format name that turnalign does not know."""

    def __init__(self, fmt: str, known: Iterable[str]) -> None:
        self.fmt = fmt
        self.known = tuple(known)
        super().__init__(f"unknown format '{fmt}'; choose from {', '.join(self.known)}")


class EngineUnavailableError(ToolkitError):
    """The requested engine's library is not installed or cannot start."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"engine '{name}' is unavailable: {reason}")


class ModelNotFoundError(ToolkitError):
    """The requested Whisper model cannot be found or loaded."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"cannot load model '{name}': {reason}")


class OutputError(ToolkitError):
    """An output file or folder cannot be written."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"cannot write '{self.path}': {reason}")


class AlignmentFailedError(ToolkitError):
    """The transcript does not fit the audio (coverage below the required minimum)."""

    exit_code = EXIT_POOR_FIT

    def __init__(self, coverage: float, min_coverage: float, result: object = None) -> None:
        self.coverage = coverage
        self.min_coverage = min_coverage
        self.result = result  # the alignment itself (a ``Result``), still worth saving
        if coverage <= 0.0:
            detail = "none of its words were heard (silence, music, or another recording?)"
        else:
            detail = (
                f"{coverage:.0%} of its words were heard, below --min-coverage "
                f"{min_coverage:.0%} (wrong file or wrong language?)"
            )
        super().__init__(f"transcript does not fit the audio: {detail}")
