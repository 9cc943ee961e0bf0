"""The text stage: normalize written and heard words into units, and align the two sequences.

Pure text, no times and no audio. ``normalize`` turns a token into comparable units,
``match`` pairs transcript units with heard units, and ``repeats`` finds the adjacent
repeated phrases an earlier ASR pass leaves.
"""

from align.text.match import MatchOptions, Pair, match_units, similarity
from align.text.normalize import is_filler, is_filler_word, normalize_token
from align.text.repeats import Repeat, find_repeats

__all__ = [
    "MatchOptions",
    "Pair",
    "Repeat",
    "find_repeats",
    "is_filler",
    "is_filler_word",
    "match_units",
    "normalize_token",
    "similarity",
]
