"""The timing rules, one at a time, on pairs chosen by hand.

``align.text.match`` decides which heard word each transcript word pairs with by text;
these tests hand ``assign_times`` the pairs a text matcher would make and check what the
times then decide: chance turns, far and detached edge words, the boundary between two
turns, and the unheard runs between timed words. The properties on real heard words
(conv_dev) are in ``tests/align/text/test_match.py``.
"""

from __future__ import annotations

from typing import cast

from align.engines.base import HeardWord
from align.text.match import Pair, PairKind, similarity
from align.text.normalize import normalize_token
from align.timing import TimedTranscript, TokenSlot, assign_times

DURATION_S = 60.0


def _time(
    turns: list[str],
    heard: list[tuple[str, float, float]],
    pairs: list[tuple[tuple[int, int], int, str]],
) -> TimedTranscript:
    """Time ``turns`` against ``heard`` (text, start_s, end_s) with ``pairs``: each
    ((turn, word), heard index, "exact" | "sub"). Every word here has one unit."""
    slots: list[TokenSlot] = []
    first_unit: dict[tuple[int, int], int] = {}
    n_units = 0
    for t, text in enumerate(turns):
        for w, token in enumerate(text.split()):
            units = normalize_token(token)
            assert len(units) == 1, token
            first_unit[(t, w)] = n_units
            slots.append(TokenSlot(turn=t, word=w, text=token, units=units, unit_start=n_units))
            n_units += 1
    words = [HeardWord(text, a, b, 0.9) for text, a, b in heard]
    written = [u for s in slots for u in s.units]
    unit_pairs = [
        Pair(first_unit[tw], h, cast(PairKind, kind), similarity(written[first_unit[tw]], u))
        for tw, h, kind in pairs
        for u in normalize_token(words[h].text)[:1]
    ]
    return assign_times(
        [f"Speaker {t % 2 + 1}" for t in range(len(turns))],
        turns,
        slots,
        words,
        list(range(len(words))),
        unit_pairs,
        DURATION_S,
    )


def _heard_run(text: str, start_s: float, word_s: float = 0.3) -> list[tuple[str, float, float]]:
    return [
        (w, start_s + i * word_s, start_s + (i + 1) * word_s) for i, w in enumerate(text.split())
    ]


def _assert_monotonic(timed: TimedTranscript) -> None:
    last_end = 0.0
    for turn in timed.turns:
        for w in turn.words:
            if w.start is None or w.end is None:
                continue
            assert last_end - 1e-9 <= w.start <= w.end
            last_end = w.end
    for m in timed.mismatches:
        if m.start is not None and m.end is not None:
            assert m.start <= m.end, m


def test_every_paired_word_takes_its_heard_time() -> None:
    heard = _heard_run("we went down to the river", 1.0)
    timed = _time(["We went down to the river."], heard, [((0, i), i, "exact") for i in range(6)])
    turn = timed.turns[0]
    assert (turn.start, turn.end, turn.status) == (1.0, 2.8, "aligned")
    assert [w.status for w in turn.words] == ["matched"] * 6
    assert timed.mismatches == ()


def test_a_turn_matched_only_by_chance_is_not_found_and_its_speech_reported() -> None:
    # "the" and "and" of a long turn that is not in the audio matched two heard words of
    # speech the transcript lacks: chance, not evidence.
    heard = _heard_run("so the rain came and it went on for hours", 10.0)
    timed = _time(
        ["Before the war my grandfather sold apples and pears at the market."],
        heard,
        [((0, 1), 1, "exact"), ((0, 6), 4, "exact")],
    )
    assert timed.turns[0].status == "not_found"
    assert all(w.start is None for w in timed.turns[0].words)
    kinds = [m.kind for m in timed.mismatches]
    assert "not_in_audio" in kinds and "not_in_transcript" in kinds


def test_edge_words_matched_far_away_are_let_go() -> None:
    # The turn's first two words paired with a "for the" heard 12 s before the rest of it.
    heard = [("for", 2.0, 2.2), ("the", 2.2, 2.4)] + _heard_run(
        "people who live by the sea know the tides", 14.4
    )
    turns = ["For the people who live by the sea know the tides."]
    pairs = [((0, 0), 0, "exact"), ((0, 1), 1, "exact")]
    pairs += [((0, i + 2), i + 2, "exact") for i in range(9)]
    turn = _time(turns, heard, pairs).turns[0]
    assert turn.start is not None and turn.start >= 13.0  # not stretched 12 s back
    assert all(w.start is None or w.start >= 13.0 for w in turn.words)


def test_a_detached_edge_word_takes_the_same_word_heard_next_to_its_turn() -> None:
    # Two heard "and"s: the matcher paired the transcript's with the one 2 s before the
    # turn; the one touching the turn is free. Time breaks the tie.
    heard = [("and", 3.0, 3.2)] + _heard_run("and then we walked home", 5.3)
    turns = ["And then we walked home."]
    pairs = [((0, 0), 0, "exact")] + [((0, i), i + 1, "exact") for i in range(1, 5)]
    turn = _time(turns, heard, pairs).turns[0]
    assert (turn.words[0].start, turn.words[0].end) == (5.3, 5.6)
    assert turn.start == 5.3


def test_a_detached_edge_word_that_only_resembles_what_was_heard_is_let_go() -> None:
    heard = [("hand", 3.0, 3.2)] + _heard_run("then we walked home", 5.6)
    turns = ["And then we walked home."]
    pairs = [((0, 0), 0, "sub")] + [((0, i), i, "exact") for i in range(1, 5)]
    timed = _time(turns, heard, pairs)
    turn = timed.turns[0]
    assert turn.start is not None and turn.start >= 5.0
    assert turn.words[0].status != "substituted"


def test_an_edge_word_running_with_the_next_turn_is_handed_over() -> None:
    # Turn 0 ends "...in the", turn 1 opens "The rain...": the heard "the" touches turn 1's
    # speech and lies 2 s after the rest of turn 0, so it is turn 1's opening word.
    heard = _heard_run("we sat in", 1.0) + _heard_run("the rain came down", 4.0)
    turns = ["We sat in the", "The rain came down."]
    pairs = [((0, i), i, "exact") for i in range(4)]  # turn 0's "the" took heard "the"
    pairs += [((1, i), i + 3, "exact") for i in range(1, 4)]
    timed = _time(turns, heard, pairs)
    first, second = timed.turns
    assert second.words[0].status == "matched"
    assert (second.words[0].start, second.start) == (4.0, 4.0)
    assert first.end is not None and first.end < 2.5
    _assert_monotonic(timed)


def test_an_opening_word_heard_as_the_last_word_of_the_turn_before_is_handed_back() -> None:
    # The hour's "...dies with thee." | "Um the recording environment...": Whisper heard
    # "with the" and the matcher paired that "the" with turn 1's opening "the", 2.3 s before
    # the rest of turn 1; turn 0's "thee." sounds like it and was left without a word.
    heard = _heard_run("thine image dies with the", 1.0) + _heard_run("recording environment", 4.8)
    turns = ["Thine image dies with thee.", "The recording environment."]
    pairs = [((0, i), i, "exact") for i in range(4)] + [((1, 0), 4, "exact")]
    pairs += [((1, 1), 5, "exact"), ((1, 2), 6, "exact")]
    timed = _time(turns, heard, pairs)
    first, second = timed.turns
    thee = first.words[4]
    assert (thee.status, thee.heard, thee.start, thee.end) == ("substituted", "the", 2.2, 2.5)
    assert second.words[0].start is None or second.words[0].start >= 4.0
    assert second.start is not None and second.start >= 4.0
    _assert_monotonic(timed)


def test_an_opening_word_unlike_the_last_word_of_the_turn_before_stays() -> None:
    # "...in an" | "A rain came": "a" and "an" (0.67 alike) are two words, not one misheard.
    heard = _heard_run("we sat in", 1.0) + _heard_run("a", 1.9) + _heard_run("rain came", 4.0)
    turns = ["We sat in an", "A rain came."]
    pairs = [((0, i), i, "exact") for i in range(3)] + [((1, 0), 3, "exact")]
    pairs += [((1, 1), 4, "exact"), ((1, 2), 5, "exact")]
    timed = _time(turns, heard, pairs)
    assert timed.turns[1].words[0].start == 1.9
    assert timed.turns[0].words[3].heard != "a"
    _assert_monotonic(timed)


def test_unheard_words_inside_a_turn_are_interpolated_over_their_gap() -> None:
    heard = _heard_run("she opened the", 1.0) + _heard_run("and left", 2.8)
    turns = ["She opened the old wooden door and left."]
    pairs = [((0, i), i, "exact") for i in range(3)] + [((0, 6), 3, "exact"), ((0, 7), 4, "exact")]
    timed = _time(turns, heard, pairs)
    words = timed.turns[0].words
    assert [w.status for w in words[3:6]] == ["interpolated"] * 3
    assert words[3].start == 1.9 and words[5].end == 2.8
    assert not any(m.kind == "not_in_audio" for m in timed.mismatches)


def test_unheard_words_with_no_room_between_their_neighbours_are_not_in_audio() -> None:
    heard = _heard_run("she opened the door and left", 1.0)
    turns = ["She opened the door of the house across the street and left."]
    pairs = [((0, i), i, "exact") for i in range(4)] + [
        ((0, 10), 4, "exact"),
        ((0, 11), 5, "exact"),
    ]
    timed = _time(turns, heard, pairs)
    assert [w.status for w in timed.turns[0].words[4:10]] == ["not_found"] * 6
    (miss,) = [m for m in timed.mismatches if m.kind == "not_in_audio"]
    assert (miss.word_start, miss.word_count, miss.reason) == (4, 6, "not heard")


def test_a_duplicated_phrase_is_reported_as_a_repeat() -> None:
    heard = _heard_run("look in thy glass and tell", 1.0)
    turns = ["Look in thy glass and look in thy glass and tell."]
    pairs = [((0, i), i, "exact") for i in range(5)] + [((0, 10), 5, "exact")]
    timed = _time(turns, heard, pairs)
    (miss,) = [m for m in timed.mismatches if m.kind == "not_in_audio"]
    assert (miss.word_start, miss.word_count, miss.reason) == (5, 5, "repeated phrase")


def test_a_closing_run_squeezed_by_the_next_turn_stays_in_order() -> None:
    # Turn 0's last word was heard but not paired ("fire"); turn 1's unheard first words
    # claim their share of the same short pause: every time and every reported span still
    # runs forward.
    heard = _heard_run("we sat by the", 1.0) + [("fire", 2.25, 2.45)]
    heard += _heard_run("were gone by then", 2.6)
    turns = ["We sat by the fire", "And all the lights were gone by then."]
    pairs = [((0, i), i, "exact") for i in range(4)]
    pairs += [((1, i + 4), i + 5, "exact") for i in range(4)]
    timed = _time(turns, heard, pairs)
    _assert_monotonic(timed)
    first, second = timed.turns
    assert first.words[4].status == "interpolated"
    assert first.end is not None and second.start is not None
    assert first.end <= second.start


def test_a_turn_end_paired_with_another_sentence_is_let_go() -> None:
    # Whisper stretched "be" over the pause and never heard "...to do for them."; the text
    # matcher paired those words with the next speaker's "there's a little bit of water",
    # which then stretched this turn 4 s over the next one.
    heard = _heard_run("how much there might", 1.0) + [("be", 2.2, 5.4)]
    heard += _heard_run("there's a little bit of water", 5.4, 0.6)
    turns = ["How much there might be to do for them.", "So this is the sick corpus."]
    pairs = [((0, i), i, "exact") for i in range(5)]
    pairs += [((0, 5 + i), 5 + i, "sub") for i in range(4)]
    timed = _time(turns, heard, pairs)
    first = timed.turns[0]
    assert first.end is not None and first.end < 6.0
    assert all(w.status != "substituted" for w in first.words)
    unclaimed = [m for m in timed.mismatches if m.kind == "not_in_transcript"]
    assert unclaimed and "water" in unclaimed[0].text


def test_a_turn_end_heard_as_similar_words_keeps_them() -> None:
    # "...to do for them" heard as "to due four then": misheard, not another sentence.
    heard = _heard_run("how much there might be", 1.0) + _heard_run("to due four then", 2.5)
    turns = ["How much there might be to do for them."]
    pairs = [((0, i), i, "exact") for i in range(6)]
    pairs += [((0, 6 + i), 6 + i, "sub") for i in range(3)]
    turn = _time(turns, heard, pairs).turns[0]
    assert [w.status for w in turn.words[6:]] == ["substituted"] * 3
    assert turn.end == 3.7
