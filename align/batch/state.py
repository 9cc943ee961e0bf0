"""What makes a batch resumable: content keys, done-markers, atomic JSON, the folder lock.

An item is finished when ``OUTDIR/.turnalign/<id>.done.json`` holds the item's current
key and every output it lists exists. The key is a SHA-256 over

* the SHA-256 of the audio file's bytes and of the transcript file's bytes,
* both paths as given to the aligner (the JSON output records them), and
* a digest of everything that shapes the outputs: ``AlignOptions`` (engine, model,
  device, refine, ...), the output formats, ``WriterOptions``, the turnalign version
  and the result schema.

The worker removes an item's marker before it writes outputs and writes the marker
(atomically) only after ``write_outputs`` has put every file in place, so a process
killed at any moment leaves either a valid marker over complete outputs, or no marker.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from align import __version__
from align.atomic import sync_dir as _sync_dir
from align.atomic import write_bytes
from align.batch.items import STATE_DIR_NAME, BatchItem
from align.errors import OutputError, UsageError
from align.model import SCHEMA
from align.options import AlignOptions
from align.writers.options import WriterOptions

log = logging.getLogger(__name__)

MARKER_SCHEMA = "turnalign-batch-done/1"
MARKER_SUFFIX = ".done.json"
_HASH_CHUNK_BYTES = 1 << 20  # 1 MiB: large enough that hashlib releases the GIL
_LOCK_NAME = "lock"


@dataclass(frozen=True, slots=True)
class ItemKey:
    """The resume key of one item and the digests it is built from (hex SHA-256)."""

    audio_sha256: str
    transcript_sha256: str
    options_sha256: str
    key: str


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes. Raises ``OSError`` when it cannot be read."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_HASH_CHUNK_BYTES):
            h.update(chunk)
    return h.hexdigest()


def options_digest(
    align_opts: AlignOptions, formats: Sequence[str], writer_opts: WriterOptions
) -> str:
    """A stable hex digest of every option that shapes an item's output files."""
    align = dataclasses.asdict(align_opts)
    # How many threads and processes share the work changes no output.
    align.pop("refine_workers", None)
    align["engine"].pop("workers", None)
    payload = {
        "turnalign": __version__,
        "schema": SCHEMA,
        "align": align,
        "formats": list(formats),
        "writer": dataclasses.asdict(writer_opts),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def item_key(item: BatchItem, options_sha256: str) -> ItemKey:
    """Hash the item's inputs and combine them with the options digest.

    Raises:
        OSError: an input file cannot be read.
    """
    audio_sha = sha256_file(item.audio_path)
    transcript_sha = sha256_file(item.transcript_path)
    combined = json.dumps(
        [
            str(item.audio_path),
            audio_sha,
            str(item.transcript_path),
            transcript_sha,
            options_sha256,
        ],
        separators=(",", ":"),
    )
    key = hashlib.sha256(combined.encode("utf-8")).hexdigest()
    return ItemKey(audio_sha, transcript_sha, options_sha256, key)


def state_dir(outdir: Path) -> Path:
    return outdir / STATE_DIR_NAME


def marker_path(outdir: Path, item_id: str) -> Path:
    return state_dir(outdir) / f"{item_id}{MARKER_SUFFIX}"


def read_marker(outdir: Path, item_id: str) -> dict[str, Any] | None:
    """The item's marker, or ``None`` when absent or unreadable (then it is redone)."""
    try:
        data = json.loads(marker_path(outdir, item_id).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        log.warning("ignoring unreadable marker for '%s': %s", item_id, e)
        return None
    if not isinstance(data, dict) or data.get("schema") != MARKER_SCHEMA:
        return None
    return data


def finished_marker(outdir: Path, item: BatchItem, options_sha256: str) -> dict[str, Any] | None:
    """The marker when ``item`` is finished for these inputs and options, else ``None``.

    Hashes the inputs only when a marker exists (a fresh item costs one failed open).
    """
    marker = read_marker(outdir, item.id)
    if marker is None or marker.get("options_sha256") != options_sha256:
        return None
    outputs = marker.get("outputs")
    if not isinstance(outputs, list) or not all((outdir / str(n)).is_file() for n in outputs):
        return None
    try:
        key = item_key(item, options_sha256)
    except OSError:
        return None
    return marker if marker.get("key") == key.key else None


def remove_marker(outdir: Path, item_id: str) -> None:
    """Forget that an item was finished (before its outputs are rewritten)."""
    path = marker_path(outdir, item_id)
    try:
        path.unlink()
    except FileNotFoundError:
        return
    except OSError as e:
        raise OutputError(path, e.strerror or str(e)) from e
    _sync_dir(path.parent)


def write_marker(
    outdir: Path,
    item: BatchItem,
    key: ItemKey,
    outputs: Sequence[str],
    coverage: float | None,
) -> None:
    """Record (atomically) that ``item``'s outputs are complete for ``key``."""
    data = {
        "schema": MARKER_SCHEMA,
        "id": item.id,
        "key": key.key,
        "audio": str(item.audio_path),
        "audio_sha256": key.audio_sha256,
        "transcript": str(item.transcript_path),
        "transcript_sha256": key.transcript_sha256,
        "options_sha256": key.options_sha256,
        "outputs": list(outputs),
        "coverage": coverage,
    }
    write_json_atomic(marker_path(outdir, item.id), data)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON through a synced temporary file renamed over ``path``.

    Raises:
        OutputError: the folder or file cannot be written.
    """
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(path, text.encode("utf-8"))
    except OSError as e:
        raise OutputError(path, e.strerror or str(e)) from e


def remove_stale_temp_files(folder: Path, final_names: Iterable[str]) -> int:
    """Remove ``.<name>.<random>.tmp`` files left by a killed run for these final names.

    Only temporary files of the given names are touched, never anything else.
    Returns how many were removed.
    """
    wanted = set(final_names)
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        name = entry.name
        if not (name.startswith(".") and name.endswith(".tmp")):
            continue
        final = name[1:].rsplit(".", 2)[0]  # ".a.json.k3x_9q.tmp" -> "a.json"
        if final in wanted:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed += 1
    if removed:
        log.info("removed %d temporary file(s) left in %s by an interrupted run", removed, folder)
    return removed


@contextlib.contextmanager
def lock_outdir(outdir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``OUTDIR/.turnalign/lock`` for the run (POSIX only).

    Raises:
        UsageError: another batch holds the lock.
        OutputError: the state folder cannot be created.
    """
    folder = state_dir(outdir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / _LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise OutputError(folder, e.strerror or str(e)) from e
    try:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; run one batch per folder
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise UsageError(
                f"another turnalign batch is writing to '{outdir}'; wait for it or use "
                "another output folder"
            ) from e
        except OSError as e:  # e.g. ENOLCK on a network file system without locks
            log.warning("cannot lock %s (%s); run one batch per folder", folder, e.strerror)
        yield
    finally:
        os.close(fd)  # closing releases the lock


__all__ = [
    "MARKER_SCHEMA",
    "ItemKey",
    "finished_marker",
    "item_key",
    "lock_outdir",
    "marker_path",
    "options_digest",
    "read_marker",
    "remove_marker",
    "remove_stale_temp_files",
    "sha256_file",
    "write_json_atomic",
    "write_marker",
]
