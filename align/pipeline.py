"""The whole path for one file: audio + transcript -> ``Result``.

``prepare`` reads the transcript and decodes the audio once; ``align_prepared`` transcribes
it a bounded window at a time (``align.transcribe``), matches the transcript onto the
heard words (``align.text``) once stretches where the engine looped are heard again
(``align.guard``), assigns times (``align.timing``), re-listens to stretches the
engine skipped (``align.relisten``), refines boundaries and asks the audio about every
candidate "not in audio" (``align.refine``), then derives corrections. Each stage lives in
its own module; this one only wires them. ``align.api`` is the public face.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

import audio
from align.claims import judge_substitutions, judge_unclaimed
from align.corrections import derive_corrections, flag_suspect_turns
from align.engines.base import Engine, EngineOptions, Heard, ProgressFn
from align.errors import AlignmentFailedError, AudioDecodeError, EngineUnavailableError, UsageError
from align.guard import guard_loops
from align.model import AudioInfo, EngineInfo, Quality, Result, TranscriptInfo
from align.options import AlignOptions, EngineName
from align.relisten import read_spans, rerun_gaps
from align.text.match import match_units
from align.text.normalize import normalize_token
from align.timing import TimedTranscript, TokenSlot, assign_times
from align.transcribe import (
    iter_windows,
    probe_duration,
    transcribe_file,
    transcribe_windows,
    window_count,
    window_length_s,
)
from align.transcript import Transcript, read_transcript
from audio.denoise import DenoisedAudio, measure_noise

if TYPE_CHECKING:
    from align.refine import RefineOptions, RefineWorkers

log = logging.getLogger(__name__)


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


def engine_options_for(opts: AlignOptions, duration_s: float) -> EngineOptions:
    """``opts.engine`` with no more workers than the first pass has windows for a file of
    ``duration_s``: a file under a minute is one window, and a helper process started for
    it would only cost its start-up (about 0.5 s of CPU; the words are the same)."""
    windows = window_count(duration_s, opts.window_s)
    if windows is None or windows >= opts.engine.workers:
        return opts.engine
    return replace(opts.engine, workers=windows)


def load_engine_for(opts: AlignOptions, duration_s: float) -> Engine:
    """The engine ``opts`` names, with as many workers as a ``duration_s`` file can use."""
    return load_engine(opts.engine_name, engine_options_for(opts, duration_s))


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
    workers = _early_refine_workers(opts, source.duration_s)
    try:
        heard = transcribe_file(source, engine, opts.window_s, on_progress, source.duration_s)
        return align_heard(
            prepared.transcript, heard, source, source.duration_s, engine, opts, workers=workers
        )
    finally:
        if workers is not None:
            workers.kill()  # an error before refinement (it closes them when it runs)


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
            engine = load_engine_for(opts, prepared.source.duration_s)
        return align_prepared(prepared, engine, opts, on_progress)
    finally:
        prepared.close()


def check_coverage(result: Result, min_coverage: float | None) -> Result:
    """``result``, or ``AlignmentFailedError`` (carrying it) when too little was heard."""
    q = result.quality
    if min_coverage is not None and q is not None and q.coverage < min_coverage:
        raise AlignmentFailedError(q.coverage, min_coverage, result)
    return result


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
    workers: RefineWorkers | None = None,
) -> Result:
    """Align a parsed transcript to the first pass's words; re-hear where it looped and
    re-listen to gaps if allowed. ``workers``: refinement's processes, started ahead
    (``_early_refine_workers``)."""
    if opts.guard_loops and engine is not None:
        heard = guard_loops(transcript, heard, audio_path, duration_s, engine, reread)
    timed = match_and_time(transcript, heard, duration_s, opts)
    if opts.rerun_gaps and engine is not None:
        heard2 = rerun_gaps(transcript, heard, timed, audio_path, duration_s, engine, opts, reread)
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
    listen = aligner_audio(audio_path, opts)
    if opts.refine != "none":
        from align.refine import refine_result

        result = refine_result(result, listen, opts.refine, _refine_options(opts), workers=workers)
    elif workers is not None:
        workers.close()
    if opts.verify and result.refine == "full":  # the forced aligner loaded and fits the text
        from align.refine.verify import verify_result

        result = verify_result(result, listen)
    result = judge_substitutions(result, audio_path, engine, opts.claims)
    result = judge_unclaimed(result, audio_path, engine, opts.claims)
    result = flag_suspect_turns(result, opts.corrections)
    return replace(result, corrections=derive_corrections(result, opts.corrections))


def aligner_audio(audio_path: audio.AudioSource, opts: AlignOptions) -> audio.SpanSource:
    """What the forced aligner hears: the audio, or, when its noise floor is high, the
    audio with the floor subtracted (``audio.denoise``)."""
    if opts.refine != "full" or opts.denoise is None:
        return audio_path
    try:
        profile = measure_noise(audio_path, opts.denoise)
    except audio.AudioError as e:
        raise AudioDecodeError(e.path, e.reason) from e
    if not profile.noisy:
        return audio_path
    log.info(
        "speech stands %.1f dB over the noise floor (%.1f dBFS); the aligner hears it denoised",
        profile.snr_db,
        profile.floor_db,
    )
    return DenoisedAudio(audio_path, profile)


def _refine_options(opts: AlignOptions) -> RefineOptions:
    from align.refine import RefineOptions

    return RefineOptions(workers=opts.refine_workers)


def _early_refine_workers(opts: AlignOptions, duration_s: float) -> RefineWorkers | None:
    """Refinement's worker processes, started before the first pass so that their start-up
    (about 0.3 s: imports and the aligner's load) is done when refinement begins; only
    where refinement will run on more than one segment (a file of twice
    ``RefineOptions.segment_s`` or more)."""
    if opts.refine != "full" or opts.refine_workers < 2:
        return None
    refine_opts = _refine_options(opts)
    if duration_s < 2 * refine_opts.segment_s:
        return None
    from align.refine import RefineWorkers

    return RefineWorkers.start(refine_opts)


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


__all__ = [
    "AlignOptions",
    "aligner_audio",
    "EngineName",
    "Prepared",
    "align_file",
    "align_heard",
    "align_prepared",
    "check_coverage",
    "engine_options_for",
    "iter_windows",
    "load_engine",
    "load_engine_for",
    "match_and_time",
    "prepare",
    "probe_duration",
    "read_spans",
    "transcribe_file",
    "transcribe_windows",
    "window_length_s",
]
