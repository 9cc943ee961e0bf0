"""The audio's verdict on "heard differently": a substitution is a claim about the audio.

Whisper's free text differs from a correct transcript all the time: it writes today's
spelling of an old word ("tattered" for "tatter'd"), one of two words that sound alike
("flower" for "flour"), and plain mishearings ("reporting" for "recording", worst in a
hoarse voice). Reported as they come, 70-170 of every 1,000 words of an exact transcript
were "heard differently". So each place where Whisper's word differs from the written one
is a candidate, and a candidate becomes a report only when

1. it is not a spelling of the written word (``align.text.spelling``), nor a word with
   the written word's pronunciation (the forced aligner's dictionary), nor the written word
   with another said before or after it ("praise deserved" for "deserv'd");
2. Whisper was sure of the word it wrote (``ClaimOptions.min_heard_confidence``);
3. the audio, read teacher-forced with the written words around it (``align.claims.
   reading``), finds the written word unlikely there and the heard one likely, and the
   written word does not fit once the heard word is read before it (a word the
   transcript dropped, not one it got wrong).

A report that survives says what decided it (``decided_by="teacher-forced"``) and the
figures (``scores``). A candidate that does not loses its report and its word is
``matched`` again (``heard`` keeps what Whisper wrote), so the review page, the report and
``--fix-words`` see only the claims the audio made.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

import audio
from align.claims.reading import read_candidates, result_language, timed_words
from align.claims.types import Candidate, ClaimOptions, Reading
from align.engines.base import Engine
from align.errors import AudioDecodeError, EngineUnavailableError
from align.model import Mismatch, Result, Turn
from align.text.normalize import normalize_token
from align.text.spelling import same_word
from audio import SpanSource, open_reader

if TYPE_CHECKING:
    from align.refine.forced import PocketsphinxAligner

log = logging.getLogger(__name__)


def judge_substitutions(
    result: Result,
    source: SpanSource,
    engine: Engine | None,
    opts: ClaimOptions = ClaimOptions(),
) -> Result:
    """Keep only the "heard differently" reports the audio backs (see the module).

    ``engine``: the Whisper model that transcribed ``source``; without one, only the text
    rules apply and the other reports stay as Whisper's text made them.

    Raises:
        AudioDecodeError: the audio cannot be read.
    """
    subs = [i for i, m in enumerate(result.mismatches) if m.kind == "substitution"]
    if not opts.judge or not subs:
        return result
    words, where = timed_words(result)
    alike = _Pronunciations()
    dropped: set[int] = set()
    to_read: list[Candidate] = []
    for i in subs:
        m = result.mismatches[i]
        written = _written(result, m)
        heard = tuple((m.heard or "").split())
        if not written or not heard or _same(written, heard, alike):
            dropped.add(i)
            continue
        confidence = m.score("heard_confidence")
        if confidence is not None and confidence < opts.min_read_confidence:
            dropped.add(i)
            continue
        span = _span(m, where)
        if engine is not None and span is not None:
            to_read.append(Candidate(i, span[0], span[1], heard))
    claims: dict[int, Mismatch] = {}
    if to_read and engine is not None:
        try:
            reader = open_reader(source)
            readings = read_candidates(
                to_read, words, reader, result.audio.duration, engine, opts, result_language(result)
            )
        except audio.AudioError as e:
            raise AudioDecodeError(e.path, e.reason) from e
        for c, r in zip(to_read, readings):
            sure = result.mismatches[c.mismatch].score("heard_confidence")
            r = replace(r, heard_confidence=1.0 if sure is None else sure)
            if is_claim(r, opts):
                claims[c.mismatch] = _claimed(result.mismatches[c.mismatch], r)
            else:
                dropped.add(c.mismatch)
    log.info(
        "heard differently: %d of %d candidate(s) backed by the audio",
        len(subs) - len(dropped),
        len(subs),
    )
    return _rebuild(result, dropped, claims)


def is_claim(r: Reading, opts: ClaimOptions) -> bool:
    """Whether the audio's reading backs a "heard differently" claim."""
    if r.written > opts.max_written_prob or r.heard < opts.min_heard_prob:
        return False
    if r.heard < opts.min_prob_ratio * r.written:
        return False
    if r.heard_confidence < opts.min_heard_confidence and r.heard < opts.sure_heard_prob:
        return False  # Whisper is not sure of its own word
    inserted = r.inserted
    return not (
        inserted is not None
        and inserted >= opts.max_inserted_prob
        and inserted >= opts.min_prob_ratio * r.written
    )


def _claimed(m: Mismatch, r: Reading) -> Mismatch:
    scores = dict(m.scores)
    scores.update({"p_written": r.written, "p_heard": r.heard})
    if r.inserted is not None:
        scores["p_written_after_heard"] = r.inserted
    share = r.heard / (r.heard + r.written) if r.heard + r.written > 0 else 0.0
    return replace(
        m,
        confidence=round(share, 3),
        decided_by="teacher-forced",
        scores=tuple((k, round(v, 4)) for k, v in scores.items()),
    )


def _same(written: tuple[str, ...], heard: tuple[str, ...], alike: _Pronunciations) -> bool:
    """Text rules: the heard words are a spelling of the written ones, sound the same, or
    hold them with a word more on either side."""
    w_text, h_text = " ".join(written), " ".join(heard)
    if same_word(w_text, h_text) or alike.same(w_text, h_text):
        return True
    n = len(written)
    parts = (" ".join(heard[k : k + n]) for k in range(len(heard) - n + 1))
    return len(heard) > n and any(same_word(w_text, p) or alike.same(w_text, p) for p in parts)


class _Pronunciations:
    """Whether two texts sound the same, by the forced aligner's dictionary (no rule
    applies when pocketsphinx is not installed)."""

    def __init__(self) -> None:
        self._aligner: PocketsphinxAligner | None = None
        self._missing = False

    def same(self, a: str, b: str) -> bool:
        phones_a, phones_b = self._phones(a), self._phones(b)
        return bool(phones_a & phones_b)

    def _phones(self, text: str) -> set[str]:
        if not normalize_token(text):
            return set()
        aligner = self._load()
        if aligner is None:
            return set()
        parts = [aligner.pronunciations(w) for w in text.split()]
        if any(not p for p in parts):
            return set()
        if len(parts) == 1:
            return set(parts[0])
        return {" ".join(p[0] for p in parts)}

    def _load(self) -> PocketsphinxAligner | None:
        if self._aligner is None and not self._missing:
            from align.refine.forced import load_aligner

            try:
                self._aligner = load_aligner()
            except EngineUnavailableError as e:
                log.warning("%s; words that sound alike are judged by the audio alone", e)
                self._missing = True
        return self._aligner


def _written(result: Result, m: Mismatch) -> tuple[str, ...]:
    if m.turn is None or m.word_start is None or not 0 <= m.turn < len(result.turns):
        return ()
    turn_words = result.turns[m.turn].words
    return tuple(w.text for w in turn_words[m.word_start : m.word_start + max(1, m.word_count)])


def _span(m: Mismatch, where: dict[tuple[int, int], int]) -> tuple[int, int] | None:
    """The candidate's written words as positions in the timed words (``None`` when any
    is untimed or they do not sit together)."""
    assert m.turn is not None and m.word_start is not None
    at = [where.get((m.turn, m.word_start + k)) for k in range(max(1, m.word_count))]
    if any(p is None for p in at):
        return None
    first, last = at[0], at[-1]
    assert first is not None and last is not None
    return (first, last) if last - first == len(at) - 1 else None


def _rebuild(result: Result, dropped: set[int], claims: dict[int, Mismatch]) -> Result:
    """The result without the dropped reports (their words ``matched`` again), with the
    claims' new figures."""
    matched: dict[int, set[int]] = {}
    for i in dropped:
        m = result.mismatches[i]
        if m.turn is not None and m.word_start is not None:
            span = range(m.word_start, m.word_start + max(1, m.word_count))
            matched.setdefault(m.turn, set()).update(span)
    turns = tuple(_matched_again(t, matched.get(t.index, set())) for t in result.turns)
    mismatches = tuple(
        claims.get(i, m) for i, m in enumerate(result.mismatches) if i not in dropped
    )
    return result.with_turns(turns, mismatches=mismatches)


def _matched_again(turn: Turn, keys: set[int]) -> Turn:
    if not keys:
        return turn
    words = tuple(
        replace(w, status="matched") if k in keys and w.status == "substituted" else w
        for k, w in enumerate(turn.words)
    )
    return replace(turn, words=words)


__all__ = ["ClaimOptions", "is_claim", "judge_substitutions"]
