"""Manifests for exported clips, in the layouts speech-training tools read.

- ``manifest.jsonl``: NeMo style, one JSON object a line: ``audio_filepath`` (relative to
  the manifest's folder, which NeMo resolves), ``duration`` (seconds), ``text``, then our
  fields. NeMo reads a key named ``offset`` as a seek position inside ``audio_filepath``,
  so the position in the source recording is ``source_start_s``/``source_end_s`` instead.
- ``wavs/metadata.csv``: Hugging Face ``audiofolder``: a header, ``file_name`` relative to
  the CSV's folder, ``transcription``, then our fields. ``audiofolder`` treats every file
  named ``metadata.csv``/``.jsonl``/``.parquet`` under its folder as metadata (and all of
  them must share columns and extension), so nothing else we write uses those names.
- ``metadata_ljspeech.csv``: LJSpeech, ``id|text|normalized text`` without header, beside
  the ``wavs/`` folder (Coqui's ``ljspeech`` formatter takes the file name as
  ``meta_file_train``; it expects ``wavs/<id>.wav``).
- ``dropped.jsonl``: every clip or turn left out, with its reason.

The functions here render text; ``align.export`` writes the files.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from align.export.types import Clip, DroppedClip
from align.text.normalize import normalize_token

AUDIO_DIR = "wavs"
"""Folder of the clips, as in the LJSpeech layout (``wavs/`` beside ``metadata.csv``)."""
JSONL_MANIFEST = "manifest.jsonl"
HF_METADATA = "metadata.csv"  # the exact name ``audiofolder`` looks for, inside AUDIO_DIR
LJSPEECH_METADATA = "metadata_ljspeech.csv"
DROPPED_MANIFEST = "dropped.jsonl"

HF_COLUMNS: tuple[str, ...] = (
    "file_name",
    "transcription",
    "id",
    "speaker",
    "duration_s",
    "source",
    "source_start_s",
    "source_end_s",
    "turn",
    "word_start",
    "word_count",
    "coverage",
    "confidence",
    "mismatch",
    "mismatch_kinds",
)

_TIME_DIGITS = 4  # 0.1 ms: under two samples at 16 kHz
_SCORE_DIGITS = 3
_DIGIT = re.compile(r"\d")
_EDGE_PUNCT = re.compile(r"^(?P<lead>[\"'“‘(\[]*)(?P<core>.*?)(?P<trail>[\"'”’)\].,!?;:…]*)$")


def clip_file_name(clip: Clip, audio_format: str) -> str:
    """The clip's file name inside ``AUDIO_DIR``."""
    return f"{clip.clip_id}.{audio_format}"


def render_jsonl(clips: Sequence[Clip], source: str, audio_format: str) -> str:
    """The NeMo-style JSONL manifest (paths relative to its folder)."""
    lines = []
    for clip in clips:
        record: dict[str, Any] = {
            "audio_filepath": f"{AUDIO_DIR}/{clip_file_name(clip, audio_format)}",
            "duration": round(clip.duration_s, _TIME_DIGITS),
            "text": clip.text,
            **_our_fields(clip, source),
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    return "".join(f"{line}\n" for line in lines)


def render_hf_csv(clips: Sequence[Clip], source: str, audio_format: str) -> str:
    """The ``audiofolder`` ``metadata.csv`` (``file_name`` relative to ``AUDIO_DIR``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HF_COLUMNS)
    for clip in clips:
        fields = _our_fields(clip, source)
        row = {
            "file_name": clip_file_name(clip, audio_format),
            "transcription": clip.text,
            "duration_s": round(clip.duration_s, _TIME_DIGITS),
            **fields,
        }
        writer.writerow([_csv_value(row[name]) for name in HF_COLUMNS])
    return out.getvalue()


def render_ljspeech(clips: Sequence[Clip]) -> str:
    """LJSpeech ``id|text|normalized text`` lines, no header."""
    lines = []
    for clip in clips:
        text = _no_pipes(clip.text)
        lines.append(f"{clip.clip_id}|{text}|{_no_pipes(spell_out_numbers(clip.text))}")
    return "".join(f"{line}\n" for line in lines)


def render_dropped(dropped: Iterable[DroppedClip], source: str) -> str:
    """One JSON object a line for each clip or turn that was not exported."""
    lines = []
    for d in dropped:
        record: dict[str, Any] = {
            "id": None if d.clip is None else d.clip.clip_id,
            "reason": d.reason,
            "detail": d.detail,
            "turn": d.turn,
            "speaker": d.speaker,
            "text": d.text,
        }
        if d.clip is not None:
            record.update(
                {
                    "duration": round(d.clip.duration_s, _TIME_DIGITS),
                    **_our_fields(d.clip, source),
                }
            )
        lines.append(json.dumps(record, ensure_ascii=False))
    return "".join(f"{line}\n" for line in lines)


def spell_out_numbers(text: str) -> str:
    """LJSpeech's normalized text: tokens with digits spelled out, the rest unchanged.

    ``"It cost $5, in 1990."`` -> ``"It cost five dollars, in nineteen ninety."``
    """
    return " ".join(_spell_token(token) for token in text.split())


def _spell_token(token: str) -> str:
    if not _DIGIT.search(token):
        return token
    match = _EDGE_PUNCT.match(token)
    assert match is not None  # the pattern matches any string
    spoken = " ".join(normalize_token(match["core"]))
    return f"{match['lead']}{spoken}{match['trail']}" if spoken else token


def _our_fields(clip: Clip, source: str) -> dict[str, Any]:
    return {
        "id": clip.clip_id,
        "speaker": clip.speaker,
        "source": source,
        "source_start_s": round(clip.start_s, _TIME_DIGITS),
        "source_end_s": round(clip.end_s, _TIME_DIGITS),
        "turn": clip.turn,
        "word_start": clip.word_start,
        "word_count": clip.word_count,
        "coverage": round(clip.coverage, _SCORE_DIGITS),
        "confidence": round(clip.confidence, _SCORE_DIGITS),
        "mismatch": clip.mismatch,
        "mismatch_kinds": ",".join(clip.mismatch_kinds),
    }


def _csv_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _no_pipes(text: str) -> str:
    """``|`` separates LJSpeech fields, which have no quoting."""
    return text.replace("|", "/")


__all__ = [
    "AUDIO_DIR",
    "DROPPED_MANIFEST",
    "HF_COLUMNS",
    "HF_METADATA",
    "JSONL_MANIFEST",
    "LJSPEECH_METADATA",
    "clip_file_name",
    "render_dropped",
    "render_hf_csv",
    "render_jsonl",
    "render_ljspeech",
    "spell_out_numbers",
]
