"""The refined ``Result``'s turns and mismatches, from the items the walk refined in place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from align.model import Mismatch, Result, Turn, Word
from align.refine.plan import Item

# A word the aligner found though the engine did not hear it gets the confidence timing
# gives interpolated words the engine heard something at; one it only placed, the lowest.
_RECOVERED_CONFIDENCE = 0.3
_PLACED_CONFIDENCE = 0.15
# Times are written with millisecond precision (as ``align.timing`` does).
_TIME_DECIMALS = 3


def rebuild_turns(
    result: Result, items: Sequence[Item]
) -> tuple[tuple[Turn, ...], tuple[Mismatch, ...]]:
    """The refined turns (times monotonic, inside [0, duration]) and updated mismatches."""
    duration = result.audio.duration
    by_key = {(it.turn, it.word): it for it in items}
    last_end = 0.0
    recovered: set[tuple[int, int]] = set()
    placed: dict[tuple[int, int], tuple[float, float]] = {}
    turns: list[Turn] = []
    for turn in result.turns:
        words: list[Word] = []
        for k, w in enumerate(turn.words):
            it = by_key.get((turn.index, k))
            if it is None or it.start_s is None or it.end_s is None:
                words.append(w)  # untimed: not found, or in a turn not found
                continue
            start = round(min(max(it.start_s, last_end, 0.0), duration), _TIME_DECIMALS)
            end = round(min(max(it.end_s, start), duration), _TIME_DECIMALS)
            last_end = end
            if w.status != "not_found":
                # An unheard word the aligner placed among its neighbours was timed by the audio.
                aligned = w.status == "interpolated" and it.aligned and not it.placed
                evidence = "acoustic" if aligned else w.evidence
                words.append(replace(w, start=start, end=end, evidence=evidence))
                continue
            placed[(turn.index, k)] = (start, end)
            if not it.placed:
                recovered.add((turn.index, k))
            confidence = _PLACED_CONFIDENCE if it.placed else _RECOVERED_CONFIDENCE
            evidence = "interpolated" if it.placed else "acoustic"
            words.append(Word(w.text, start, end, "interpolated", confidence, evidence=evidence))
        turns.append(_retime(turn, words, by_key, turns))
    return tuple(turns), _update_mismatches(result.mismatches, recovered, placed)


def _retime(
    turn: Turn, words: list[Word], by_key: dict[tuple[int, int], Item], done: Sequence[Turn]
) -> Turn:
    """``turn`` with its new words; its span theirs, widened back over a hesitation that
    opens it, but never before the previous turn's end."""
    spans = [(w.start, w.end) for w in words if w.start is not None and w.end is not None]
    if not spans or turn.start is None:
        return replace(turn, words=tuple(words))
    start, end = spans[0][0], max(e for _, e in spans)
    first = next(by_key.get((turn.index, k)) for k, w in enumerate(words) if w.start is not None)
    if first is not None and first.turn_start_s is not None:
        prev_end = next((t.end for t in reversed(done) if t.end is not None), 0.0)
        start = round(max(min(start, first.turn_start_s), prev_end), _TIME_DECIMALS)
    return replace(turn, words=tuple(words), start=start, end=end)


def _update_mismatches(
    mismatches: Sequence[Mismatch],
    recovered: set[tuple[int, int]],
    placed: dict[tuple[int, int], tuple[float, float]],
) -> tuple[Mismatch, ...]:
    """Drop the "not in audio" reports whose every word the aligner heard after all; give
    the ones whose words it only placed their place in the audio."""
    out: list[Mismatch] = []
    for m in mismatches:
        if m.kind == "not_in_audio" and m.turn is not None and m.word_start is not None:
            keys = [(m.turn, k) for k in range(m.word_start, m.word_start + m.word_count)]
            if keys and all(k in recovered for k in keys):
                continue
            if keys and all(k in placed for k in keys):
                m = replace(m, start=placed[keys[0]][0], end=placed[keys[-1]][1])
        out.append(m)
    return tuple(out)


__all__ = ["rebuild_turns"]
