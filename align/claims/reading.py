"""Reading candidates against the audio: teacher-forced Whisper over short windows.

Each candidate is read with the written words around it: the written text once, then the
text up to the candidate with the heard words in its place, then that with the written
words after the heard ones (did the heard word come *before* the written one?). Whisper
reads a window from its start, so a window opens just before its first context word.
Candidates whose contexts fit in one window share it: the audio is encoded once for them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from align.claims.types import Candidate, ClaimOptions, Reading
from align.engines.base import Engine, ScoreRequest, geometric_mean
from align.model import Result, Word
from audio import SAMPLE_RATE, SpanReading

MARGIN_S = 0.15
"""Audio kept before the first and after the last word read, so that an edge word whose
placed time is a little short is still read whole."""


def read_candidates(
    candidates: Sequence[Candidate],
    words: Sequence[Word],
    reader: SpanReading,
    duration_s: float,
    engine: Engine,
    opts: ClaimOptions,
    language: str | None = None,
) -> list[Reading]:
    """The audio's reading of each candidate, in the order given.

    ``words``: the result's timed words in time order (``Candidate.first``/``last`` index
    it). ``reader``: the audio, read window by window in time order. The heard readings
    are asked only where the written one is unlikely enough for a claim
    (``opts.max_written_prob``); elsewhere they are left at 0. Up to ``engine.parallel``
    candidates are read at once (the readings are the same however many).
    """
    workers = max(1, engine.parallel)
    readings: dict[int, Reading] = {}
    with ThreadPoolExecutor(workers, thread_name_prefix="turnalign-claims") as pool:
        pending: deque[tuple[Candidate, int, Future[tuple[tuple[float, ...], ...]]]] = deque()
        # One window per candidate, in time order: its reading depends on its own context
        # alone, never on which other candidates happen to sit near it.
        for c in sorted(candidates, key=lambda c: c.first):
            lo, hi = _context(c, words, opts)
            request = _request(c, lo, hi, words, reader, duration_s, opts, language)
            pending.append((c, len(request.texts[0]) - (c.last - c.first + 1),
                            pool.submit(engine.score, request)))  # fmt: skip
            while len(pending) > 2 * workers:  # bounded: a few windows of audio in memory
                _collect(pending.popleft(), readings)
        while pending:
            _collect(pending.popleft(), readings)
    return [readings[c.mismatch] for c in candidates]


def _request(
    c: Candidate,
    lo: int,
    hi: int,
    words: Sequence[Word],
    reader: SpanReading,
    duration_s: float,
    opts: ClaimOptions,
    language: str | None,
) -> ScoreRequest:
    """What to ask of the audio for one candidate: the written words up to it, and (when
    those make it unlikely enough) the heard words in its place, alone and followed by it.

    The decoder reads left to right: words after the candidate change nothing of its
    probability, so the texts stop at it (the audio runs on, for the encoder)."""
    a_s = max(0.0, start_s(words[lo]) - MARGIN_S)
    b_s = min(duration_s, end_s(words[hi]) + MARGIN_S)
    a, b = round(a_s * SAMPLE_RATE), round(b_s * SAMPLE_RATE)
    samples = np.asarray(reader.read_samples(a, b), dtype=np.float32).copy()
    reader.release_samples(a)
    prefix = tuple(w.text for w in words[lo : c.first])
    said = tuple(w.text for w in words[c.first : c.last + 1])
    return ScoreRequest(
        samples,
        ((*prefix, *said),),
        language,
        more=((*prefix, *c.heard), (*prefix, *c.heard, *said)),
        more_from=len(prefix),
        more_below=opts.max_written_prob,
    )


def _collect(
    item: tuple[Candidate, int, Future[tuple[tuple[float, ...], ...]]],
    readings: dict[int, Reading],
) -> None:
    c, at, future = item
    probs = future.result()
    written = geometric_mean(probs[0][at:])
    if len(probs) < 3:
        readings[c.mismatch] = Reading(written=written, heard=0.0, inserted=None)
        return
    n_heard = len(c.heard)
    readings[c.mismatch] = Reading(
        written=written,
        heard=geometric_mean(probs[1][at : at + n_heard]),
        inserted=geometric_mean(probs[2][at + n_heard :]),
    )


def timed_words(result: Result) -> tuple[list[Word], dict[tuple[int, int], int]]:
    """The result's timed words in time order, and each one's position by (turn, word)."""
    keyed = [
        (w.start, t.index, k, w)
        for t in result.turns
        for k, w in enumerate(t.words)
        if w.start is not None
    ]
    keyed.sort(key=lambda x: (x[0], x[1], x[2]))
    return [w for *_, w in keyed], {(t, k): j for j, (_, t, k, _) in enumerate(keyed)}


def _context(c: Candidate, words: Sequence[Word], opts: ClaimOptions) -> tuple[int, int]:
    """The first and last context word of a candidate: ``opts.context_words`` written
    words before it and ``opts.after_words`` after it, none further than
    ``opts.context_s`` from it."""
    lo = max(0, c.first - opts.context_words)
    while lo < c.first and start_s(words[c.first]) - start_s(words[lo]) > opts.context_s:
        lo += 1
    hi = min(len(words) - 1, c.last + opts.after_words)
    while hi > c.last and end_s(words[hi]) - end_s(words[c.last]) > opts.context_s:
        hi -= 1
    return lo, hi


def result_language(result: Result) -> str | None:
    """The language the result was heard in, or ``None`` when the engine told none."""
    lang = result.engine.language
    return None if lang in ("", "auto") else lang


def start_s(w: Word) -> float:
    assert w.start is not None  # only timed words are read
    return w.start


def end_s(w: Word) -> float:
    assert w.end is not None
    return w.end


__all__ = ["MARGIN_S", "end_s", "read_candidates", "result_language", "start_s", "timed_words"]
