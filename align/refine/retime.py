"""The result the acoustic check's verdicts make.

Words the audio holds get the aligner's times (evidence ``acoustic``; ``interpolated`` for
a word only placed in a noisy room) and lose their report; words it rejects stay reported,
untimed, with more confidence; turns take the span of their new words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from align.model import Mismatch, Quality, Result, Turn, Word
from align.refine.rooms import Candidate, Key, VerifyOptions, VerifyState

# A word the aligner found though the engine did not hear it, and one it only placed (as
# ``align.refine.rebuild``).
_FOUND_CONFIDENCE = 0.3
_PLACED_CONFIDENCE = 0.15
# How sure a not_in_audio is once the audio rejected it too.
_REJECTED_CONFIDENCE = 0.9


def build_result(
    state: VerifyState,
    accepted: Sequence[Candidate],
    rejected: Sequence[Candidate],
    opts: VerifyOptions,
) -> Result:
    """The result with the verdicts applied: what the audio holds timed (its report gone,
    and any ``not_in_transcript`` report it now explains), what it rejects untimed and
    reported with more confidence, turns retimed over their new words."""
    result = state.result
    rejected_keys = {key for c in rejected for key in c.keys}
    unpaired = {
        (first[0], first[1] + n): first for first, count in state.unpaired for n in range(count)
    }
    changed = state.found | state.moved | rejected_keys | unpaired.keys()
    turns: list[Turn] = []
    for turn in result.turns:
        keys = [(turn.index, k) for k in range(len(turn.words))]
        if not any(k in changed for k in keys):
            turns.append(turn)
            continue
        words = [
            _unpaired_word(state.word(key))
            if key in unpaired
            else _word(state, key, key in rejected_keys)
            for key in keys
        ]
        turns.append(_retime(turn, words, turns, state.openings.get(turn.index)))
    gone = {c.mismatch for c in accepted}
    sure = {c.mismatch for c in rejected}
    explained = [_span(state, c) for c in accepted]
    turns = _unwiden(turns, explained)
    mismatches: list[Mismatch] = []
    for i, m in enumerate(result.mismatches):
        if i in gone:
            mismatches += [
                _copy_report(state, first, count) for first, count in state.dropped.get(i, [])
            ]
            continue
        if i in sure:
            m = replace(m, confidence=max(m.confidence, _REJECTED_CONFIDENCE))
        if m.kind == "not_in_transcript" and _explained(m, explained, opts.min_stolen_s):
            continue
        if m.kind == "substitution" and _covers(m, unpaired):
            continue  # the word it names was paired with speech that is not its own
        mismatches.append(m)
    mismatches = _insert(mismatches, [_copy_report(state, *span) for span in state.unpaired])
    return result.with_turns(
        tuple(turns), mismatches=tuple(mismatches), quality=_requality(result.quality, turns)
    )


def _word(state: VerifyState, key: Key, rejected: bool) -> Word:
    w = state.word(key)
    if key in state.found and key in state.unverified:
        start, end = state.times[key]
        return Word(w.text, start, end, "interpolated", _PLACED_CONFIDENCE, w.heard)
    if key in state.found:
        start, end = state.times[key]
        return Word(w.text, start, end, "interpolated", _FOUND_CONFIDENCE, w.heard, "acoustic")
    if rejected and w.start is not None and w.status == "interpolated":
        # Placed between its neighbours by refinement, but the audio rejects it.
        return Word(w.text, None, None, "not_found", 0.0, w.heard)
    if key in state.moved:
        start, end = state.times[key]
        return replace(w, start=start, end=end)
    return w


def _copy_report(state: VerifyState, first: Key, count: int) -> Mismatch:
    """A phrase's second copy in a turn the audio holds, which it holds only once."""
    text = " ".join(state.word((first[0], first[1] + n)).text for n in range(count))
    return Mismatch(
        kind="not_in_audio",
        turn=first[0],
        text=text,
        start=None,
        end=None,
        confidence=_REJECTED_CONFIDENCE,
        word_start=first[1],
        word_count=count,
        reason="repeated phrase",
    )


def _unpaired_word(w: Word) -> Word:
    return Word(w.text, None, None, "not_found", 0.0)


def _covers(m: Mismatch, keys: Mapping[Key, Key]) -> bool:
    if m.turn is None or m.word_start is None:
        return False
    return all((m.turn, m.word_start + n) in keys for n in range(max(1, m.word_count)))


def _insert(mismatches: list[Mismatch], reports: Sequence[Mismatch]) -> list[Mismatch]:
    """``mismatches`` with each report put before the first one of a later word."""
    out = list(mismatches)
    for r in reports:
        assert r.turn is not None and r.word_start is not None
        at = next(
            (
                i
                for i, m in enumerate(out)
                if m.turn is not None
                and (m.turn, m.word_start if m.word_start is not None else 0)
                > (r.turn, r.word_start)
            ),
            len(out),
        )
        out.insert(at, r)
    return out


def _span(state: VerifyState, c: Candidate) -> tuple[float, float]:
    spans = [state.times[k] for k in c.keys if k in state.found]
    if not spans:
        return (0.0, 0.0)
    return min(s for s, _ in spans), max(e for _, e in spans)


def _retime(
    turn: Turn, words: list[Word], done: Sequence[Turn], opening_s: float | None = None
) -> Turn:
    """``turn`` with new words: its span theirs (an opening hesitation it was widened over
    is kept when its first word did not move; ``opening_s``: one the acoustic check found),
    never before the previous turn's end."""
    timed = [w for w in words if w.start is not None and w.end is not None]
    if not timed:
        return replace(turn, words=tuple(words), start=None, end=None, status="not_found")
    first, last = timed[0], max(w.end for w in timed if w.end is not None)
    assert first.start is not None
    start = first.start
    old_first = next((w for w in turn.words if w.start is not None), None)
    if turn.start is not None and old_first is not None and old_first.start == first.start:
        start = min(start, turn.start)
    if opening_s is not None:
        start = min(start, opening_s)
    prev_end = next((t.end for t in reversed(done) if t.end is not None), 0.0)
    start = max(start, min(prev_end, first.start))
    confidence = sum(w.confidence for w in words) / len(words) if words else 0.0
    return replace(
        turn,
        words=tuple(words),
        start=start,
        end=last,
        status="aligned",
        confidence=round(confidence, 3) if turn.status != "aligned" else turn.confidence,
    )


def _unwiden(turns: list[Turn], found: Sequence[tuple[float, float]]) -> list[Turn]:
    """Turns that refinement widened back over a "hesitation" before their first word lose
    the widening where that sound is now a transcript word of its own (the "Uh." turn)."""
    out: list[Turn] = []
    for turn in turns:
        first = next((w.start for w in turn.words if w.start is not None), None)
        start = turn.start
        if (
            start is not None
            and first is not None
            and start < first
            and any(start <= b and a < first for a, b in found)
        ):
            turn = replace(turn, start=first)
        out.append(turn)
    return out


def _explained(m: Mismatch, spans: Sequence[tuple[float, float]], min_overlap_s: float) -> bool:
    if m.start is None or m.end is None:
        return False
    overlap = sum(max(0.0, min(m.end, b) - max(m.start, a)) for a, b in spans)
    return overlap >= min(min_overlap_s, 0.5 * (m.end - m.start))


def _requality(quality: Quality | None, turns: Sequence[Turn]) -> Quality | None:
    if quality is None:
        return None
    aligned = sum(1 for t in turns if t.status == "aligned")
    return replace(quality, turns_aligned=aligned, turns_not_found=len(turns) - aligned)


__all__ = ["build_result"]
