"""The audio's verdict on one room: which of its candidates the recording holds, and when.

``decide_room`` asks the forced aligner once with every candidate optional, then gives
what it left out three more chances (squeezed in at next to no cost, speech in its place
that nothing else explains, a room too noisy for "left out" to mean anything); the words it
accepts take the aligner's times in ``VerifyState``. ``RoomAligner`` loads the wider search
only when a room needs it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from align.refine.forced import PocketsphinxAligner, ScoredAlignment, load_aligner
from align.refine.grammar import AlignToken
from align.refine.rooms import (
    Candidate,
    Key,
    Room,
    VerifyOptions,
    VerifyState,
    repeat_copies,
    start_after,
)
from align.refine.snap import FRAME_S, SnapOptions, SpeechMask, speech_mask
from align.text.normalize import is_filler_word
from audio import SAMPLE_RATE

# The noise floor is the quietest tenth of the 10 ms frames around a room
# (``align.refine.verify`` reads them).
_FLOOR_PERCENTILE = 10.0
# Typical speaking time per character of text (as ``align.timing.TimingOptions``).
_SECONDS_PER_CHAR = 0.065
# Speech by energy for the room test: 6 dB over the floor still finds speech at the 10 dB
# signal-to-noise ratio of a -30 dBFS noise floor, where the 12 dB of snapping does not.
_SPEECH_SNAP = SnapOptions(speech_above_floor_db=6.0)
_TIME_DECIMALS = 3
# A word this close to the next one "touches" it.
_TOUCH_S = 0.05
# The optional hesitation offered before a whole turn (``decide_room``): its key's word
# index, its text, and the share of it that must be speech by energy.
_OPENING_WORD = -1
_OPENING_TEXT = "uh"
_MIN_OPENING_SPEECH = 0.5


class RoomAligner:
    """The aligner, and a wider search loaded only when a room needs it."""

    def __init__(self, aligner: PocketsphinxAligner, opts: VerifyOptions) -> None:
        self._aligner = aligner
        self._opts = opts
        self._wide: PocketsphinxAligner | None = None

    def align(
        self, samples: NDArray[np.float32], tokens: Sequence[AlignToken]
    ) -> ScoredAlignment | None:
        found = self._aligner.align_scored(samples, tokens)
        if found is None:
            if self._wide is None:
                self._wide = load_aligner(replace(self._opts.forced, beam=self._opts.retry_beam))
            found = self._wide.align_scored(samples, tokens)
        return found

    def silence(self, samples: NDArray[np.float32]) -> float | None:
        return self._aligner.silence_scored(samples)


def decide_room(
    state: VerifyState,
    room: Room,
    samples: NDArray[np.float32],
    aligner: RoomAligner,
    opts: VerifyOptions,
    snr_db: float,
) -> tuple[list[Candidate], list[Candidate]]:
    """Accept and reject the room's candidates; set the times of what the audio holds.

    1. One alignment of the room with every candidate an optional group: the aligner keeps
       the ones the audio holds (both choices are scored in the same search).
    2. A short candidate it left out is kept when squeezing it in costs less than
       ``opts.reject_loss`` (a reduced "a" or "who" has next to no sound of its own).
    3. A candidate it left out is kept when the audio between its neighbours holds speech
       for it (``opts.min_speech_share`` of its typical length): speech nothing else
       explains, where Whisper heard other words or nothing (a turn in loud noise).
    4. Where the room's speech stands less than ``opts.min_snr_db`` above the noise floor,
       the aligner's "left out" is no evidence for a short candidate: it is placed between
       its neighbours (evidence ``interpolated``), not reported.

    Copies of a phrase written twice in a whole-turn candidate, or among the weakly paired
    words the room reaches past (``Room.weak``), are optional on their own in every search;
    the ones the accepted alignment leaves out go to ``state.dropped`` / ``state.unpaired``.
    """
    cands = room.candidates
    flagged = {key for c in cands for key in c.keys}
    group = {key: g for g, c in enumerate(cands) for key in c.keys}
    copies = _copies(state, cands)
    weak_copies = _weak_copies(state, room)
    inner = {
        key: n
        for n, (first, count) in enumerate(copies + weak_copies)
        for key in _span_keys(first, count)
    }

    def tokens(
        required: set[int], optional: set[int], opening: bool = False
    ) -> tuple[list[Key], list[AlignToken]]:
        keys = [k for k in room.keys if k not in flagged or group[k] in required | optional]
        toks = [
            AlignToken(state.word(k).text, True, group[k], inner.get(k))
            if k in flagged and group[k] in optional
            else AlignToken(state.word(k).text, _optional(state, k, flagged), None, inner.get(k))
            for k in keys
        ]
        for g in sorted(required) if opening else ():
            first = cands[g].keys[0]
            if state.whole_turn(cands[g]) and not is_filler_word(state.word(first).text):
                at = keys.index(first)
                keys.insert(at, (first[0], _OPENING_WORD))
                toks.insert(at, AlignToken(_OPENING_TEXT, True))
        return keys, toks

    keys, toks = tokens(set(), set(range(len(cands))))
    joint = aligner.align(samples, toks)
    if joint is None:
        return [], []  # no path even with every candidate optional: leave the room as it was
    kept = {group[k] for k, sp in zip(keys, joint.spans) if k in flagged and sp is not None}
    accepted = set(kept)
    for g in range(len(cands)):
        if g in kept:
            continue
        if len(cands[g].keys) <= opts.max_squeeze_words:
            with_g = aligner.align(samples, tokens(accepted | {g}, set())[1])
            rest = tokens(accepted, set())[1]
            without: ScoredAlignment | float | None = (
                aligner.align(samples, rest) if rest else aligner.silence(samples)
            )
            if _loss(with_g, without) <= opts.reject_loss:
                accepted.add(g)
                continue
        if _speech_room_s(state, room, cands[g], samples) >= opts.min_speech_share * _typical_s(
            state, cands[g]
        ):
            accepted.add(g)
        elif snr_db < opts.min_snr_db and len(cands[g].keys) <= opts.max_squeeze_words:
            accepted.add(g)
            state.unverified.update(cands[g].keys)
    final = joint
    if accepted != kept:
        keys, toks = tokens(accepted, set())
        forced = aligner.align(samples, toks)
        if forced is None:  # the extra ones do not fit after all
            accepted = set(kept)
            keys, toks = tokens(set(), set(range(len(cands))))
        else:
            final = forced
    if accepted:
        # Transcripts leave out the "um" a turn opens with; forced to start at the turn's
        # first word, the aligner put "I think" 2.6 s early, in the noise after the last turn.
        opened_keys, opened_toks = tokens(accepted, set(), opening=True)
        opens = any(k[1] == _OPENING_WORD for k in opened_keys)
        if opens and (opened := aligner.align(samples, opened_toks)) is not None:
            keys, final = opened_keys, opened
            _take_openings(state, room, keys, final, samples, opts)
    _take_times(state, room, keys, final, {k for k in flagged if group[k] in accepted})
    placed = {k for k, sp in zip(keys, final.spans) if sp is not None}
    for first, count in copies:
        g = group[first]
        if g in accepted and not placed & set(_span_keys(first, count)):
            state.dropped.setdefault(cands[g].mismatch, []).append((first, count))
    if accepted:
        for first, count in weak_copies:
            if not placed & set(_span_keys(first, count)):
                state.unpaired.append((first, count))
                for key in _span_keys(first, count):
                    state.times.pop(key, None)
                    state.moved.discard(key)
        _pull_back_last_words(state, room, samples, aligner, opts, placed)
    return [c for g, c in enumerate(cands) if g in accepted], [
        c for g, c in enumerate(cands) if g not in accepted
    ]


def context_snr_db(
    state: VerifyState, room: Room, samples: NDArray[np.float32], wide: NDArray[np.float32]
) -> float:
    """How far the room's timed words stand above the noise floor around it, in dB."""
    flagged = {k for c in room.candidates for k in c.keys}
    spans = [state.times[k] for k in room.keys if k not in flagged and k in state.times]
    parts = [
        samples[round((a - room.start_s) * SAMPLE_RATE) : round((b - room.start_s) * SAMPLE_RATE)]
        for a, b in spans
    ]
    speech = np.concatenate(parts) if parts else samples
    frame = round(FRAME_S * SAMPLE_RATE)
    n = len(wide) // frame
    if n == 0 or len(speech) == 0:
        return math.inf
    # shape: (n_frames, frame)
    frames = wide[: n * frame].astype(np.float64).reshape(n, frame)
    floor = float(
        np.percentile(10 * np.log10(np.mean(frames**2, axis=1) + 1e-12), _FLOOR_PERCENTILE)
    )
    level = 10 * math.log10(float(np.mean(speech.astype(np.float64) ** 2)) + 1e-12)
    return level - floor


def _take_openings(
    state: VerifyState,
    room: Room,
    keys: Sequence[Key],
    full: ScoredAlignment,
    samples: NDArray[np.float32],
    opts: VerifyOptions,
) -> None:
    """Turns the aligner opened with a hesitation the transcript left out start there, when
    it lasts ``opts.min_opening_s``, is mostly speech by energy, and ends at most
    ``opts.max_opening_gap_s`` before the turn's first word."""
    mask: SpeechMask | None = None
    for i, (key, span) in enumerate(zip(keys, full.spans)):
        nxt = full.spans[i + 1] if i + 1 < len(full.spans) else None
        if key[1] != _OPENING_WORD or span is None or nxt is None:
            continue
        if span.end_s - span.start_s < opts.min_opening_s:
            continue
        if nxt.start_s - span.end_s > opts.max_opening_gap_s:
            continue
        if mask is None:
            mask = speech_mask(samples, room.start_s, _SPEECH_SNAP)
        s0, s1 = room.start_s + span.start_s, room.start_s + span.end_s
        if mask.speech_share(s0, s1) >= _MIN_OPENING_SPEECH:
            state.openings[key[0]] = round(s0, _TIME_DECIMALS)


def _pull_back_last_words(
    state: VerifyState,
    room: Room,
    samples: NDArray[np.float32],
    aligner: RoomAligner,
    opts: VerifyOptions,
    placed: set[Key],
) -> None:
    """A turn's last word that the room's alignment put past a pause of
    ``opts.detached_gap_s`` or more, against the next turn's first word, is aligned again
    on its own in the audio after the word before it: the aligner had carried "them." over
    2 s to the next speaker's "uh" (an ending too quiet for the search through the room)."""
    for turn in sorted({k[0] for k in placed}):
        n_words = len(state.result.turns[turn].words)
        timed = [(turn, k) for k in range(n_words) if (turn, k) in state.times]
        if len(timed) < 2 or timed[-1] not in placed:
            continue
        last, prev = timed[-1], timed[-2]
        gap_s = state.times[last][0] - state.times[prev][1]
        # The next timed word is another turn's: ``last`` is its own turn's last timed one.
        next_s = start_after(state, state.pos[last], math.inf)
        if gap_s < opts.detached_gap_s or next_s - state.times[last][1] > _TOUCH_S:
            continue
        lo = state.times[prev][1]
        hi = min(state.times[last][0], lo + opts.pull_back_s)
        a, b = round((lo - room.start_s) * SAMPLE_RATE), round((hi - room.start_s) * SAMPLE_RATE)
        if a < 0 or b > len(samples):
            continue
        found = aligner.align(samples[a:b], [AlignToken(state.word(last).text)])
        span = found.spans[0] if found is not None else None
        if span is not None:
            state.times[last] = (round(lo + span.start_s, _TIME_DECIMALS),
                                 round(lo + span.end_s, _TIME_DECIMALS))  # fmt: skip


def _copies(state: VerifyState, cands: Sequence[Candidate]) -> list[tuple[Key, int]]:
    """Phrases written twice in a row in the room's whole-turn candidates: the second
    copy's first word and length, which the aligner may leave out on its own."""
    out: list[tuple[Key, int]] = []
    for c in cands:
        if state.whole_turn(c):
            words = state.result.turns[c.keys[0][0]].words
            out += [(c.keys[a], b - a) for a, b in repeat_copies([w.text for w in words])]
    return out


def _weak_copies(state: VerifyState, room: Room) -> list[tuple[Key, int]]:
    """Phrases written twice in a row in a neighbour's turn, one copy of which is among the
    weakly paired words the room reaches past: the engine's text paired that copy with
    other speech, and the audio may hold the phrase once."""
    out: list[tuple[Key, int]] = []
    keys = set(room.keys)
    for turn in sorted({k[0] for k in room.weak}):
        texts = [w.text for w in state.result.turns[turn].words]
        for a, b in repeat_copies(texts):
            for lo, hi in ((2 * a - b, a), (a, b)):
                span = [(turn, j) for j in range(lo, hi)]
                if all(k in room.weak and k in keys for k in span):
                    out.append((span[0], hi - lo))
    return out


def _span_keys(first: Key, count: int) -> list[Key]:
    return [(first[0], first[1] + n) for n in range(count)]


def _typical_s(state: VerifyState, c: Candidate) -> float:
    """How long the candidate's words typically take to say."""
    return sum(len(state.word(k).text) + 1 for k in c.keys) * _SECONDS_PER_CHAR


def _speech_room_s(
    state: VerifyState, room: Room, c: Candidate, samples: NDArray[np.float32]
) -> float:
    """Seconds of speech between the timed words around the candidate: by energy, or heard
    by the engine and claimed by no transcript word."""
    i = state.pos[c.keys[0]]
    j = state.pos[c.keys[-1]]
    flagged = set(c.keys) | room.weak
    lo = next(
        (
            state.times[state.order[q]][1]
            for q in range(i - 1, -1, -1)
            if state.order[q] in state.times and state.order[q] not in flagged
        ),
        room.start_s,
    )
    hi = next(
        (
            state.times[state.order[q]][0]
            for q in range(j + 1, len(state.order))
            if state.order[q] in state.times and state.order[q] not in flagged
        ),
        room.end_s,
    )
    if hi <= lo:
        return 0.0
    mask = speech_mask(samples, room.start_s, _SPEECH_SNAP)
    a, b = mask.frame(max(lo, room.start_s)), mask.frame(min(hi, room.end_s))
    by_energy = float(mask.speech[a:b].sum()) * FRAME_S
    # Words Whisper heard there that no transcript word claims are speech too, however loud.
    heard = sum(
        max(0.0, min(m.end, hi) - max(m.start, lo))
        for m in state.result.mismatches
        if m.kind == "not_in_transcript" and m.start is not None and m.end is not None
    )
    return max(by_energy, heard)


def _loss(full: ScoredAlignment | None, without: ScoredAlignment | float | None) -> float:
    """How much including the candidate costs: > 0 the audio prefers it absent; inf when
    no path holds it; nan when neither path fits."""
    without_score = without.log_score if isinstance(without, ScoredAlignment) else without
    if full is None:
        return math.nan if without_score is None else math.inf
    if without_score is None:
        return -math.inf
    return without_score - full.log_score


def _optional(state: VerifyState, key: Key, flagged: set[Key]) -> bool:
    """Words in the room that are neither candidates nor timed (an unheard filler nobody
    reported) may be left out; every other word must be placed."""
    return key not in flagged and key not in state.times


def _take_times(
    state: VerifyState,
    room: Room,
    keys: Sequence[Key],
    full: ScoredAlignment,
    flagged: set[Key],
) -> None:
    """Give the room's words the times of the accepted alignment."""
    if not any(k in flagged for k in keys):
        return  # every candidate rejected: the context keeps the times it had
    for key, span in zip(keys, full.spans):
        if span is None or key[1] == _OPENING_WORD:
            continue
        start = round(room.start_s + span.start_s, _TIME_DECIMALS)
        end = round(room.start_s + span.end_s, _TIME_DECIMALS)
        if key in flagged or key not in state.times:
            state.found.add(key)
        else:
            state.moved.add(key)
        state.times[key] = (start, end)


__all__ = ["RoomAligner", "context_snr_db", "decide_room"]
