"""Dataset export: cut an aligned recording into training-ready clips with exact text.

People align long recordings to transcripts to build speech datasets (ASR and TTS
training, evaluation sets). ``export_clips`` turns a ``Result`` and its audio into short
16 kHz mono clips, each holding the user's own words for exactly the audio in it, its
speaker, its place in the source and quality figures, plus manifests for the common
training tools. Layout of ``outdir``::

    manifest.jsonl          NeMo-style JSONL (audio_filepath, duration, text, ...)
    metadata_ljspeech.csv   LJSpeech: id|text|normalized text
    dropped.jsonl           clips and turns left out, with reasons
    wavs/<name>.flac|.wav   the clips; <name> = <prefix>_<turn:04d>_<first word:04d>
    wavs/metadata.csv       Hugging Face audiofolder metadata (load_dataset("audiofolder"))

Planning lives in ``align.export.plan`` (its types in ``align.export.types``), audio
cutting and encoding in ``align.export.clip_audio``, manifest text in
``align.export.manifest``; this module wires them and owns the files. Reruns over the
same result leave identical files untouched and remove clips of this prefix that the new
plan no longer has.
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import audio
from align.atomic import sync_dir
from align.errors import AudioDecodeError, InputError, OutputError
from align.export.clip_audio import (
    ProgressFn,
    encode_clip,
    iter_clip_samples,
    remove_file,
    write_if_changed,
)
from align.export.manifest import (
    AUDIO_DIR,
    DROPPED_MANIFEST,
    HF_METADATA,
    JSONL_MANIFEST,
    LJSPEECH_METADATA,
    clip_file_name,
    render_dropped,
    render_hf_csv,
    render_jsonl,
    render_ljspeech,
)
from align.export.plan import clip_name_prefix, plan_clips
from align.export.types import Clip, DroppedClip, ExportOptions
from align.model import Result

logger = logging.getLogger(__name__)

DURATION_TOLERANCE_S = 1.0
"""Largest difference between the audio's length and the length the result was aligned
to that still counts as the same recording (re-encoding adds or trims a few frames)."""

_DEFAULT_OPTIONS = ExportOptions()  # frozen, so one shared default is safe


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What ``export_clips`` did.

    ``clips`` were exported (in transcript order), ``dropped`` were not (with reasons).
    ``files_written`` counts clip and manifest files written, ``files_unchanged`` those
    already there with identical content, ``files_removed`` stale clips of an earlier run.
    """

    outdir: Path
    clips: tuple[Clip, ...]
    dropped: tuple[DroppedClip, ...]
    files_written: int
    files_unchanged: int
    files_removed: int
    manifests: tuple[Path, ...]

    @property
    def clips_s(self) -> float:
        """Total length of the exported clips, in seconds."""
        return sum(c.duration_s for c in self.clips)

    def dropped_by_reason(self) -> dict[str, int]:
        """How many clips (or turns) were dropped for each reason."""
        return dict(Counter(d.reason for d in self.dropped))


def export_clips(
    result: Result,
    audio_path: str | Path,
    outdir: str | Path,
    opts: ExportOptions = _DEFAULT_OPTIONS,
    on_progress: ProgressFn | None = None,
) -> ExportSummary:
    """Cut ``audio_path`` into clips as ``result`` times them and write clips and manifests.

    The audio is decoded once, as a stream (memory does not grow with its length).
    Clips are written first, then the manifests, each atomically; a file whose content
    would not change is left as it is, so a rerun over the same result writes nothing.

    Args:
        result: The aligned transcript of this audio.
        audio_path: The recording ``result`` was aligned to (any format PyAV decodes).
        outdir: Folder to write into (created if missing).
        opts: Clip bounds, padding, quality bars, audio format, name prefix.
        on_progress: Called as ``on_progress(done_s, total_s)`` while decoding.

    Returns:
        The exported and dropped clips and the file counts.

    Raises:
        AudioDecodeError: The audio is missing or cannot be decoded.
        InputError: The audio's length differs from the one ``result`` was aligned to.
        OutputError: A file or folder cannot be written.
    """
    audio_path = Path(audio_path)
    outdir = Path(outdir)
    _check_duration(result, audio_path)
    clips, dropped = plan_clips(result, opts)
    wav_dir = outdir / AUDIO_DIR
    try:
        wav_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(wav_dir, e.strerror or str(e)) from e
    written = unchanged = 0
    spans = [(c.start_sample, c.end_sample) for c in clips]
    short: dict[int, int] = {}  # clip index -> samples actually decoded, when fewer
    samples_iter = iter_clip_samples(audio_path, spans, on_progress, result.audio.duration)
    for i, samples in samples_iter:
        clip = clips[i]
        if samples.shape[0] < clip.end_sample - clip.start_sample:
            short[i] = int(samples.shape[0])
        data = encode_clip(samples, opts.audio_format)
        if write_if_changed(wav_dir / clip_file_name(clip, opts.audio_format), data):
            written += 1
        else:
            unchanged += 1
    clips, dropped = _apply_short(clips, dropped, short, opts)
    source = os.path.abspath(audio_path)  # manifests live elsewhere: no cwd-relative paths
    texts = {
        outdir / JSONL_MANIFEST: render_jsonl(clips, source, opts.audio_format),
        wav_dir / HF_METADATA: render_hf_csv(clips, source, opts.audio_format),
        outdir / LJSPEECH_METADATA: render_ljspeech(clips),
        outdir / DROPPED_MANIFEST: render_dropped(dropped, source),
    }
    for path, text in texts.items():
        if write_if_changed(path, text.encode("utf-8")):
            written += 1
        else:
            unchanged += 1
    prefix = clip_name_prefix(result, opts)
    removed = _remove_stale(wav_dir, prefix, {clip_file_name(c, opts.audio_format) for c in clips})
    sync_dir(wav_dir)
    sync_dir(outdir)
    summary = ExportSummary(
        outdir=outdir,
        clips=clips,
        dropped=dropped,
        files_written=written,
        files_unchanged=unchanged,
        files_removed=removed,
        manifests=tuple(texts),
    )
    logger.info(
        "exported %d clips (%.1f s) to %s; dropped %d",
        len(clips),
        summary.clips_s,
        outdir,
        len(dropped),
    )
    return summary


def resolve_audio_path(result: Result, result_path: str | Path) -> Path:
    """Locate the audio a result was aligned to.

    ``result.audio.path`` as written when it exists (absolute, or relative to the current
    folder); otherwise, when relative, resolved against the result file's folder.
    """
    recorded = Path(result.audio.path)
    if recorded.is_absolute() or recorded.exists():
        return recorded
    beside = Path(result_path).parent / recorded
    return beside if beside.exists() else recorded


def summary_lines(summary: ExportSummary) -> list[str]:
    """Human-readable lines about an export, for the CLI."""
    lines = [
        f"exported {len(summary.clips)} clips ({summary.clips_s:.1f} s) "
        f"to {summary.outdir / AUDIO_DIR}"
    ]
    counts = summary.dropped_by_reason()
    if counts:
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items()))
        lines.append(
            f"dropped {len(summary.dropped)} ({reasons}); see {summary.outdir / DROPPED_MANIFEST}"
        )
    lines.append(
        f"files: {summary.files_written} written, {summary.files_unchanged} unchanged, "
        f"{summary.files_removed} stale removed"
    )
    return lines


def _check_duration(result: Result, audio_path: Path) -> None:
    try:
        duration_s = audio.probe_duration_s(audio_path)
    except audio.AudioError as e:
        raise AudioDecodeError(e.path, e.reason) from e
    if abs(duration_s - result.audio.duration) > DURATION_TOLERANCE_S:
        raise InputError(
            f"audio '{audio_path}' lasts {duration_s:.1f} s but the result was aligned to "
            f"{result.audio.duration:.1f} s of audio; pass the recording the result was made "
            "from (--audio)"
        )


def _apply_short(
    clips: tuple[Clip, ...],
    dropped: tuple[DroppedClip, ...],
    short: dict[int, int],
    opts: ExportOptions,
) -> tuple[tuple[Clip, ...], tuple[DroppedClip, ...]]:
    """Shorten clips the audio ended inside; drop those now below ``min_s``."""
    if not short:
        return clips, dropped
    kept: list[Clip] = []
    more: list[DroppedClip] = []
    for i, clip in enumerate(clips):
        if i in short:
            clip = replace(clip, end_sample=clip.start_sample + short[i])
            if clip.duration_s < opts.min_s:
                detail = f"{clip.duration_s:.2f} s < min {opts.min_s:g} s (audio ends)"
                more.append(
                    DroppedClip(clip.turn, clip.speaker, "too_short", detail, clip, clip.text)
                )
                continue
        kept.append(clip)
    return tuple(kept), dropped + tuple(more)


_CLIP_NAME = r"_\d{4,}_\d{4,}\.(?:flac|wav)"


def _remove_stale(wav_dir: Path, prefix: str, keep: set[str]) -> int:
    """Delete clips of ``prefix`` that this export did not write (an earlier plan's)."""
    pattern = re.compile(re.escape(prefix) + _CLIP_NAME)
    temp = re.compile(r"\." + re.escape(prefix) + _CLIP_NAME + r"\..*\.tmp")
    removed = 0
    for path in sorted(wav_dir.iterdir()):
        name = path.name
        if (pattern.fullmatch(name) and name not in keep) or temp.fullmatch(name):
            remove_file(path)
            removed += 1
    return removed


__all__ = [
    "DURATION_TOLERANCE_S",
    "ExportSummary",
    "export_clips",
    "resolve_audio_path",
    "summary_lines",
]
