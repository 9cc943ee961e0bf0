"""The claims stage: the audio's verdict on what Whisper's text alone would report.

``align.refine.verify`` asks the forced aligner about every "not in audio"; this stage
asks Whisper itself, teacher-forced, about every "heard differently"
(``substitutions``): the written words are read against the audio (``reading``), and a
report stays only where the audio prefers the heard word; and about every "not in the
transcript" (``insertions``): it stays only where the transcript's words leave the speech
unexplained. ``types`` holds the options.
"""

from align.claims.insertions import judge_unclaimed
from align.claims.substitutions import judge_substitutions
from align.claims.types import ClaimOptions

__all__ = ["ClaimOptions", "judge_substitutions", "judge_unclaimed"]
