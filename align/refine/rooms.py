"""What the acoustic check asks the audio about: candidates, and the rooms they sit in.

A candidate is one ``not_in_audio`` report that names transcript words. Candidates with no
trusted timed word between them share a room (a run of turns Whisper skipped): the audio
between the timed words around them, with a word or two of context on either side, in
which they are decided together (``align.refine.decide``). ``VerifyState`` holds the words'
times that the decisions update; ``align.refine.retime`` builds the result from it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from align.model import Result, Word
from align.refine.forced import ForcedAlignOptions
from align.text.normalize import normalize_token

log = logging.getLogger(__name__)

Key = tuple[int, int]
"""(turn index, word index) of one transcript word."""


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    """How the acoustic verdict is asked.

    ``context_words``: timed words on each side aligned with the candidate (their times may
    move); ``turn_context_words`` for a whole turn, whose neighbour may have been stretched
    over its audio by more than a word ("...the original one." over the example's "Uh.":
    one word of context left "one." there). ``pad_s``: audio
    read beyond the outermost context words (never past the next word's time).
    ``reject_loss``: a candidate of at most ``max_squeeze_words`` words that the aligner
    left out is still kept when forcing it in lowers the best path's log score by no more
    than this (pocketsphinx's scale). ``min_speech_share``: a left-out candidate is kept
    when the audio between its timed neighbours holds this share of its typical length in
    speech. ``min_snr_db``: below this signal-to-noise ratio (the room's timed words over
    the noise floor around it) a short candidate the aligner left out is placed, not
    reported: at the stress suite's -30 dBFS floor (5-9 dB) the aligner left out words
    Whisper missed that were spoken. ``max_room_s``: a longer room is not checked (its
    flag stays as the text gave it).
    ``weak_confidence``: a whole turn's room reaches past up to ``max_weak_words`` words of
    its neighbour that the engine's text paired with it only weakly (substitutions below
    this confidence): in noise the matcher paired the lost turn's audio with the next
    turn's injected duplicate ("There's nothing in the grave." as "3 look in thy glass
    and"), and a room framed by those words had no audio left for the turn.
    ``detached_gap_s``: a turn's last word the room put this far after the word before
    it, against the next turn's first word, is aligned again on its own in the
    ``pull_back_s`` after that word (a quiet ending carried over a pause).
    ``min_opening_s``/``max_opening_gap_s``: a whole turn the audio holds is aligned once
    more with an optional "uh" before it (transcripts leave out the hesitation a turn
    opens with); one the aligner finds, this long at least and at most this far before the
    turn's first word, and mostly speech, opens the turn (as refinement's hesitations do).
    ``min_stolen_s``: unheard speech a verified candidate now explains drops its
    ``not_in_transcript`` report when they overlap by at least this much. ``forced``: the
    aligner's search (refinement's, so its decoder is loaded already); ``retry_beam``: a
    search that finds no path is tried once more with this wider beam (a whole turn forced
    into a room in loud noise, the stress suite's -30 dBFS floor, found none at 1e-100).
    """

    context_words: int = 1
    turn_context_words: int = 2
    pad_s: float = 0.2
    reject_loss: float = 0.1
    max_squeeze_words: int = 2
    min_speech_share: float = 0.6
    min_snr_db: float = 15.0
    max_room_s: float = 60.0
    min_stolen_s: float = 0.2
    weak_confidence: float = 0.5
    max_weak_words: int = 8
    detached_gap_s: float = 1.0
    pull_back_s: float = 1.5
    min_opening_s: float = 0.2
    max_opening_gap_s: float = 2.0
    forced: ForcedAlignOptions = field(default_factory=ForcedAlignOptions)
    retry_beam: float = 1e-200

    def __post_init__(self) -> None:
        if min(self.context_words, self.turn_context_words) < 1:
            raise ValueError("context_words and turn_context_words must be >= 1")
        for name in ("pad_s", "reject_loss", "min_speech_share", "max_room_s", "min_stolen_s",
                     "min_snr_db", "detached_gap_s", "pull_back_s", "min_opening_s",
                     "max_opening_gap_s"):  # fmt: skip
            if getattr(self, name) < 0.0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not 0.0 < self.retry_beam < 1.0:
            raise ValueError(f"retry_beam must be in (0, 1), got {self.retry_beam}")
        if min(self.max_squeeze_words, self.max_weak_words) < 0:
            raise ValueError("max_squeeze_words and max_weak_words must be >= 0")
        if not 0.0 <= self.weak_confidence <= 1.0:
            raise ValueError(f"weak_confidence must be in [0, 1], got {self.weak_confidence}")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ``not_in_audio`` report: its mismatch's index and the words it covers."""

    mismatch: int
    keys: tuple[Key, ...]


@dataclass(slots=True)
class Room:
    """Candidates decided together, the timed words around them, and the audio span."""

    candidates: list[Candidate]
    keys: list[Key]  # every word aligned in the room, in transcript order
    start_s: float = 0.0
    end_s: float = 0.0
    weak: set[Key] = field(default_factory=set)  # weakly paired words the room reaches past


class VerifyState:
    """The result's words in transcript order, with times that rooms update in place."""

    def __init__(self, result: Result) -> None:
        self.result = result
        self.order: list[Key] = [(t.index, k) for t in result.turns for k in range(len(t.words))]
        self.pos = {key: i for i, key in enumerate(self.order)}
        self.times: dict[Key, tuple[float, float]] = {}
        for t in result.turns:
            for k, w in enumerate(t.words):
                if w.start is not None and w.end is not None:
                    self.times[(t.index, k)] = (w.start, w.end)
        self.found: set[Key] = set()
        self.moved: set[Key] = set()
        self.unverified: set[Key] = set()  # placed, though the audio could not confirm them
        # Copies of a phrase written twice in an accepted turn that the audio holds once:
        # the candidate's mismatch index -> (first word, word count) of each.
        self.dropped: dict[int, list[tuple[Key, int]]] = {}
        # Copies of a phrase written twice that the engine's text paired with other speech
        # and the audio holds once: now untimed, to be reported.
        self.unpaired: list[tuple[Key, int]] = []
        # Turns that open with a hesitation the transcript left out: turn -> its start.
        self.openings: dict[int, float] = {}

    def word(self, key: Key) -> Word:
        return self.result.turns[key[0]].words[key[1]]

    def whole_turn(self, c: Candidate) -> bool:
        """Whether ``c`` covers every word of its turn (a turn the engine did not hear)."""
        return len(c.keys) == len(self.result.turns[c.keys[0][0]].words)


def find_candidates(result: Result) -> list[Candidate]:
    """The ``not_in_audio`` reports that name transcript words, in transcript order."""
    out: list[Candidate] = []
    for i, m in enumerate(result.mismatches):
        if m.kind != "not_in_audio" or m.turn is None or not 0 <= m.turn < len(result.turns):
            continue
        turn = result.turns[m.turn]
        first = m.word_start if m.word_start is not None else 0
        count = m.word_count if m.word_start is not None else len(turn.words)
        keys = tuple((m.turn, k) for k in range(first, min(first + count, len(turn.words))))
        if keys:
            out.append(Candidate(i, keys))
    out.sort(key=lambda c: c.keys[0])
    return out


def repeat_copies(texts: Sequence[str], min_words: int = 3) -> list[tuple[int, int]]:
    """The second copies of phrases written twice in a row, as (start, end) word positions.

    "I probably sound quite different than I probably sound quite different than the"
    gives the span of the second "I ... than". Phrases shorter than ``min_words`` are left
    alone: speakers do say "I I" and "it took it took"; an earlier ASR pass's duplicates
    run longer.
    """
    units = [" ".join(normalize_token(t)) for t in texts]
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        size = next(
            (
                n
                for n in range((len(units) - i) // 2, min_words - 1, -1)
                if all(units[i:i + n]) and units[i:i + n] == units[i + n:i + 2 * n]
            ),
            0,
        )  # fmt: skip
        if size:
            out.append((i + size, i + 2 * size))
            i += 2 * size
        else:
            i += 1
    return out


def group_rooms(
    state: VerifyState, candidates: Sequence[Candidate], opts: VerifyOptions
) -> list[Room]:
    """Group candidates with no trusted timed word between them, and frame each group with
    its context words and audio span."""
    flagged = {key for c in candidates for key in c.keys}

    def anchor(i: int) -> bool:
        key = state.order[i]
        return key in state.times and key not in flagged

    rooms: list[Room] = []
    for c in candidates:
        lo = state.pos[c.keys[0]]
        if rooms:
            prev = rooms[-1]
            prev_hi = state.pos[prev.candidates[-1].keys[-1]]
            if not any(anchor(i) for i in range(prev_hi + 1, lo)):
                prev.candidates.append(c)
                continue
        rooms.append(Room([c], []))
    n = len(state.order)
    out: list[Room] = []
    for room in rooms:
        lo = state.pos[room.candidates[0].keys[0]]
        hi = state.pos[room.candidates[-1].keys[-1]]
        whole = any(state.whole_turn(c) for c in room.candidates)
        context = opts.turn_context_words if whole else opts.context_words
        skip = opts.max_weak_words if whole else 0
        left, weak_left = _context(state, range(lo - 1, -1, -1), anchor, context, skip, opts)
        right, weak_right = _context(state, range(hi + 1, n), anchor, context, skip, opts)
        room.weak = {state.order[i] for i in weak_left + weak_right}
        first = left[-1] if left else lo
        last = right[-1] if right else hi
        room.keys = [state.order[i] for i in range(first, last + 1)]
        duration = state.result.audio.duration
        if left:
            floor = _end_before(state, left[-1])
            room.start_s = max(floor, state.times[state.order[left[-1]]][0] - opts.pad_s)
        if right:
            ceil = start_after(state, right[-1], duration)
            room.end_s = min(ceil, state.times[state.order[right[-1]]][1] + opts.pad_s)
        else:
            room.end_s = duration
        if not left:
            room.start_s = 0.0
        if room.end_s - room.start_s > opts.max_room_s or room.end_s <= room.start_s:
            log.debug("room %.1f-%.1fs not checked", room.start_s, room.end_s)
            continue
        out.append(room)
    return out


def _context(
    state: VerifyState,
    order: Iterable[int],
    anchor: Callable[[int], bool],
    context: int,
    skip: int,
    opts: VerifyOptions,
) -> tuple[list[int], list[int]]:
    """The first ``context`` anchors in ``order``, past up to ``skip`` weakly paired ones
    next to the candidate (they stay in the room, to be placed again), and those."""
    out: list[int] = []
    passed: list[int] = []
    for i in order:
        if not anchor(i):
            continue
        w = state.word(state.order[i])
        if (
            not out
            and skip > 0
            and w.status == "substituted"
            and w.confidence < opts.weak_confidence
        ):
            skip -= 1
            passed.append(i)
            continue
        out.append(i)
        if len(out) == context:
            break
    return out, passed


def _end_before(state: VerifyState, i: int) -> float:
    for j in range(i - 1, -1, -1):
        t = state.times.get(state.order[j])
        if t is not None:
            return t[1]
    return 0.0


def start_after(state: VerifyState, i: int, duration_s: float) -> float:
    """The start of the first timed word after position ``i`` (``duration_s`` if none)."""
    for j in range(i + 1, len(state.order)):
        t = state.times.get(state.order[j])
        if t is not None:
            return t[0]
    return duration_s


__all__ = [
    "Candidate",
    "Key",
    "Room",
    "VerifyOptions",
    "VerifyState",
    "find_candidates",
    "group_rooms",
    "repeat_copies",
    "start_after",
]
