"""What the refinement pass works on, its options, and how it cuts the file into windows.

A pure planning module (no audio, no aligner): ``plan_items`` lists the words of the aligned
turns in time order with the times alignment gave them; ``window_bounds`` picks the next
window of words and the stretch of audio to read for it; ``find_turn_cut`` ends a window
early in a clear pause at a change of turn. Windows otherwise run across turn edges, so the
aligner sees "...and thee. | Uh, and here's..." as one sequence where Whisper stretched a
word over the pause; they always stop where Whisper heard speech the transcript does not
hold, since no grammar can account for it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from align.model import MismatchReason, Result
from align.refine.forced import ForcedAlignOptions
from align.refine.snap import SnapOptions
from align.text.normalize import is_filler_word, normalize_token

# Reasons for words left untimed on purpose: ``align.timing``'s copy of the words around
# them, and a report that gives no reason. Such words stay untimed even if the aligner
# could squeeze them in.
_KEEP_UNTIMED_REASONS: frozenset[MismatchReason] = frozenset({"repeated phrase", ""})
_HAS_LETTER = re.compile(r"[^\W_]")
_TIMED_HEARD = frozenset({"matched", "substituted"})


@dataclass(frozen=True, slots=True)
class RefineOptions:
    """Shape of the refinement pass (``align.refine.refine_result``).

    Windows: ``window_s`` of audio per forced-alignment window (cost grows with words times
    frames; 20 s holds a few sentences and bounds memory); no window spans more than
    ``max_window_factor`` times that. ``lead_s``/``tail_s``: audio read before a window's
    first and after its last word, as Whisper's edges are off by up to a few hundred ms;
    ``unheard_lead_s`` more for each unheard word before the first timed one (a hesitation
    opening a turn and the pause after it last up to about two seconds).
    ``overlap_words``: a window cut for length leaves its last words to the next window,
    which starts at the last kept word's aligned end. ``min_cut_pause_s``: a window ends
    early at a turn change with a pause this long.

    Segments: the pass runs over independent stretches of about ``segment_s`` or more,
    each ended in a pause of ``segment_gap_s`` before a heard word (past twice
    ``segment_s``, a quarter of that will do), so ``workers`` processes can align them at
    once. The stretches depend only on the alignment, so the result is the same for any
    number of workers.

    Words: ``min_known_share``: the transcript must be at least this share dictionary words
    for the English aligner to run (German and French text score about 0.65).
    ``recover_unheard``: offer words the engine did not hear (not repeated phrases) to the
    aligner as optional words; ``min_recovered_s``: one shorter than this is squeezed in,
    not found. ``place_unheard_words``: a run of at most this many such words that the
    aligner skipped between two aligned words of their turn still gets a place there
    (status ``interpolated``, still reported as not heard); 0 leaves them untimed.

    Turn edges: a hesitation the transcript left out, heard in the pause before a turn,
    widens that turn when it lasts at least ``min_hesitation_s`` (filled pauses last about
    0.3-0.5 s; the breaths and word tails mistaken for one are shorter), starts more than
    ``word_tail_s`` after the previous turn's last word, and ends at most
    ``max_hesitation_gap_s`` before the turn's first word.
    """

    window_s: float = 20.0
    max_window_factor: float = 3.0
    lead_s: float = 0.6
    tail_s: float = 0.6
    unheard_lead_s: float = 2.0
    overlap_words: int = 4
    min_cut_pause_s: float = 0.5
    min_known_share: float = 0.85
    recover_unheard: bool = True
    min_recovered_s: float = 0.08
    place_unheard_words: int = 2
    min_hesitation_s: float = 0.2
    word_tail_s: float = 0.3
    max_hesitation_gap_s: float = 2.0
    segment_s: float = 30.0
    segment_gap_s: float = 1.0
    workers: int = 2
    forced: ForcedAlignOptions = field(default_factory=ForcedAlignOptions)
    snap: SnapOptions = field(default_factory=SnapOptions)

    def __post_init__(self) -> None:
        if self.window_s < 2.0:
            raise ValueError(f"window_s must be >= 2, got {self.window_s}")
        if self.max_window_factor < 1.0:
            raise ValueError(f"max_window_factor must be >= 1, got {self.max_window_factor}")
        for name in ("lead_s", "tail_s", "unheard_lead_s", "min_cut_pause_s", "min_recovered_s",
                     "min_hesitation_s", "word_tail_s", "max_hesitation_gap_s"):  # fmt: skip
            if getattr(self, name) < 0.0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.segment_s <= 0.0 or self.segment_gap_s < 0.0 or self.workers < 1:
            raise ValueError("segment_s must be > 0, segment_gap_s >= 0 and workers >= 1")
        for name in ("overlap_words", "place_unheard_words"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not 0.0 <= self.min_known_share <= 1.0:
            raise ValueError(f"min_known_share must be in [0, 1], got {self.min_known_share}")


@dataclass(slots=True)
class Item:
    """One transcript word in the refinement pass (mutable working state).

    ``start_s``/``end_s`` start as alignment's times (``None`` for an unheard word offered
    to the aligner as ``optional``) and end as the refined ones. ``aligned``: the forced
    aligner placed it; ``placed``: an unheard word given a place between its neighbours.
    ``foreign_before``: speech the transcript does not hold, between this word and the
    previous one. ``turn_start_s``: the first word of a turn widens it back to here.
    """

    turn: int
    word: int
    text: str
    start_s: float | None
    end_s: float | None
    optional: bool = False
    heard: bool = False
    snappable: bool = True
    aligned: bool = False
    placed: bool = False
    foreign_before: tuple[float, float] | None = None
    turn_start_s: float | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """Items ``[start, stop)`` and the audio ``[start_s, end_s)`` to align them in.

    ``final``: the window ends at a real break (the last word, a turn change in a pause,
    untranscribed speech), so all its words may be kept; otherwise it was cut for length
    and its last words are aligned again by the next window.
    """

    start: int
    stop: int
    start_s: float
    end_s: float
    final: bool


def plan_items(result: Result, recover: bool) -> list[Item]:
    """The words to refine, in time order.

    Args:
        result: the alignment.
        recover: also list the unheard words of aligned turns that are not repeated
            phrases, as optional words for the aligner to find.
    """
    repeats: set[tuple[int, int]] = set()
    foreign: list[tuple[float, float]] = []
    for m in result.mismatches:
        if m.kind == "not_in_audio" and m.turn is not None and m.word_start is not None:
            if m.reason in _KEEP_UNTIMED_REASONS:
                repeats.update(
                    (m.turn, k) for k in range(m.word_start, m.word_start + m.word_count)
                )
        elif m.kind == "not_in_transcript" and m.start is not None and m.end is not None:
            foreign.append((m.start, m.end))
    items: list[Item] = []
    for turn in result.turns:
        if turn.status != "aligned":
            continue
        for k, w in enumerate(turn.words):
            if w.start is not None and w.end is not None:
                snappable = w.end > w.start and bool(_HAS_LETTER.search(w.text))
                items.append(Item(turn.index, k, w.text, w.start, w.end,
                                  heard=w.status in _TIMED_HEARD, snappable=snappable))  # fmt: skip
            elif recover and (turn.index, k) not in repeats and _HAS_LETTER.search(w.text):
                items.append(Item(turn.index, k, w.text, None, None, optional=True))
    _mark_foreign(items, sorted(foreign))
    return items


def _mark_foreign(items: list[Item], foreign: Sequence[tuple[float, float]]) -> None:
    """Attach each untranscribed stretch to the first timed item after it."""
    f = 0
    prev_end = 0.0
    for it in items:
        if it.start_s is None or it.end_s is None:
            continue
        while f < len(foreign) and foreign[f][1] <= it.start_s + 1e-6:
            if foreign[f][0] >= prev_end - 1e-6:
                it.foreign_before = foreign[f]
            f += 1
        prev_end = it.end_s


@dataclass(frozen=True, slots=True)
class Segment:
    """Items ``[start, stop)``, refined on their own from the audio ``[start_s, end_s)``.

    ``context``: a copy of the item before ``start`` as alignment timed it (the pause
    before a turn is searched from its end), or ``None`` for the first segment.
    """

    start: int
    stop: int
    start_s: float
    end_s: float
    context: Item | None


# Whisper gives words no length where its timestamps collapse, most often at a chunk's last
# words ("alright@2478.59-2478.59 thanks.@2480.11-2480.11", said at 2478.1-2479.0): the pause
# beside them is made up. A stretch cut there started past the real word, and the aligner,
# reading from 0.6 s before Whisper's start, could not reach it (1.25-1.9 s off in an hour).
_COLLAPSED_WORD_S = 0.01


def _collapsed(item: Item) -> bool:
    return (
        item.start_s is not None
        and item.end_s is not None
        and item.end_s - item.start_s < _COLLAPSED_WORD_S
    )


def plan_segments(items: Sequence[Item], duration_s: float, opts: RefineOptions) -> list[Segment]:
    """Cut ``items`` into independent stretches (see ``RefineOptions``); never before an
    item with untranscribed speech before it or one the engine did not hear, nor next to a
    word with no length."""
    cuts: list[int] = []
    seg_start_s: float | None = None
    for k in range(1, len(items)):
        prev, it = items[k - 1], items[k]
        if it.start_s is None:
            continue
        if seg_start_s is None:
            seg_start_s = it.start_s
            continue
        length_s = it.start_s - seg_start_s
        if length_s < opts.segment_s or prev.end_s is None:
            continue
        if not it.heard or it.foreign_before is not None:
            continue
        if _collapsed(prev) or _collapsed(it):
            continue  # a pause next to a word Whisper gave no length is no measured pause
        need_gap_s = opts.segment_gap_s if length_s < 2 * opts.segment_s else opts.segment_gap_s / 4
        if it.start_s - prev.end_s >= need_gap_s:
            cuts.append(k)
            seg_start_s = it.start_s
    bounds = [0, *cuts, len(items)]
    out: list[Segment] = []
    for a, b in zip(bounds, bounds[1:]):
        context = copy.copy(items[a - 1]) if a > 0 else None
        if context is not None:  # its end, as alignment gave it, stands in for the refined one
            context.aligned = True
        start_s = context.end_s if context is not None and context.end_s is not None else 0.0
        nxt = items[b].start_s if b < len(items) else None
        out.append(Segment(a, b, start_s, duration_s if nxt is None else nxt, context))
    return out


def window_bounds(
    items: Sequence[Item], start: int, floor_s: float, duration_s: float, opts: RefineOptions
) -> Window:
    """The next window, beginning at item ``start``, reading no audio before ``floor_s``.

    Args:
        items: all items, in time order.
        start: the first item not yet committed.
        floor_s: where the previous window's kept words (or its cut) ended.
        duration_s: the length of the audio.
        opts: window length and margins.
    """
    first_k = next((k for k in range(start, len(items)) if items[k].start_s is not None), None)
    if first_k is None:  # only unheard words remain, after the last timed one
        return Window(start, len(items), floor_s, min(duration_s, floor_s + opts.tail_s), True)
    first_s = items[first_k].start_s
    assert first_s is not None
    lead_s = opts.lead_s + min((first_k - start) * opts.unheard_lead_s, opts.window_s / 2)
    begin_s = max(floor_s, first_s - lead_s, 0.0)
    foreign = items[first_k].foreign_before
    if foreign is not None and first_k > 0:
        begin_s = max(begin_s, min(foreign[1], first_s))
    head_end = items[start].end_s
    stop, last_end, final = start + 1, head_end if head_end is not None else first_s, False
    end_cap = min(duration_s, begin_s + opts.window_s * opts.max_window_factor)
    while True:
        if stop >= len(items):
            final = True
            break
        nxt = items[stop]
        if nxt.foreign_before is not None:
            final = True
            end_cap = min(end_cap, max(nxt.foreign_before[0], last_end))
            break
        too_long = nxt.end_s is not None and nxt.end_s - begin_s > opts.window_s
        if too_long and stop - start > opts.overlap_words:
            break
        if nxt.end_s is not None:
            last_end = max(last_end, nxt.end_s)
        stop += 1
    end_s = last_end + opts.tail_s
    next_start = items[stop].start_s if not final else None
    if next_start is not None:
        # Reach the next word, so a pause before it can end this window (``find_turn_cut``).
        end_s = max(end_s, min(next_start, last_end + opts.window_s / 4))
    return Window(start, stop, begin_s, max(min(end_s, end_cap), begin_s), final)


def find_turn_cut(
    items: Sequence[Item],
    win: Window,
    silences: Sequence[tuple[float, float]],
    min_silence_s: float,
) -> tuple[int, float] | None:
    """Where to end a window early: in a clear pause at a change of turn.

    Aligning across a turn change lets the aligner move a word from one turn into the
    other: it has no notion that a long pause separates speakers, and a soft "um" can score
    as the tail of the previous turn's last word. A pause of at least ``min_silence_s``
    between the previous turn's last heard word and the next turn's first heard word is a
    safe place to cut, unless the next turn opens with a word (not a filler) the engine
    did not hear: its time is only a guess, and it may lie in that pause. Of several, the
    earliest, since Whisper stretches a turn's last word over the pause and an unheard
    hesitation after it more often opens the next turn.

    Args:
        items: all items; ``win`` the tentative window over them.
        silences: ``(start_s, end_s)`` of the silent stretches in the window's audio.
        min_silence_s: the shortest pause to cut in.

    Returns:
        ``(stop, at_s)``: the window keeps items ``[win.start, stop)`` and ends at ``at_s``,
        the middle of the pause; ``None`` when no turn change in the window has one.
    """
    # The change just after a window cut for length counts too: otherwise the window's last
    # words would be aligned again on their own, in a short window that is mostly pause.
    last = win.stop if not win.final and win.stop < len(items) else win.stop - 1
    for k in range(win.start + 1, last + 1):
        if items[k].turn == items[k - 1].turn:
            continue
        if _unheard_word(items[k]):
            # The turn opens with a word the engine did not hear: it may be anywhere in the
            # pause, so the aligner must see the pause and that word together. (An unheard
            # filler is left to the hesitation search, which guards against breath and noise.)
            continue
        a = _heard_start(items, k - 1, -1, win.start)
        b = _heard_start(items, k, 1, len(items) - 1)
        if a is None or b is None:
            continue
        for s0, s1 in silences:
            s0, s1 = max(s0, a), min(s1, b)
            if s1 - s0 >= min_silence_s:
                return k, (s0 + s1) / 2
    return None


def _unheard_word(item: Item) -> bool:
    """A word the engine did not hear that is not a filler ("um", "uh")."""
    return not item.heard and bool(normalize_token(item.text)) and not is_filler_word(item.text)


def unheard_filler(item: Item) -> bool:
    """A filler ("um", "uh") of the transcript's that the engine did not hear."""
    return not item.heard and is_filler_word(item.text)


def _heard_start(items: Sequence[Item], k: int, step: int, limit: int) -> float | None:
    """Start of the heard item of ``items[k]``'s turn nearest ``k`` walking by ``step`` (no
    further than ``limit``); of the nearest timed one when none was heard."""
    turn = items[k].turn
    fallback: float | None = None
    while (k >= limit) if step < 0 else (k <= limit):
        it = items[k]
        if it.turn != turn:
            break
        if it.start_s is not None:
            if it.heard:
                return it.start_s
            fallback = it.start_s if fallback is None else fallback
        k += step
    return fallback


__all__ = [
    "Item",
    "RefineOptions",
    "Segment",
    "Window",
    "find_turn_cut",
    "plan_items",
    "plan_segments",
    "unheard_filler",
    "window_bounds",
]
