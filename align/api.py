"""turnalign from Python: what ``turnalign align`` does, in three lines.

    import align
    result = align.align_file("talk.flac", "talk.txt")
    align.save(result, "out", formats=("json", "srt"))

The defaults are the command line's (``align.defaults``): forced-alignment refinement,
acoustic verification, and ``AlignmentFailedError`` when less than a tenth of the
transcript is heard. Load the model once with ``load_engine`` to align many files.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import audio
from align import pipeline
from align.defaults import DEFAULT_FORMATS
from align.engines.base import Engine, ProgressFn
from align.errors import UsageError
from align.model import Result
from align.pipeline import AlignOptions, align_prepared, check_coverage, prepare
from align.transcript import Transcript, parse_transcript

AudioInput = str | os.PathLike[str] | np.ndarray | audio.DecodedAudio
TranscriptInput = str | os.PathLike[str] | Transcript


def load_engine(options: AlignOptions | None = None) -> Engine:
    """Load the Whisper model ``options`` name (``AlignOptions().engine``: tiny.en,
    bundled), to pass to ``align_file`` for many files.

    Raises:
        EngineUnavailableError, ModelNotFoundError: the engine or model cannot load.
    """
    opts = options or AlignOptions()
    return pipeline.load_engine(opts.engine_name, opts.engine)


def align_file(
    audio_input: AudioInput,
    transcript: TranscriptInput,
    options: AlignOptions | None = None,
    *,
    engine: Engine | None = None,
    sample_rate: int | None = None,
    on_progress: ProgressFn | None = None,
) -> Result:
    """Align a transcript to a recording; every word gets a time or an honest not_found.

    Args:
        audio_input: an audio or video file's path, or samples (shape (n,), mono float, at
            ``sample_rate`` Hz; resampled to 16 kHz).
        transcript: a transcript file's path (its layout detected, or
            ``options.transcript_format``), or a ``Transcript`` (``align.parse_transcript``
            turns text into one).
        options: ``AlignOptions``; the CLI's defaults when ``None``.
        engine: a model from ``load_engine``, reused; loaded for this call when ``None``.
        sample_rate: the rate of ``audio_input`` when it is samples.
        on_progress: ``on_progress(done_s, total_s)`` while transcribing.

    Returns:
        The ``Result``: turns, words, mismatches, quality, corrections.

    Raises:
        ToolkitError: bad input (``align.errors``); ``AlignmentFailedError`` below
            ``options.min_coverage``, with the result in its ``result`` attribute.
    """
    opts = options or AlignOptions()
    if isinstance(audio_input, np.ndarray) != (sample_rate is not None):
        raise UsageError("give sample_rate exactly when the audio is an array of samples")
    prepared = prepare(audio_input, transcript, opts, sample_rate)
    try:
        if engine is None:  # sized to this file: no helper process for one window
            engine = pipeline.load_engine_for(opts, prepared.source.duration_s)
        result = align_prepared(prepared, engine, opts, on_progress)
    finally:
        if not isinstance(audio_input, audio.DecodedAudio):
            prepared.close()
    return check_coverage(result, opts.min_coverage)


def save(
    result: Result,
    outdir: str | os.PathLike[str],
    formats: Sequence[str] = DEFAULT_FORMATS,
    *,
    stem: str | None = None,
    writer_options: object | None = None,
) -> list[Path]:
    """Write ``result`` as ``outdir/<stem>.<ext>`` in each format, all or nothing.

    ``stem`` defaults to the transcript's (or the audio's) file name without extension;
    ``writer_options`` is an ``align.writers.WriterOptions`` (subtitle layout, HTML audio).

    Returns:
        The paths written, in the order of ``formats``.

    Raises:
        UnknownFormatError: a format name that no writer has.
        OutputError: a file cannot be written (nothing is left half-written).
    """
    from align.writers import WriterOptions, write_outputs

    if writer_options is None:
        writer_options = WriterOptions()
    if not isinstance(writer_options, WriterOptions):
        raise UsageError("writer_options must be an align.writers.WriterOptions")
    if stem is None:
        named = result.transcript.path or result.audio.path or "alignment"
        stem = Path(named).stem if not named.startswith("<") else "alignment"
    return write_outputs(result, list(formats), Path(outdir), stem, writer_options)


__all__ = [
    "AudioInput",
    "TranscriptInput",
    "align_file",
    "load_engine",
    "parse_transcript",
    "save",
]
