"""Writers for people: a Markdown transcript and a plain-text log with timestamps."""

from __future__ import annotations

import math
from typing import TextIO

from align.model import Result, Turn
from align.writers.options import WriterOptions

NOT_FOUND_LABEL = "[not found]"


def write_md(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """Write the transcript as it is published: front matter, then each turn under a heading line.

    Each turn is ``**Speaker 1** [00:01:02]``, a blank line and the turn's text as written;
    turns not found in the audio show ``[not found]`` instead of a time.
    """
    front = result.transcript.front_matter.strip()
    if front:
        fp.write(f"{front}\n\n")
        if not front.startswith("---"):
            # Plain-text front matter (title, credits): a rule sets it off from the turns.
            fp.write("---\n\n")
    for i, turn in enumerate(result.turns):
        when = NOT_FOUND_LABEL if turn.start is None else f"[{format_clock(turn.start)}]"
        separator = "\n" if i else ""
        fp.write(f"{separator}**{turn.speaker}** {when}\n\n{turn.text.strip()}\n")


def write_txt(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """Write one line per turn: ``[00:01:02.500 - 00:01:09.100] Speaker 1: text``."""
    for turn in result.turns:
        if turn.start is None or turn.end is None:
            when = NOT_FOUND_LABEL
        else:
            when = f"[{format_clock(turn.start, ms=True)} - {format_clock(turn.end, ms=True)}]"
        fp.write(f"{when} {speaker_line(turn)}\n")


def format_clock(seconds: float, *, ms: bool = False) -> str:
    """``HH:MM:SS`` (seconds floored, so a link lands before the speech) or ``HH:MM:SS.mmm``.

    Args:
        seconds: a time >= 0.
        ms: add milliseconds, rounded.

    Returns:
        The clock string; hours grow past two digits as needed.
    """
    total_ms = round(seconds * 1000) if ms else math.floor(seconds) * 1000
    hours, rest = divmod(max(total_ms, 0), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{clock}.{millis:03d}" if ms else clock


def speaker_line(turn: Turn) -> str:
    """``"Speaker 1: text"`` on one line (whitespace collapsed); just the text without a speaker."""
    text = " ".join(turn.text.split())
    return f"{turn.speaker}: {text}" if turn.speaker else text


__all__ = ["format_clock", "speaker_line", "write_md", "write_txt"]
