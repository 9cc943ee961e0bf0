"""Heard text that copies other text: the sign of a Whisper hallucination. Pure text.

Re-listening to a stretch with the transcript as prompt (``align.pipeline``), tiny.en can
print words heard elsewhere in the file, a neighbouring turn's text, or one phrase in a loop,
instead of what was said ("...now is the time that face should form another. Alright, so
this is the..." over a turn that says something else). Matched onto the transcript, such
words steal a neighbour's time or leave the real turn unfound. ``find_copies`` says which
heard phrases repeat text that is not expected there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from align.text.normalize import is_filler, normalize_token

NGRAM = 4
"""Four words in a row: shorter runs repeat by chance ("one of the", "I think that")."""


def content_units(texts: Iterable[str]) -> list[str]:
    """The normalized units of ``texts`` (written or heard tokens), fillers left out."""
    return [u for t in texts for u in normalize_token(t) if not is_filler(u)]


def ngrams(units: Sequence[str], n: int = NGRAM) -> Counter[tuple[str, ...]]:
    """How often each ``n``-gram occurs in ``units``."""
    return Counter(tuple(units[i : i + n]) for i in range(len(units) - n + 1))


def find_copies(
    heard: Sequence[str],
    expected: Sequence[str],
    elsewhere: Counter[tuple[str, ...]],
    n: int = NGRAM,
) -> list[tuple[str, ...]]:
    """The ``n``-grams of ``heard`` units that copy text from elsewhere or loop.

    Args:
        heard: the units heard in the stretch (``content_units``).
        expected: the units the transcript has there; what it holds is never a copy.
        elsewhere: ``ngrams`` of the text heard or written elsewhere in the file.

    Returns:
        Each offending n-gram once: one found ``elsewhere`` and not ``expected``, or one
        that occurs more often in ``heard`` than in ``expected`` (a loop), in heard order.
    """
    own = ngrams(expected, n)
    seen = ngrams(heard, n)
    out: list[tuple[str, ...]] = []
    for i in range(len(heard) - n + 1):
        gram = tuple(heard[i : i + n])
        if gram in out:
            continue
        copied = elsewhere.get(gram, 0) > 0 and own.get(gram, 0) == 0
        looped = seen[gram] > max(1, own.get(gram, 0))
        if copied or looped:
            out.append(gram)
    return out


class CopyCheck:
    """``find_copies`` for re-listened stretches of one file: what was heard elsewhere is the
    first pass's words outside the stretch; what was written elsewhere, every turn's text.

    Args:
        heard: the first pass's (text, start_s) words, in time order.
        written: every transcript token.
    """

    def __init__(self, heard: Sequence[tuple[str, float]], written: Iterable[str]) -> None:
        self._heard_units: list[str] = []
        self._heard_times: list[float] = []
        for text, start_s in heard:
            for u in content_units([text]):
                self._heard_units.append(u)
                self._heard_times.append(start_s)
        self._heard_grams = ngrams(self._heard_units)
        self._written_grams = ngrams(content_units(written))

    def copies(
        self, texts: Sequence[str], expected: Iterable[str], start_s: float, end_s: float
    ) -> list[tuple[str, ...]]:
        """The n-grams of ``texts`` (heard in ``[start_s, end_s]``) that copy other text or
        loop; ``expected`` is the transcript's text for the stretch."""
        inside = [k for k, t in enumerate(self._heard_times) if start_s <= t <= end_s]
        own_heard = ngrams(self._heard_units[inside[0] : inside[-1] + 1]) if inside else Counter()
        elsewhere = (self._heard_grams - own_heard) + self._written_grams
        return find_copies(content_units(texts), content_units(expected), elsewhere)


__all__ = ["NGRAM", "CopyCheck", "content_units", "find_copies", "ngrams"]
