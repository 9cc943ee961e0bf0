"""turnalign: put time on transcripts.

The Python API, in three lines::

    import align
    result = align.align_file("talk.flac", "talk.txt")
    align.save(result, "out", formats=("json", "srt"))

Names are imported on first use (PEP 562), so ``import align`` stays light. The stages
live in sub-packages: ``align.transcript`` (readers), ``align.engines`` (Whisper),
``align.text`` (matching), ``align.timing``, ``align.refine``, ``align.writers``,
``align.batch``, ``align.export``, ``align.evaluation``; ``align.model`` holds the result
types every stage shares, ``align.cli`` the command line.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS = {
    "align_file": "align.api",
    "load_engine": "align.api",
    "save": "align.api",
    "parse_transcript": "align.transcript",
    "read_transcript": "align.transcript",
    "Transcript": "align.transcript",
    "AlignOptions": "align.options",
    "EngineOptions": "align.engines.base",
    "CorrectionOptions": "align.corrections",
    "WriterOptions": "align.writers",
    "Result": "align.model",
    "Turn": "align.model",
    "Word": "align.model",
    "Mismatch": "align.model",
    "ToolkitError": "align.errors",
    "AlignmentFailedError": "align.errors",
}

__all__ = [
    "AlignOptions",
    "AlignmentFailedError",
    "CorrectionOptions",
    "EngineOptions",
    "Mismatch",
    "Result",
    "ToolkitError",
    "Transcript",
    "Turn",
    "Word",
    "WriterOptions",
    "__version__",
    "align_file",
    "load_engine",
    "parse_transcript",
    "read_transcript",
    "save",
]

if TYPE_CHECKING:
    from align.api import align_file, load_engine, save
    from align.corrections import CorrectionOptions
    from align.engines.base import EngineOptions
    from align.errors import AlignmentFailedError, ToolkitError
    from align.model import Mismatch, Result, Turn, Word
    from align.options import AlignOptions
    from align.transcript import Transcript, parse_transcript, read_transcript
    from align.writers import WriterOptions


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'align' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
