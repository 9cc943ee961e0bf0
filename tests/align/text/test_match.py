"""The pure-text aligner: normalization, anchored alignment, and its properties on real data.

The property tests corrupt the real conv_dev transcript the way people's transcripts are
corrupted (inserted, deleted, duplicated, substituted words; neighbouring turns swapped)
and re-time it against the words the engine really heard in conv_dev's audio
(``tests/data/conv_dev.heard.json``): turns never go missing, times stay monotonic, and
turns the corruption did not touch keep their times.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from align.engines.base import Heard, HeardWord
from align.pipeline import AlignOptions, match_and_time
from align.text.match import MatchOptions, _gotoh, match_units
from align.text.normalize import is_filler_word, normalize_token
from align.timing import TimedTranscript
from align.transcript import Transcript, TranscriptTurn, parse_transcript

DATA = Path(__file__).resolve().parents[2] / "data"


# -- normalization -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("I'm", "i am"),
        ("I am", "i am"),
        ("don't", "do not"),
        ("won't", "will not"),
        ("1813", "eighteen thirteen"),
        ("3rd", "third"),
        ("$5", "five dollars"),
        ("50%", "fifty percent"),
        ("1,000", "one thousand"),
        ("2.5", "two point five"),
        ("Colour,", "color"),
        ("realise", "realize"),
        ("well-known", "well known"),
        ("Mr.", "mister"),
        ("\u201cHello!\u201d", "hello"),
        ("gonna", "going to"),
    ],
)
def test_normalize_makes_spellings_comparable(written: str, spoken: str) -> None:
    units = [u for token in written.split() for u in normalize_token(token)]
    assert units == spoken.split()


def test_punctuation_only_tokens_have_no_units() -> None:
    assert normalize_token("--") == ()
    assert normalize_token("...") == ()


@pytest.mark.parametrize(
    ("token", "hesitation"),
    [("Uh.", True), ("um-um", True), ("Mm-hmm,", True), ("Uh-so", False), ("So", False),
     ("--", False)],
)  # fmt: skip
def test_a_filler_word_is_hesitation_and_nothing_else(token: str, hesitation: bool) -> None:
    assert is_filler_word(token) is hesitation


# -- alignment ---------------------------------------------------------------------------


def test_planted_path_is_recovered() -> None:
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(500)] + ["the", "and", "a", "of", "to"] * 40
    t = [rng.choice(vocab) for _ in range(3000)]
    h = list(t)
    planted = {i: i for i in range(len(t))}
    # Delete a 200-word stretch from the heard side (a turn edited out of the audio).
    del h[1000:1200]
    planted = {i: (i if i < 1000 else i - 200) for i in range(len(t)) if not 1000 <= i < 1200}
    pairs = match_units(t, h)
    got = {p.t: p.h for p in pairs if p.kind == "exact"}
    agree = sum(1 for i, j in got.items() if planted.get(i) == j)
    assert agree >= 0.99 * len(planted)
    assert not any(1000 <= p.t < 1200 for p in pairs)  # the deleted stretch stays a gap


def test_pairs_are_strictly_increasing() -> None:
    rng = random.Random(3)
    t = [rng.choice("abcdefgh") for _ in range(400)]
    h = [x if rng.random() > 0.2 else rng.choice("abcdefgh") for x in t]
    pairs = match_units(t, h, MatchOptions(max_dp_cells=400))
    assert all(a.t < b.t and a.h < b.h for a, b in zip(pairs, pairs[1:]))


REAL_UNITS = [
    u
    for token in (DATA / "conv_dev.clean.txt").read_text().split()
    for u in normalize_token(token)
    if not token.endswith(":")
]


@st.composite
def edited_text(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """A stretch of real transcript and a copy with ASR-like edits."""
    start = draw(st.integers(0, len(REAL_UNITS) - 80))
    t = REAL_UNITS[start : start + draw(st.integers(10, 80))]
    h: list[str] = []
    for unit in t:
        op = draw(st.sampled_from(["keep"] * 6 + ["drop", "swap", "insert"]))
        if op == "keep":
            h.append(unit)
        elif op == "swap":
            h.append(draw(st.sampled_from(REAL_UNITS)))
        elif op == "insert":
            h.extend([draw(st.sampled_from(REAL_UNITS)), unit])
    return t, h


@settings(max_examples=80, deadline=None)
@given(edited_text())
def test_anchoring_matches_as_much_as_the_full_dp(pair: tuple[list[str], list[str]]) -> None:
    """Oracle: the anchored aligner pairs as many equal units as the exact DP over the
    whole matrix, within a seventh, even when forced to anchor in tiny stretches."""
    t, h = pair
    full = _gotoh(t, h, 0, len(t), 0, len(h), MatchOptions())
    anchored = match_units(t, h, MatchOptions(max_dp_cells=100))
    exact_full = sum(1 for p in full if p.kind == "exact")
    exact_anchored = sum(1 for p in anchored if p.kind == "exact")
    assert exact_anchored >= exact_full - max(3, exact_full // 7)


def test_duplicated_phrase_is_left_out() -> None:
    t = "three look in thy glass and three look in thy glass and tell the face".split()
    h = "three look in thy glass and tell the face".split()
    pairs = match_units(t, h)
    assert len(pairs) == len(h)
    assert all(p.kind == "exact" for p in pairs)


def test_fillers_cost_nothing_either_way() -> None:
    t = "so um this is the sick corpus".split()
    h = "so this is uh the sick corpus".split()
    pairs = match_units(t, h)
    assert [(t[p.t], h[p.h]) for p in pairs] == [
        ("so", "so"), ("this", "this"), ("is", "is"), ("the", "the"), ("sick", "sick"),
        ("corpus", "corpus"),
    ]  # fmt: skip


# -- timing properties on real heard words -------------------------------------------------


def _heard() -> tuple[Heard, float]:
    doc = json.loads((DATA / "conv_dev.heard.json").read_text())
    words = tuple(HeardWord(w[0], w[1], w[2], w[3]) for w in doc["words"])
    return Heard(words, "en"), float(doc["duration"])


HEARD, DURATION = _heard()
CLEAN = parse_transcript((DATA / "conv_dev.clean.txt").read_text(), path="conv_dev.clean.txt")
OPTS = AlignOptions()
BASELINE = match_and_time(CLEAN, HEARD, DURATION, OPTS)
FILLER_WORDS = ("words", "banana", "seventeen", "yesterday", "the", "and", "quickly")


def _with_turns(turns: list[TranscriptTurn]) -> Transcript:
    return replace(CLEAN, turns=tuple(turns))


def _turn(base: TranscriptTurn, tokens: list[str]) -> TranscriptTurn:
    text = " ".join(tokens)
    return replace(base, text=text, tokens=tuple(tokens))


def _assert_invariants(timed: TimedTranscript, n_turns: int) -> None:
    assert len(timed.turns) == n_turns
    last_end = 0.0
    for turn in timed.turns:
        assert " ".join(w.text for w in turn.words) == " ".join(turn.text.split())
        if turn.start is None or turn.end is None:
            assert all(w.start is None for w in turn.words)
            continue
        assert 0.0 <= turn.start <= turn.end <= DURATION
        assert turn.start >= last_end - 1e-6
        last_end = turn.end
        for w in turn.words:
            if w.start is not None:
                assert turn.start - 1e-6 <= w.start <= w.end <= turn.end + 1e-6  # type: ignore[operator]


@st.composite
def corruptions(draw: st.DrawFn) -> tuple[str, int, int, int]:
    kind = draw(st.sampled_from(["insert", "delete", "duplicate", "substitute", "swap"]))
    turn = draw(st.integers(0, len(CLEAN.turns) - 2))
    a = draw(st.integers(0, 1000))
    b = draw(st.integers(1, 4))
    return kind, turn, a, b


def _corrupt(kind: str, k: int, a: int, b: int) -> tuple[list[TranscriptTurn], set[int]]:
    turns = list(CLEAN.turns)
    tokens = list(turns[k].tokens)
    pos = a % (len(tokens) + 1)
    if kind == "insert":
        tokens[pos:pos] = [FILLER_WORDS[(a + i) % len(FILLER_WORDS)] for i in range(b)]
    elif kind == "delete":
        del tokens[pos : pos + b]
        if not tokens:
            tokens = ["hmm"]
    elif kind == "duplicate":
        start = a % len(tokens)
        phrase = tokens[start : start + b + 1]
        tokens[start:start] = phrase
    elif kind == "substitute":
        tokens[a % len(tokens)] = FILLER_WORDS[b % len(FILLER_WORDS)]
    else:
        turns[k], turns[k + 1] = turns[k + 1], turns[k]
        # Out of order, the pair can no longer both be heard, and the turns beside them now
        # border different text: an identical edge word ("thee.") may change hands.
        return turns, {k - 1, k, k + 1, k + 2}
    turns[k] = _turn(turns[k], tokens)
    return turns, {k}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corruptions())
def test_corruption_keeps_untouched_turns(c: tuple[str, int, int, int]) -> None:
    kind, k, a, b = c
    turns, touched = _corrupt(kind, k, a, b)
    timed = match_and_time(_with_turns(turns), HEARD, DURATION, OPTS)
    _assert_invariants(timed, len(CLEAN.turns))
    for i, (new, old) in enumerate(zip(timed.turns, BASELINE.turns)):
        if i in touched:
            continue
        assert new.status == old.status, f"turn {i} changed status after {kind} at {k}"
        if old.start is not None:
            assert abs(new.start - old.start) <= 0.1, f"turn {i} start moved after {kind} at {k}"  # type: ignore[operator]
            assert abs(new.end - old.end) <= 0.1, f"turn {i} end moved after {kind} at {k}"  # type: ignore[operator]


def test_clean_baseline_aligns_every_turn() -> None:
    _assert_invariants(BASELINE, len(CLEAN.turns))
    assert all(t.status == "aligned" for t in BASELINE.turns)


def test_turn_with_no_audio_is_not_found_and_reported() -> None:
    extra = _turn(
        CLEAN.turns[3],
        "And before we go on a quick word from our sponsor who makes "
        "the best coffee in town".split(),
    )
    turns = list(CLEAN.turns)
    turns.insert(10, replace(extra, speaker="Speaker 9"))
    timed = match_and_time(_with_turns(turns), HEARD, DURATION, OPTS)
    assert timed.turns[10].status == "not_found"
    assert timed.turns[10].start is None
    assert any(m.kind == "not_in_audio" and m.turn == 10 for m in timed.mismatches)


def test_speech_missing_from_transcript_is_reported() -> None:
    turns = list(CLEAN.turns)
    removed = turns.pop(4)
    timed = match_and_time(_with_turns(turns), HEARD, DURATION, OPTS)
    unheard = [m for m in timed.mismatches if m.kind == "not_in_transcript"]
    around = (timed.turns[3].end, timed.turns[4].start)
    assert any(around[0] - 0.5 <= m.start and m.end <= around[1] + 0.5 for m in unheard)  # type: ignore[operator]
    heard_text = " ".join(m.text.lower() for m in unheard)
    shared = set(removed.text.lower().split()) & set(heard_text.split())
    assert len(shared) >= 5
