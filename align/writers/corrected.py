"""The user's transcript back in its own format: with a time on every turn, and corrected.

``timestamped``: every turn as written, its aligned start time added.
``corrected``: the same, with the changes in ``result.corrections`` applied (unspoken
duplicated phrases and turns removed; confident word fixes only when ``--fix-words``).
"""

from __future__ import annotations

from typing import TextIO

from align.corrections import apply_corrections
from align.model import Result
from align.transcript import TRANSCRIPT_FORMATS, Transcript, TranscriptTurn, render_transcript
from align.writers.options import WriterOptions


def _as_transcript(result: Result) -> Transcript:
    turns = tuple(
        TranscriptTurn(t.speaker, t.text, tuple(t.text.split()), t.original_time, 1)
        for t in result.turns
    )
    fmt = result.transcript.format
    return Transcript(
        path=result.transcript.path,
        # A result from elsewhere may name a layout we do not write; use speaker blocks.
        format=fmt if fmt in TRANSCRIPT_FORMATS else "speaker_block",  # type: ignore[arg-type]
        front_matter=result.transcript.front_matter,
        turns=turns,
    )


def write_timestamped(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """The transcript as written, each turn stamped with its aligned start."""
    texts: list[str | None] = [t.text for t in result.turns]
    fp.write(render_transcript(_as_transcript(result), texts, [t.start for t in result.turns]))


def write_corrected(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """The transcript with ``result.corrections`` applied and a time on every kept turn."""
    texts = apply_corrections(result.turns, result.corrections)
    fp.write(render_transcript(_as_transcript(result), texts, [t.start for t in result.turns]))
