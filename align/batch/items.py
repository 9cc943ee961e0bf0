"""Batch items: what one item is, its id, the output names it writes, and its options.

Ids name the output files (``OUTDIR/<id>.<ext>``), so an id can never hold a folder:
``check_item_id`` rejects an unsafe id written in a manifest, ``safe_stem`` rewrites one taken
from a file name. ``parse_options`` turns an item's ``options`` cell into typed
``ItemOverrides``; every check a user can fail raises ``ManifestError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from align.errors import ManifestError
from align.model import REFINE_MODES, RefineMode

OPTION_KEYS: tuple[str, ...] = ("format", "language", "model", "refine")
SUMMARY_NAME = "batch_summary.json"
STATE_DIR_NAME = ".turnalign"
# Characters that are unsafe in a file name on some system (Windows forbids <>:"|?*),
# plus both path separators; an id holding one could not be one portable file name.
_UNSAFE_ID_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
# Leaves room for the longest extension (".words.tsv") and a temporary-file suffix
# within the common 255-byte file-name limit.
MAX_ID_BYTES = 200
_LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}$")


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
        language=parse_language(source, line, value.get("language")),
        formats=_opt_formats(source, line, value.get("format")),
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


def parse_language(source: Path, line: int | None, value: Any) -> str | None:
    """A language code (``en``, ``de``), lowercased; ``None`` when ``value`` is empty.

    Raises:
        ManifestError: not a two- or three-letter code.
    """
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
    "MAX_ID_BYTES",
    "OPTION_KEYS",
    "STATE_DIR_NAME",
    "SUMMARY_NAME",
    "BatchItem",
    "ItemOverrides",
    "check_item_id",
    "check_output_names",
    "output_names",
    "parse_language",
    "parse_options",
    "safe_stem",
]
