"""Crash-safe file writes: outputs appear whole or not at all.

Writers, batch markers and exported clips all write to a temporary file in the target
folder (``create_temp``), rename it into place, then sync the folder so the rename survives
a crash (``sync_dir``); ``write_bytes`` does all three for content already in memory.
The temporary file is created as ``open`` creates files, so the umask sets the output's
mode (``tempfile.mkstemp`` makes private 0600 files, and the mode stays after the rename:
a dataset another account or a training job could not read).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

_TEMP_NAME_TRIES = 100


def create_temp(final: Path) -> tuple[int, Path]:
    """Create a hidden, new file beside ``final`` (mode from the umask); its descriptor,
    open for writing, and its path.

    Raises:
        OSError: the folder cannot be written.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(_TEMP_NAME_TRIES):
        tmp = final.with_name(f".{final.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary name", str(final))


def write_bytes(path: Path, data: bytes) -> None:
    """Put ``data`` at ``path`` whole or not at all: a synced temporary file renamed over
    it, the folder synced after.

    Raises:
        OSError: the file cannot be written or renamed into place (no temporary file is
            left behind).
    """
    fd, tmp = create_temp(path)
    try:
        with open(fd, "wb") as fp:
            fp.write(data)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    sync_dir(path.parent)


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


__all__ = ["create_temp", "sync_dir", "write_bytes"]
