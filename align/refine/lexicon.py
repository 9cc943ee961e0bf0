"""Pronunciations for words the CMU dictionary lacks, so the forced aligner can say them.

Transcripts hold archaic spellings ("tatter'd", "feed'st"), digits ("3"), acronyms ("LLMs"),
run-together words ("bluesky") and names. pocketsphinx needs phones for every word in
its grammar. ``pronounce`` builds them from dictionary pieces where it can (a known stem plus
a suffix, spoken digits, letter names, known words glued together) and from rough
letter-to-sound rules otherwise; those rules need only give a word a plausible length, which
is what the boundaries of the words around it depend on. ``known`` tells the two apart, and
the share of known words is how ``align.refine`` tells English from other languages.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from align.text.normalize import normalize_token

Lookup = Callable[[str], "str | None"]
"""The dictionary: a lower-case word to its phones (ARPAbet, space-separated), or None."""

_SPELL_MAX_LETTERS = 6
"""Acronyms up to this long are read letter by letter ("llm", "mcts"); longer ones are not."""
_MIN_COMPOUND_PART = 2
"""Shortest dictionary word a compound may be split into (the dictionary spells out single
letters, which would split anything)."""

# Suffixes that archaic or informal spelling glues on with an apostrophe, and their phones.
_APOSTROPHE_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("'st", "S T"),
    ("'d", "D"),
    ("'s", "Z"),
    ("'ll", "L"),
    ("'re", "R"),
    ("'ve", "V"),
    ("'n", "N"),
)
# Regular suffixes tried on unknown words whose stem is in the dictionary.
_PLAIN_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("est", "AH S T"),
    ("st", "S T"),
    ("ed", "D"),
    ("d", "D"),
    ("ing", "IH NG"),
    ("er", "ER"),
    ("s", "Z"),
    ("es", "IH Z"),
    ("ly", "L IY"),
)
_MIN_STEM = 3
"""A suffix needs a stem longer than this: "bed" is not "b" + "ed"."""
# Last-resort letter-to-sound rules, longest grapheme first.
_GRAPHEMES: dict[str, str] = {
    "tch": "CH", "sch": "S K", "igh": "AY",
    "th": "TH", "sh": "SH", "ch": "CH", "ph": "F", "ng": "NG", "ck": "K", "qu": "K W",
    "wh": "W", "ee": "IY", "ea": "IY", "oo": "UW", "ou": "AW", "ow": "OW", "ai": "EY",
    "ay": "EY", "oi": "OY", "oy": "OY", "au": "AO", "aw": "AO", "er": "ER", "ir": "ER",
    "ur": "ER", "ar": "AA R", "or": "AO R",
    "a": "AE", "b": "B", "c": "K", "d": "D", "e": "EH", "f": "F", "g": "G", "h": "HH",
    "i": "IH", "j": "JH", "k": "K", "l": "L", "m": "M", "n": "N", "o": "AA", "p": "P",
    "q": "K", "r": "R", "s": "S", "t": "T", "u": "AH", "v": "V", "w": "W", "x": "K S",
    "y": "Y", "z": "Z",
}  # fmt: skip
_DIGIT_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
)  # fmt: skip
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_SPLIT = re.compile(r"[\s\-\u2010-\u2015/_]+")
_KEEP = re.compile(r"[^a-z0-9'%&$]+")
_REPEATS = re.compile(r"(.)\1+")


def clean_word(text: str) -> str:
    """Lowercase, plain letters, straight apostrophes, no outer punctuation; hyphenated
    parts become words: "Tatter'd," -> "tatter'd", "Schröder" -> "schroder"."""
    t = unicodedata.normalize("NFKD", text).translate(_APOSTROPHES).lower()
    t = "".join(c for c in t if not unicodedata.combining(c))
    parts = [_KEEP.sub("", p).strip("'") for p in _SPLIT.split(t)]
    return " ".join(p for p in parts if p)


def is_acronym(text: str) -> bool:
    """Written in capitals ("GPU", "LLMs"): read letter by letter."""
    letters = "".join(c for c in text if c.isalpha())
    if letters.endswith("s") and letters[:-1].isupper():
        letters = letters[:-1]
    return 2 <= len(letters) <= _SPELL_MAX_LETTERS and letters.isupper()


def pronounce(word: str, lookup: Lookup, spell: bool = False) -> tuple[str, bool]:
    """Phones (ARPAbet, space-separated) for a cleaned word the dictionary lacks.

    Tries, per part: the dictionary, digits spoken ("3" -> "three"), an apostrophe or plain
    suffix on a known stem ("tatter'd", "viewest"), a stretched hesitation ("mhmm" ->
    "mhm"), the letters of an acronym, a split into known words ("bluesky"), and last
    letter-to-sound rules.

    Args:
        word: the token as ``clean_word`` leaves it.
        lookup: the dictionary.
        spell: read it letter by letter (the token was written as an acronym).

    Returns:
        (phones, known): ``known`` is False when a part needed a split or letter rules.
    """
    phones: list[str] = []
    known = True
    for part in word.split():
        p, k = _pronounce_part(part, lookup, spell)
        if p:
            phones.append(p)
        known = known and k
    return " ".join(phones), known


def _pronounce_part(part: str, lookup: Lookup, spell: bool) -> tuple[str, bool]:
    hit = lookup(part)
    if hit is not None:
        return hit, True
    if any(c.isdigit() for c in part):
        spoken = [lookup(u) for u in normalize_token(part)]
        if spoken and all(s is not None for s in spoken):
            return " ".join(s for s in spoken if s), True
        digits = [lookup(_DIGIT_WORDS[int(c)]) for c in part if c.isdigit()]
        return " ".join(d for d in digits if d), True
    bare = part.replace("'", "")
    collapsed = lookup(_REPEATS.sub(r"\1", bare)) if _REPEATS.search(bare) else None
    if collapsed is not None:  # "mhmm" -> "mhm", "umm" -> "um"
        return collapsed, True
    vowelless = not re.search("[aeiouy]", bare)
    if bare.isalpha() and len(bare) <= _SPELL_MAX_LETTERS and (spell or vowelless):
        letters = [lookup(c) for c in bare]
        if all(letters):
            return " ".join(s for s in letters if s), True
    for suffix, tail in _APOSTROPHE_SUFFIXES:
        stem = lookup(part[: -len(suffix)]) if part.endswith(suffix) else None
        if stem is not None and len(part) > len(suffix):
            return f"{stem} {tail}", True
    for suffix, tail in _PLAIN_SUFFIXES:
        if bare.endswith(suffix) and len(bare) - len(suffix) >= _MIN_STEM:
            stem = lookup(bare[: -len(suffix)])
            if stem is not None:
                return f"{stem} {tail}", True
    split = _split_known(bare, lookup)
    if split is not None:
        return split, False
    return _letter_rules(bare), False


def _split_known(word: str, lookup: Lookup) -> str | None:
    """The fewest known words (of two letters or more) that spell ``word``."""
    n = len(word)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(n):
        prefix = best[i]
        if prefix is None:
            continue
        for j in range(i + _MIN_COMPOUND_PART, n + 1):
            hit = lookup(word[i:j])
            cand = best[j]
            if hit is not None and (cand is None or len(cand) > len(prefix) + 1):
                best[j] = [*prefix, hit]
    last = best[n]
    return " ".join(last) if last and len(last) > 1 else None


def _letter_rules(word: str) -> str:
    phones: list[str] = []
    i = 0
    while i < len(word):
        for size in (3, 2, 1):
            chunk = word[i : i + size]
            if len(chunk) == size and chunk in _GRAPHEMES:
                phones.append(_GRAPHEMES[chunk])
                i += size
                break
        else:
            i += 1  # not a letter these rules know: silent
    return " ".join(phones)


__all__ = ["Lookup", "clean_word", "is_acronym", "pronounce"]
