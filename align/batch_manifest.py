"""Batch inputs: read a manifest (CSV, TSV, JSONL) or pair a folder's files by stem.

This is the only place where manifest text becomes typed ``BatchItem`` values, so every
check a user can fail (an unknown column, an unknown option, an unsafe or duplicate id)
raises ``ManifestError`` here, before any model loads. Missing or broken audio and
transcript files are *not* manifest errors: they fail their own item at run time, so
that one bad file never stops a 1,000-file run.

Ids name the output files (``OUTDIR/<id>.<ext>``), so an id can never hold a folder:
ids written in a manifest are rejected when unsafe; ids taken from file names (the
transcript's stem in a manifest, the shared stem with ``--pairs``) are rewritten.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from align.errors import ManifestError
from align.model import REFINE_MODES, RefineMode

COLUMNS: tuple[str, ...] = ("audio", "transcript", "id", "language", "options")
REQUIRED_COLUMNS: tuple[str, ...] = ("audio", "transcript")
OPTION_KEYS: tuple[str, ...] = ("format", "language", "model", "refine")
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
SUMMARY_NAME = "batch_summary.json"
STATE_DIR_NAME = ".turnalign"
# Characters that are unsafe in a file name on some system (Windows forbids <>:"|?*),
# plus both path separators; an id holding one could not be one portable file name.
_UNSAFE_ID_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
# Leaves room for the longest extension (".words.tsv") and a temporary-file suffix
# within the common 255-byte file-name limit.
MAX_ID_BYTES = 200
_LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}$")
_MANIFEST_TYPES: dict[str, str] = {
    ".csv": ",",
    ".tsv": "\t",
    ".tab": "\t",
    ".jsonl": "",
    ".ndjson": "",
}


@dataclass(frozen=True, slots=True)
class ItemOverrides:
    """Per-item options a manifest may set; ``None`` keeps the batch-wide value."""

    model: str | None = None
    refine: RefineMode | None = None
    language: str | None = None
    formats: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One audio + transcript pair to align; outputs go to ``OUTDIR/<id><extension>``.

    Paths are absolute. ``line`` is the manifest line the item came from (``None`` for
    ``--pairs``), for messages.
    """

    id: str
    audio_path: Path
    transcript_path: Path
    overrides: ItemOverrides = ItemOverrides()
    line: int | None = None


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


def check_item_id(raw: str) -> str:
    """Return ``raw`` stripped if it is a safe bare file name; raise ``ValueError`` if not."""
    item_id = raw.strip()
    if not item_id:
        raise ValueError("id is empty")
    bad = _UNSAFE_ID_CHARS.search(item_id)
    if bad:
        shown = item_id if item_id.isprintable() else repr(item_id)[1:-1]
        char = bad.group() if bad.group().isprintable() else repr(bad.group())[1:-1]
        raise ValueError(
            f"id '{shown}' contains '{char}'; ids are bare file names, "
            'without folders or any of <>:"/\\|?*'
        )
    if item_id in (".", "..") or item_id.startswith("."):
        raise ValueError(f"id '{item_id}' starts with '.' (ids name visible files)")
    if len(item_id.encode("utf-8")) > MAX_ID_BYTES:
        raise ValueError(f"id {item_id[:40]!r}... is longer than {MAX_ID_BYTES} bytes")
    return item_id


def safe_stem(stem: str) -> str:
    """Rewrite a file stem into a safe id: unsafe characters and leading dots become '_'."""
    rewritten = _UNSAFE_ID_CHARS.sub("_", stem.strip())
    rewritten = re.sub(r"^\.+", lambda m: "_" * len(m.group()), rewritten) or "_"
    return rewritten.encode("utf-8")[:MAX_ID_BYTES].decode("utf-8", "ignore")


def output_names(item_id: str, formats: Iterable[str]) -> list[str]:
    """The file names (in ``OUTDIR``) an item with these formats writes."""
    from align.writers import get_writer

    return [f"{item_id}{get_writer(f).extension}" for f in formats]


def check_output_names(
    source: str | Path, items: Sequence[BatchItem], default_formats: Sequence[str]
) -> None:
    """Reject items whose output files would collide (ids ``a`` and ``a.words`` with csv
    and words_csv) or take the summary's name; case-insensitively, for macOS and Windows.

    Raises:
        ManifestError: two outputs share a name, or an output is named like the summary.
    """
    owner: dict[str, str] = {SUMMARY_NAME.casefold(): "the batch summary"}
    for item in items:
        formats = item.overrides.formats or default_formats
        for name in output_names(item.id, formats):
            other = owner.setdefault(name.casefold(), f"item '{item.id}'")
            if other != f"item '{item.id}'":
                raise ManifestError(
                    source, f"item '{item.id}' would write '{name}', as {other} does", item.line
                )


def parse_options(source: Path, line: int | None, value: Any) -> ItemOverrides:
    """Per-item options: a JSON object (or dict), or ``key=value`` pairs split by ';' or
    whitespace. Keys: format (a comma list or JSON list), language, model, refine.

    Raises:
        ManifestError: not an object or pairs, an unknown key, or a bad value.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return ItemOverrides()
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            value = json.loads(value)
        except ValueError as e:
            raise ManifestError(source, f"options are not valid JSON ({e})", line) from e
    if isinstance(value, str):
        value = dict(_key_value_pairs(source, line, value))
    if not isinstance(value, Mapping):
        raise ManifestError(source, "options must be a JSON object or key=value pairs", line)
    unknown = sorted(set(value) - set(OPTION_KEYS))
    if unknown:
        raise ManifestError(
            source,
            f"unknown option '{unknown[0]}'; allowed: {', '.join(OPTION_KEYS)}",
            line,
        )
    return ItemOverrides(
        model=_opt_str(source, line, "model", value.get("model")),
        refine=_opt_refine(source, line, value.get("refine")),
        language=_opt_language(source, line, value.get("language")),
        formats=_opt_formats(source, line, value.get("format")),
    )


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
    language = _opt_language(path, line, row.get("language"))
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


def _key_value_pairs(source: Path, line: int | None, text: str) -> Iterator[tuple[str, str]]:
    for part in re.split(r"[;\s]+", text.strip()):
        if not part:
            continue
        key, sep, val = part.partition("=")
        if not sep or not key:
            raise ManifestError(
                source, f"option {part!r} is not key=value (e.g. model=base;refine=none)", line
            )
        yield key.strip().lower(), val.strip()


def _opt_str(source: Path, line: int | None, key: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ManifestError(source, f"option '{key}' must be a non-empty string", line)
    return value.strip()


def _opt_refine(source: Path, line: int | None, value: Any) -> RefineMode | None:
    text = _opt_str(source, line, "refine", value)
    if text is None:
        return None
    if text not in REFINE_MODES:
        raise ManifestError(
            source, f"refine '{text}' is unknown; choose {', '.join(REFINE_MODES)}", line
        )
    return text  # type: ignore[return-value]  # checked against REFINE_MODES just above


def _opt_language(source: Path, line: int | None, value: Any) -> str | None:
    text = _opt_str(source, line, "language", value) if value not in (None, "") else None
    if text is None:
        return None
    if not _LANGUAGE_RE.match(text):
        raise ManifestError(
            source, f"language '{text}' is not a language code such as en or de", line
        )
    return text.lower()


def _opt_formats(source: Path, line: int | None, value: Any) -> tuple[str, ...] | None:
    from align.writers import WRITERS

    if value is None:
        return None
    if isinstance(value, str):
        names = [f.strip().lower() for f in value.split(",") if f.strip()]
    elif isinstance(value, list) and all(isinstance(f, str) for f in value):
        names = [f.strip().lower() for f in value if f.strip()]
    else:
        raise ManifestError(source, "option 'format' must be a comma list or a list", line)
    if not names:
        raise ManifestError(source, "option 'format' names no format", line)
    for name in names:
        if name not in WRITERS:
            raise ManifestError(
                source, f"unknown format '{name}'; choose from {', '.join(WRITERS)}", line
            )
    return tuple(dict.fromkeys(names))


__all__ = [
    "AUDIO_EXTENSIONS",
    "COLUMNS",
    "OPTION_KEYS",
    "BatchItem",
    "ItemOverrides",
    "check_item_id",
    "check_output_names",
    "output_names",
    "pair_directory",
    "parse_options",
    "read_manifest",
    "safe_stem",
]
