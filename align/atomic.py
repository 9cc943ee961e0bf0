"""Crash-safe file writes: outputs appear whole or not at all.

Writers, batch markers and exported clips all write to a temporary file in the target
folder, rename it into place, then sync the folder so the rename survives a crash.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


def sync_dir(path: Path) -> None:
    """Persist renames and unlinks in ``path``; folders cannot be opened for fsync on Windows."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:
        log.debug("cannot fsync folder %s: %s", path, e)
    finally:
        os.close(fd)
