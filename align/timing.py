"""From matched units to times: every transcript word and turn gets a time or ``not_found``.

Input: the transcript's tokens, the engine's heard words, and the unit pairs from
``align.match``. Output: ``Turn``/``Word`` objects and the ``Mismatch`` list.

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

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

from align.engines.base import HeardWord
from align.match import Pair, similarity
from align.model import Mismatch, Turn, Word, WordStatus
from align.normalize import is_filler, normalize_token
from align.repeats import find_repeats

# How alike a heard word and an unheard edge word must be for the edge to claim it.
_EDGE_OWN_SIMILARITY = 0.5


@dataclass(frozen=True, slots=True)
class TimingOptions:
    """Heuristics that turn pairs into times; each has a reason.

    ``seconds_per_char``: typical speaking time per character of text (about 15
    characters a second in conversation), used to judge whether unheard words fit.
    ``min_fit_ratio``: unheard words fit in a gap that holds at least this share of
    their typical duration; shorter gaps mean the words were not spoken there.
    ``min_turn_matched``/``min_turn_coverage``: a turn needs this many exactly matched
    words, or this share of its words, to count as found; less is chance.
    ``min_unheard_words``/``min_unheard_s``: unclaimed speech is reported when it has at
    least this many words or lasts this long (single stray words are engine noise).
    ``repeat_similarity``: how alike two word runs must be to call one a duplicate.
    ``edge_max_lead_s``: unheard words at a turn's edge sit at most this far outside it.
    ``max_word_gap_s``: a pause longer than this between heard words breaks a phrase; speech
    beyond it does not belong to the turn's edge.
    ``detached_gap_s``: an edge word this far from the rest of its turn may belong to the
    neighbouring turn (see ``_repair_turn_edges``).
    """

    seconds_per_char: float = 0.065
    min_fit_ratio: float = 0.35
    min_turn_matched: int = 3
    min_turn_coverage: float = 0.3
    min_unheard_words: int = 3
    min_unheard_s: float = 1.5
    repeat_similarity: float = 0.8
    edge_max_lead_s: float = 2.0
    max_word_gap_s: float = 0.3
    detached_gap_s: float = 1.0

    def __post_init__(self) -> None:
        if self.seconds_per_char <= 0:
            raise ValueError(f"seconds_per_char must be > 0, got {self.seconds_per_char}")
        if not 0 <= self.min_turn_coverage <= 1:
            raise ValueError(f"min_turn_coverage must be in [0, 1], got {self.min_turn_coverage}")


@dataclass(slots=True)
class TokenSlot:
    """Mutable working state of one transcript token while times are assigned."""

    turn: int
    word: int
    text: str
    units: tuple[str, ...]
    unit_start: int
    status: WordStatus = "not_found"
    start: float | None = None
    end: float | None = None
    confidence: float = 0.0
    heard: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    sims: list[float] = field(default_factory=list)
    reason: str = ""
    heard_text: str | None = None


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
        pairs: unit pairs from ``align.match.match_units``.
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
    _rebind_detached_edges(slots, by_turn, heard, opts)
    _repair_turn_edges(slots, by_turn, opts)
    _enforce_monotonic(slots)
    used_heard: set[int] = {h for s in slots for h in s.heard}
    heard_starts = [w.start for w in heard]  # engines emit words in time order
    mismatches: list[Mismatch] = []
    for t, ks in enumerate(by_turn):
        _fill_runs(slots, ks, t, heard, heard_starts, used_heard, opts, mismatches)
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


def _rebind_detached_edges(
    slots: list[TokenSlot],
    by_turn: list[list[int]],
    heard: Sequence[HeardWord],
    opts: TimingOptions,
) -> None:
    """Move an edge word that sits far from its turn onto the same word heard next to it.

    Text alone cannot choose between two heard "and"s when only one is the transcript's:
    the one that runs with the rest of the turn is.
    """
    used = {h for s in slots for h in s.heard}
    starts = [w.start for w in heard]
    for ks in by_turn:
        timed = [q for q in ks if slots[q].start is not None]
        if len(timed) < 2:
            continue
        for edge, inner, before in ((timed[0], timed[1], True), (timed[-1], timed[-2], False)):
            e, n = slots[edge], slots[inner]
            assert e.start is not None and e.end is not None
            assert n.start is not None and n.end is not None
            gap = n.start - e.end if before else e.start - n.end
            if gap < opts.detached_gap_s:
                continue
            if all(kind == "sub" for kind in e.kinds):
                # A dissimilar word far from the rest of its turn is no evidence of anything.
                used.difference_update(e.heard)
                e.heard, e.kinds, e.sims = [], [], []
                e.status, e.start, e.end, e.confidence, e.heard_text = (
                    "not_found",
                    None,
                    None,
                    0.0,
                    None,
                )
                continue
            if len(set(e.heard)) != 1:
                continue
            lo = (n.start - opts.max_word_gap_s) if before else n.end
            hi = n.start if before else n.end + opts.max_word_gap_s
            for h in range(bisect.bisect_left(starts, lo - 1.0), len(heard)):
                w = heard[h]
                if w.start > hi:
                    break
                near = (lo <= w.end <= hi + 1e-6) if before else (lo - 1e-6 <= w.start <= hi)
                if near and h not in used and normalize_token(w.text) == e.units:
                    used.discard(e.heard[0])
                    used.add(h)
                    e.heard = [h]
                    e.start, e.end = w.start, w.end
                    break


def _repair_turn_edges(
    slots: list[TokenSlot], by_turn: list[list[int]], opts: TimingOptions
) -> None:
    """Give an edge word back to the turn whose speech it runs with.

    Text alone cannot tell whether a heard "the" ends one turn or opens the next when both
    turns have one; the times can: a word separated from the rest of its turn by a long
    pause but touching the neighbouring turn's speech belongs to the neighbour, when the
    neighbour has the same word unheard at that edge.
    """
    for k in range(len(by_turn) - 1):
        a = [q for q in by_turn[k] if slots[q].start is not None]
        b = [q for q in by_turn[k + 1] if slots[q].start is not None]
        if len(a) >= 2 and b:
            moved, rest, other = slots[a[-1]], slots[a[-2]], slots[b[0]]
            if _detached(moved, rest, other, opts):
                target = _untimed_neighbour(slots, by_turn[k + 1], b[0], moved.units, forward=False)
                if target is not None:
                    _move_pairs(moved, slots[target])
                    continue
        if len(b) >= 2 and a:
            moved, rest, other = slots[b[0]], slots[b[1]], slots[a[-1]]
            if _detached(moved, rest, other, opts):
                target = _untimed_neighbour(slots, by_turn[k], a[-1], moved.units, forward=True)
                if target is not None:
                    _move_pairs(moved, slots[target])


def _detached(moved: TokenSlot, rest: TokenSlot, other: TokenSlot, opts: TimingOptions) -> bool:
    """``moved`` is far from ``rest`` (its own turn) and touches ``other`` (the neighbour)."""
    assert moved.start is not None and moved.end is not None
    assert rest.start is not None and rest.end is not None
    assert other.start is not None and other.end is not None
    gap_own = rest.start - moved.end if rest.start >= moved.end else moved.start - rest.end
    gap_other = other.start - moved.end if other.start >= moved.end else moved.start - other.end
    return gap_own >= opts.detached_gap_s and gap_other <= opts.max_word_gap_s


def _untimed_neighbour(
    slots: list[TokenSlot], ks: list[int], edge: int, units: tuple[str, ...], forward: bool
) -> int | None:
    """The untimed token with ``units`` right before (or after) ``edge`` in ``ks``."""
    pos = ks.index(edge)
    order = ks[pos + 1 :] if forward else ks[:pos][::-1]
    for q in order:
        if slots[q].start is not None:
            return None
        if not slots[q].units or all(is_filler(u) for u in slots[q].units):
            continue
        return q if slots[q].units == units else None
    return None


def _move_pairs(src: TokenSlot, dst: TokenSlot) -> None:
    for name in ("heard", "kinds", "sims", "status", "start", "end", "confidence", "heard_text"):
        setattr(dst, name, getattr(src, name))
    src.heard, src.kinds, src.sims = [], [], []
    src.status, src.start, src.end, src.confidence, src.heard_text = (
        "not_found",
        None,
        None,
        0.0,
        None,
    )


def _enforce_monotonic(slots: list[TokenSlot]) -> None:
    last_end = 0.0
    for s in slots:
        if s.start is None or s.end is None:
            continue
        if s.start < last_end:
            s.start = last_end
        s.end = max(s.end, s.start)
        last_end = s.end


def _fill_runs(
    slots: list[TokenSlot],
    ks: list[int],
    turn: int,
    heard: Sequence[HeardWord],
    heard_starts: list[float],
    used_heard: set[int],
    opts: TimingOptions,
    mismatches: list[Mismatch],
) -> None:
    """Time or reject each run of untimed tokens inside an aligned turn."""
    if not any(slots[k].start is not None for k in ks):
        return  # the whole turn is not found; reported with the turn
    repeats = find_repeats([slots[k].text for k in ks])
    i = 0
    while i < len(ks):
        if slots[ks[i]].start is not None:
            i += 1
            continue
        j = i
        while j < len(ks) and slots[ks[j]].start is None:
            j += 1
        run = ks[i:j]
        in_repeat = any(r.start < j and i < r.start + r.length for r in repeats)
        _fill_one_run(
            slots,
            ks,
            i,
            j,
            run,
            turn,
            heard,
            heard_starts,
            used_heard,
            opts,
            mismatches,
            in_repeat,
        )
        i = j


def _prev_timed(slots: list[TokenSlot], k: int) -> TokenSlot | None:
    for q in range(k - 1, -1, -1):
        if slots[q].end is not None:
            return slots[q]
    return None


def _next_timed(slots: list[TokenSlot], k: int) -> TokenSlot | None:
    for q in range(k + 1, len(slots)):
        if slots[q].start is not None:
            return slots[q]
    return None


def _run_units(slots: list[TokenSlot], ks: Sequence[int]) -> list[str]:
    return [u for k in ks for u in slots[k].units if not is_filler(u)]


def _is_repeat(slots: list[TokenSlot], ks: list[int], i: int, j: int, opts: TimingOptions) -> bool:
    """Whether tokens ks[i:j] are a stutter copy of the words around them.

    ASR-made transcripts repeat phrases ("three look in thy glass and three look in thy
    glass and tell"). Removing the copy leaves ``before + after``; the copy is a repeat
    when it reads like the text that straddles that cut, ``after[:d] + before[-(n-d):]``
    for some d (d = 0: it repeats what precedes, d = n: what follows, else a rotation).
    """
    run = _run_units(slots, ks[i:j])
    if not run:
        return False
    n = len(run)
    before = _run_units(slots, ks[:i])[-n:] if i > 0 else []
    after = _run_units(slots, ks[j:])[:n]
    run_text = " ".join(run)
    for d in range(n + 1):
        tail = before[len(before) - (n - d) :] if n - d <= len(before) else None
        if tail is None or d > len(after):
            continue
        candidate = after[:d] + tail
        if similarity(run_text, " ".join(candidate)) >= opts.repeat_similarity:
            return True
    return False


def _fill_one_run(
    slots: list[TokenSlot],
    ks: list[int],
    i: int,
    j: int,
    run: list[int],
    turn: int,
    heard: Sequence[HeardWord],
    heard_starts: list[float],
    used_heard: set[int],
    opts: TimingOptions,
    mismatches: list[Mismatch],
    in_text_repeat: bool = False,
) -> None:
    first, last = run[0], run[-1]
    prev = _prev_timed(slots, first)
    nxt = _next_timed(slots, last)
    in_turn_prev = prev is not None and prev.turn == turn
    in_turn_next = nxt is not None and nxt.turn == turn
    chars = sum(len(slots[k].text) + 1 for k in run)
    expected_s = chars * opts.seconds_per_char
    lo = prev.end if prev is not None and prev.end is not None else 0.0
    hi = nxt.start if nxt is not None and nxt.start is not None else lo + expected_s
    has_units = any(slots[k].units for k in run)
    fillers_only = has_units and all(is_filler(u) for k in run for u in slots[k].units)
    repeat = has_units and not fillers_only and _is_repeat(slots, ks, i, j, opts)
    # Unclaimed heard words between the neighbours: the engine heard something else here.
    first_h = bisect.bisect_left(heard_starts, lo - 1e-6)
    gap_heard = []
    for h in range(first_h, len(heard)):
        if heard[h].start > hi + 1e-6:
            break
        if h not in used_heard and heard[h].end <= hi + 1e-6:
            gap_heard.append(h)
    if in_turn_prev and in_turn_next:
        lo_e, hi_e = lo, hi
    elif in_turn_next:  # run opens the turn: only speech running into the turn is its own
        gap_heard = _contiguous(heard, gap_heard[::-1], hi, len(run) + 1, opts)[::-1]
        gap_heard = _own_words(slots, run, heard, gap_heard)
        lo_e = heard[gap_heard[0]].start if gap_heard else hi - expected_s - 0.1
        lo_e = max(lo, min(lo_e, hi), hi - opts.edge_max_lead_s)
        hi_e = hi
    else:  # run closes the turn: only speech running on from the turn is its own
        gap_heard = _contiguous(heard, gap_heard, lo, len(run) + 1, opts)
        gap_heard = _own_words(slots, run, heard, gap_heard)
        # Leave the next turn's unheard opening words their share of the pause.
        opening = [q for q in range(last + 1, len(slots)) if slots[q].start is None]
        opening = opening[
            : next((n for n, q in enumerate(opening) if q != last + 1 + n), len(opening))
        ]
        hi = hi - sum(len(slots[q].text) + 1 for q in opening) * opts.seconds_per_char
        lo_e = lo
        hi_e = heard[gap_heard[-1]].end if gap_heard else lo + expected_s + 0.1
        hi_e = min(max(hi_e, lo), hi, lo + opts.edge_max_lead_s)
    # The text repeats itself here and the audio holds no extra words: a duplicate.
    repeat = repeat or (in_text_repeat and has_units and not fillers_only and not gap_heard)
    available = max(0.0, hi_e - lo_e)
    fits = bool(gap_heard) or (available >= opts.min_fit_ratio * expected_s and available > 0)
    if not has_units:
        # Punctuation-only tokens ("--", "&"): ride on the neighbour, zero length.
        anchor = lo if in_turn_prev or not in_turn_next else hi
        for k in run:
            slots[k].status, slots[k].start, slots[k].end = "interpolated", anchor, anchor
        return
    if fillers_only and not fits:
        return  # engines drop hesitations; not finding one is no disagreement worth reporting
    if repeat or not fits:
        for k in run:
            slots[k].reason = "duplicate" if repeat else "no room in audio"
        text = " ".join(slots[k].text for k in run)
        mismatches.append(
            Mismatch(
                kind="not_in_audio",
                turn=turn,
                text=text,
                start=None,
                end=None,
                word_start=slots[first].word,
                word_count=len(run),
                reason="repeated phrase" if repeat else "not heard",
                confidence=0.9 if repeat else 0.6,
            )
        )
        return
    for h in gap_heard:
        used_heard.add(h)
    _spread(slots, run, lo_e, hi_e)
    heard_text = " ".join(heard[h].text for h in gap_heard)
    for k in run:
        slots[k].status = "interpolated"
        slots[k].confidence = 0.3 if gap_heard else 0.15
        if gap_heard:
            slots[k].heard = list(gap_heard)
            slots[k].heard_text = heard_text
    if gap_heard and len(run) <= 3:
        text = " ".join(slots[k].text for k in run)
        mismatches.append(
            Mismatch(
                kind="substitution",
                turn=turn,
                text=text,
                start=slots[first].start,
                end=slots[last].end,
                heard=heard_text,
                confidence=0.5,
                word_start=slots[first].word,
                word_count=len(run),
                reason="heard differently",
            )
        )


def _contiguous(
    heard: Sequence[HeardWord],
    candidates: list[int],
    edge_s: float,
    limit: int,
    opts: TimingOptions,
) -> list[int]:
    """The candidates (ordered away from ``edge_s``) that form unbroken speech from the edge."""
    out: list[int] = []
    last = edge_s
    for h in candidates[:limit]:
        w = heard[h]
        gap = (last - w.end) if w.end <= edge_s else (w.start - last)
        if gap > opts.max_word_gap_s:
            break
        out.append(h)
        last = w.start if w.end <= edge_s else w.end
    return out


def _own_words(
    slots: list[TokenSlot], run: list[int], heard: Sequence[HeardWord], candidates: list[int]
) -> list[int]:
    """Keep edge candidates only when one of them sounds like one of the run's words.

    Unclaimed speech next to a turn's edge may just as well be the neighbouring turn's
    words that its transcript lacks; it is the run's own only when the words resemble.
    """
    run_units = [u for k in run for u in slots[k].units]
    for h in candidates:
        for u in normalize_token(heard[h].text):
            if any(similarity(u, r) >= _EDGE_OWN_SIMILARITY for r in run_units):
                return candidates
    return []


def _spread(slots: list[TokenSlot], run: list[int], lo: float, hi: float) -> None:
    """Share [lo, hi] among the run's tokens in proportion to their length."""
    weights = [len(slots[k].text) + 1 for k in run]
    total = sum(weights)
    t = lo
    for k, w in zip(run, weights):
        d = (hi - lo) * w / total
        slots[k].start, slots[k].end = t, t + d
        t += d


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
