"""From matched units to times: every transcript word and turn gets a time or ``not_found``.

Input: the transcript's tokens, the engine's heard words, and the unit pairs from
``align.text.match``. Output: ``Turn``/``Word`` objects and the ``Mismatch`` list.

One pass, in three steps:
1. Evidence (``align.timing.evidence``): a token is ``matched`` when one of its units pairs
   exactly with a heard unit, ``substituted`` when it pairs only with a different heard
   word; its time is the span of the heard words it pairs with. A turn with too little
   matched text (chance matches of "the", "and") is ``not_found``; edge words are given to
   the turn whose speech they run with, time breaking the ties that text cannot.
2. Times are made monotonic, once; filling keeps them so.
3. Gaps (``align.timing.gaps``): a run of unpaired tokens inside an aligned turn is
   ``not_found`` when it repeats the neighbouring matched text (a duplicated phrase) or
   when the audio between its neighbours is too short to hold it; otherwise it is
   ``interpolated`` over that gap. Heard words no transcript word claims form
   ``not_in_transcript`` mismatches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from align.engines.base import HeardWord
from align.model import Mismatch, Turn, Word
from align.text.match import Pair
from align.text.normalize import is_filler
from align.timing.evidence import bind_evidence
from align.timing.gaps import FillContext, fill_runs, heard_confidence
from align.timing.types import TimingOptions, TokenSlot


@dataclass(frozen=True, slots=True)
class TimedTranscript:
    turns: tuple[Turn, ...]
    mismatches: tuple[Mismatch, ...]


def assign_times(
    turn_speakers: Sequence[str],
    turn_texts: Sequence[str],
    slots: list[TokenSlot],
    heard: Sequence[HeardWord],
    heard_units: Sequence[int],
    pairs: Sequence[Pair],
    duration_s: float,
    opts: TimingOptions = TimingOptions(),
    original_times: Sequence[float | None] | None = None,
) -> TimedTranscript:
    """Give every token and turn a time range or ``not_found``, and list the mismatches.

    Args:
        turn_speakers, turn_texts: one entry per transcript turn.
        slots: one per transcript token, in order, with ``unit_start`` indexing the
            transcript units that ``pairs[].t`` refers to.
        heard: the engine's words; ``heard_units[u]`` is the heard word of heard unit u.
        pairs: unit pairs from ``align.text.match.match_units``.
        duration_s: audio length, the upper bound of every time.
    """
    by_turn: list[list[int]] = [[] for _ in turn_texts]
    for k, slot in enumerate(slots):
        by_turn[slot.turn].append(k)
    used_heard = bind_evidence(slots, by_turn, heard, heard_units, pairs, opts)
    _enforce_monotonic(slots)
    fill = FillContext(slots, heard, used_heard, opts)
    for t, ks in enumerate(by_turn):
        fill_runs(fill, ks, t)
    mismatches = fill.mismatches

    turns: list[Turn] = []
    for t, ks in enumerate(by_turn):
        turns.append(
            _build_turn(
                t,
                turn_speakers[t],
                turn_texts[t],
                [slots[k] for k in ks],
                duration_s,
                None if original_times is None else original_times[t],
            )
        )
        if turns[-1].status == "not_found":
            mismatches.append(
                Mismatch(
                    kind="not_in_audio",
                    turn=t,
                    text=" ".join(turn_texts[t].split()),
                    start=None,
                    end=None,
                    word_start=0,
                    word_count=len(ks),
                    reason="turn not heard",
                    confidence=1.0 - turns[-1].coverage,
                )
            )
    for s in slots:
        if s.status == "substituted" and s.heard:
            said = sorted(set(s.heard))
            mismatches.append(
                Mismatch(
                    kind="substitution",
                    turn=s.turn,
                    text=s.text,
                    start=s.start,
                    end=s.end,
                    heard=" ".join(heard[h].text for h in said),
                    confidence=round(1.0 - max(s.sims, default=0.0), 3),
                    word_start=s.word,
                    word_count=1,
                    reason="heard differently",
                    scores=(("heard_confidence", heard_confidence(heard, said)),),
                )
            )
    mismatches.extend(_unclaimed_speech(heard, used_heard, opts))
    mismatches.sort(key=lambda m: (_mismatch_order(m, turns), m.kind))
    return TimedTranscript(tuple(turns), tuple(mismatches))


def _mismatch_order(m: Mismatch, turns: list[Turn]) -> float:
    if m.start is not None:
        return m.start
    # Untimed mismatches sit where their turn sits (or after the previous timed turn).
    for t in range(m.turn if m.turn is not None else 0, -1, -1):
        if turns[t].end is not None:
            return float(turns[t].end)  # type: ignore[arg-type]
    return 0.0


def _enforce_monotonic(slots: list[TokenSlot]) -> None:
    last_end = 0.0
    for s in slots:
        if s.start is None or s.end is None:
            continue
        if s.start < last_end:
            s.start = last_end
        s.end = max(s.end, s.start)
        last_end = s.end


def _unclaimed_speech(
    heard: Sequence[HeardWord], used: set[int], opts: TimingOptions
) -> list[Mismatch]:
    out: list[Mismatch] = []
    run: list[int] = []

    def flush() -> None:
        words = [h for h in run if not is_filler(heard[h].text.lower().strip(".,!?"))]
        if words:
            span = heard[run[-1]].end - heard[run[0]].start
            if len(words) >= opts.min_unheard_words or span >= opts.min_unheard_s:
                probs = [heard[h].probability for h in words]
                out.append(
                    Mismatch(
                        kind="not_in_transcript",
                        turn=None,
                        text=" ".join(heard[h].text for h in run),
                        start=heard[run[0]].start,
                        end=heard[run[-1]].end,
                        heard=" ".join(heard[h].text for h in run),
                        confidence=round(sum(probs) / len(probs), 3),
                        word_count=len(run),
                        reason="speech not in transcript",
                    )
                )
        run.clear()

    for h in range(len(heard)):
        if h in used:
            flush()
        else:
            run.append(h)
    flush()
    return out


def _build_turn(
    index: int,
    speaker: str,
    text: str,
    slots: list[TokenSlot],
    duration_s: float,
    original_time: float | None,
) -> Turn:
    words: list[Word] = []
    for s in slots:
        if s.start is None or s.end is None or s.status == "not_found":
            words.append(Word(s.text, None, None, "not_found", 0.0))
            continue
        start = min(max(0.0, s.start), duration_s)
        end = min(max(start, s.end), duration_s)
        words.append(
            Word(
                s.text,
                round(start, 3),
                round(end, 3),
                s.status,
                round(min(1.0, max(0.0, s.confidence)), 3),
                s.heard_text,
            )
        )
    timed = [w for w in words if w.start is not None]
    counted = [s for s in slots if s.units]
    heard_n = sum(1 for s in counted if s.status in ("matched", "substituted"))
    coverage = heard_n / len(counted) if counted else 0.0
    confidence = sum(w.confidence for w in words) / len(words) if words else 0.0
    if not timed or not any(s.status in ("matched", "substituted") for s in slots):
        words = [Word(w.text, None, None, "not_found", 0.0) for w in words]
        return Turn(
            index,
            speaker,
            text,
            None,
            None,
            "not_found",
            tuple(words),
            0.0,
            round(coverage, 3),
            original_time,
        )
    start = min(w.start for w in timed if w.start is not None)
    end = max(w.end for w in timed if w.end is not None)
    return Turn(
        index,
        speaker,
        text,
        start,
        end,
        "aligned",
        tuple(words),
        round(confidence, 3),
        round(coverage, 3),
        original_time,
    )
