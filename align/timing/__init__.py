"""The timing stage: from matched unit pairs to a time (or ``not_found``) for every word and turn.

``assign`` is the one pass; ``evidence`` decides which heard words time each token (chance
turns, edge words, the boundaries between turns), ``gaps`` the runs of unpaired words
between timed ones, and ``types`` holds the options and the per-token working state.
"""

from align.timing.assign import TimedTranscript, assign_times
from align.timing.types import TimingOptions, TokenSlot

__all__ = ["TimedTranscript", "TimingOptions", "TokenSlot", "assign_times"]
