"""The defaults the command line and the Python API share, said once.

``AlignOptions`` (``align.pipeline``) and the ``turnalign`` parser both read these, so
``align.align_file(audio, transcript)`` does what ``turnalign align audio transcript``
does. Kept apart from the options classes so that building the CLI parser stays light.
"""

from __future__ import annotations

from align.model import RefineMode

DEFAULT_REFINE_MODE: RefineMode = "full"
"""Forced alignment of the known words (pocketsphinx); ``fast`` and ``none`` are cheaper."""

DEFAULT_MIN_COVERAGE = 0.1
"""Below this share of words heard, the transcript is not of this audio (wrong file, wrong
language, silence or music): ``AlignmentFailedError`` (CLI exit code 3), not success."""

DEFAULT_FORMATS: tuple[str, ...] = ("json", "srt")
"""What ``turnalign align`` and ``align.save`` write when not told."""

__all__ = ["DEFAULT_FORMATS", "DEFAULT_MIN_COVERAGE", "DEFAULT_REFINE_MODE"]
