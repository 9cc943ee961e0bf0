"""Podcasting 2.0 transcript JSON (the ``podcast:transcript`` tag's JSON form).

The spec (github.com/Podcastindex-org/podcast-namespace, docs/examples/transcripts/
transcripts.md) is ``{"version": "1.0.0", "segments": [{"speaker", "startTime",
"endTime", "body"}]}``: ``startTime`` and ``body`` in every segment, ``speaker`` and
``endTime`` where known; at its finest, one segment per word. Each segment is kept as a
cue; consecutive segments of one speaker form a turn (a segment without ``speaker``
continues the one before). A body ending in a newline ends a paragraph.

A JSON file that is not such a transcript is a ``TranscriptParseError`` that says what
is missing, never a "plain text" turn made of braces and quotes.
"""

from __future__ import annotations

import json
import math
from typing import Any

from align.errors import TranscriptParseError
from align.transcript.base import Source, Transcript
from align.transcript.subtitles import RawCue, assemble_cues

_SPEC = "a Podcasting 2.0 transcript is {'version': ..., 'segments': [{'startTime', 'body'}]}"


def detect_podcast_json(src: Source) -> float:
    """1 for a JSON object with segments; 0.9 for other JSON (so that it fails as JSON)."""
    head = src.text.lstrip()[:1]
    if head not in ("{", "[") or (head == "[" and src.suffix != ".json"):
        return 0.0
    try:
        data = json.loads(src.text)
    except ValueError:
        return 0.9 if src.suffix == ".json" or head == "{" else 0.0
    if isinstance(data, dict) and isinstance(data.get("segments"), list):
        return 1.0
    return 0.9


def _number(seg: dict[str, Any], key: str, k: int, path: str) -> float | None:
    value = seg.get(key)
    if value is None:
        return None
    if isinstance(value, str):  # some hosts write "12.5"
        try:
            value = float(value)
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TranscriptParseError(path, f"segment {k}: '{key}' must be seconds, got {value!r}")
    if value < 0:
        raise TranscriptParseError(path, f"segment {k}: '{key}' is negative ({value})")
    return float(value)


def parse_podcast_json(src: Source) -> Transcript:
    """Raises ``TranscriptParseError``: not JSON, or JSON that is not a transcript."""
    try:
        data = json.loads(src.text)
    except ValueError as e:
        line = getattr(e, "lineno", None)
        raise TranscriptParseError(src.path, f"not valid JSON: {e}", line) from e
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
        kind = type(data).__name__ if not isinstance(data, dict) else "object without 'segments'"
        raise TranscriptParseError(src.path, f"JSON {kind} is not a transcript: {_SPEC}")
    cues: list[RawCue] = []
    for k, seg in enumerate(data["segments"]):
        if not isinstance(seg, dict) or not isinstance(seg.get("body"), str):
            raise TranscriptParseError(src.path, f"segment {k} has no text 'body': {_SPEC}")
        start = _number(seg, "startTime", k, src.path)
        if start is None:
            raise TranscriptParseError(src.path, f"segment {k} has no 'startTime': {_SPEC}")
        end = _number(seg, "endTime", k, src.path)
        speaker = seg.get("speaker")
        cues.append(
            RawCue(
                start,
                max(start, end if end is not None else start),
                tuple(seg["body"].split("\n")),
                k + 1,
                speaker=str(speaker) if speaker not in (None, "") else None,
            )
        )
    if not cues:
        raise TranscriptParseError(src.path, "the transcript has no segments")
    return assemble_cues(src, "podcast_json", cues)


__all__ = ["detect_podcast_json", "parse_podcast_json"]
