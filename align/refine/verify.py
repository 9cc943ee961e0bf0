"""The audio's verdict on every "not in audio": is a transcript word the engine did not hear
really missing from the recording?

Whisper's text is no proof that a word was not spoken: it drops fillers, disfluent repeats
("I I think") and backchannels ("Yeah."), and mishears speech in noise. So before a word,
phrase or turn is reported ``not_in_audio``, the forced aligner is asked. The candidate is
aligned into the room it would occupy, with a timed word or two on either side (so a
neighbour stretched over the candidate's audio gives it back), as an optional group: one
search scores "spoken" and "not spoken" against each other and keeps the better. (Scores of
two separate pocketsphinx searches do not compare: each is normalised by its own best state,
frame by frame; under a -30 dBFS noise floor even words Whisper heard scored better left
out.) What the aligner leaves out is still believed, never reported, when

- it is one or two words that cost next to nothing to force in (a reduced "a" or "who",
  60 ms of sound; duplicated phrases cost far more, most often no path at all);
- the audio between its timed neighbours holds speech for it that nothing else explains
  (by energy, or words Whisper heard there that match no transcript word);
- the room is too noisy for the aligner's "left out" to mean anything (a short candidate).

What the audio holds gets the aligner's times (evidence ``acoustic``; ``interpolated`` for
the noisy-room case). Candidates with no timed word between them share one room (a run of
turns Whisper skipped) and are decided in the same search.
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
from align.refine.snap import FRAME_S, SnapOptions, speech_mask
from audio import SAMPLE_RATE, AudioSource, open_reader

log = logging.getLogger(__name__)

# A word the aligner found though the engine did not hear it, and one it only placed (as
# ``align.refine.rebuild``).
_FOUND_CONFIDENCE = 0.3
_PLACED_CONFIDENCE = 0.15
# The noise floor is the quietest tenth of the 10 ms frames this far around a room.
_FLOOR_CONTEXT_S = 10.0
_FLOOR_PERCENTILE = 10.0
# How sure a not_in_audio is once the audio rejected it too.
_REJECTED_CONFIDENCE = 0.9
# Typical speaking time per character of text (as ``align.timing.TimingOptions``).
_SECONDS_PER_CHAR = 0.065
# Speech by energy for the room test: 6 dB over the floor still finds speech at the 10 dB
# signal-to-noise ratio of a -30 dBFS noise floor, where the 12 dB of snapping does not.
_SPEECH_SNAP = SnapOptions(speech_above_floor_db=6.0)
_TIME_DECIMALS = 3

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
    forced: ForcedAlignOptions = field(default_factory=ForcedAlignOptions)
    retry_beam: float = 1e-200

    def __post_init__(self) -> None:
        if min(self.context_words, self.turn_context_words) < 1:
            raise ValueError("context_words and turn_context_words must be >= 1")
        for name in ("pad_s", "reject_loss", "min_speech_share", "max_room_s", "min_stolen_s",
                     "min_snr_db"):  # fmt: skip
            if getattr(self, name) < 0.0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not 0.0 < self.retry_beam < 1.0:
            raise ValueError(f"retry_beam must be in (0, 1), got {self.retry_beam}")
        if self.max_squeeze_words < 0:
            raise ValueError(f"max_squeeze_words must be >= 0, got {self.max_squeeze_words}")


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
    search = _Aligner(aligner, opts)
    state = _State(result)
    rooms = _rooms(state, candidates, opts)
    accepted: list[Candidate] = []
    rejected: list[Candidate] = []
    try:
        cursor = open_reader(audio_path)
        for room in rooms:
            a, b = round(room.start_s * SAMPLE_RATE), round(room.end_s * SAMPLE_RATE)
            around = round(_FLOOR_CONTEXT_S * SAMPLE_RATE)
            wide = cursor.read_samples(max(0, a - around), b + around)
            samples = wide[a - max(0, a - around) :][: b - a].copy()
            cursor.release_samples(max(0, a - around))
            snr_db = _context_snr_db(state, room, samples, wide)
            yes, no = _decide(state, room, samples, search, opts, snr_db)
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
        self.unverified: set[Key] = set()  # placed, though the audio could not confirm them

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
        turns = _unwiden(turns, explained)
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
        if key in self.found and key in self.unverified:
            start, end = self.times[key]
            return Word(w.text, start, end, "interpolated", _PLACED_CONFIDENCE, w.heard)
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
        turns = state.result.turns
        whole = any(len(c.keys) == len(turns[c.keys[0][0]].words) for c in room.candidates)
        context = opts.turn_context_words if whole else opts.context_words
        left = [i for i in range(lo - 1, -1, -1) if anchor(i)][:context]
        right = [i for i in range(hi + 1, n) if anchor(i)][:context]
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


class _Aligner:
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


def _decide(
    state: _State,
    room: _Room,
    samples: NDArray[np.float32],
    aligner: _Aligner,
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
    """
    cands = room.candidates
    flagged = {key for c in cands for key in c.keys}
    group = {key: g for g, c in enumerate(cands) for key in c.keys}

    def tokens(required: set[int], optional: set[int]) -> tuple[list[Key], list[AlignToken]]:
        keys = [k for k in room.keys if k not in flagged or group[k] in required | optional]
        toks = [
            AlignToken(state.word(k).text, True, group[k])
            if k in flagged and group[k] in optional
            else AlignToken(state.word(k).text, _optional(state, k, flagged))
            for k in keys
        ]
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
    _take_times(state, room, keys, final, {k for k in flagged if group[k] in accepted})
    return [c for g, c in enumerate(cands) if g in accepted], [
        c for g, c in enumerate(cands) if g not in accepted
    ]


def _context_snr_db(
    state: _State, room: _Room, samples: NDArray[np.float32], wide: NDArray[np.float32]
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


def _typical_s(state: _State, c: Candidate) -> float:
    """How long the candidate's words typically take to say."""
    return sum(len(state.word(k).text) + 1 for k in c.keys) * _SECONDS_PER_CHAR


def _speech_room_s(state: _State, room: _Room, c: Candidate, samples: NDArray[np.float32]) -> float:
    """Seconds of speech between the timed words around the candidate: by energy, or heard
    by the engine and claimed by no transcript word."""
    i = state.pos[c.keys[0]]
    j = state.pos[c.keys[-1]]
    flagged = set(c.keys)
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


__all__ = ["Candidate", "VerifyOptions", "find_candidates", "verify_result"]
