"""The timing stage: from matched unit pairs to a time (or ``not_found``) for every word and turn.

``assign`` runs the rules in order; ``gaps`` decides the runs of unpaired words between
timed ones, ``edges`` repairs words at turn edges, and ``types`` holds the options and the
per-token working state they share.
"""

from align.timing.assign import TimedTranscript, assign_times
from align.timing.types import TimingOptions, TokenSlot

__all__ = ["TimedTranscript", "TimingOptions", "TokenSlot", "assign_times"]
