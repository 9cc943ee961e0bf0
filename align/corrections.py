"""The corrected transcript: what to change in the user's text, and applying it.

Changes come only from what the audio showed: a duplicated phrase that was not spoken,
a whole turn with no audio, and (only when asked) a word the engine confidently heard as
another. Each change is a ``Correction`` with its provenance; nothing else in the user's
wording changes. Also here: the text-only duplicated-phrase detector and the suspect-turn
rule (a two-word "turn" inside another speaker's continuous speech).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from align.model import Correction, Result, Turn
from align.text.normalize import normalize_token
from align.text.repeats import find_repeats

_TOKEN = re.compile(r"\S+")
_EDGE_PUNCT = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)
_SENTENCE_END = (".", "?", "!", "…")


@dataclass(frozen=True, slots=True)
class CorrectionOptions:
    """What the corrected transcript may change.

    ``fix_words``: also replace words the engine heard differently, when confident.
    ``min_fix_confidence``: the word's confidence (engine probability x similarity).
    ``min_fix_similarity``: heard and written word must look alike (a misspelling or a
    mishearing of the same word, "an" -> "and"), never a different word.
    ``max_suspect_words``: a turn this short can be a stray label in another's speech.
    ``max_join_gap_s``: speech this close on both sides counts as continuous.
    """

    fix_words: bool = False
    min_fix_confidence: float = 0.6
    min_fix_similarity: float = 0.5
    max_suspect_words: int = 6
    max_join_gap_s: float = 0.3


def derive_corrections(
    result: Result, opts: CorrectionOptions = CorrectionOptions()
) -> tuple[Correction, ...]:
    """The changes the audio supports, in transcript order."""
    out: list[Correction] = []
    for m in result.mismatches:
        if m.kind != "not_in_audio" or m.turn is None:
            continue
        turn = result.turns[m.turn]
        if turn.status == "not_found":
            out.append(Correction(
                kind="remove_turn", turn=m.turn, word_start=0, word_count=len(turn.words),
                before=" ".join(turn.text.split()), after="",
                reason="turn not heard in the audio", confidence=round(m.confidence, 3),
            ))  # fmt: skip
        elif m.reason == "repeated phrase" and m.word_start is not None:
            span = _removal_span(turn, m.word_start, m.word_count)
            if span is None:
                continue  # reported as a mismatch; no safe edit
            start, count = span
            out.append(Correction(
                kind="remove_words", turn=m.turn, word_start=start, word_count=count,
                before=" ".join(w.text for w in turn.words[start : start + count]), after="",
                reason="duplicated phrase, spoken once", confidence=round(m.confidence, 3),
            ))  # fmt: skip
    if opts.fix_words:
        out.extend(_word_fixes(result, opts))
    out.sort(key=lambda c: (c.turn, c.word_start))
    return tuple(out)


def _removal_span(turn: Turn, start: int, count: int) -> tuple[int, int] | None:
    """The token span to delete so the duplicated phrase is left exactly once.

    The unheard run the aligner found may be a fuzzy or shifted copy; the edit uses the
    exact adjacent repeat in the text that overlaps it, and nothing if there is none.
    """
    tokens = [w.text for w in turn.words]
    for r in find_repeats(tokens):
        if r.start < start + count and start < r.start + r.length:
            return r.start, r.length
    return None


def _word_fixes(result: Result, opts: CorrectionOptions) -> list[Correction]:
    from align.text.match import similarity

    out: list[Correction] = []
    for turn in result.turns:
        for k, w in enumerate(turn.words):
            if w.status != "substituted" or not w.heard or len(w.heard.split()) != 1:
                continue
            written = " ".join(normalize_token(w.text))
            heard = " ".join(normalize_token(w.heard))
            if not written or not heard or written == heard:
                continue
            sim = similarity(written, heard)
            if sim < opts.min_fix_similarity or w.confidence < opts.min_fix_confidence:
                continue
            after = _restyle(w.text, w.heard)
            if after != w.text:
                out.append(Correction(
                    kind="replace_word", turn=turn.index, word_start=k, word_count=1,
                    before=w.text, after=after, reason=f"heard as '{w.heard}'",
                    confidence=round(w.confidence, 3),
                ))  # fmt: skip
    return out


def _restyle(written: str, heard: str) -> str:
    """The heard word dressed in the written token's punctuation and capitalization."""
    lead, _core, trail = _EDGE_PUNCT.match(written).groups()  # type: ignore[union-attr]
    core = _EDGE_PUNCT.match(heard).group(2)  # type: ignore[union-attr]
    if _core[:1].isupper():
        core = core[:1].upper() + core[1:]
    elif _core[:1].islower():
        core = core[:1].lower() + core[1:]
    return f"{lead}{core}{trail}"


def apply_corrections(turns: Sequence[Turn], corrections: Sequence[Correction]) -> list[str | None]:
    """Each turn's text with the corrections applied; ``None`` for a removed turn.

    Whitespace, line breaks and every untouched token stay exactly as written.
    """
    by_turn: dict[int, list[Correction]] = {}
    for c in corrections:
        by_turn.setdefault(c.turn, []).append(c)
    out: list[str | None] = []
    for turn in turns:
        changes = sorted(by_turn.get(turn.index, []), key=lambda c: c.word_start, reverse=True)
        if any(c.kind == "remove_turn" for c in changes):
            out.append(None)
            continue
        text = turn.text
        spans = [m.span() for m in _TOKEN.finditer(text)]
        for c in changes:  # right to left, so earlier spans stay valid
            first, last = c.word_start, c.word_start + c.word_count - 1
            if not 0 <= first <= last < len(spans):
                continue
            if c.kind == "replace_word":
                a, b = spans[first]
                text = text[:a] + c.after + text[b:]
            else:
                a = spans[first][0]
                b = spans[last + 1][0] if last + 1 < len(spans) else spans[last][1]
                text = text[:a] + text[b:]
        out.append(text.strip() or None)
    return out


def flag_suspect_turns(result: Result, opts: CorrectionOptions = CorrectionOptions()) -> Result:
    """Mark short turns that sit inside another speaker's continuous speech.

    The seed transcript's "Speaker 4: Can we do you" between two Speaker 3 turns that
    read as one sentence is the pattern: an earlier diarization split one speaker's
    sentence. Evidence is the audio (no pause on either side) or, without times, the
    text (the turn before does not end a sentence, the turn after starts in lower case).
    """
    turns = list(result.turns)
    for i in range(1, len(turns) - 1):
        prev, cur, nxt = turns[i - 1], turns[i], turns[i + 1]
        if len(cur.words) > opts.max_suspect_words or prev.speaker != nxt.speaker:
            continue
        if cur.speaker == prev.speaker:
            continue
        if _continuous(prev, cur, nxt, opts) or _text_flows(prev, nxt):
            turns[i] = replace(cur, suspect=True)
    return result.with_turns(tuple(turns))


def _continuous(prev: Turn, cur: Turn, nxt: Turn, opts: CorrectionOptions) -> bool:
    if None in (prev.end, cur.start, cur.end, nxt.start):
        return False
    return (
        cur.start - prev.end <= opts.max_join_gap_s  # type: ignore[operator]
        and nxt.start - cur.end <= opts.max_join_gap_s  # type: ignore[operator]
    )


def _text_flows(prev: Turn, nxt: Turn) -> bool:
    before = prev.text.rstrip()
    after = nxt.text.lstrip()
    return (
        bool(before) and bool(after) and not before.endswith(_SENTENCE_END) and after[:1].islower()
    )
