"""``AlignOptions``: everything that shapes one alignment run, in one frozen dataclass.

Its defaults are the command line's (``align.defaults``). Every stage of
``align.pipeline`` reads the part it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from align.claims.types import ClaimOptions
from align.corrections import CorrectionOptions
from align.defaults import DEFAULT_MIN_COVERAGE, DEFAULT_REFINE_MODE
from align.engines.base import EngineOptions
from align.model import RefineMode
from align.text.match import MatchOptions
from align.timing import TimingOptions
from align.transcript import TranscriptFormat
from audio.denoise import DenoiseOptions

EngineName = Literal["faster-whisper", "openai-whisper"]


@dataclass(frozen=True, slots=True)
class AlignOptions:
    """Everything that shapes one alignment run.

    ``window_s``: audio is decoded and transcribed at most this many seconds at a time
    (``window_length_s`` splits a file evenly).
    ``refine_workers``: processes that share the refinement (the result does not depend
    on it). ``rerun_gaps``: re-listen (with the transcript text as prompt) to stretches where
    transcript words went unheard though the audio has room for them. ``guard_loops``: hear
    again, without context, stretches where the first pass printed one phrase over and
    over, and drop the loop if it recurs (``align.guard``). ``verify``: before a
    transcript word is reported not in the audio, ask the forced aligner whether the audio
    holds it (``align.refine.verify``; with ``refine="full"``, where the aligner runs).
    ``denoise``: with ``refine="full"``, a file under its ``max_snr_db`` reaches the forced
    aligner with its noise floor subtracted (``audio.denoise``; Whisper hears the
    original); ``None``: never.
    ``claims``: how the audio judges each "heard differently" report (``align.claims``).
    ``min_coverage``: ``align.align_file`` raises ``AlignmentFailedError`` (carrying the
    result) when less than this share of the transcript's words is heard; ``None`` never.
    Defaults are the CLI's (``align.defaults``).
    """

    engine_name: EngineName = "faster-whisper"
    engine: EngineOptions = field(default_factory=EngineOptions)
    match: MatchOptions = field(default_factory=MatchOptions)
    timing: TimingOptions = field(default_factory=TimingOptions)
    corrections: CorrectionOptions = field(default_factory=CorrectionOptions)
    claims: ClaimOptions = field(default_factory=ClaimOptions)
    transcript_format: TranscriptFormat | None = None
    window_s: float = 300.0
    rerun_gaps: bool = True
    guard_loops: bool = True
    rerun_min_words: int = 4
    rerun_min_s: float = 2.0
    refine: RefineMode = DEFAULT_REFINE_MODE
    refine_workers: int = 2
    verify: bool = True
    denoise: DenoiseOptions | None = field(default_factory=DenoiseOptions)
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


__all__ = ["AlignOptions", "EngineName"]
