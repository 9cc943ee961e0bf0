"""Spellings of one word: Whisper writing today's spelling of a written word is no mishearing."""

from __future__ import annotations

import pytest

from align.text.spelling import same_word


@pytest.mark.parametrize(
    ("written", "heard"),
    [
        ("tatter'd", "tattered"),  # conv_dev's sonnets, as Whisper writes them
        ("remember'd", "remembered"),
        ("deserv'd", "deserved"),
        ("mak'st", "makes"),
        ("feed'st", "feeds"),
        ("feel'st", "feelest"),
        ("couldst", "could"),
        ("Hast", "has"),
        ("'Tis", "It is"),
        ("runnin'", "running"),
        ("3", "three"),
        ("colour", "color"),
        ("I'm", "I am"),
    ],
)
def test_old_and_loose_spellings_are_the_same_word(written: str, heard: str) -> None:
    assert same_word(written, heard)


@pytest.mark.parametrize(
    ("written", "heard"),
    [
        ("an", "and"),  # conv_dev's injected substitutions: different words
        ("may", "might"),
        ("is", "his"),
        ("flour", "flower"),  # sounds alike, spelled apart: a question for pronunciations
        ("first", "fire"),  # "-st" is a suffix only on the old verbs
        ("forest", "for"),
        ("word", "words"),
        ("corpus", "purpose"),
    ],
)
def test_different_words_are_not(written: str, heard: str) -> None:
    assert not same_word(written, heard)


def test_nothing_heard_is_no_spelling() -> None:
    assert not same_word("word", "")
    assert not same_word("word", "...")
