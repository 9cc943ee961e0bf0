"""Podcasting 2.0 transcript JSON: what podcast hosts take for the ``podcast:transcript`` tag.

The spec (github.com/Podcastindex-org/podcast-namespace, docs/examples/transcripts/
transcripts.md) is ``{"version": "1.0.0", "segments": [...]}``, each segment with
``speaker``, ``startTime``, ``endTime`` (seconds) and ``body``.

- ``podcast-json``: a segment per subtitle-sized cue of each turn (``layout.build_cues``:
  at most ``max_cue_s`` long, cut at sentences), so that players can show it as captions.
  A transcript that was itself Podcasting 2.0 JSON keeps its own segments, re-timed.
- ``podcast-json-words``: the spec's word-level form, a segment per word. A word the audio
  lacks takes the end of the word before it (zero length), so that none is lost.

Turns not found in the audio have no time and no segment in ``podcast-json``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, TextIO

from align.model import Result
from align.writers.layout import build_cues
from align.writers.options import WriterOptions
from align.writers.resync import retime_cues, source_cues

SPEC_VERSION = "1.0.0"
# Segments are cut by time and sentence, not by line width: a long line is no problem in
# a JSON body, and a word cut across lines would no longer be one word.
_SEGMENT_CHARS = 500


def _dump(segments: list[dict[str, Any]], fp: TextIO) -> None:
    json.dump({"version": SPEC_VERSION, "segments": segments}, fp, ensure_ascii=False, indent=2)
    fp.write("\n")


def _segment(speaker: str, start_s: float, end_s: float, body: str) -> dict[str, Any]:
    return {
        "speaker": speaker,
        "startTime": round(start_s, 3),
        "endTime": round(max(start_s, end_s), 3),
        "body": body,
    }


def write_podcast_json(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """Segments of caption size (or the input's own segments), speaker and times on each."""
    source = source_cues(result) if result.transcript.format == "podcast_json" else None
    if source is not None:
        segments = [
            _segment(tc.cue.speaker, tc.start_s, tc.end_s, "\n".join(tc.cue.lines))
            for tc in retime_cues(source, result)
        ]
    else:
        layout = replace(
            opts.subtitle, speaker_prefix=False, max_chars_per_line=_SEGMENT_CHARS, max_lines=1
        )
        segments = [
            _segment(cue.speaker, cue.start_s, cue.end_s, " ".join(cue.lines))
            for cue in build_cues(result, layout)
        ]
    _dump(segments, fp)


def write_podcast_json_words(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """One segment per word, the spec's finest form."""
    segments: list[dict[str, Any]] = []
    last_end = 0.0
    for turn in result.turns:
        for word in turn.words:
            if word.start is not None and word.end is not None:
                start, end = max(word.start, last_end), max(word.end, last_end)
            else:
                start = end = last_end
            segments.append(_segment(turn.speaker, start, end, word.text))
            last_end = end
    _dump(segments, fp)


__all__ = ["SPEC_VERSION", "write_podcast_json", "write_podcast_json_words"]
