"""The whole path for one file: audio + transcript -> ``Result``.

``align_file`` reads the transcript, streams the audio through the engine in bounded
windows (memory does not grow with the file), matches the transcript onto the heard
words, re-listens to stretches the engine skipped, assigns times, and optionally
refines boundaries. Each stage lives in its own module; this one only wires them.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

import audio
from align.corrections import CorrectionOptions, derive_corrections, flag_suspect_turns
from align.defaults import DEFAULT_MIN_COVERAGE, DEFAULT_REFINE_MODE
from align.engines.base import Engine, EngineOptions, Heard, HeardWord, ProgressFn
from align.errors import AlignmentFailedError, AudioDecodeError, EngineUnavailableError, UsageError
from align.model import AudioInfo, EngineInfo, Quality, RefineMode, Result, TranscriptInfo
from align.text.copies import CopyCheck
from align.text.match import MatchOptions, match_units
from align.text.normalize import normalize_token
from align.timing import TimedTranscript, TimingOptions, TokenSlot, assign_times
from align.transcript import Transcript, TranscriptFormat, read_transcript
from audio import SAMPLE_RATE
from audio.chunking import iter_quiet_windows

log = logging.getLogger(__name__)

EngineName = Literal["faster-whisper", "openai-whisper"]
# Where to cut between windows: the quietest 100 ms in the window's last seconds, so a
# cut rarely lands inside a word.
_CUT_SEARCH_S = 8.0
# Files of a minute or more are cut into at least this many windows, none under 30 s.
_MIN_WINDOWS = 2
_MIN_WINDOW_S = 30.0
# Re-listening: context either side of a skipped stretch, so the engine hears whole words.
_RERUN_CONTEXT_S = 1.0
# A gap this long between aligned turns is no skip; the transcript may not fit the audio.
_RERUN_MAX_S = 60.0
# A not-found turn is re-listened to only when the gap holds most of its typical duration.
_RERUN_ROOM_RATIO = 0.6
# Never re-listen to more than this share of the file (a wrong transcript would ask for all).
_RERUN_BUDGET_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class AlignOptions:
    """Everything that shapes one alignment run.

    ``window_s``: audio is decoded and transcribed at most this many seconds at a time
    (``window_length_s`` splits a file evenly).
    ``refine_workers``: processes that share the refinement (the result does not depend
    on it). ``rerun_gaps``: re-listen (with the transcript text as prompt) to stretches where
    transcript words went unheard though the audio has room for them. ``verify``: before a
    transcript word is reported not in the audio, ask the forced aligner whether the audio
    holds it (``align.refine.verify``; with ``refine="full"``, where the aligner runs).
    ``min_coverage``: ``align.align_file`` raises ``AlignmentFailedError`` (carrying the
    result) when less than this share of the transcript's words is heard; ``None`` never.
    Defaults are the CLI's (``align.defaults``).
    """

    engine_name: EngineName = "faster-whisper"
    engine: EngineOptions = field(default_factory=EngineOptions)
    match: MatchOptions = field(default_factory=MatchOptions)
    timing: TimingOptions = field(default_factory=TimingOptions)
    corrections: CorrectionOptions = field(default_factory=CorrectionOptions)
    transcript_format: TranscriptFormat | None = None
    window_s: float = 300.0
    rerun_gaps: bool = True
    rerun_min_words: int = 4
    rerun_min_s: float = 2.0
    refine: RefineMode = DEFAULT_REFINE_MODE
    refine_workers: int = 2
    verify: bool = True
    min_coverage: float | None = DEFAULT_MIN_COVERAGE

    def __post_init__(self) -> None:
        if self.window_s < 30.0:
            raise ValueError(f"window_s must be >= 30, got {self.window_s}")
        if self.refine not in ("none", "fast", "full"):
            raise ValueError(f"refine must be none, fast or full, not {self.refine!r}")
        if self.refine_workers < 1:
            raise ValueError(f"refine_workers must be >= 1, got {self.refine_workers}")
        if self.min_coverage is not None and not 0.0 <= self.min_coverage <= 1.0:
            raise ValueError(f"min_coverage must be between 0 and 1, got {self.min_coverage}")


def load_engine(name: EngineName, opts: EngineOptions) -> Engine:
    """Load the named engine (faster-whisper by default)."""
    if name == "faster-whisper":
        from align.engines import faster_whisper

        return faster_whisper.load_engine(opts)
    if name == "openai-whisper":
        try:
            from align.engines import openai_whisper
        except ImportError as e:
            raise EngineUnavailableError(name, "pip install 'turnalign[torch]'") from e
        return openai_whisper.load_engine(opts)
    raise UsageError(f"unknown engine '{name}'; choose faster-whisper or openai-whisper")


@dataclass(frozen=True, slots=True, eq=False)
class Prepared:
    """One file's inputs, read before any model runs: the parsed transcript and the audio,
    decoded once (every stage reads this one decode). ``close()`` frees the audio."""

    transcript: Transcript
    source: audio.DecodedAudio

    def close(self) -> None:
        self.source.close()


def prepare(
    audio_src: audio.AudioSource | np.ndarray,
    transcript: str | os.PathLike[str] | Transcript,
    opts: AlignOptions = AlignOptions(),
    sample_rate: int | None = None,
) -> Prepared:
    """Read the transcript and decode the audio once, so bad input fails before the model
    loads. ``audio_src`` may be a path, a ``DecodedAudio``, or samples (shape (n,), mono,
    ``sample_rate`` Hz; resampled to 16 kHz).

    Raises:
        ToolkitError: bad input (see ``align.errors``).
    """
    if not isinstance(transcript, Transcript):
        transcript = read_transcript(os.fspath(transcript), opts.transcript_format)
    try:
        if isinstance(audio_src, np.ndarray):
            if sample_rate is None:
                raise UsageError("samples given without their sample_rate")
            source = audio.DecodedAudio.from_array(audio.resample(audio_src, sample_rate))
        elif isinstance(audio_src, audio.DecodedAudio):
            source = audio_src
        else:
            source = audio.decode_once(audio_src)
    except audio.AudioError as e:
        raise AudioDecodeError(e.path, e.reason) from e
    return Prepared(transcript, source)


def align_prepared(
    prepared: Prepared,
    engine: Engine,
    opts: AlignOptions = AlignOptions(),
    on_progress: ProgressFn | None = None,
) -> Result:
    """Align prepared inputs: transcribe, match, time, re-listen, refine, verify."""
    source = prepared.source
    heard = transcribe_file(source, engine, opts.window_s, on_progress, source.duration_s)
    return align_heard(prepared.transcript, heard, source, source.duration_s, engine, opts)


def align_file(
    audio_path: audio.AudioSource,
    transcript_path: str | Path | Transcript,
    opts: AlignOptions = AlignOptions(),
    engine: Engine | None = None,
    on_progress: ProgressFn | None = None,
) -> Result:
    """Align one transcript file to one audio file.

    The transcript is read and the audio decoded (once, for every stage) before the model
    loads, so bad input fails fast.

    Raises:
        ToolkitError: bad input (see ``align.errors``).
    """
    prepared = prepare(audio_path, transcript_path, opts)
    try:
        if engine is None:
            engine = load_engine(opts.engine_name, opts.engine)
        return align_prepared(prepared, engine, opts, on_progress)
    finally:
        prepared.close()


def check_coverage(result: Result, min_coverage: float | None) -> Result:
    """``result``, or ``AlignmentFailedError`` (carrying it) when too little was heard."""
    q = result.quality
    if min_coverage is not None and q is not None and q.coverage < min_coverage:
        raise AlignmentFailedError(q.coverage, min_coverage, result)
    return result


def probe_duration(path: audio.AudioSource) -> float:
    """The audio's duration in seconds; raises ``AudioDecodeError`` when it cannot be read."""
    if isinstance(path, audio.DecodedAudio):
        return path.duration_s
    try:
        return audio.probe_duration_s(path)
    except audio.AudioError as e:
        raise AudioDecodeError(e.path, e.reason) from e


def iter_windows(path: audio.AudioSource, window_s: float) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(offset_s, samples)`` windows of about ``window_s``, cut at quiet points
    (``audio.chunking.iter_quiet_windows``; the last may run ``_CUT_SEARCH_S`` longer)."""
    search = int(_CUT_SEARCH_S * SAMPLE_RATE)
    try:
        if isinstance(path, audio.DecodedAudio):
            blocks = path.iter_blocks()
        else:
            blocks = audio.iter_blocks(path)
        pieces = (block.samples for block in blocks)
        for offset, samples in iter_quiet_windows(
            pieces, int(window_s * SAMPLE_RATE), search, search
        ):
            yield offset / SAMPLE_RATE, samples
    except audio.AudioError as e:
        raise AudioDecodeError(e.path, e.reason) from e


def transcribe_file(
    path: audio.AudioSource,
    engine: Engine,
    window_s: float,
    on_progress: ProgressFn | None = None,
    total_s: float | None = None,
) -> Heard:
    """Run the engine over the whole file, one bounded window at a time.

    ``total_s``: the file's duration when the caller has probed it already.
    """
    if total_s is None:
        total_s = probe_duration(path)
    windows = iter_windows(path, window_length_s(total_s, window_s))
    return transcribe_windows(windows, total_s, engine, on_progress)


def window_length_s(total_s: float, window_s: float) -> float:
    """How long to make each window of a ``total_s`` file: split evenly into windows of
    at most ``window_s``, and into at least two once there is a minute of audio, so two
    engine workers share even a short file. Depends on nothing but its arguments, so the
    windows are the same however many workers run."""
    if total_s <= 0:  # unknown duration
        return window_s
    n = max(math.ceil(total_s / window_s), min(_MIN_WINDOWS, int(total_s // _MIN_WINDOW_S)), 1)
    return min(window_s, max(_MIN_WINDOW_S, total_s / n))


def transcribe_windows(
    windows: Iterable[tuple[float, np.ndarray]],
    total_s: float,
    engine: Engine,
    on_progress: ProgressFn | None = None,
) -> Heard:
    """Run the engine over ``(offset_s, samples)`` windows (from ``iter_windows``), up to
    ``engine.parallel`` of them at once; at most one more window waits decoded in memory."""
    workers = max(1, engine.parallel)
    done_s: dict[float, float] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def transcribe(offset_s: float, samples: np.ndarray) -> Heard:
        def progress(done: float, _total: float) -> None:
            if stop.is_set():  # called between 30 s chunks: the quickest way out of a window
                raise _Stopped()
            if on_progress is not None:
                with lock:
                    done_s[offset_s] = done
                    on_progress(min(total_s, sum(done_s.values())), total_s)

        return engine.transcribe(samples, offset_s=offset_s, on_progress=progress)

    parts: list[Heard] = []
    if workers == 1:
        parts = [transcribe(offset_s, samples) for offset_s, samples in windows]
    else:
        with ThreadPoolExecutor(workers, thread_name_prefix="turnalign-engine") as pool:
            pending: deque[Future[Heard]] = deque()
            try:
                for offset_s, samples in windows:
                    pending.append(pool.submit(transcribe, offset_s, samples))
                    while len(pending) > workers:
                        parts.append(pending.popleft().result())
                parts.extend(f.result() for f in pending)
            except BaseException:  # Ctrl-C or a failed window: stop the others soon
                stop.set()
                for f in pending:
                    f.cancel()
                raise
    words = tuple(w for part in parts for w in part.words)
    language = next((p.language for p in parts if p.language), "")
    return Heard(words, language)


class _Stopped(Exception):
    """Raised inside a window's transcription to end it early (another one failed)."""


def _flatten(transcript: Transcript) -> tuple[list[TokenSlot], list[str]]:
    slots: list[TokenSlot] = []
    units: list[str] = []
    for t, turn in enumerate(transcript.turns):
        for w, token in enumerate(turn.tokens):
            u = normalize_token(token)
            slots.append(TokenSlot(turn=t, word=w, text=token, units=u, unit_start=len(units)))
            units.extend(u)
    return slots, units


def _heard_units(heard: Heard) -> tuple[list[str], list[int]]:
    units: list[str] = []
    owner: list[int] = []
    for h, w in enumerate(heard.words):
        for u in normalize_token(w.text):
            units.append(u)
            owner.append(h)
    return units, owner


def match_and_time(
    transcript: Transcript, heard: Heard, duration_s: float, opts: AlignOptions
) -> TimedTranscript:
    """Match transcript units onto heard units and assign times (pure, no audio)."""
    slots, t_units = _flatten(transcript)
    h_units, owner = _heard_units(heard)
    turn_starts = frozenset(s.unit_start for s in slots if s.word == 0)
    pairs = match_units(t_units, h_units, opts.match, turn_starts)
    return assign_times(
        [t.speaker for t in transcript.turns],
        [t.text for t in transcript.turns],
        slots,
        heard.words,
        owner,
        pairs,
        duration_s,
        opts.timing,
        [t.original_time_s for t in transcript.turns],
    )


def align_heard(
    transcript: Transcript,
    heard: Heard,
    audio_path: audio.AudioSource,
    duration_s: float,
    engine: Engine | None,
    opts: AlignOptions,
    reread: Callable[[float, float], np.ndarray] | None = None,
) -> Result:
    """Align a parsed transcript to words already heard; re-listen to gaps if allowed."""
    timed = match_and_time(transcript, heard, duration_s, opts)
    if opts.rerun_gaps and engine is not None:
        heard2 = _rerun_gaps(transcript, heard, timed, audio_path, duration_s, engine, opts, reread)
        if heard2 is not None:
            heard = heard2
            timed = match_and_time(transcript, heard, duration_s, opts)
    result = Result(
        audio=AudioInfo(audio.source_path(audio_path), round(duration_s, 3)),
        transcript=TranscriptInfo(str(transcript.path), transcript.format, transcript.front_matter),
        engine=engine.info if engine is not None else _no_engine_info(),
        turns=timed.turns,
        mismatches=timed.mismatches,
        quality=_quality(timed),
    )
    if opts.refine != "none":
        from align.refine import RefineOptions, refine_result

        refine_opts = RefineOptions(workers=opts.refine_workers)
        result = refine_result(result, audio_path, opts.refine, refine_opts)
    if opts.verify and result.refine == "full":  # the forced aligner loaded and fits the text
        from align.refine.verify import verify_result

        result = verify_result(result, audio_path)
    result = flag_suspect_turns(result, opts.corrections)
    return replace(result, corrections=derive_corrections(result, opts.corrections))


def _no_engine_info() -> EngineInfo:
    return EngineInfo("none", "", "", "", "")


def _quality(timed: TimedTranscript) -> Quality:
    words = [w for t in timed.turns for w in t.words]
    heard = sum(1 for w in words if w.status in ("matched", "substituted"))
    coverage = heard / len(words) if words else 0.0
    confidence = sum(w.confidence for w in words) / len(words) if words else 0.0
    aligned = sum(1 for t in timed.turns if t.status == "aligned")
    return Quality(
        coverage=round(coverage, 3),
        confidence=round(confidence, 3),
        score=round(0.5 * coverage + 0.5 * confidence, 3),
        turns_aligned=aligned,
        turns_not_found=len(timed.turns) - aligned,
    )


def _rerun_gaps(
    transcript: Transcript,
    heard: Heard,
    timed: TimedTranscript,
    audio_path: audio.AudioSource,
    duration_s: float,
    engine: Engine,
    opts: AlignOptions,
    reread: Callable[[float, float], np.ndarray] | None,
) -> Heard | None:
    """Re-listen, with the transcript text as prompt, where the engine skipped speech.

    Two signs of a skip: a run of interpolated words (the transcript has words there and
    the audio has room, but nothing was heard), and a whole turn not found although the
    gap between its aligned neighbours could hold it. Only words heard inside the gap
    replace what was there, so the neighbours' words stay as they were.

    Returns the merged heard words, or ``None`` when nothing was re-run.
    """
    gaps = _skipped_stretches(timed, duration_s, opts)
    if not gaps:
        return None
    log.info("re-listening to %d stretch(es) the engine skipped", len(gaps))
    words = list(heard.words)
    gaps.sort()
    spans = [
        (max(0.0, lo - _RERUN_CONTEXT_S), min(duration_s, hi + _RERUN_CONTEXT_S))
        for lo, hi, _ in gaps
    ]
    audio_spans = (
        (reread(a, b) for a, b in spans) if reread else read_spans(audio_path, spans)
    )  # one ordered pass over the file, however many stretches
    check = CopyCheck([(w.text, w.start) for w in heard.words],
                      (tok for t in transcript.turns for tok in t.tokens))  # fmt: skip
    for (lo, hi, text), (start_s, _), samples in zip(gaps, spans, audio_spans):
        inside = _heard_inside(engine, samples, start_s, lo, hi, text, check)
        if not inside:
            continue
        words = [w for w in words if not lo <= (w.start + w.end) / 2 <= hi]
        words.extend(inside)
        words.sort(key=lambda w: (w.start, w.end))
    return Heard(tuple(words), heard.language)


def _heard_inside(
    engine: Engine,
    samples: np.ndarray,
    start_s: float,
    lo: float,
    hi: float,
    text: str,
    check: CopyCheck,
) -> list[HeardWord]:
    """The words heard in ``[lo, hi]`` on re-listening, prompted with ``text``. Words that
    copy other text or loop (tiny.en printing a neighbour's words, issue 15) are no evidence:
    the stretch is heard again without the prompt, and left as it was if that copies too."""
    for prompt in (text, None):
        part = engine.transcribe(samples, offset_s=start_s, prompt=prompt)
        inside = [w for w in part.words if lo <= (w.start + w.end) / 2 <= hi]
        copied = check.copies([w.text for w in inside], text.split(), lo, hi)
        if not copied:
            return inside
        log.info("re-heard %.1f-%.1fs copies other text (%s)%s", lo, hi,
                 " ".join(copied[0]), "; again without the prompt" if prompt else "")  # fmt: skip
    return []


def _skipped_stretches(
    timed: TimedTranscript, duration_s: float, opts: AlignOptions
) -> list[tuple[float, float, str]]:
    """(start_s, end_s, transcript text) of the stretches worth re-listening to."""
    out: list[tuple[float, float, str]] = []
    turns = timed.turns
    for i, turn in enumerate(turns):
        if turn.status == "aligned":
            run: list[int] = []
            for k, w in enumerate([*turn.words, None]):
                if w is not None and w.status == "interpolated":
                    run.append(k)
                    continue
                if len(run) >= opts.rerun_min_words:
                    a, b = turn.words[run[0]], turn.words[run[-1]]
                    if (
                        a.start is not None
                        and b.end is not None
                        and b.end - a.start >= opts.rerun_min_s
                    ):
                        out.append((a.start, b.end, " ".join(turn.words[q].text for q in run)))
                run = []
            continue
        # A run of turns not found between aligned neighbours, with room for it: a skip,
        # not an edited-out stretch (those leave no room). Whisper can skip several turns
        # at once (issue 9: four in a row in the 3-hour benchmark), so take the whole run.
        if i > 0 and turns[i - 1].status != "aligned":
            continue  # inside a run, handled at its first turn
        j = i
        while j < len(turns) and turns[j].status != "aligned":
            j += 1
        lo = turns[i - 1].end if i > 0 else 0.0
        hi = turns[j].start if j < len(turns) else duration_s
        if lo is None or hi is None:
            continue
        expected_s = sum(len(t.text) for t in turns[i:j]) * opts.timing.seconds_per_char
        room = hi - lo
        if opts.rerun_min_s <= room <= _RERUN_MAX_S and room >= _RERUN_ROOM_RATIO * expected_s:
            out.append((lo, hi, " ".join(w for t in turns[i:j] for w in t.text.split())))
    budget = _RERUN_BUDGET_SHARE * duration_s
    kept, used = [], 0.0
    for lo, hi, text in out:
        if used + (hi - lo) > budget:
            break
        kept.append((lo, hi, text))
        used += hi - lo
    return kept


def read_spans(
    path: audio.AudioSource, spans: list[tuple[float, float]]
) -> Iterator[NDArray[np.float32]]:
    """Yield the samples of each (start_s, end_s) span, in one pass over the file.

    Spans must be sorted by start; they may overlap.
    """
    bounds = [(int(a * SAMPLE_RATE), int(b * SAMPLE_RATE)) for a, b in spans]
    try:
        cursor = audio.open_reader(path)
        for k, (a, b) in enumerate(bounds):
            yield cursor.read_samples(a, b).copy()
            if k + 1 < len(bounds):
                cursor.release_samples(bounds[k + 1][0])
    except audio.AudioError as e:
        raise AudioDecodeError(e.path, e.reason) from e
