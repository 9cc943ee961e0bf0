"""The Praat TextGrid writer, through praatio: a tier per speaker plus a ``words`` tier.

Each speaker tier holds that speaker's aligned turns (label: the turn's text); the
``words`` tier holds every timed word of every turn. Praat requires the intervals of a
tier to be in order, not to overlap and to lie inside the grid, so crosstalk is clipped
here: a later interval starts where the earlier one ends, and one clipped to nothing is
dropped (logged). Untimed words and turns have no interval.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from praatio import textgrid
from praatio.data_classes.interval_tier import IntervalTier

from align.model import Result
from align.writers.options import WriterOptions

logger = logging.getLogger(__name__)

WORDS_TIER = "words"
# Times are rounded to whole milliseconds, like the JSON contract, so that the file does
# not print float noise such as 2.3000000000000003; empty intervals are dropped.
_DECIMALS = 3

Span = tuple[float, float, str]


def write_textgrid(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """Write a long-format TextGrid spanning ``[0, audio duration]``."""
    duration = round(result.audio.duration, _DECIMALS)
    speakers = list(dict.fromkeys(turn.speaker for turn in result.turns))
    grid = textgrid.Textgrid(0.0, duration)
    for speaker in speakers:
        turns = (
            (t.start, t.end, " ".join(t.text.split()))
            for t in result.turns
            if t.speaker == speaker and t.start is not None and t.end is not None
        )
        grid.addTier(IntervalTier(speaker, _tidy(turns, duration, speaker), 0.0, duration))
    words = (
        (w.start, w.end, w.text)
        for t in result.turns
        for w in t.words
        if w.start is not None and w.end is not None
    )
    name = _unused_name(WORDS_TIER, speakers)
    grid.addTier(IntervalTier(name, _tidy(words, duration, name), 0.0, duration))
    # praatio only saves to a path; go through a private temporary file to fill ``fp``.
    with tempfile.TemporaryDirectory(prefix="turnalign-tg-") as tmp:
        path = Path(tmp) / "out.TextGrid"
        grid.save(str(path), format="long_textgrid", includeBlankSpaces=True)
        fp.write(path.read_text(encoding="utf-8"))


def _tidy(spans: Iterable[tuple[float, float, str]], duration: float, tier: str) -> list[Span]:
    """Round, sort, clip into ``[0, duration]`` and make the spans of one tier disjoint."""
    out: list[Span] = []
    rounded = ((round(s, _DECIMALS), round(e, _DECIMALS), text) for s, e, text in spans)
    for start, end, text in sorted(rounded, key=lambda span: (span[0], span[1])):
        start = max(start, out[-1][1] if out else 0.0)
        end = min(end, duration)
        if round(end - start, _DECIMALS) <= 0:
            logger.debug("tier %r: dropping %r, no room left at %.3fs", tier, text, start)
            continue
        out.append((start, end, text))
    return out


def _unused_name(name: str, taken: list[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name} ({n})"
    return candidate


__all__ = ["WORDS_TIER", "write_textgrid"]
