"""The Audacity label-track writer: one label per aligned turn.

Audacity imports ``start<TAB>end<TAB>label`` lines (File > Import > Labels); times are
seconds with six decimals, as Audacity itself exports them. There is no library for this
three-column format.
"""

from __future__ import annotations

from typing import TextIO

from align.model import Result
from align.writers.options import WriterOptions
from align.writers.text import speaker_line

ELLIPSIS = "…"


def write_audacity(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """Write a label per aligned turn, ``"Speaker 1: text"`` cut to ``opts.label_max_chars``."""
    for turn in result.turns:
        if turn.start is None or turn.end is None:
            continue
        label = shorten(speaker_line(turn), opts.label_max_chars)
        fp.write(f"{turn.start:.6f}\t{turn.end:.6f}\t{label}\n")


def shorten(text: str, max_chars: int) -> str:
    """Cut ``text`` at a word boundary so that it, plus "…", fits ``max_chars``.

    A single word longer than that is cut inside the word.
    """
    if len(text) <= max_chars:
        return text
    room = max_chars - len(ELLIPSIS)
    cut = text.rfind(" ", 0, room + 1)
    head = text[:cut] if cut > 0 else text[:room]
    return head.rstrip(" ,;:") + ELLIPSIS


__all__ = ["shorten", "write_audacity"]
