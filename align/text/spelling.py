"""Spellings of one word: when a written word and the word Whisper wrote are the same word.

Whisper writes today's spelling of what it hears. A transcript may hold an older or
looser one: the elisions of verse and period text ("tatter'd", "remember'd", "mak'st",
"feed'st"), the old second-person verb ("couldst", "hast", "doth"), a dropped final g
("runnin'"). These are not words heard differently, and ``same_word`` says so; words that
only sound alike ("flour"/"flower") are a question for the pronunciations
(``align.refine.forced``), not for spelling.

Pure text: the forms compared are ``align.text.normalize`` units.
"""

from __future__ import annotations

from functools import lru_cache

from align.text.normalize import normalize_token

# Old words Whisper writes in today's form: each with the unit sequences it may come out as.
_OLD_FORMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "hast": (("has",), ("have",)),
    "hath": (("has",),),
    "doth": (("does",),),
    "dost": (("do",), ("does",)),
    "art": (("are",),),
    "wert": (("were",),),
    "wilt": (("will",),),
    "shalt": (("shall",),),
    "canst": (("can",),),
    "didst": (("did",),),
    "o'er": (("over",),),
    "e'er": (("ever",),),
    "ne'er": (("never",),),
    "'tis": (("it", "is"),),
    "'twas": (("it", "was"),),
    "th'": (("the",),),
    "o'": (("of",),),
}
# Verbs whose old second person adds a bare "-st" ("couldst"); other words ending in -st
# ("first", "forest") are words of their own.
_ST_VERBS = frozenset({"could", "would", "should", "did", "had", "might", "must", "need"})
_MIN_STEM = 2
"""A suffix rule needs at least this much of a word before it ("st" is not "s" + "t")."""


def same_word(written: str, heard: str) -> bool:
    """Whether ``heard`` (what Whisper wrote, one or more words) is a spelling of the
    written token: the same units after normalization, or one of the written word's
    older spellings ("mak'st" / "makes", "tatter'd" / "tattered", "couldst" / "could").
    """
    heard_units = normalize_token(heard)
    if not heard_units:
        return False
    return heard_units in spellings(written)


@lru_cache(maxsize=8192)
def spellings(written: str) -> frozenset[tuple[str, ...]]:
    """The normalized unit sequences a written token may be written as today."""
    units = normalize_token(written)
    out: set[tuple[str, ...]] = {units} if units else set()
    raw = written.strip().lower().translate(_QUOTES).strip('.,;:!?"()[]')
    out.update(_OLD_FORMS.get(raw, ()))
    if units:
        out.update((form,) for form in _modern_forms(raw, "".join(units)))
    return frozenset(out)


_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def _modern_forms(raw: str, unit: str) -> set[str]:
    """Today's spellings of one archaic or elided word (``raw`` as written, lowercased;
    ``unit`` its normalized form, apostrophes gone)."""
    forms: set[str] = set()
    if raw.endswith("'d") and len(raw) - 2 >= _MIN_STEM:  # tatter'd -> tattered
        stem = raw[:-2].replace("'", "")
        forms.update({stem + "ed", stem + "d"})
    if raw.endswith("'st") and len(raw) - 3 >= _MIN_STEM:  # mak'st -> makes, makest
        stem = raw[:-3].replace("'", "")
        forms.update(_verb_forms(stem))
    elif unit.endswith("st") and unit[:-2] in _ST_VERBS:  # couldst -> could
        forms.update(_verb_forms(unit[:-2]))
    if raw.endswith("in'") and len(raw) - 3 >= _MIN_STEM:  # runnin' -> running
        forms.add(raw[:-1].replace("'", "") + "g")
    return forms


def _verb_forms(stem: str) -> set[str]:
    """A verb stem's forms that Whisper writes for its old second person: the bare stem,
    with -s/-es and -est ("mak" -> make, makes, makest; "feel" -> feels, feelest)."""
    forms = {stem, stem + "s", stem + "es", stem + "est", stem + "st"}
    if not stem.endswith("e"):
        forms.update({stem + "e", stem + "es"})
    return forms


__all__ = ["same_word", "spellings"]
