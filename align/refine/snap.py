"""Snap word edges at pauses and turn edges to where speech really starts and stops.

Whisper lets words drift into pauses: the word before a silence ends too late, the word after
it starts too early, and turn edges are off by a couple of hundred milliseconds. This module
needs no model: a 10 ms energy envelope, a noise floor estimated from the quietest frames, and
a threshold above it say which frames hold speech. An edge moves only to a speech onset or
offset and only through silence or into the unclaimed speech just outside its word, so a word
is never cut at a point where speech goes on. It is the whole of ``--refine fast`` and the
fallback of ``--refine full`` wherever the forced aligner cannot help. Pauses inside a turn
are left alone by default (``SnapOptions.snap_pauses``: measured, snapping them does not help).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from audio.vad import energy_envelope

FRAME_MS = 10
FRAME_S = FRAME_MS / 1000


@dataclass(frozen=True, slots=True)
class SnapOptions:
    """How speech is told from silence, and how far an edge may move.

    ``floor_percentile``: the noise floor is this percentile of the frame levels (a window
    of conversation is rarely more than 90 % speech). ``speech_above_floor_db``: frames this
    far above the floor are speech; low enough to keep soft fricatives ("so", "this").
    ``min_floor_db``: floor used for digitally silent audio. ``min_pause_ms``: a silence
    shorter than this is a stop consonant or a breath inside speech, not a pause.
    ``min_speech_ms``: louder blips shorter than this are clicks. ``max_shift_ms``: an edge
    moves at most this far (Whisper's edge errors are rarely larger; beyond it the
    nearest onset is more likely another word's). ``min_word_ms``: a snapped word keeps at
    least this length. ``snap_pauses``: also move the edges around pauses inside a turn;
    off by default, as measured it does not help: where Whisper's edges drift into a pause
    its words are often a whole word off, and snapping pins the wrong word to the pause.
    """

    floor_percentile: float = 10.0
    speech_above_floor_db: float = 12.0
    min_floor_db: float = -80.0
    min_pause_ms: int = 150
    min_speech_ms: int = 40
    max_shift_ms: int = 400
    min_word_ms: int = 50
    snap_pauses: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.floor_percentile < 100.0:
            raise ValueError(f"floor_percentile must be in [0, 100), got {self.floor_percentile}")
        if self.speech_above_floor_db <= 0.0:
            raise ValueError(f"speech_above_floor_db must be > 0, got {self.speech_above_floor_db}")
        for name in ("min_pause_ms", "min_speech_ms", "max_shift_ms", "min_word_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")


@dataclass(frozen=True, slots=True, eq=False)
class SpeechMask:
    """Which 10 ms frames of a stretch of audio hold speech.

    ``speech[i]`` covers ``[start_s + i * FRAME_S, start_s + (i + 1) * FRAME_S)``;
    ``floor_db`` is the noise floor the decision was made against.
    """

    start_s: float
    speech: NDArray[np.bool_]  # shape (n_frames,)
    floor_db: float = -100.0

    def frame(self, t_s: float) -> int:
        """Index of the frame holding time ``t_s``, clamped to the mask."""
        i = int(np.floor((t_s - self.start_s) / FRAME_S + 1e-9))
        return min(max(i, 0), len(self.speech) - 1)

    def time(self, frame: int) -> float:
        """Start time of frame ``frame``."""
        return self.start_s + frame * FRAME_S

    @property
    def end_s(self) -> float:
        return self.start_s + len(self.speech) * FRAME_S

    def speech_share(self, start_s: float, end_s: float) -> float:
        """Share (0-1) of the frames in ``[start_s, end_s)`` that hold speech."""
        a, b = self.frame(start_s), self.frame(end_s - 1e-9) + 1
        return float(self.speech[a:b].mean()) if b > a else 0.0


def speech_mask(
    samples: NDArray[np.floating],
    start_s: float,
    opts: SnapOptions,
    floor_db: float | None = None,
) -> SpeechMask:
    """Classify each 10 ms frame of ``samples`` (shape (n,), 16 kHz) as speech or not.

    ``floor_db``: the noise floor to judge against; by default estimated from ``samples``
    (pass one from a longer stretch when ``samples`` may be all pause or all speech).
    """
    if samples.shape[0] == 0:
        return SpeechMask(start_s, np.zeros(0, dtype=bool), floor_db or opts.min_floor_db)
    level_db = energy_envelope(samples, FRAME_MS)  # shape (n_frames,)
    if floor_db is None:
        floor_db = float(np.percentile(level_db, opts.floor_percentile))
    floor_db = max(floor_db, opts.min_floor_db)
    speech = level_db >= floor_db + opts.speech_above_floor_db
    speech = _fill_runs(speech, value=False, max_len=_frames(opts.min_speech_ms) - 1)
    speech = _fill_runs(~speech, value=False, max_len=_frames(opts.min_speech_ms) - 1)
    return SpeechMask(start_s, ~speech, floor_db)


def silences(mask: SpeechMask, min_s: float) -> list[tuple[float, float]]:
    """``(start_s, end_s)`` of the silent stretches of at least ``min_s``."""
    need = max(1, round(min_s / FRAME_S))
    return [(mask.time(a), mask.time(b)) for a, b in _runs(~mask.speech) if b - a >= need]


def _frames(ms: int) -> int:
    return max(1, round(ms / FRAME_MS))


def _fill_runs(mask: NDArray[np.bool_], value: bool, max_len: int) -> NDArray[np.bool_]:
    """Flip interior runs of ``value`` no longer than ``max_len`` to ``not value``."""
    out = mask.copy()
    if max_len <= 0 or len(mask) == 0:
        return out
    runs = _runs(mask == value)
    for a, b in runs:
        if b - a <= max_len and a > 0 and b < len(mask):
            out[a:b] = not value
    return out


def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Half-open index ranges where ``mask`` is True."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


@dataclass(frozen=True, slots=True)
class Neighbour:
    """The word just outside the snapped stretch: its edge facing it, and its turn."""

    edge_s: float
    turn: int


def snap_spans(
    spans: list[list[float]],
    turn_ids: Sequence[int],
    movable: Sequence[bool],
    mask: SpeechMask,
    opts: SnapOptions = SnapOptions(),
    before: Neighbour | None = None,
    after: Neighbour | None = None,
) -> None:
    """Move word edges onto speech onsets and offsets, in place.

    At a turn edge, the last word ends where its stretch of speech stops and the first word
    starts where its stretch of speech starts (``_snap_offset``, ``_snap_onset``). Inside a
    turn, with ``opts.snap_pauses``, a pause between two words (the longest silence of at
    least ``min_pause_ms`` between their middles) becomes the gap between them.

    Args:
        spans: ``[start_s, end_s]`` of consecutive timed words, in time order.
        turn_ids: the turn of each word; a change of turn is a turn edge.
        movable: words whose edges may move (others are already precise).
        mask: speech frames covering the words.
        before, after: the words just outside ``spans`` (``None``: the file's edge);
            no edge moves past them.
    """
    n = len(spans)
    lower = before.edge_s if before is not None else 0.0
    upper = after.edge_s if after is not None else mask.end_s
    for k in range(n + 1):
        left = k - 1 if k > 0 else None
        right = k if k < n else None
        left_turn = turn_ids[left] if left is not None else (before.turn if before else None)
        right_turn = turn_ids[right] if right is not None else (after.turn if after else None)
        lo = spans[left][1] if left is not None else lower
        hi = spans[right][0] if right is not None else upper
        if left is not None and right is not None and left_turn == right_turn:
            if opts.snap_pauses:
                lo, hi = _snap_pause(spans[left], spans[right], mask, opts)
        else:
            if left is not None and left_turn != right_turn:
                lo = _snap_offset(spans[left], hi, mask, opts)
            if right is not None and left_turn != right_turn:
                hi = _snap_onset(spans[right], lo, mask, opts)
        if left is not None and movable[left] and lo >= spans[left][0]:
            spans[left][1] = min(max(lo, lower), upper)
        if right is not None and movable[right] and hi <= spans[right][1]:
            spans[right][0] = min(max(hi, lower), upper)
        if left is not None and right is not None and spans[right][0] < spans[left][1]:
            # Never let the words cross.
            spans[left][1] = max(spans[left][0], min(spans[left][1], spans[right][1]))
            spans[right][0] = spans[left][1]


def _window(mask: SpeechMask, a: float, b: float) -> tuple[int, NDArray[np.bool_]]:
    """First frame index and silence flags of the frames in ``[a, b)``."""
    a, b = max(a, mask.start_s), min(b, mask.end_s)
    if b - a < FRAME_S:
        return 0, np.zeros(0, dtype=bool)
    fa, fb = mask.frame(a), mask.frame(b - 1e-9) + 1
    return fa, ~mask.speech[fa:fb]


def _snap_pause(
    left: list[float], right: list[float], mask: SpeechMask, opts: SnapOptions
) -> tuple[float, float]:
    """(end of ``left``, start of ``right``) moved onto the pause between them, if any."""
    lo, hi = left[1], right[0]
    shift, min_word = opts.max_shift_ms / 1000, opts.min_word_ms / 1000
    fa, silent = _window(mask, max((left[0] + lo) / 2, lo - shift),
                         min((right[1] + hi) / 2, hi + shift))  # fmt: skip
    runs = [r for r in _runs(silent) if r[1] - r[0] >= _frames(opts.min_pause_ms)]
    if not runs:
        return lo, hi
    s0, s1 = max(runs, key=lambda r: r[1] - r[0])
    new_lo = max(left[0] + min_word, mask.time(fa + s0))
    new_hi = min(right[1] - min_word, mask.time(fa + s1))
    return (new_lo, new_hi) if new_lo <= new_hi else (lo, hi)


def _snap_offset(word: list[float], limit: float, mask: SpeechMask, opts: SnapOptions) -> float:
    """Where the speech of a turn's last word stops: the end of the stretch of speech
    (pauses shorter than ``min_pause_ms`` included) that holds or precedes its end. It
    moves back through a pause as far as the word allows, forward at most
    ``max_shift_ms``."""
    shift, min_word = opts.max_shift_ms / 1000, opts.min_word_ms / 1000
    # Back through a pause as far as the word allows; forward into speech only a little.
    lo, hi = word[0] + min_word, min(word[1] + shift, limit)
    fa, speech = _bridged(mask, lo, hi, opts)
    if len(speech) == 0 or not speech.any():
        return word[1]
    i = min(max(mask.frame(word[1]) - fa, 0), len(speech) - 1)
    if speech[i]:  # the word goes on: forward to where this stretch of speech stops
        if speech[i:].all():
            return word[1]  # no pause within reach: where it stops is anyone's guess
        j = i + int(np.argmin(speech[i:]))
    else:  # its end drifted into the pause: back to where the speech before it stopped
        j = int(np.flatnonzero(speech[: i + 1])[-1]) + 1 if speech[: i + 1].any() else i
    return max(word[0] + min_word, mask.time(fa + j))


def _snap_onset(word: list[float], limit: float, mask: SpeechMask, opts: SnapOptions) -> float:
    """Where the speech of a turn's first word starts: the start of the stretch of speech
    (pauses shorter than ``min_pause_ms`` included) that holds or follows its start. It
    moves forward through a pause as far as the word allows, back at most
    ``max_shift_ms``."""
    shift, min_word = opts.max_shift_ms / 1000, opts.min_word_ms / 1000
    lo, hi = max(word[0] - shift, limit), word[1] - min_word
    fa, speech = _bridged(mask, lo, hi, opts)
    if len(speech) == 0 or not speech.any():
        return word[0]
    i = min(max(mask.frame(word[0]) - fa, 0), len(speech) - 1)
    if speech[i]:  # it began earlier: back to where this speech starts
        if speech[: i + 1].all():
            return word[0]  # no pause within reach: where it starts is anyone's guess
        j = int(np.flatnonzero(~speech[: i + 1])[-1]) + 1
    else:  # its start drifted into the pause: forward to where the speech starts
        after = np.flatnonzero(speech[i:])
        j = i + int(after[0]) if len(after) else i
    return min(word[1] - min_word, mask.time(fa + j))


def _bridged(
    mask: SpeechMask, a: float, b: float, opts: SnapOptions
) -> tuple[int, NDArray[np.bool_]]:
    """First frame and speech flags over ``[a, b)``, with pauses too short to be pauses
    (a stop consonant's closure) counted as speech."""
    fa, silent = _window(mask, a, b)
    speech = _fill_runs(~silent, value=False, max_len=_frames(opts.min_pause_ms) - 1)
    return fa, speech


__all__ = ["Neighbour", "SnapOptions", "SpeechMask", "silences", "snap_spans", "speech_mask"]
