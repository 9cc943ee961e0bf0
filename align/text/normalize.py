"""Text normalization for matching: what makes "I'm", "3rd" and "Colour," comparable.

Both sides (the user's transcript and the words the engine heard) go through the same
``normalize_token``: one written token becomes zero or more normalized *units* (lowercase
words without punctuation; numbers spelled out; contractions expanded; UK spellings
mapped to US). The aligner matches units; every unit remembers the token it came from,
so the user's original token is what reaches the output.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from num2words import num2words

FILLERS: frozenset[str] = frozenset(
    {
        "uh", "um", "umm", "uhm", "er", "erm", "ah", "eh", "hm", "hmm", "mm", "mhm",
        "mmhmm", "mmm", "uhhuh", "huh", "oh", "ahh", "uhh",
    }
)  # fmt: skip
"""Hesitation sounds that transcripts often leave out and engines often drop."""

_CONTRACTIONS: dict[str, tuple[str, ...]] = {
    "can't": ("can", "not"),
    "cannot": ("can", "not"),
    "won't": ("will", "not"),
    "shan't": ("shall", "not"),
    "ain't": ("is", "not"),
    "let's": ("let", "us"),
    "i'm": ("i", "am"),
    "it's": ("it", "is"),
    "that's": ("that", "is"),
    "what's": ("what", "is"),
    "there's": ("there", "is"),
    "here's": ("here", "is"),
    "he's": ("he", "is"),
    "she's": ("she", "is"),
    "who's": ("who", "is"),
    "where's": ("where", "is"),
    "how's": ("how", "is"),
    "gonna": ("going", "to"),
    "wanna": ("want", "to"),
    "gotta": ("got", "to"),
    "kinda": ("kind", "of"),
    "sorta": ("sort", "of"),
    "y'all": ("you", "all"),
    "'cause": ("because",),
    "cause": ("because",),
    "cuz": ("because",),
    "ok": ("okay",),
    "alright": ("all", "right"),
    "mr": ("mister",),
    "mrs": ("missus",),
    "dr": ("doctor",),
    "st": ("saint",),
    "vs": ("versus",),
    "&": ("and",),
    "%": ("percent",),
}
_SUFFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("n't", ("not",)),
    ("'re", ("are",)),
    ("'ve", ("have",)),
    ("'ll", ("will",)),
    ("'d", ("would",)),
    ("'m", ("am",)),
)
_UK_US: dict[str, str] = {
    "colour": "color", "favour": "favor", "favourite": "favorite", "honour": "honor",
    "labour": "labor", "neighbour": "neighbor", "behaviour": "behavior", "humour": "humor",
    "flavour": "flavor", "rumour": "rumor", "harbour": "harbor", "centre": "center",
    "theatre": "theater", "metre": "meter", "litre": "liter", "fibre": "fiber",
    "defence": "defense", "licence": "license", "offence": "offense", "grey": "gray",
    "programme": "program", "catalogue": "catalog", "dialogue": "dialog", "travelled": "traveled",
    "travelling": "traveling", "cancelled": "canceled", "modelling": "modeling",
    "analyse": "analyze", "realise": "realize", "organise": "organize", "recognise": "recognize",
    "apologise": "apologize", "emphasise": "emphasize", "summarise": "summarize",
    "optimise": "optimize", "minimise": "minimize", "maximise": "maximize",
    "tyre": "tire", "cheque": "check", "aluminium": "aluminum", "mum": "mom",
    "learnt": "learned", "towards": "toward", "afterwards": "afterward", "whilst": "while",
}  # fmt: skip
_UK_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("isation", "ization"),
    ("ising", "izing"),
    ("ised", "ized"),
    ("ises", "izes"),
    ("ise", "ize"),
)
_UK_SUFFIX_MIN_STEM = 4  # "rise", "wise", "noise": too short a stem to be the -ise/-ize pair

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_SPLIT = re.compile(r"[\s\-\u2010-\u2015/_]+")
_NUMBER = re.compile(r"^(?P<cur>[$£€])?(?P<num>\d[\d,]*(?:\.\d+)?)(?P<suf>st|nd|rd|th|s|%|k)?$")
_KEEP = re.compile(r"[^\w'%&$£€.,]+")
_CURRENCY = {"$": "dollars", "£": "pounds", "€": "euros"}
_YEAR_RANGE = range(1100, 2100)


def is_filler(unit: str) -> bool:
    """Whether a normalized unit is a hesitation sound (uh, um, mhm, ...)."""
    return unit in FILLERS


def is_filler_word(token: str) -> bool:
    """Whether a written token is a hesitation and nothing else ("Uh.", "um-um")."""
    units = normalize_token(token)
    return bool(units) and all(is_filler(u) for u in units)


@lru_cache(maxsize=65536)
def normalize_token(token: str) -> tuple[str, ...]:
    """Turn one written token into normalized units for matching.

    Examples: ``"I'm"`` -> ``("i", "am")``; ``"3rd"`` -> ``("third",)``;
    ``"$5"`` -> ``("five", "dollars")``; ``"well-known,"`` -> ``("well", "known")``;
    ``"--"`` -> ``()``.
    """
    text = unicodedata.normalize("NFKC", token).translate(_APOSTROPHES).lower()
    units: list[str] = []
    for part in _SPLIT.split(text):
        units.extend(_normalize_part(part))
    return tuple(units)


def _normalize_part(part: str) -> tuple[str, ...]:
    part = _KEEP.sub("", part)
    # Trailing sentence punctuation and quotes go; inner dots/commas of numbers stay.
    part = part.strip("'.,")
    if not part:
        return ()
    if part in _CONTRACTIONS:
        return _CONTRACTIONS[part]
    number = _NUMBER.match(part)
    if number:
        return _spell_number(number.group("cur"), number.group("num"), number.group("suf"))
    if "%" in part and part.rstrip("%") and _NUMBER.match(part.rstrip("%") + "%"):
        return _normalize_part(part.rstrip("%") + "%")
    for suffix, expansion in _SUFFIXES:
        if part.endswith(suffix) and len(part) > len(suffix):
            stem = part[: -len(suffix)]
            return (*_clean_word(stem), *expansion)
    return _clean_word(part)


def _clean_word(word: str) -> tuple[str, ...]:
    word = re.sub(r"[^\w']", "", word).strip("'")
    if word.endswith("'s") and len(word) > 2:
        word = word[:-2] + "s"  # possessive: "beauty's" ~ "beautys"; both sides agree
    word = word.replace("'", "")
    if not word:
        return ()
    if word.isdigit():
        return _spell_number(None, word, None)
    if word in _UK_US:
        return (_UK_US[word],)
    for uk, us in _UK_SUFFIXES:
        if word.endswith(uk) and len(word) - len(uk) >= _UK_SUFFIX_MIN_STEM:
            return (word[: -len(uk)] + us,)
    return (word,)


def _spell_number(currency: str | None, digits: str, suffix: str | None) -> tuple[str, ...]:
    plain = digits.replace(",", "")
    try:
        value: float | int = float(plain) if "." in plain else int(plain)
    except ValueError:
        return (plain,)
    try:
        if suffix in ("st", "nd", "rd", "th") and isinstance(value, int):
            spoken = num2words(value, to="ordinal")
        elif (
            isinstance(value, int)
            and value in _YEAR_RANGE
            and currency is None
            and "," not in digits
            and suffix in (None, "s")
        ):
            spoken = num2words(value, to="year")
        else:
            spoken = num2words(value)
    except (OverflowError, ValueError, NotImplementedError):
        return (plain,)
    words = [w for w in re.split(r"[\s\-,]+", spoken.lower()) if w and w != "and"]
    if suffix == "s" and words:  # "1990s" -> "nineteen nineties"
        last = words[-1]
        words[-1] = last[:-1] + "ies" if last.endswith("y") else last + "s"
    if suffix == "%":
        words.append("percent")
    if suffix == "k":
        words.append("thousand")
    if currency:
        words.append(_CURRENCY[currency])
    return tuple(words)
