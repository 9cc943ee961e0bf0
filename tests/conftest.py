"""Shared fixtures: paths to test data under ``tests/data`` and ``../shared``."""

from __future__ import annotations

from pathlib import Path

import pytest

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
