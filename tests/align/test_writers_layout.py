"""``align.writers.layout``: cue building and line breaking, shared by SRT, VTT and ASS."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from align.model import AudioInfo, EngineInfo, Result, TranscriptInfo, Turn, Word
from align.writers.layout import MIN_TRIMMED_CUE_S, Cue, break_lines, build_cues
from align.writers.options import SubtitleOptions

EPS_S = 1e-9


def _result(*turns: Turn, duration: float = 60.0) -> Result:
    return Result(
        AudioInfo("a.wav", duration),
        TranscriptInfo("a.txt", "turns", ""),
        EngineInfo("fake", "tiny", "cpu", "int8", "en"),
        tuple(turns),
    )


def _turn(index: int, speaker: str, words: list[Word]) -> Turn:
    timed = [w for w in words if w.start is not None]
    text = " ".join(w.text for w in words)
    if not timed:
        return Turn(index, speaker, text, None, None, "not_found", tuple(words))
    return Turn(index, speaker, text, timed[0].start, timed[-1].end, "aligned", tuple(words))


def _timed(text: str, start: float, end: float) -> Word:
    return Word(text, start, end, "matched")


def _spaced(text: str, start: float, step: float = 0.3) -> list[Word]:
    """One word every ``step`` seconds, each lasting most of it."""
    return [
        _timed(w, start + i * step, start + i * step + 0.8 * step)
        for i, w in enumerate(text.split())
    ]


def _untimed(text: str) -> Word:
    return Word(text, None, None, "not_found")


def _assert_well_formed(cues: tuple[Cue, ...], opts: SubtitleOptions, duration: float) -> None:
    for cue in cues:
        assert 0 <= cue.start_s <= cue.end_s <= duration + EPS_S
        assert cue.lines and all(len(line) <= opts.max_chars_per_line for line in cue.lines)
    for a, b in zip(cues, cues[1:], strict=False):
        assert a.start_s <= b.start_s
        assert a.end_s <= b.start_s + EPS_S


# -- break_lines ---------------------------------------------------------------------------
def test_short_text_stays_on_one_line() -> None:
    assert break_lines(["Hello", "there."], 42) == ("Hello there.",)
    assert break_lines([], 42) == ()


def test_lines_are_balanced() -> None:
    words = ["we", "walk", "to", "the", "harbour", "and", "take", "the", "first", "boat", "out"]
    # Greedy filling would give 41 + 8 characters.
    assert break_lines(words, 42) == ("we walk to the harbour and", "take the first boat out")


def test_breaks_after_punctuation_when_it_costs_little() -> None:
    words = ["So", "the", "plan,", "as", "I", "said", "before,", "is", "to", "start", "early."]
    assert break_lines(words, 42, "Speaker 1:") == (
        "Speaker 1: So the plan,",
        "as I said before, is to start early.",
    )


def test_label_is_never_a_preferred_break() -> None:
    # "Speaker 1:" ends with a colon, but a label alone on its line reads badly.
    assert break_lines(["one", "two", "three"], 20, "Speaker 1:") == ("Speaker 1: one", "two three")


def test_overlong_word_is_cut() -> None:
    url = "https://example.com/a/very/long/path/that/goes/on"
    lines = break_lines(["see", url], 20)
    assert all(len(line) <= 20 for line in lines)
    assert "".join(lines).replace(" ", "") == "see" + url


# -- build_cues ----------------------------------------------------------------------------
def test_one_cue_per_short_turn_with_word_times() -> None:
    result = _result(
        _turn(0, "A", [_timed("Hi", 0.5, 0.8), _timed("there.", 0.9, 1.2)]),
        _turn(1, "B", [_timed("Hello.", 1.5, 2.0)]),
    )
    assert build_cues(result, SubtitleOptions()) == (
        Cue(0.5, 1.2, "A", ("A: Hi there.",)),
        Cue(1.5, 2.0, "B", ("B: Hello.",)),
    )


def test_not_found_turns_make_no_cue() -> None:
    result = _result(
        _turn(0, "A", [_untimed("gone"), _untimed("words")]),
        _turn(1, "B", [_timed("here", 1.0, 1.5)]),
    )
    assert [c.speaker for c in build_cues(result, SubtitleOptions())] == ["B"]


def test_untimed_words_ride_along() -> None:
    words = [_untimed("Well,"), _timed("I", 1.0, 1.1), _untimed("saw"), _timed("it.", 1.5, 1.8)]
    (cue,) = build_cues(_result(_turn(0, "A", words)), SubtitleOptions(speaker_prefix=False))
    assert (cue.start_s, cue.end_s, cue.lines) == (1.0, 1.8, ("Well, I saw it.",))


def test_untimed_tail_joins_the_last_cue() -> None:
    words = [*_spaced("one two three four five six seven eight", 0.0, 1.0), _untimed("nine")]
    opts = SubtitleOptions(max_cue_s=3.0, speaker_prefix=False)
    cues = build_cues(_result(_turn(0, "A", words)), opts)
    assert cues[-1].lines[-1].endswith("nine")
    assert cues[-1].end_s == pytest.approx(7.8)


def test_long_untimed_run_gets_cues_of_its_own() -> None:
    # Phrases the audio lacks (an ASR-style duplicate), too long to ride along in one cue.
    dup = "and then a duplicated phrase that the audio does not have at all, twice over"
    words = [
        *_spaced("one two three", 1.0, 0.5),  # 1.0-2.4
        *(_untimed(w) for w in dup.split()),
        *_spaced("four five", 5.0, 0.5),  # 5.0-5.9
        *(_untimed(w) for w in dup.split()),  # at the turn's end, with no gap after it
    ]
    opts = SubtitleOptions(max_chars_per_line=20, speaker_prefix=False)
    cues = build_cues(_result(_turn(0, "A", words)), opts)
    _assert_well_formed(cues, opts, 60.0)
    assert all(len(c.lines) <= opts.max_lines for c in cues)
    assert " ".join(" ".join(c.lines) for c in cues) == " ".join(w.text for w in words)
    assert (cues[0].start_s, cues[0].end_s) == (1.0, 2.4)
    # The first run takes the silence before "four"; the last shares the span of "five".
    assert any(c.start_s >= 2.4 and c.end_s <= 5.0 for c in cues[1:])
    assert cues[-1].end_s == pytest.approx(5.9)
    assert cues[-1].start_s > 5.5


def test_aligned_turn_without_timed_words_uses_turn_span() -> None:
    turn = Turn(0, "A", "all guessed", 2.0, 3.0, "aligned", (_untimed("all"), _untimed("guessed")))
    assert build_cues(_result(turn), SubtitleOptions()) == (
        Cue(2.0, 3.0, "A", ("A: all guessed",)),
    )


def test_long_turn_without_word_times_is_still_split() -> None:
    text = " ".join(["word"] * 60)
    turn = Turn(0, "A", text, 10.0, 40.0, "aligned", tuple(_untimed("word") for _ in range(60)))
    opts = SubtitleOptions()
    cues = build_cues(_result(turn), opts)
    _assert_well_formed(cues, opts, 60.0)
    assert all(len(c.lines) <= opts.max_lines for c in cues)
    assert cues[0].start_s == 10.0 and cues[-1].end_s == pytest.approx(40.0)
    assert sum(" ".join(c.lines).count("word") for c in cues) == 60


def test_long_turn_splits_at_sentences_within_limits() -> None:
    text = (
        "This is the first sentence of a long turn. Here comes the second one, with a comma "
        "in it. And a third sentence closes the turn."
    )
    opts = SubtitleOptions()
    cues = build_cues(_result(_turn(0, "A", _spaced(text, 1.0))), opts)
    assert len(cues) > 1
    _assert_well_formed(cues, opts, 60.0)
    assert all(len(c.lines) <= opts.max_lines for c in cues)
    assert all(c.end_s - c.start_s <= opts.max_cue_s for c in cues)
    assert cues[0].lines[-1].endswith("long turn.")
    words = " ".join(" ".join(c.lines) for c in cues).replace("A: ", "")
    assert words == text


def test_long_slow_turn_splits_on_time() -> None:
    words = _spaced("a b c d e f g h", 0.0, 2.0)  # a word every 2 s, each 1.6 s long
    opts = SubtitleOptions(max_cue_s=5.0)
    cues = build_cues(_result(_turn(0, "A", words)), opts)
    assert [c.lines for c in cues] == [("A: a b",), ("A: c d",), ("A: e f",), ("A: g h",)]
    assert all(c.end_s - c.start_s <= 5.0 for c in cues)


def test_crosstalk_is_trimmed_not_overlapping() -> None:
    result = _result(
        _turn(0, "A", _spaced("long answer that goes on and on", 0.0, 1.0)),  # 0-6.8 s
        _turn(1, "B", [_timed("Right.", 2.0, 2.5)]),
    )
    opts = SubtitleOptions(max_cue_s=10.0, min_gap_s=0.1)
    cues = build_cues(result, opts)
    assert [(c.speaker, c.start_s, c.end_s) for c in cues] == [
        ("A", 0.0, 1.9),
        ("B", 2.0, 2.5),
    ]


def test_cues_starting_together_both_stay_readable() -> None:
    result = _result(
        _turn(0, "A", [_timed("Yes.", 1.0, 1.4)]),
        _turn(1, "B", [_timed("No.", 1.0, 1.4)]),
    )
    a, b = build_cues(result, SubtitleOptions())
    assert (a.speaker, a.start_s, a.end_s) == ("A", 1.0, 1.0 + MIN_TRIMMED_CUE_S)
    assert (b.speaker, b.start_s, b.end_s) == ("B", a.end_s, a.end_s + MIN_TRIMMED_CUE_S)


def test_cues_are_clamped_to_the_audio() -> None:
    result = _result(
        _turn(0, "A", [_timed("Yes.", 9.8, 10.0)]),
        _turn(1, "B", [_timed("No.", 9.8, 10.0)]),
        duration=10.0,
    )
    cues = build_cues(result, SubtitleOptions())
    _assert_well_formed(cues, SubtitleOptions(), 10.0)


# -- properties ----------------------------------------------------------------------------
_word_text = st.text(alphabet="abcdefgh,.", min_size=1, max_size=8)


@st.composite
def _results(draw: st.DrawFn, crosstalk: bool = True, untimed: bool = True) -> Result:
    n_turns = draw(st.integers(1, 6))
    turns = []
    clock = 0.0
    for i in range(n_turns):
        # Turns may start before the previous one ended (crosstalk) or at the same time.
        if crosstalk:
            clock = max(0.0, clock - draw(st.sampled_from([0.0, 0.0, 0.5, 3.0])))
        words = []
        for _ in range(draw(st.integers(1, 25))):
            text = draw(_word_text)
            if untimed and draw(st.booleans()) and draw(st.booleans()):
                words.append(_untimed(text))
                continue
            clock += draw(st.sampled_from([0.0, 0.05, 0.3, 2.0]))
            length = draw(st.sampled_from([0.0, 0.1, 0.4, 1.5]))
            words.append(_timed(text, round(clock, 3), round(clock + length, 3)))
            clock += length
        turns.append(_turn(i, draw(st.sampled_from(["A", "Bob", ""])), words))
    end = max((t.end for t in turns if t.end is not None), default=0.0)
    return _result(*turns, duration=end + draw(st.sampled_from([0.0, 1.0])))


_options = st.builds(
    SubtitleOptions,
    max_chars_per_line=st.integers(16, 50),
    max_lines=st.integers(1, 3),
    max_cue_s=st.sampled_from([1.0, 3.0, 6.0]),
    min_gap_s=st.sampled_from([0.0, 0.04]),
    speaker_prefix=st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(result=_results(), opts=_options)
def test_cues_are_monotonic_within_limits_and_keep_every_word(
    result: Result, opts: SubtitleOptions
) -> None:
    cues = build_cues(result, opts)
    _assert_well_formed(cues, opts, result.audio.duration)
    # Words are short enough here that a label and one word always fit a line.
    assert all(len(c.lines) <= opts.max_lines for c in cues)
    # Every character of every aligned turn is shown once, plus one label per cue.
    aligned = [t for t in result.turns if t.status == "aligned"]
    shown = Counter("".join("".join(c.lines) for c in cues).replace(" ", ""))
    expected = Counter("".join(w.text for t in aligned for w in t.words))
    if opts.speaker_prefix:
        expected.update("".join(f"{c.speaker}:" for c in cues if c.speaker))
    assert shown == expected


@settings(max_examples=100, deadline=None)
@given(result=_results(crosstalk=False, untimed=False), opts=_options)
def test_cues_without_crosstalk_keep_word_times(result: Result, opts: SubtitleOptions) -> None:
    opts = replace(opts, min_gap_s=0.0)  # a gap would trim cues that touch
    starts = {w.start for t in result.turns for w in t.words if w.start is not None}
    ends = {w.end for t in result.turns for w in t.words if w.end is not None}
    for cue in build_cues(result, opts):
        assert cue.start_s in starts
        assert cue.end_s in ends
