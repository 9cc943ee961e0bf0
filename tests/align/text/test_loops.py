"""Whisper loops in the first pass (``align.text.loops``), on the benchmark's own words.

``tests/data/conv_dev.heard.json`` is tiny.en's real first pass over conv_dev: it has no
loop, though it hears phrases twice far apart ("a bunch of different", and "sick corpus"
misheard as "sick purpose" both times). The loops are the kind tiny.en prints: one sentence
again and again over the speech after it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from align.text.loops import LoopSpan, find_loops
from align.transcript import read_transcript

DATA = Path(__file__).resolve().parents[2] / "data"
_RAW = json.loads((DATA / "conv_dev.heard.json").read_text("utf-8"))["words"]
HEARD = [(w, a, b) for w, a, b, _ in _RAW]
SENTENCE = "now is the time that face should form another."  # heard 55.76-58.8 s


def _written(name: str) -> list[str]:
    transcript = read_transcript(DATA / f"conv_dev.{name}.txt", None)
    return [tok for turn in transcript.turns for tok in turn.tokens]


def _looped(copies: int, lo_s: float, hi_s: float) -> list[tuple[str, float, float]]:
    """The real first pass with ``SENTENCE`` printed ``copies`` times over ``[lo_s, hi_s)``
    in place of what was heard there, each word an equal share of the time."""
    texts = SENTENCE.split() * copies
    step = (hi_s - lo_s) / len(texts)
    loop = [(t, lo_s + k * step, lo_s + (k + 1) * step) for k, t in enumerate(texts)]
    keep = [w for w in HEARD if not lo_s <= w[1] < hi_s]
    return sorted([*keep, *loop], key=lambda w: w[1])


@pytest.mark.parametrize("name", ["clean", "noisy"])
def test_the_real_first_pass_has_no_loop(name: str) -> None:
    assert find_loops(HEARD, _written(name)) == []


def test_a_sentence_printed_over_the_next_turn_is_a_loop_after_its_real_copy() -> None:
    # tiny.en's loop: the sentence again three times over "I have a cold so this probably
    # sounds..." (59.8-67.8 s). The real copy, at 55.76 s, follows "tell the face thou
    # viewest" as in the transcript, so it is the one kept.
    heard = _looped(3, 59.8, 67.8)
    loops = find_loops(heard, _written("clean"))
    assert len(loops) == 1
    (span,) = loops
    assert (span.start_s, span.end_s) == pytest.approx((59.8, 67.8))
    assert [heard[k][0] for k in range(span.first_word, span.last_word + 1)] == (
        SENTENCE.split() * 3
    )
    assert span.gram == ("now", "is", "the", "time")
    assert find_loops(heard, _written("clean")) == loops  # deterministic


def test_the_copy_kept_is_the_one_the_transcripts_words_surround() -> None:
    # The loop printed before the real sentence: the last copy, followed by the heard
    # "I have a cold", is the transcript's; the two before it are the loop.
    texts = SENTENCE.split() * 2
    step = 3.0 / len(texts)
    loop = [(t, 52.2 + k * step, 52.2 + (k + 1) * step) for k, t in enumerate(texts)]
    keep = [w for w in HEARD if not 52.2 <= w[1] < 55.2]
    heard = sorted([*keep, *loop], key=lambda w: w[1])
    (span,) = find_loops(heard, _written("clean"))
    assert (span.start_s, span.end_s) == pytest.approx((52.2, 55.2))


def test_a_transcript_that_says_it_as_often_keeps_every_copy() -> None:
    heard = _looped(2, 59.8, 64.0)  # the sentence three times in all
    written = [*_written("clean"), *SENTENCE.split(), *SENTENCE.split()]
    assert find_loops(heard, written) == []


def test_copies_far_apart_are_no_loop() -> None:
    # The sentence heard again 60 s later, over other speech: out of one decoder's sight
    # (the first pass carries no text between 30 s chunks), so said twice, not copied.
    heard = _looped(1, 115.5, 118.0)
    assert find_loops(heard, _written("clean")) == []


def test_a_loop_with_fillers_between_copies_is_one_stretch() -> None:
    texts = ["thank", "you", "so", "much.", "Um,"] * 4  # "thank you so much" heard 4 times
    heard = [(t, 10.0 + 0.3 * k, 10.3 + 0.3 * k) for k, t in enumerate(texts)]
    loops = find_loops(heard, "Well thank you so much Um for having me".split())
    assert loops == [LoopSpan(5, 18, 11.5, 15.7, ("thank", "you", "so", "much"))]
