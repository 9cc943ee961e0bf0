"""Plan dataset clips from an aligned ``Result``: which words go in which clip, where to cut.

Dataset export (``align.export``) cuts the audio into short clips with exact text. This
module decides the clips and does no I/O: a clip is a run of one turn's timed words,
cut at turn boundaries and, for turns longer than ``max_s``, at the best pause inside the
allowed length (the longest pause, then sentence punctuation). Each edge is padded by
``pad_ms`` but never past the midpoint of the gap to the neighbouring timed word, in any
turn, so no clip reaches into a word that is not in its text. Clips that are too short,
overlap another turn's words, or fall below the quality bars are dropped, with a reason.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from align.export.types import Clip, DroppedClip, DropReason, ExportOptions
from align.model import Result, Turn, Word
from audio import SAMPLE_RATE

PAUSE_STEP_S = 0.1
"""Pauses are compared in 100 ms steps: engine word times come in 20 ms steps and jitter
by more, so a smaller difference says nothing and punctuation decides instead."""

_TIME_EPS_S = 1e-3
"""Slack for times that touch: word times are written with millisecond precision."""

_OVERLAP_S = 0.02
"""Overlap between a clip and a word outside its text that is tolerated: engine times come
in 20 ms steps, so touching words can overlap by one step."""

_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*$")
_CLAUSE_END = re.compile(r"[,;:–—]+[\"'”’)\]]*$")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_LETTER_RUN = re.compile(r"[A-Za-z]+")
HF_SPLIT_WORDS: frozenset[str] = frozenset(
    {"train", "training", "validation", "valid", "dev", "val"}
    | {"test", "testing", "eval", "evaluation"}
)
"""Words ``datasets`` (``data_files.SPLIT_KEYWORDS``) takes as split names in file names."""
_HEARD: frozenset[str] = frozenset({"matched", "substituted"})


@dataclass(frozen=True, slots=True)
class _Timeline:
    """Every timed word of the result, sorted by start, for neighbour-limited padding."""

    starts: tuple[float, ...]
    ends: tuple[float, ...]
    prev_end_max: tuple[float, ...]  # [k]: latest end among words before k (-inf if none)
    position: dict[tuple[int, int], int]  # (turn, word index) -> k
    owner: tuple[int, ...]  # [k]: turn index of word k
    max_word_s: float  # longest word, to bound searches by start time
    duration_s: float


def plan_clips(
    result: Result, opts: ExportOptions = ExportOptions()
) -> tuple[tuple[Clip, ...], tuple[DroppedClip, ...]]:
    """Decide the clips of a result, without touching audio.

    Args:
        result: An aligned transcript.
        opts: Export options (bounds, padding, quality bars, name prefix).

    Returns:
        The clips to export, in transcript order, and the dropped ones with reasons.
    """
    timeline = _build_timeline(result)
    prefix = clip_name_prefix(result, opts)
    pad_s = opts.pad_ms / 1000.0
    clips: list[Clip] = []
    dropped: list[DroppedClip] = []
    for turn in result.turns:
        timed = [i for i, w in enumerate(turn.words) if w.timed]
        if not timed:
            dropped.append(
                DroppedClip(
                    turn=turn.index,
                    speaker=turn.speaker,
                    reason="not_in_audio",
                    detail="none of the turn's words were found in the audio",
                    text=turn.text,
                )
            )
            continue
        for run in _split_turn(turn, timed, timeline, pad_s, opts):
            clip = _make_clip(result, turn, run, timeline, pad_s, prefix)
            why = _drop_reason(clip, run, turn, timeline, opts)
            if why is None:
                clips.append(clip)
            else:
                reason, detail = why
                dropped.append(
                    DroppedClip(turn.index, turn.speaker, reason, detail, clip, clip.text)
                )
    return tuple(clips), tuple(dropped)


def clip_prefix(audio_path: str) -> str:
    """A file-name-safe clip name prefix from an audio path (its stem, made ``safe_prefix``)."""
    stem = re.split(r"[\\/]", audio_path)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem.lstrip(".") else stem
    safe = _UNSAFE_CHARS.sub("_", stem).strip("._-")
    return safe_prefix(safe or "clip")


def clip_name_prefix(result: Result, opts: ExportOptions) -> str:
    """The prefix of this export's clip names (``opts.name_prefix`` or the audio's stem)."""
    if opts.name_prefix is not None:
        return safe_prefix(opts.name_prefix)
    return clip_prefix(result.audio.path)


def safe_prefix(prefix: str) -> str:
    """Capitalize words of ``prefix`` that Hugging Face reads as split names.

    ``load_dataset("audiofolder", data_dir=...)`` puts files whose names hold a word such
    as ``dev`` or ``test`` between separators (``conv_dev_0001_0000.flac``) into that
    split, and drops ``metadata.csv``, whose name holds none: the dataset silently loses
    its text. The match is case-sensitive, so ``conv_Dev_...`` stays in ``train``.
    """
    return _LETTER_RUN.sub(lambda m: m[0].capitalize() if m[0] in HF_SPLIT_WORDS else m[0], prefix)


def _build_timeline(result: Result) -> _Timeline:
    entries: list[tuple[float, float, int, int]] = []
    for turn in result.turns:
        for i, w in enumerate(turn.words):
            if w.start is not None and w.end is not None:
                entries.append((w.start, w.end, turn.index, i))
    entries.sort()
    prev_end_max: list[float] = []
    latest = float("-inf")
    for _, end, _, _ in entries:
        prev_end_max.append(latest)
        latest = max(latest, end)
    return _Timeline(
        starts=tuple(e[0] for e in entries),
        ends=tuple(e[1] for e in entries),
        prev_end_max=tuple(prev_end_max),
        position={(e[2], e[3]): k for k, e in enumerate(entries)},
        owner=tuple(e[2] for e in entries),
        max_word_s=max((e[1] - e[0] for e in entries), default=0.0),
        duration_s=result.audio.duration,
    )


def _left_edge_s(timeline: _Timeline, k: int, pad_s: float) -> float:
    start = timeline.starts[k]
    edge = start - pad_s
    prev_end = timeline.prev_end_max[k]
    if prev_end > float("-inf"):
        edge = max(edge, (prev_end + start) / 2.0)
    return min(start, max(edge, 0.0))


def _right_edge_s(timeline: _Timeline, k: int, pad_s: float) -> float:
    end = timeline.ends[k]
    edge = min(end + pad_s, timeline.duration_s)
    if k + 1 < len(timeline.starts):
        edge = min(edge, (end + timeline.starts[k + 1]) / 2.0)
    return max(end, edge)


def _span_s(
    turn: Turn, first: int, last: int, timeline: _Timeline, pad_s: float
) -> tuple[float, float]:
    """Padded span of the turn's timed words ``first..last`` (indices into ``turn.words``)."""
    k_first = timeline.position[(turn.index, first)]
    k_last = timeline.position[(turn.index, last)]
    return _left_edge_s(timeline, k_first, pad_s), _right_edge_s(timeline, k_last, pad_s)


def _split_turn(
    turn: Turn, timed: Sequence[int], timeline: _Timeline, pad_s: float, opts: ExportOptions
) -> list[list[int]]:
    """Split a turn's timed word indices into runs of at most ``max_s`` (padding included).

    Greedy from the left: while the rest is too long, cut at the best place that leaves a
    first run within ``[min_s, max_s]`` and a rest of at least ``min_s``; with no such
    place, at the best place that keeps the first run within ``max_s``. Cost is linear in
    the words times the words per clip, so a three-hour monologue stays cheap.
    """
    runs: list[list[int]] = []
    rest = list(timed)
    while rest:
        start_s, end_s = _span_s(turn, rest[0], rest[-1], timeline, pad_s)
        if end_s - start_s <= opts.max_s or len(rest) == 1:
            runs.append(rest)
            break
        preferred: list[int] = []
        fitting: list[int] = []
        for cut in range(1, len(rest)):
            head_start, head_end = _span_s(turn, rest[0], rest[cut - 1], timeline, pad_s)
            if head_end - head_start > opts.max_s:
                break
            fitting.append(cut)
            tail_start, tail_end = _span_s(turn, rest[cut], rest[-1], timeline, pad_s)
            if head_end - head_start >= opts.min_s and tail_end - tail_start >= opts.min_s:
                preferred.append(cut)
        candidates = preferred or fitting or [1]  # [1]: the first word alone is too long
        best = max(candidates, key=lambda cut: _cut_rank(turn, rest[cut - 1], rest[cut], cut))
        runs.append(rest[:best])
        rest = rest[best:]
    return runs


def _cut_rank(turn: Turn, before: int, after: int, cut: int) -> tuple[int, int, float, int]:
    """How good a cut between words ``before`` and ``after`` is: bigger is better.

    Pause length (in ``PAUSE_STEP_S`` steps) first, then punctuation (sentence end over
    clause end over none), then the exact pause, then the later cut (fewer clips).
    """
    w_before, w_after = turn.words[before], turn.words[after]
    assert w_before.end is not None and w_after.start is not None
    pause_s = max(0.0, w_after.start - w_before.end)
    # Words between the two (not found in the audio) end a phrase as punctuation does.
    token = turn.words[after - 1].text if after - 1 > before else w_before.text
    punct = 2 if _SENTENCE_END.search(token) else 1 if _CLAUSE_END.search(token) else 0
    return int(pause_s / PAUSE_STEP_S + 1e-9), punct, pause_s, cut


def _make_clip(
    result: Result,
    turn: Turn,
    run: Sequence[int],
    timeline: _Timeline,
    pad_s: float,
    prefix: str,
) -> Clip:
    first, last = run[0], run[-1]
    start_s, end_s = _span_s(turn, first, last, timeline, pad_s)
    words = turn.words[first : last + 1]
    timed = [w for w in words if w.timed]
    heard = sum(1 for w in words if w.status in _HEARD)
    start_sample = round(start_s * SAMPLE_RATE)
    end_sample = max(round(end_s * SAMPLE_RATE), start_sample)
    return Clip(
        clip_id=f"{prefix}_{turn.index:04d}_{first:04d}",
        turn=turn.index,
        word_start=first,
        word_count=last - first + 1,
        speaker=turn.speaker,
        text=" ".join(w.text for w in timed),
        start_sample=start_sample,
        end_sample=end_sample,
        coverage=heard / len(words),
        confidence=sum(w.confidence for w in timed) / len(timed),
        mismatch_kinds=_mismatch_kinds(result, turn, first, last, start_s, end_s),
    )


def _mismatch_kinds(
    result: Result, turn: Turn, first: int, last: int, start_s: float, end_s: float
) -> tuple[str, ...]:
    """Kinds of the mismatches touching a clip, in a fixed order.

    A mismatch touches the clip when its time span overlaps the clip's, or when it sits
    in the clip's turn within the clip's words, widened over the untimed words on either
    side (words the transcript has there but the audio lacks). Untimed words of the
    neighbouring turns, up to the nearest timed word, touch a clip that starts or ends
    its turn: their speech, if any, lies in the gap the clip's padding reaches into.
    """
    lo, hi = first, last
    while lo > 0 and not turn.words[lo - 1].timed:
        lo -= 1
    while hi + 1 < len(turn.words) and not turn.words[hi + 1].timed:
        hi += 1
    kinds: set[str] = set()
    if any(w.status == "not_found" for w in turn.words[lo : hi + 1]):
        kinds.add("not_in_audio")
    before = result.turns[: turn.index] if lo == 0 else ()
    after = result.turns[turn.index + 1 :] if hi == len(turn.words) - 1 else ()
    if _untimed_run(w for t in reversed(before) for w in reversed(t.words)) or _untimed_run(
        w for t in after for w in t.words
    ):
        kinds.add("not_in_audio")
    for m in result.mismatches:
        if m.start is not None and m.end is not None and _overlaps(m.start, m.end, start_s, end_s):
            kinds.add(m.kind)
        elif m.turn == turn.index and m.word_start is not None:
            m_last = m.word_start + max(m.word_count, 1) - 1
            if m.word_start <= hi and m_last >= lo:
                kinds.add(m.kind)
    return tuple(k for k in ("not_in_audio", "not_in_transcript", "substitution") if k in kinds)


def _untimed_run(words: Iterable[Word]) -> bool:
    """Whether ``words`` start with an untimed word."""
    first = next(iter(words), None)
    return first is not None and not first.timed


def _overlaps(
    a_start: float, a_end: float, b_start: float, b_end: float, slack_s: float = _TIME_EPS_S
) -> bool:
    """Whether span a overlaps span b by more than ``slack_s`` (an instant: lies inside b)."""
    if a_end - a_start <= _TIME_EPS_S:
        return b_start + slack_s < a_start < b_end - slack_s
    return a_start < b_end - slack_s and a_end > b_start + slack_s


def _foreign_turns(clip: Clip, run: Sequence[int], turn: Turn, timeline: _Timeline) -> list[int]:
    """Turns with a timed word, not in the clip's text, that overlaps the clip's span."""
    own = {timeline.position[(turn.index, i)] for i in run}
    lo = bisect.bisect_left(timeline.starts, clip.start_s - timeline.max_word_s)
    hi = bisect.bisect_left(timeline.starts, clip.end_s)
    turns = {
        timeline.owner[k]
        for k in range(lo, hi)
        if k not in own
        and _overlaps(timeline.starts[k], timeline.ends[k], clip.start_s, clip.end_s, _OVERLAP_S)
    }
    return sorted(turns)


def _drop_reason(
    clip: Clip, run: Sequence[int], turn: Turn, timeline: _Timeline, opts: ExportOptions
) -> tuple[DropReason, str] | None:
    if clip.duration_s > opts.max_s + _TIME_EPS_S:
        return "too_long", f"{clip.duration_s:.2f} s > max {opts.max_s:g} s (one word this long)"
    if clip.duration_s < opts.min_s - _TIME_EPS_S:
        return "too_short", f"{clip.duration_s:.2f} s < min {opts.min_s:g} s"
    foreign = _foreign_turns(clip, run, turn, timeline)
    if foreign:
        names = ", ".join(str(t) for t in foreign)
        return "overlap", f"words of turn(s) {names} not in its text fall inside the clip"
    if opts.drop_mismatched and clip.mismatch:
        return "mismatch", f"touched by a mismatch ({', '.join(clip.mismatch_kinds)})"
    if clip.coverage < opts.min_coverage:
        return "low_coverage", f"coverage {clip.coverage:.2f} < min {opts.min_coverage:g}"
    if clip.confidence < opts.min_confidence:
        return "low_confidence", f"confidence {clip.confidence:.2f} < min {opts.min_confidence:g}"
    return None


__all__ = [
    "HF_SPLIT_WORDS",
    "PAUSE_STEP_S",
    "clip_name_prefix",
    "clip_prefix",
    "plan_clips",
    "safe_prefix",
]
