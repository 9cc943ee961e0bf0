"""Output writers: every file format turnalign writes, behind one registry.

A writer is ``write_x(result, fp, opts) -> None``: it gets a ``Result`` and an open text
stream, never a path (STYLE.md §6). ``write_outputs`` owns the paths: it names the files,
writes each through a temporary file and renames it into place only when every format
has been written, so that a failure never leaves a half-written file behind.

Formats (name: extension): json: .json (the "turnalign/1" contract), srt: .srt,
vtt: .vtt, ass: .ass, md: .md, textgrid: .TextGrid, csv: .csv, tsv: .tsv,
words_csv: .words.csv, words_tsv: .words.tsv, audacity: .labels.txt, txt: .timed.txt,
timestamped: .timestamped.txt (the input's own format with times), corrected:
.corrected.txt (the same with ``result.corrections`` applied), report: .report.md,
html: .html (a self-contained page to review the alignment while listening), podcast-json:
.podcast.json and podcast-json-words: .words.podcast.json (Podcasting 2.0 transcripts).
srt and vtt give a subtitle transcript its own cues back, re-timed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Literal, TextIO, cast

from align.atomic import create_temp
from align.atomic import sync_dir as _sync_dir
from align.errors import OutputError, UnknownFormatError
from align.model import Result
from align.writers.corrected import write_corrected, write_timestamped
from align.writers.html import write_html
from align.writers.json_writer import write_json
from align.writers.labels import write_audacity
from align.writers.options import SubtitleOptions, WriterOptions
from align.writers.podcast_json import write_podcast_json, write_podcast_json_words
from align.writers.report import write_report
from align.writers.resync import write_srt_resync, write_vtt_resync
from align.writers.subtitles import write_ass
from align.writers.tables import (
    write_turns_csv,
    write_turns_tsv,
    write_words_csv,
    write_words_tsv,
)
from align.writers.text import write_md, write_txt
from align.writers.textgrid import write_textgrid

logger = logging.getLogger(__name__)

# Random temporary names collide only by bad luck; give up after this many.

OutputFormat = Literal[
    "json",
    "srt",
    "vtt",
    "ass",
    "md",
    "textgrid",
    "csv",
    "tsv",
    "words_csv",
    "words_tsv",
    "audacity",
    "txt",
    "timestamped",
    "corrected",
    "report",
    "html",
    "podcast-json",
    "podcast-json-words",
]

Writer = Callable[[Result, TextIO, WriterOptions], None]
BinaryWriter = Callable[[Result, BinaryIO, WriterOptions], None]


@dataclass(frozen=True, slots=True)
class WriterSpec:
    """A registered format: its writer, the file name ending it gets, and its file mode.

    A ``text`` format's ``write`` is a ``Writer`` and gets a UTF-8 stream opened with
    ``newline=""`` (writers choose their own line endings); any other format's is a
    ``BinaryWriter`` (none is registered yet).
    """

    write: Writer | BinaryWriter
    extension: str
    text: bool = True


WRITERS: dict[str, WriterSpec] = {
    "json": WriterSpec(write_json, ".json"),
    # A subtitle (or podcast JSON) transcript gets its own cues back, re-timed (resync.py).
    "srt": WriterSpec(write_srt_resync, ".srt"),
    "vtt": WriterSpec(write_vtt_resync, ".vtt"),
    "ass": WriterSpec(write_ass, ".ass"),
    "md": WriterSpec(write_md, ".md"),
    "textgrid": WriterSpec(write_textgrid, ".TextGrid"),
    "csv": WriterSpec(write_turns_csv, ".csv"),
    "tsv": WriterSpec(write_turns_tsv, ".tsv"),
    "words_csv": WriterSpec(write_words_csv, ".words.csv"),
    "words_tsv": WriterSpec(write_words_tsv, ".words.tsv"),
    "audacity": WriterSpec(write_audacity, ".labels.txt"),
    # Never plain ".txt": that is usually the input transcript's own name.
    "txt": WriterSpec(write_txt, ".timed.txt"),
    "timestamped": WriterSpec(write_timestamped, ".timestamped.txt"),
    "corrected": WriterSpec(write_corrected, ".corrected.txt"),
    "report": WriterSpec(write_report, ".report.md"),
    "html": WriterSpec(write_html, ".html"),
    "podcast-json": WriterSpec(write_podcast_json, ".podcast.json"),
    "podcast-json-words": WriterSpec(write_podcast_json_words, ".words.podcast.json"),
}


def get_writer(name: str) -> WriterSpec:
    """Look up a format by name.

    Raises:
        UnknownFormatError: ``name`` is not a registered format.
    """
    try:
        return WRITERS[name]
    except KeyError:
        raise UnknownFormatError(name, WRITERS) from None


def write_outputs(
    result: Result,
    formats: Sequence[str],
    outdir: Path,
    stem: str,
    opts: WriterOptions,
) -> list[Path]:
    """Write ``result`` in each format to ``outdir/<stem><extension>``, all or nothing.

    Every format name is checked before anything is written. Each file is written to a
    temporary file in ``outdir`` and synced; only when all of them succeeded are they
    renamed over their final names, so a failing writer leaves no partial file and no new
    output at all (earlier outputs of the same name stay as they were). Only a failing
    rename, after every file was written, can leave some outputs new and some old.
    ``outdir`` is created if missing.

    Args:
        result: the aligned transcript.
        formats: format names (see ``WRITERS``); repeats are written once.
        outdir: the folder to write into.
        stem: the file name without extension, e.g. the audio file's stem.
        opts: options for the writers.

    Returns:
        The paths written, in the order of ``formats``.

    Raises:
        UnknownFormatError: a format name is not registered (nothing is written).
        ValueError: ``stem`` is empty or is not a bare file name.
        OutputError: ``outdir`` or a file in it cannot be created or written.
    """
    specs = {name: get_writer(name) for name in formats}
    if not stem or Path(stem).name != stem or stem in (".", ".."):
        raise ValueError(f"stem {stem!r} must be a bare file name, without folders")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(outdir, _reason(e)) from e
    finals = [outdir / f"{stem}{spec.extension}" for spec in specs.values()]
    for final in finals:
        # Caught here, before anything is written, rather than by the last rename.
        if final.is_dir():
            raise OutputError(final, "a folder has this name")

    # Writers that link other files (the HTML page's audio) link them relative to outdir.
    opts = replace(opts, output_dir=outdir)
    staged: list[tuple[Path, Path]] = []  # (temporary, final)
    try:
        for spec, final in zip(specs.values(), finals, strict=True):
            staged.append((_write_temp(result, spec, final, opts), final))
        for tmp, final in staged:
            try:
                os.replace(tmp, final)
            except OSError as e:
                raise OutputError(final, _reason(e)) from e
    except BaseException:
        _remove(tmp for tmp, _ in staged)
        raise
    _sync_dir(outdir)
    return [final for _, final in staged]


def _write_temp(result: Result, spec: WriterSpec, final: Path, opts: WriterOptions) -> Path:
    """Write one format next to ``final`` under a hidden temporary name; return that name."""
    try:
        fd, tmp = create_temp(final)
    except OSError as e:
        raise OutputError(final, _reason(e)) from e
    try:
        if spec.text:
            with open(fd, "w", encoding="utf-8", newline="") as fp:
                cast(Writer, spec.write)(result, fp, opts)
                fp.flush()
                os.fsync(fp.fileno())
        else:
            with open(fd, "wb") as bfp:
                cast(BinaryWriter, spec.write)(result, bfp, opts)
                bfp.flush()
                os.fsync(bfp.fileno())
    except OSError as e:
        _remove([tmp])
        raise OutputError(final, _reason(e)) from e
    except BaseException:
        _remove([tmp])
        raise
    return tmp


def _remove(paths: Iterable[Path]) -> None:
    """Delete temporary files while an error propagates; never raise a second error."""
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as e:
            logger.warning("cannot remove temporary file %s: %s", path, e)


def _reason(e: OSError) -> str:
    return e.strerror or str(e)


__all__ = [
    "WRITERS",
    "BinaryWriter",
    "OutputFormat",
    "SubtitleOptions",
    "Writer",
    "WriterOptions",
    "WriterSpec",
    "get_writer",
    "write_outputs",
]
