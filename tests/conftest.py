"""Shared fixtures: paths to test data under ``tests/data`` and ``../shared``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests explore the same examples on every run, so CI never flakes on a new one;
# `--hypothesis-seed=N` (or HYPOTHESIS_PROFILE=explore) searches afresh.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only ``shared/`` data folder beside the repository root; skips if absent."""
    path = REPO_ROOT.parent / "shared"
    if not path.is_dir():
        pytest.skip(
            f"../shared not found: {path} is missing (benchmark data lives beside the repo)"
        )
    return path


DATA_DIR = REPO_ROOT / "tests" / "data"


@pytest.fixture(scope="session")
def jfk_path() -> Path:
    """11 s of JFK's inaugural address, 44.1 kHz stereo FLAC (public domain; see LICENSES.md)."""
    return DATA_DIR / "jfk.flac"
