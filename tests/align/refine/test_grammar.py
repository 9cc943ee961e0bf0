"""The forced aligner's grammar bookkeeping (``align.refine.grammar``): skips and positions."""

from __future__ import annotations

from align.refine.grammar import AlignToken, place_found, skip_targets


def test_decoded_words_map_back_to_grammar_positions() -> None:
    names = ["uh", "words", "words", "and"]
    optional = [1, None, 3, None]  # where leaving each word out jumps to
    assert place_found(names, optional, ["words", "and"]) == [1, 3]
    assert place_found(names, optional, ["uh", "words", "words", "and"]) == [0, 1, 2, 3]
    assert place_found(names, optional, ["words", "words", "and"]) == [1, 2, 3]
    assert place_found(names, [None] * 4, ["words", "and"]) is None


def test_an_optional_group_is_left_out_whole_or_not_at_all() -> None:
    tokens = [AlignToken("the"), AlignToken("the", True, 1), AlignToken("sick", True, 1),
              AlignToken("sick"), AlignToken("corpus")]  # fmt: skip
    skips = skip_targets(tokens)
    assert skips == [None, 3, None, None, None]
    names = [t.text for t in tokens]
    assert place_found(names, skips, ["the", "sick", "corpus"]) == [0, 3, 4]
    assert place_found(names, skips, ["the", "the", "sick", "sick", "corpus"]) == [0, 1, 2, 3, 4]
    assert place_found(names, skips, ["the", "the", "sick", "corpus"]) is None  # half a group


def test_a_copy_inside_a_group_may_be_left_out_alone() -> None:
    # "so I sound I sound fine", the whole turn optional, its second "I sound" on its own too
    texts = ["so", "I", "sound", "I", "sound", "fine"]
    inner = [None, None, None, 0, 0, None]
    tokens = [AlignToken(t, True, 1, n) for t, n in zip(texts, inner)] + [AlignToken("end")]
    skips = skip_targets(tokens)
    assert skips == [6, None, None, 5, None, None, None]
    names = [t.text for t in tokens]
    assert place_found(names, skips, ["so", "I", "sound", "fine", "end"]) == [0, 1, 2, 5, 6]
    assert place_found(names, skips, ["end"]) == [6]
    assert place_found(names, skips, texts + ["end"]) == list(range(7))
    assert place_found(names, skips, ["so", "I", "sound", "I", "fine", "end"]) is None


def test_a_copy_among_required_words_may_be_left_out() -> None:
    tokens = [AlignToken("look", inner=None), AlignToken("look", inner=3), AlignToken("in")]
    assert skip_targets(tokens) == [None, 2, None]
