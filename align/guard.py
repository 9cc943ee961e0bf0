"""The first pass's hallucination guard: stretches where Whisper looped are heard again.

A loop (one phrase printed over and over, ``align.text.loops``) would be matched onto the
transcript as if it were speech: the phrase's turn takes the loop's time, or the turns the
loop covers go unfound. Each looped stretch is transcribed again on its own, with a second
of context either side, no prompt and no previous text: a fresh decoder that starts from
other audio rarely falls into the same loop. Its words replace the loop's when they no
longer loop; otherwise the loop's excess words are dropped, and the turns there are placed
by the acoustic check (``align.refine.verify``) like any other unheard speech.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np

import audio
from align.engines.base import Engine, Heard, HeardWord
from align.relisten import read_spans
from align.text.loops import LoopSpan, find_loops
from align.transcript import Transcript

log = logging.getLogger(__name__)

# Context either side of a looped stretch, so the engine hears whole words (as re-listening).
_CONTEXT_S = 1.0


def guard_loops(
    transcript: Transcript,
    heard: Heard,
    audio_path: audio.AudioSource,
    duration_s: float,
    engine: Engine,
    reread: Callable[[float, float], np.ndarray] | None = None,
) -> Heard:
    """The first pass's words, with every stretch where Whisper looped heard again.

    Costs nothing (no decode) when nothing loops. Each looped stretch is decoded once more
    by ``engine``, greedily and without a prompt, as in the first pass; its words are kept
    when they do not loop, else the stretch's looped words are dropped.

    Args:
        heard: the first pass's words.
        reread: ``reread(start_s, end_s)`` gives the samples of a span; ``None`` reads
            ``audio_path``.

    Returns:
        ``heard`` itself when nothing loops, else the guarded words in time order.
    """
    written = [tok for turn in transcript.turns for tok in turn.tokens]
    loops = find_loops([(w.text, w.start, w.end) for w in heard.words], written)
    if not loops:
        return heard
    log.info("first pass looped in %d stretch(es); hearing them again", len(loops))
    clips = [
        (max(0.0, s.start_s - _CONTEXT_S), min(duration_s, s.end_s + _CONTEXT_S)) for s in loops
    ]
    samples_of = (reread(a, b) for a, b in clips) if reread else read_spans(audio_path, clips)
    looped = {k for s in loops for k in range(s.first_word, s.last_word + 1)}
    words = [w for k, w in enumerate(heard.words) if k not in looped]
    for span, (clip_s, _), samples in zip(loops, clips, samples_of):
        again = engine.transcribe(samples, offset_s=clip_s)
        inside = [w for w in again.words if span.start_s <= (w.start + w.end) / 2 <= span.end_s]
        candidate = _in_order([*words, *inside])
        if inside and not _loops_over(candidate, written, span):
            log.info("looped %.1f-%.1fs (%s) heard again: %d word(s) replace %d",
                     span.start_s, span.end_s, " ".join(span.gram), len(inside),
                     span.last_word - span.first_word + 1)  # fmt: skip
            words = candidate
        else:
            log.info("looped %.1f-%.1fs (%s) %s; its %d word(s) dropped",
                     span.start_s, span.end_s, " ".join(span.gram),
                     "loops again" if inside else "heard as nothing",
                     span.last_word - span.first_word + 1)  # fmt: skip
    return Heard(tuple(words), heard.language)


def _in_order(words: Sequence[HeardWord]) -> list[HeardWord]:
    return sorted(words, key=lambda w: (w.start, w.end))


def _loops_over(words: Sequence[HeardWord], written: Sequence[str], span: LoopSpan) -> bool:
    """Whether ``words`` still loop anywhere in ``span``'s stretch."""
    found = find_loops([(w.text, w.start, w.end) for w in words], written)
    return any(s.start_s <= span.end_s and s.end_s >= span.start_s for s in found)


__all__ = ["guard_loops"]
