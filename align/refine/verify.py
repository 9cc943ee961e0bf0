"""The audio's verdict on every "not in audio": is a transcript word the engine did not hear
really missing from the recording?

Whisper's text is no proof that a word was not spoken: it drops fillers, disfluent repeats
("I I think") and backchannels ("Yeah."), and mishears speech in noise. So before a word,
phrase or turn is reported ``not_in_audio``, the forced aligner is asked. The candidate is
aligned into the room it would occupy, together with a few timed words on either side (so a
neighbour that was stretched over the candidate's audio gives it back), once with the
candidate and once without. The two best paths cover the same audio with the same words but
the candidate's, so the difference of their scores is the acoustic evidence for it: a word
that is there costs next to nothing to include (spoken but reduced function words, measured:
a loss of 0.01-0.03), one that is not forces the other words off their sounds (duplicated
phrases: 0.25 or more, most often no path at all). A candidate is rejected only when the
loss passes ``VerifyOptions.reject_loss``; the transcript is believed otherwise, and its
words get the times the aligner found (evidence ``acoustic``).

Several candidates with no timed word between them share one room (a run of turns Whisper
skipped); they are decided together, dropping the worst while any is rejected.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

import audio
from align.errors import AudioDecodeError, EngineUnavailableError
from align.model import Mismatch, Quality, Result, Turn, Word
from align.refine.forced import (
    AlignToken,
    ForcedAlignOptions,
    PocketsphinxAligner,
    ScoredAlignment,
    load_aligner,
)
from audio import SAMPLE_RATE, AudioSource, open_reader

log = logging.getLogger(__name__)

# A word the aligner found though the engine did not hear it (as ``align.refine.rebuild``).
_FOUND_CONFIDENCE = 0.3
# How sure a not_in_audio is once the audio rejected it too.
_REJECTED_CONFIDENCE = 0.9
_TIME_DECIMALS = 3

Key = tuple[int, int]
"""(turn index, word index) of one transcript word."""


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    """How the acoustic verdict is asked.

    ``context_words``: timed words on each side aligned with the candidate (their times may
    move: a neighbour stretched over the candidate's audio gives it back). ``pad_s``: audio
    read beyond the outermost context words (never past the next word's time).
    ``reject_loss``: the candidate is not in the audio when including it lowers the best
    path's log score by more than this (pocketsphinx's scale; see the module docstring).
    ``max_room_s``: a longer room is not checked (its flag stays as the text gave it).
    ``min_stolen_s``: unheard speech a verified candidate now explains drops its
    ``not_in_transcript`` report when they overlap by at least this much.
    """

    context_words: int = 2
    pad_s: float = 0.3
    reject_loss: float = 0.1
    max_room_s: float = 60.0
    min_stolen_s: float = 0.2
    forced: ForcedAlignOptions = field(default_factory=ForcedAlignOptions)

    def __post_init__(self) -> None:
        if self.context_words < 1:
            raise ValueError(f"context_words must be >= 1, got {self.context_words}")
        for name in ("pad_s", "reject_loss", "max_room_s", "min_stolen_s"):
            if getattr(self, name) < 0.0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ``not_in_audio`` report: its mismatch's index and the words it covers."""

    mismatch: int
    keys: tuple[Key, ...]


@dataclass(slots=True)
class _Room:
    """Candidates decided together, the timed words around them, and the audio span."""

    candidates: list[Candidate]
    keys: list[Key]  # every word aligned in the room, in transcript order
    start_s: float = 0.0
    end_s: float = 0.0


def verify_result(
    result: Result,
    audio_path: AudioSource,
    opts: VerifyOptions = VerifyOptions(),
    aligner: PocketsphinxAligner | None = None,
) -> Result:
    """Ask the audio about every ``not_in_audio`` report of ``result``.

    Candidates the audio holds get times (status ``interpolated``, evidence ``acoustic``;
    a whole turn becomes ``aligned``) and lose their report, and speech heard but not
    transcribed that they now explain loses its ``not_in_transcript`` report; the others
    stay reported, untimed.

    Raises:
        AudioDecodeError: the audio cannot be read.
    """
    candidates = find_candidates(result)
    if not candidates:
        return result
    if aligner is None:
        try:
            aligner = load_aligner(opts.forced)
        except EngineUnavailableError as e:
            log.warning("%s; not_in_audio reports are not checked against the audio", e)
            return result
    state = _State(result)
    rooms = _rooms(state, candidates, opts)
    accepted: list[Candidate] = []
    rejected: list[Candidate] = []
    try:
        cursor = open_reader(audio_path)
        for room in rooms:
            a, b = round(room.start_s * SAMPLE_RATE), round(room.end_s * SAMPLE_RATE)
            samples = cursor.read_samples(a, b).copy()
            cursor.release_samples(a)
            yes, no = _decide(state, room, samples, aligner, opts)
            accepted += yes
            rejected += no
    except audio.AudioError as e:
        raise AudioDecodeError(e.path, e.reason) from e
    log.info(
        "acoustic check: %d of %d not_in_audio report(s) are in the audio",
        len(accepted),
        len(candidates),
    )
    return state.build(accepted, rejected, opts)


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


class _State:
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

    def word(self, key: Key) -> Word:
        return self.result.turns[key[0]].words[key[1]]

    def build(
        self, accepted: Sequence[Candidate], rejected: Sequence[Candidate], opts: VerifyOptions
    ) -> Result:
        result = self.result
        rejected_keys = {key for c in rejected for key in c.keys}
        turns: list[Turn] = []
        for turn in result.turns:
            keys = [(turn.index, k) for k in range(len(turn.words))]
            if not any(k in self.found or k in self.moved or k in rejected_keys for k in keys):
                turns.append(turn)
                continue
            words = [self._word(key, key in rejected_keys) for key in keys]
            turns.append(_retime(turn, words, turns))
        gone = {c.mismatch for c in accepted}
        sure = {c.mismatch for c in rejected}
        explained = [self._span(c) for c in accepted]
        mismatches: list[Mismatch] = []
        for i, m in enumerate(result.mismatches):
            if i in gone:
                continue
            if i in sure:
                m = replace(m, confidence=max(m.confidence, _REJECTED_CONFIDENCE))
            if m.kind == "not_in_transcript" and _explained(m, explained, opts.min_stolen_s):
                continue
            mismatches.append(m)
        return result.with_turns(
            tuple(turns), mismatches=tuple(mismatches), quality=_requality(result.quality, turns)
        )

    def _word(self, key: Key, rejected: bool) -> Word:
        w = self.word(key)
        if key in self.found:
            start, end = self.times[key]
            return Word(w.text, start, end, "interpolated", _FOUND_CONFIDENCE, w.heard, "acoustic")
        if rejected and w.start is not None and w.status == "interpolated":
            # Placed between its neighbours by refinement, but the audio rejects it.
            return Word(w.text, None, None, "not_found", 0.0, w.heard)
        if key in self.moved:
            start, end = self.times[key]
            return replace(w, start=start, end=end)
        return w

    def _span(self, c: Candidate) -> tuple[float, float]:
        spans = [self.times[k] for k in c.keys if k in self.found]
        if not spans:
            return (0.0, 0.0)
        return min(s for s, _ in spans), max(e for _, e in spans)


def _rooms(state: _State, candidates: Sequence[Candidate], opts: VerifyOptions) -> list[_Room]:
    """Group candidates with no trusted timed word between them, and frame each group with
    its context words and audio span."""
    flagged = {key for c in candidates for key in c.keys}

    def anchor(i: int) -> bool:
        key = state.order[i]
        return key in state.times and key not in flagged

    rooms: list[_Room] = []
    for c in candidates:
        lo = state.pos[c.keys[0]]
        if rooms:
            prev = rooms[-1]
            prev_hi = state.pos[prev.candidates[-1].keys[-1]]
            if not any(anchor(i) for i in range(prev_hi + 1, lo)):
                prev.candidates.append(c)
                continue
        rooms.append(_Room([c], []))
    n = len(state.order)
    out: list[_Room] = []
    for room in rooms:
        lo = state.pos[room.candidates[0].keys[0]]
        hi = state.pos[room.candidates[-1].keys[-1]]
        left = [i for i in range(lo - 1, -1, -1) if anchor(i)][: opts.context_words]
        right = [i for i in range(hi + 1, n) if anchor(i)][: opts.context_words]
        first = left[-1] if left else lo
        last = right[-1] if right else hi
        room.keys = [state.order[i] for i in range(first, last + 1)]
        duration = state.result.audio.duration
        if left:
            floor = _end_before(state, left[-1])
            room.start_s = max(floor, state.times[state.order[left[-1]]][0] - opts.pad_s)
        if right:
            ceil = _start_after(state, right[-1], duration)
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


def _end_before(state: _State, i: int) -> float:
    for j in range(i - 1, -1, -1):
        t = state.times.get(state.order[j])
        if t is not None:
            return t[1]
    return 0.0


def _start_after(state: _State, i: int, duration_s: float) -> float:
    for j in range(i + 1, len(state.order)):
        t = state.times.get(state.order[j])
        if t is not None:
            return t[0]
    return duration_s


def _decide(
    state: _State,
    room: _Room,
    samples: NDArray[np.float32],
    aligner: PocketsphinxAligner,
    opts: VerifyOptions,
) -> tuple[list[Candidate], list[Candidate]]:
    """Accept and reject the room's candidates; set the times of what the audio holds."""
    in_play = list(room.candidates)
    out: list[Candidate] = []
    flagged = {key for c in room.candidates for key in c.keys}

    def tokens(keep: Sequence[Candidate]) -> tuple[list[Key], list[AlignToken]]:
        kept = {key for c in keep for key in c.keys}
        keys = [k for k in room.keys if k not in flagged or k in kept]
        return keys, [AlignToken(state.word(k).text, _optional(state, k, flagged)) for k in keys]

    while in_play:
        keys, toks = tokens(in_play)
        full = aligner.align_scored(samples, toks)
        losses: list[float] = []
        for c in in_play:
            rest_tokens = tokens([d for d in in_play if d is not c])[1]
            without: ScoredAlignment | float | None = (
                aligner.align_scored(samples, rest_tokens)
                if rest_tokens
                else aligner.silence_scored(samples)  # the room holds nothing else
            )
            losses.append(_loss(full, without))
        worst = min(range(len(in_play)), key=lambda j: losses[j])
        if math.isnan(losses[worst]):
            return [], []  # neither path fits: the room is broken, leave it as it was
        if losses[worst] > opts.reject_loss:
            out.append(in_play.pop(worst))
            continue
        assert full is not None  # a finite loss needs both paths
        _take_times(state, room, keys, full, flagged)
        return in_play, out
    return [], out


def _loss(full: ScoredAlignment | None, without: ScoredAlignment | float | None) -> float:
    """How much including the candidate costs: > 0 the audio prefers it absent; inf when
    no path holds it; nan when neither path fits."""
    without_score = without.log_score if isinstance(without, ScoredAlignment) else without
    if full is None:
        return math.nan if without_score is None else math.inf
    if without_score is None:
        return -math.inf
    return without_score - full.log_score


def _optional(state: _State, key: Key, flagged: set[Key]) -> bool:
    """Words in the room that are neither candidates nor timed (an unheard filler nobody
    reported) may be left out; every other word must be placed."""
    return key not in flagged and key not in state.times


def _take_times(
    state: _State,
    room: _Room,
    keys: Sequence[Key],
    full: ScoredAlignment,
    flagged: set[Key],
) -> None:
    """Give the room's words the times of the accepted alignment."""
    if not any(k in flagged for k in keys):
        return  # every candidate rejected: the context keeps the times it had
    for key, span in zip(keys, full.spans):
        if span is None:
            continue
        start = round(room.start_s + span.start_s, _TIME_DECIMALS)
        end = round(room.start_s + span.end_s, _TIME_DECIMALS)
        if key in flagged or key not in state.times:
            state.found.add(key)
        else:
            state.moved.add(key)
        state.times[key] = (start, end)


def _retime(turn: Turn, words: list[Word], done: Sequence[Turn]) -> Turn:
    """``turn`` with new words: its span theirs (an opening hesitation it was widened over
    is kept when its first word did not move), never before the previous turn's end."""
    timed = [w for w in words if w.start is not None and w.end is not None]
    if not timed:
        return replace(turn, words=tuple(words), start=None, end=None, status="not_found")
    first, last = timed[0], max(w.end for w in timed if w.end is not None)
    assert first.start is not None
    start = first.start
    old_first = next((w for w in turn.words if w.start is not None), None)
    if turn.start is not None and old_first is not None and old_first.start == first.start:
        start = min(start, turn.start)
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


__all__ = ["Candidate", "VerifyOptions", "find_candidates", "verify_result"]
