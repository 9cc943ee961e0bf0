"""CSV and TSV tables for spreadsheets and scripts: one row per turn, or one per word.

Written with the ``csv`` module (quoting, embedded newlines); times are seconds with
three decimals, as in the JSON contract, and empty where the audio lacks the turn or word.
"""

from __future__ import annotations

import csv
from typing import TextIO

from align.model import Result
from align.writers.options import WriterOptions

TURN_COLUMNS = ("index", "speaker", "start", "end", "status", "confidence", "text")
WORD_COLUMNS = (
    "turn",
    "word",
    "speaker",
    "start",
    "end",
    "status",
    "confidence",
    "text",
    "heard",
)
# "\n" rather than the csv module's "\r\n": these files are diffed and read by scripts,
# and every CSV reader (Excel included) takes either.
_LINE_END = "\n"


def write_turns_csv(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """One row per turn: ``index,speaker,start,end,status,confidence,text``."""
    _write_turns(result, fp, "excel")


def write_turns_tsv(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """As ``write_turns_csv``, tab-separated."""
    _write_turns(result, fp, "excel-tab")


def write_words_csv(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """One row per word: ``turn,word,speaker,start,end,status,confidence,text,heard``."""
    _write_words(result, fp, "excel")


def write_words_tsv(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """As ``write_words_csv``, tab-separated."""
    _write_words(result, fp, "excel-tab")


def _write_turns(result: Result, fp: TextIO, dialect: str) -> None:
    writer = csv.writer(fp, dialect=dialect, lineterminator=_LINE_END)
    writer.writerow(TURN_COLUMNS)
    for t in result.turns:
        writer.writerow(
            (t.index, t.speaker, _s(t.start), _s(t.end), t.status, f"{t.confidence:.3f}", t.text)
        )


def _write_words(result: Result, fp: TextIO, dialect: str) -> None:
    writer = csv.writer(fp, dialect=dialect, lineterminator=_LINE_END)
    writer.writerow(WORD_COLUMNS)
    for t in result.turns:
        for i, w in enumerate(t.words):
            writer.writerow(
                (
                    t.index,
                    i,
                    t.speaker,
                    _s(w.start),
                    _s(w.end),
                    w.status,
                    f"{w.confidence:.3f}",
                    w.text,
                    w.heard or "",
                )
            )


def _s(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds:.3f}"


__all__ = [
    "TURN_COLUMNS",
    "WORD_COLUMNS",
    "write_turns_csv",
    "write_turns_tsv",
    "write_words_csv",
    "write_words_tsv",
]
