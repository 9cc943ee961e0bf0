"""Boundary refinement after alignment (placeholder until the refinement stage lands)."""

from __future__ import annotations

from pathlib import Path

from align.errors import UsageError
from align.model import Result

DEFAULT_MODE = "none"


def refine_result(result: Result, audio_path: str | Path, mode: str) -> Result:
    if mode == "none":
        return result
    raise UsageError(f"--refine {mode} is not available yet; use --refine none")
