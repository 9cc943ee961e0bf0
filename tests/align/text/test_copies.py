"""Heard text that copies other text (``align.text.copies``), on the benchmark's own words.

What tiny.en printed when it re-listened, prompted, to conv_dev's lost "Uh so this is the sick
corpus" turn under a -30 dBFS noise floor: the previous turn's words, heard there already.
"""

from __future__ import annotations

from align.text.copies import CopyCheck, content_units, find_copies, ngrams

PREVIOUS = "And mister john dashwood had then leisure to consider how much there might be"
LOST = "Uh so this is the sick corpus uh I have a cold so I probably sound quite different"
REHEARD = "also say good question of the words. And Mr. John Dashwood had then leisure to"


def test_words_heard_again_from_the_turn_before_are_a_copy() -> None:
    first_pass = [(w, 69.7 + 0.3 * k) for k, w in enumerate(PREVIOUS.split())]
    check = CopyCheck(first_pass, [*PREVIOUS.split(), *LOST.split()])
    copied = check.copies(REHEARD.split(), LOST.split(), 76.2, 86.1)
    assert ("mister", "john", "dashwood", "had") in copied


def test_the_stretchs_own_words_are_never_a_copy() -> None:
    # The lost turn's words, heard at last, are what the transcript expects there even where
    # the same words occur in another turn ("I have a cold so" is in two of conv_dev's turns).
    check = CopyCheck([("I", 60.0), ("have", 60.2), ("a", 60.3), ("cold", 60.4), ("so", 60.8)],
                      LOST.split())  # fmt: skip
    assert check.copies(LOST.split(), LOST.split(), 78.3, 86.1) == []
    # ...and the first pass's own words inside the stretch do not count as "elsewhere".
    inside = CopyCheck([(w, 80.0) for w in LOST.split()], [])
    assert inside.copies(LOST.split(), [], 78.0, 86.0) == []


def test_a_loop_is_a_copy_unless_the_transcript_says_it_twice() -> None:
    heard = content_units("the face thou viewest the face thou viewest the face".split())
    assert find_copies(heard, content_units("the face thou viewest".split()), ngrams([]))
    twice = content_units("the face thou viewest the face thou viewest the face".split())
    assert find_copies(heard, twice, ngrams([])) == []
