"""The audio's verdict on "not in the transcript": speech the transcript's words leave unexplained.

Whisper's free text reports words no transcript word pairs with, and not all of them are
speech the transcript lacks: a word Whisper garbled ("We're" over 2.7 s where the
aligner placed the transcript's "Pity the world or else") or wrote into noise ("to see
this." in a pause) pairs with nothing too. So a stretch stays reported only when

1. the transcript's own words, as placed, cover less than half of it
   (``ClaimOptions.max_covered_share``); and
2. read teacher-forced, the written word after the stretch does not fit right after the
   written words before it (and those placed within it): the audio holds something they do
   not say (``ClaimOptions.max_next_prob``). A stretch at the very start or end of the
   file has no such pair of words and keeps its report.

A report that stays says so (``decided_by="teacher-forced"``, ``scores``: ``p_next``, the
next word's probability read straight after the previous one; ``p_next_after_heard``,
after the heard words).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np

import audio
from align.claims.reading import MARGIN_S, end_s, result_language, start_s, timed_words
from align.claims.types import ClaimOptions
from align.engines.base import Engine, ScoreRequest
from align.errors import AudioDecodeError
from align.model import Mismatch, Result, Word
from audio import SAMPLE_RATE, SpanReading, SpanSource, open_reader


def judge_unclaimed(
    result: Result,
    source: SpanSource,
    engine: Engine | None,
    opts: ClaimOptions = ClaimOptions(),
) -> Result:
    """Keep only the ``not_in_transcript`` reports the audio backs (see the module).

    Without an engine, only the coverage rule applies.

    Raises:
        AudioDecodeError: the audio cannot be read.
    """
    found = [
        i
        for i, m in enumerate(result.mismatches)
        if m.kind == "not_in_transcript" and m.start is not None and m.end is not None
    ]
    if not opts.judge or not found:
        return result
    words, _ = timed_words(result)
    starts = [start_s(w) for w in words]
    dropped: set[int] = set()
    to_read: list[tuple[int, int, int]] = []  # (mismatch, word before, word after)
    for i in found:
        m = result.mismatches[i]
        assert m.start is not None and m.end is not None
        a_s, b_s = m.start, m.end
        if _covered_share(words, starts, a_s, b_s) >= opts.max_covered_share:
            dropped.add(i)
            continue
        before = bisect.bisect_left(starts, a_s) - 1
        after = max(before + 1, bisect.bisect_left(starts, b_s - MARGIN_S))
        if engine is not None and 0 <= before < after < len(words):
            to_read.append((i, before, after))
    claims: dict[int, Mismatch] = {}
    if to_read and engine is not None:
        try:
            reader = open_reader(source)
            requests = [_request(result, words, i, lo, hi, reader, opts) for i, lo, hi in to_read]
        except audio.AudioError as e:
            raise AudioDecodeError(e.path, e.reason) from e
        with ThreadPoolExecutor(max(1, engine.parallel)) as pool:
            answers = list(pool.map(engine.score, requests))
        for (i, _, _), probs in zip(to_read, answers):
            p_next = probs[0][-1]
            p_after = probs[1][-1] if len(probs) > 1 else None
            if p_next > opts.max_next_prob:
                dropped.add(i)
                continue
            scores = [("p_next", round(p_next, 4))]
            if p_after is not None:
                scores.append(("p_next_after_heard", round(p_after, 4)))
            m = result.mismatches[i]
            claims[i] = replace(m, decided_by="teacher-forced", scores=(*m.scores, *scores))
    mismatches = tuple(
        claims.get(i, m) for i, m in enumerate(result.mismatches) if i not in dropped
    )
    return replace(result, mismatches=mismatches)


def _request(
    result: Result,
    words: Sequence[Word],
    i: int,
    before: int,
    after: int,
    reader: SpanReading,
    opts: ClaimOptions,
) -> ScoreRequest:
    """The written words up to the stretch, those placed within it, and the one after it;
    and the same with the heard words before those within."""
    lo = max(0, before - opts.context_words + 1)
    while lo < before and start_s(words[before]) - start_s(words[lo]) > opts.context_s:
        lo += 1
    a_s = max(0.0, start_s(words[lo]) - MARGIN_S)
    b_s = min(result.audio.duration, end_s(words[after]) + MARGIN_S)
    a = round(a_s * SAMPLE_RATE)
    samples = reader.read_samples(a, round(b_s * SAMPLE_RATE))
    reader.release_samples(a)
    prefix = tuple(w.text for w in words[lo : before + 1])
    inside = tuple(w.text for w in words[before + 1 : after])  # placed within the stretch
    nxt = (words[after].text,)
    heard = tuple((result.mismatches[i].heard or result.mismatches[i].text).split())
    return ScoreRequest(
        np.asarray(samples, dtype=np.float32).copy(),
        ((*prefix, *inside, *nxt),),
        result_language(result),
        more=((*prefix, *heard, *inside, *nxt),),
        more_from=len(prefix) + len(inside),
        more_below=opts.max_next_prob,
    )


def _covered_share(words: Sequence[Word], starts: list[float], a_s: float, b_s: float) -> float:
    """How much of ``a_s``..``b_s`` the transcript's placed words cover (0-1)."""
    if b_s <= a_s:
        return 1.0
    k = max(0, bisect.bisect_left(starts, a_s) - 1)
    covered = 0.0
    while k < len(words) and start_s(words[k]) < b_s:
        w = words[k]
        covered += max(0.0, min(end_s(w), b_s) - max(start_s(w), a_s))
        k += 1
    return covered / (b_s - a_s)


__all__ = ["judge_unclaimed"]
