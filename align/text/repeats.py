"""Adjacent repeated phrases in transcript text: the stutter an earlier ASR pass leaves.

Pure text. ``align.timing`` uses it as evidence that an unheard run is a duplicate, and
``align.corrections`` uses its spans for the exact edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from align.text.normalize import normalize_token


@dataclass(frozen=True, slots=True)
class Repeat:
    """Tokens ``[start, start + length)`` repeat the ``length`` tokens right before them."""

    start: int
    length: int


def find_repeats(tokens: Sequence[str], min_words: int = 2, max_words: int = 12) -> list[Repeat]:
    """Adjacent repeated phrases in a token list, compared on normalized text.

    "a challenging one to say that maybe, a challenging one to say that maybe all" gives
    one ``Repeat`` for the second copy. Single-word stutters ("I I I") are left alone by
    default: speakers really say them.
    """
    norm = [" ".join(normalize_token(t)) for t in tokens]
    out: list[Repeat] = []
    i = 0
    while i < len(norm):
        found = 0
        for n in range(min(max_words, (len(norm) - i) // 2), min_words - 1, -1):
            a, b = norm[i : i + n], norm[i + n : i + 2 * n]
            if all(a) and a == b:
                found = n
                break
        if found:
            out.append(Repeat(i + found, found))
            i += 2 * found
        else:
            i += 1
    return out
