"""From matched units to times: every transcript word and turn gets a time or ``not_found``.

Input: the transcript's tokens, the engine's heard words, and the unit pairs from
``align.text.match``. Output: ``Turn``/``Word`` objects and the ``Mismatch`` list.

Rules, in order:
1. A token is ``matched`` when one of its units pairs exactly with a heard unit,
   ``substituted`` when it pairs only with a different heard word; its time is the
   span of the heard words it pairs with.
2. A turn with too little matched text (chance matches of "the", "and") is
   ``not_found``: its pairs are dropped and its heard words go back to the pool.
3. A run of unpaired tokens inside an aligned turn is ``not_found`` when it repeats the
   neighbouring matched text (a duplicated phrase) or when the audio between its
   neighbours is too short to hold it; otherwise it is ``interpolated`` over that gap.
4. Heard words no transcript word claims form ``not_in_transcript`` mismatches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from align.engines.base import HeardWord
from align.model import Mismatch, Turn, Word
from align.text.match import Pair
from align.text.normalize import is_filler
from align.timing.edges import drop_far_edges, rebind_detached_edges, repair_turn_edges
from align.timing.gaps import fill_runs
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
    unit_to_slot: list[int] = []
    for k, s in enumerate(slots):
        unit_to_slot.extend([k] * len(s.units))
    for p in pairs:
        s = slots[unit_to_slot[p.t]]
        s.heard.append(heard_units[p.h])
        s.kinds.append(p.kind)
        s.sims.append(p.similarity)

    by_turn: list[list[int]] = [[] for _ in turn_texts]
    for k, s in enumerate(slots):
        by_turn[s.turn].append(k)

    _drop_chance_turns(slots, by_turn, opts)
    for s in slots:
        _time_from_pairs(s, heard)
    drop_far_edges(slots, by_turn)
    rebind_detached_edges(slots, by_turn, heard, opts)
    repair_turn_edges(slots, by_turn, opts)
    _enforce_monotonic(slots)
    used_heard: set[int] = {h for s in slots for h in s.heard}
    heard_starts = [w.start for w in heard]  # engines emit words in time order
    mismatches: list[Mismatch] = []
    for t, ks in enumerate(by_turn):
        fill_runs(slots, ks, t, heard, heard_starts, used_heard, opts, mismatches)
    _enforce_monotonic(slots)

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
            mismatches.append(
                Mismatch(
                    kind="substitution",
                    turn=s.turn,
                    text=s.text,
                    start=s.start,
                    end=s.end,
                    heard=" ".join(heard[h].text for h in sorted(set(s.heard))),
                    confidence=round(1.0 - max(s.sims, default=0.0), 3),
                    word_start=s.word,
                    word_count=1,
                    reason="heard differently",
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


def _drop_chance_turns(
    slots: list[TokenSlot], by_turn: list[list[int]], opts: TimingOptions
) -> None:
    for ks in by_turn:
        counted = [
            k for k in ks if slots[k].units and not all(is_filler(u) for u in slots[k].units)
        ]
        if not counted:
            counted = [k for k in ks if slots[k].units]
        exact = sum(1 for k in counted if "exact" in slots[k].kinds)
        coverage = exact / len(counted) if counted else 0.0
        needed = min(opts.min_turn_matched, len(counted))
        if exact >= needed and (
            coverage >= opts.min_turn_coverage or exact >= 2 * opts.min_turn_matched
        ):
            continue
        for k in ks:
            slots[k].heard.clear()
            slots[k].kinds.clear()
            slots[k].sims.clear()


def _time_from_pairs(s: TokenSlot, heard: Sequence[HeardWord]) -> None:
    if not s.heard:
        return
    ws = [heard[h] for h in sorted(set(s.heard))]
    s.start = min(w.start for w in ws)
    s.end = max(w.end for w in ws)
    prob = sum(w.probability for w in ws) / len(ws)
    sim = max(s.sims)
    if "exact" in s.kinds:
        s.status = "matched"
        s.confidence = prob * (0.5 + 0.5 * s.kinds.count("exact") / len(s.units))
    else:
        s.status = "substituted"
        s.heard_text = " ".join(w.text for w in ws)
        s.confidence = prob * sim * 0.8 if sim >= 0.5 else prob * 0.3


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
