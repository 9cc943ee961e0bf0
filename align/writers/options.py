"""Options for the writers: one frozen dataclass per concern, validated on construction.

``SubtitleOptions`` drives ``layout.build_cues`` (SRT, VTT, ASS). ``WriterOptions`` is what
every writer receives, so that all writers share one signature and one registry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

# Below this a line cannot hold a speaker label plus a short word.
MIN_CHARS_PER_LINE = 8


@dataclass(frozen=True, slots=True)
class SubtitleOptions:
    """How turns become subtitle cues.

    Attributes:
        max_chars_per_line: longest line of a cue, in characters (42 is the common
            broadcast limit).
        max_lines: most lines in one cue.
        max_cue_s: longest time one cue stays on screen, in seconds; a longer turn is
            split at word boundaries.
        min_gap_s: least time between the end of one cue and the start of the next, in
            seconds; a cue that runs closer to the next one is shortened.
        speaker_prefix: name the speaker in every cue ("Speaker 1: " for SRT and ASS, a
            ``<v Speaker 1>`` voice tag for VTT).
    """

    max_chars_per_line: int = 42
    max_lines: int = 2
    max_cue_s: float = 6.0
    min_gap_s: float = 0.0
    speaker_prefix: bool = True

    def __post_init__(self) -> None:
        if self.max_chars_per_line < MIN_CHARS_PER_LINE:
            raise ValueError(
                f"max_chars_per_line={self.max_chars_per_line} is too small; "
                f"use at least {MIN_CHARS_PER_LINE}"
            )
        if self.max_lines < 1:
            raise ValueError(f"max_lines={self.max_lines} must be at least 1")
        if not (math.isfinite(self.max_cue_s) and self.max_cue_s > 0):
            raise ValueError(f"max_cue_s={self.max_cue_s} must be a positive number of seconds")
        if not (math.isfinite(self.min_gap_s) and 0 <= self.min_gap_s < self.max_cue_s):
            raise ValueError(
                f"min_gap_s={self.min_gap_s} must be >= 0 and below max_cue_s={self.max_cue_s}"
            )


@dataclass(frozen=True, slots=True)
class WriterOptions:
    """Options every writer receives; each writer reads only the fields it needs.

    Attributes:
        subtitle: cue layout for SRT, VTT and ASS.
        label_max_chars: longest Audacity label, in characters; longer turn texts are
            cut at a word boundary and end with "…".
        html_embed_audio: how the HTML review page gets its audio: "auto" embeds files
            up to ``html.EMBED_AUDIO_MAX_BYTES`` and links larger ones, "always" embeds,
            "never" links (by a path relative to ``output_dir``).
        output_dir: the folder the output is written to, so that a writer can link other
            files relative to it; ``write_outputs`` sets it. ``None``: the current folder.
    """

    subtitle: SubtitleOptions = SubtitleOptions()
    label_max_chars: int = 100
    html_embed_audio: Literal["auto", "always", "never"] = "auto"
    output_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.label_max_chars < MIN_CHARS_PER_LINE:
            raise ValueError(
                f"label_max_chars={self.label_max_chars} is too small; "
                f"use at least {MIN_CHARS_PER_LINE}"
            )
        if self.html_embed_audio not in ("auto", "always", "never"):
            raise ValueError(
                f"html_embed_audio={self.html_embed_audio!r} must be 'auto', 'always' or 'never'"
            )


__all__ = ["SubtitleOptions", "WriterOptions"]
