"""Batch inputs: read a manifest (CSV, TSV, JSONL) or pair a folder's files by stem.

This is where manifest text becomes typed ``BatchItem`` values (with ``align.batch.items``
for ids and per-item options), so every check a user can fail (an unknown column, an
unknown option, an unsafe or duplicate id) raises ``ManifestError`` here, before any model
loads. Missing or broken audio and transcript files are *not* manifest errors: they fail
their own item at run time, so that one bad file never stops a 1,000-file run.

Ids name the output files (``OUTDIR/<id>.<ext>``), so an id can never hold a folder:
ids written in a manifest are rejected when unsafe; ids taken from file names (the
transcript's stem in a manifest, the shared stem with ``--pairs``) are rewritten.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from align.batch.items import (
    BatchItem,
    ItemOverrides,
    check_item_id,
    parse_language,
    parse_options,
    safe_stem,
)
from align.errors import ManifestError

COLUMNS: tuple[str, ...] = ("audio", "transcript", "id", "language", "options")
REQUIRED_COLUMNS: tuple[str, ...] = ("audio", "transcript")
AUDIO_EXTENSIONS: tuple[str, ...] = (
    ".wav",
    ".flac",
    ".mp3",
    ".m4a",
    ".ogg",
    ".opus",
    ".mp4",
    ".mkv",
    ".webm",
)
TRANSCRIPT_EXTENSION = ".txt"
_MANIFEST_TYPES: dict[str, str] = {
    ".csv": ",",
    ".tsv": "\t",
    ".tab": "\t",
    ".jsonl": "",
    ".ndjson": "",
}


def read_manifest(path: str | Path) -> list[BatchItem]:
    """Read a manifest; its type comes from its extension (.csv, .tsv/.tab, .jsonl/.ndjson).

    Relative paths in the manifest resolve against the manifest's own folder. Without
    an ``id`` the transcript's stem is the id (as ``turnalign align`` names outputs).

    Raises:
        ManifestError: unreadable file, unknown type, column, key or option, unsafe or
            duplicate id, or no items.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise ManifestError(path, "file not found")
    if suffix not in _MANIFEST_TYPES:
        raise ManifestError(
            path, f"unknown manifest type '{suffix or path.name}'; use .csv, .tsv or .jsonl"
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as e:
        raise ManifestError(path, "file not found") from e
    except UnicodeDecodeError as e:
        raise ManifestError(path, f"not UTF-8 text ({e.reason} at byte {e.start})") from e
    except OSError as e:
        raise ManifestError(path, e.strerror or str(e)) from e
    delimiter = _MANIFEST_TYPES[suffix]
    rows = _jsonl_rows(path, text) if not delimiter else _table_rows(path, text, delimiter)
    base = Path(os.path.abspath(path)).parent
    items = [_item(path, base, line, row) for line, row in rows]
    if not items:
        raise ManifestError(path, "no items (a header line and at least one row are needed)")
    _check_unique_ids(path, items)
    return items


def pair_directory(folder: str | Path) -> list[BatchItem]:
    """Pair each audio file in ``folder`` with the ``.txt`` of the same stem.

    Audio files are those with an extension in ``AUDIO_EXTENSIONS`` (any case); hidden
    files are ignored and the folder is not searched recursively. An audio file
    without a transcript still becomes an item (it fails at run time, and is reported).
    Items come sorted by stem.

    Raises:
        ManifestError: the folder cannot be listed, holds no audio, or holds two audio
            files with one stem.
    """
    folder = Path(os.path.abspath(folder))
    try:
        entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except FileNotFoundError as e:
        raise ManifestError(folder, "folder not found") from e
    except OSError as e:
        raise ManifestError(folder, e.strerror or str(e)) from e
    by_stem: dict[str, Path] = {}
    for entry in entries:
        if entry.suffix.lower() not in AUDIO_EXTENSIONS or not entry.is_file():
            continue
        if entry.stem in by_stem:
            raise ManifestError(
                folder,
                f"'{by_stem[entry.stem].name}' and '{entry.name}' share a stem; "
                "keep one or use a manifest",
            )
        by_stem[entry.stem] = entry
    if not by_stem:
        raise ManifestError(
            folder, f"no audio files ({', '.join(e[1:] for e in AUDIO_EXTENSIONS)})"
        )
    items = [
        BatchItem(safe_stem(stem), audio, folder / f"{stem}{TRANSCRIPT_EXTENSION}")
        for stem, audio in sorted(by_stem.items())
    ]
    _check_unique_ids(folder, items)
    return items


# -- internals -------------------------------------------------------------------------


def _table_rows(path: Path, text: str, delimiter: str) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    try:
        for cells in reader:
            if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            if header is None:
                header = _header(path, reader.line_num, cells)
                continue
            if len(cells) != len(header):
                raise ManifestError(
                    path,
                    f"{len(cells)} fields where the header names {len(header)}",
                    reader.line_num,
                )
            yield reader.line_num, {k: v.strip() for k, v in zip(header, cells) if v.strip()}
    except csv.Error as e:
        raise ManifestError(path, f"malformed {path.suffix[1:]} ({e})", reader.line_num) from e


def _header(path: Path, line: int, cells: list[str]) -> list[str]:
    header = [c.strip().lower() for c in cells]
    for name in header:
        if name not in COLUMNS:
            raise ManifestError(
                path, f"unknown column '{name}'; columns are {', '.join(COLUMNS)}", line
            )
    if len(set(header)) != len(header):
        raise ManifestError(path, "a column is named twice", line)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ManifestError(
            path,
            f"the first line must name the columns; '{missing[0]}' is missing "
            f"(columns: {', '.join(COLUMNS)})",
            line,
        )
    return header


def _jsonl_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except ValueError as e:
            raise ManifestError(path, f"not a JSON object ({e})", n) from e
        if not isinstance(row, dict):
            raise ManifestError(path, "each line must be a JSON object", n)
        unknown = sorted(set(row) - set(COLUMNS))
        if unknown:
            raise ManifestError(
                path, f"unknown key '{unknown[0]}'; keys are {', '.join(COLUMNS)}", n
            )
        for key in ("audio", "transcript", "id", "language"):
            if row.get(key) is not None and not isinstance(row[key], str):
                raise ManifestError(path, f"'{key}' must be a string", n)
        yield n, {k: v for k, v in row.items() if v is not None and v != ""}


def _item(path: Path, base: Path, line: int, row: Mapping[str, Any]) -> BatchItem:
    for key in REQUIRED_COLUMNS:
        if not str(row.get(key, "")).strip():
            raise ManifestError(path, f"'{key}' is empty", line)
    audio_path = _resolve(base, row["audio"])
    transcript_path = _resolve(base, row["transcript"])
    overrides = parse_options(path, line, row.get("options"))
    language = parse_language(path, line, row.get("language"))
    if language is not None:
        if overrides.language not in (None, language):
            raise ManifestError(
                path,
                f"language '{language}' and options language '{overrides.language}' differ",
                line,
            )
        overrides = ItemOverrides(overrides.model, overrides.refine, language, overrides.formats)
    if "id" in row:
        try:
            item_id = check_item_id(row["id"])
        except ValueError as e:
            raise ManifestError(path, str(e), line) from e
    else:
        item_id = safe_stem(transcript_path.stem)
    return BatchItem(item_id, audio_path, transcript_path, overrides, line)


def _resolve(base: Path, raw: str) -> Path:
    p = Path(os.path.expanduser(raw.strip()))
    return Path(os.path.normpath(p if p.is_absolute() else base / p))


def _check_unique_ids(source: Path, items: Sequence[BatchItem]) -> None:
    seen: dict[str, BatchItem] = {}
    for item in items:
        first = seen.setdefault(item.id.casefold(), item)
        if first is not item:
            where = f" (first on line {first.line})" if first.line is not None else ""
            raise ManifestError(
                source,
                f"duplicate id '{item.id}'{where}; give each item its own id",
                item.line,
            )


__all__ = [
    "AUDIO_EXTENSIONS",
    "COLUMNS",
    "REQUIRED_COLUMNS",
    "TRANSCRIPT_EXTENSION",
    "pair_directory",
    "read_manifest",
]
