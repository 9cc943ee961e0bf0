"""The plain-text layouts (labels), reading files and rendering, on real and inline data."""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent

import pytest

from align.errors import EmptyTranscriptError, TranscriptParseError, UnknownFormatError
from align.transcript import (
    NO_TIME_STAMP,
    Transcript,
    TranscriptFormat,
    TranscriptTurn,
    parse_transcript,
    read_transcript,
    render_transcript,
)

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
SEED_PATH = DATA_DIR / "seed_000.txt"
SEED_NAME = "seed/000_d31e817b4b2ddd1f.txt"


def _speakers(t: Transcript) -> list[str]:
    return [turn.speaker for turn in t.turns]


def _texts(t: Transcript) -> list[str]:
    return [turn.text for turn in t.turns]


def _times(t: Transcript) -> list[float | None]:
    return [turn.original_time_s for turn in t.turns]


# --- real data -------------------------------------------------------------------------


def test_seed_turns_speakers_and_front_matter() -> None:
    t = read_transcript(SEED_PATH)
    assert t.format == "speaker_block"
    assert len(t.turns) == 74
    assert len(set(_speakers(t))) == 8
    assert t.front_matter.startswith("TalkRL: The Reinforcement Learning Podcast\n")
    assert t.front_matter.endswith("Hosted by Robin Ranjit Singh Chauhan.")
    assert "What is TalkRL: The Reinforcement Learning Podcast?" in t.front_matter
    assert all(turn.speaker.startswith("Speaker ") for turn in t.turns)
    assert not any("Creators & Guests" in text for text in _texts(t))
    first = t.turns[0]
    assert (first.speaker, first.line) == ("Speaker 1", 24)
    assert first.text.startswith("The function approximator is doing")
    assert all(turn.original_time_s is None for turn in t.turns)


def test_seed_keeps_the_two_word_turn_apart() -> None:
    t = read_transcript(SEED_PATH)
    short = [turn for turn in t.turns if turn.text == "tells you, you you you know,"]
    assert len(short) == 1
    assert short[0].speaker == "Speaker 4"
    assert short[0].tokens == ("tells", "you,", "you", "you", "you", "know,")
    assert short[0].line == 228
    index = t.turns.index(short[0])
    assert t.turns[index - 1].speaker == t.turns[index + 1].speaker == "Speaker 2"


def test_seed_copy_matches_shared(shared_dir: Path) -> None:
    assert SEED_PATH.read_bytes() == (shared_dir / SEED_NAME).read_bytes()


def test_conv_dev_clean_matches_truth(shared_dir: Path) -> None:
    truth = json.loads((shared_dir / "bench/conv_dev.truth.json").read_text())
    t = read_transcript(shared_dir / "bench/conv_dev.clean.txt")
    assert t.format == "speaker_block"
    assert len(t.turns) == 48
    assert t.front_matter == "Episode 12: A Conversation\n\nRecorded live. Audio quality varies."
    assert _speakers(t) == [turn["speaker"] for turn in truth["turns"]]
    assert len(set(_speakers(t))) == 8


def test_conv_dev_noisy_has_the_extra_turn(shared_dir: Path) -> None:
    truth = json.loads((shared_dir / "bench/conv_dev.truth.json").read_text())
    t = read_transcript(shared_dir / "bench/conv_dev.noisy.txt")
    assert len(t.turns) == 48
    expected = [
        "Speaker 9" if k is None else truth["turns"][k]["speaker"] for k in truth["noisy_turn_map"]
    ]
    assert _speakers(t) == expected
    assert _speakers(t).count("Speaker 9") == 1


# --- the four formats ------------------------------------------------------------------


def test_speaker_block_with_names_and_paragraphs() -> None:
    text = dedent("""\
        Interview notes
        Guest: Dr. Jane Smith

        Dr. Jane Smith:

        First paragraph,
        second line.


        Second paragraph.

        HOST:
        Thanks.

        HOST:

        Consecutive turns stay apart.

        Interviewer 2:

        O'Brien-Smith asked: why?
        """)
    t = parse_transcript(text)
    assert t.format == "speaker_block"
    assert t.front_matter == "Interview notes\nGuest: Dr. Jane Smith"
    assert _speakers(t) == ["Dr. Jane Smith", "HOST", "HOST", "Interviewer 2"]
    assert t.turns[0].text == "First paragraph,\nsecond line.\n\nSecond paragraph."
    assert t.turns[0].tokens == ("First", "paragraph,", "second", "line.", "Second", "paragraph.")
    assert [turn.line for turn in t.turns] == [4, 12, 15, 19]
    assert t.turns[3].text == "O'Brien-Smith asked: why?"


def test_speaker_inline_with_continuation_lines() -> None:
    text = "Alice: Hello there.\nBob: Hi Alice,\nhow are you?\n\nAlice: Fine, thanks.\n"
    t = parse_transcript(text)
    assert t.format == "speaker_inline"
    assert t.front_matter == ""
    assert _speakers(t) == ["Alice", "Bob", "Alice"]
    assert _texts(t) == ["Hello there.", "Hi Alice,\nhow are you?", "Fine, thanks."]
    assert [turn.line for turn in t.turns] == [1, 2, 5]


def test_timestamped_variants_parse_times() -> None:
    text = dedent("""\
        Title: Episode 3

        [00:01:02] Alice: one
        00:01:05 Bob: two
        (01:10) Alice: three
        [1:02:03.5] Bob:
        four on the next line
        00:02:00 - Carol Ann: five
        [00:03:00 - 00:03:04] Bob: six
        """)
    t = parse_transcript(text)
    assert t.format == "timestamped"
    assert t.front_matter == "Title: Episode 3"
    assert _speakers(t) == ["Alice", "Bob", "Alice", "Bob", "Carol Ann", "Bob"]
    assert _texts(t) == ["one", "two", "three", "four on the next line", "five", "six"]
    assert _times(t) == [62.0, 65.0, 70.0, 3723.5, 120.0, 180.0]


def test_timestamped_podcast_export_name_alone() -> None:
    text = dedent("""\
        TalkRL: The Reinforcement Learning Podcast

        00:00:05 Robin Chauhan
        Welcome to the show.

        00:01:10 David Silver
        Thanks for having me.
        Glad to be here.
        """)
    t = parse_transcript(text)
    assert t.format == "timestamped"
    assert t.front_matter == "TalkRL: The Reinforcement Learning Podcast"
    assert _speakers(t) == ["Robin Chauhan", "David Silver"]
    assert _texts(t) == ["Welcome to the show.", "Thanks for having me.\nGlad to be here."]
    assert _times(t) == [5.0, 70.0]


def test_times_next_to_the_label() -> None:
    block = parse_transcript("Speaker 1 (00:05):\nHello.\n\nSpeaker 2: [01:02.5]\nHi.\n")
    assert (block.format, _times(block)) == ("speaker_block", [5.0, 62.5])
    inline = parse_transcript("Ann: [00:00:03.0] Hi.\nBo (0:04): Yo.\n")
    assert (inline.format, _texts(inline), _times(inline)) == (
        "speaker_inline",
        ["Hi.", "Yo."],
        [3.0, 4.0],
    )
    otter = parse_transcript("Robin Chauhan  0:05\nWelcome.\n\nDavid Silver  1:10\nThanks.\n")
    assert (otter.format, _speakers(otter), _times(otter)) == (
        "otter",
        ["Robin Chauhan", "David Silver"],
        [5.0, 70.0],
    )


def test_out_of_range_time_is_text() -> None:
    t = parse_transcript("12:75 is not a time\n")
    assert (t.format, _texts(t), _times(t)) == ("plain", ["12:75 is not a time"], [None])


def test_timestamped_lines_without_speaker_keep_the_last_speaker() -> None:
    t = parse_transcript("0:00 intro to the thing\n0:15 more here\n00:20 Bob: and me\n0:30 again\n")
    assert t.format == "timestamped"
    assert _speakers(t) == ["Speaker 1", "Speaker 1", "Bob", "Bob"]
    assert _times(t) == [0.0, 15.0, 20.0, 30.0]


def test_plain_paragraphs_are_turns_of_one_speaker() -> None:
    t = parse_transcript("\nOnce upon a time.\nThere was a cat.\n\n\nThe end: really.\n")
    assert t.format == "plain"
    assert t.front_matter == ""
    assert _speakers(t) == ["Speaker 1", "Speaker 1"]
    assert _texts(t) == ["Once upon a time.\nThere was a cat.", "The end: really."]
    assert [turn.line for turn in t.turns] == [2, 6]


def test_prose_with_a_stray_colon_line_stays_plain() -> None:
    prose = "\n\n".join(f"This is paragraph {i} of an essay." for i in range(10))
    t = parse_transcript(prose + "\n\nSigned: Jane Doe\n")
    assert t.format == "plain"
    assert len(t.turns) == 11


def test_lowercase_fragment_is_not_a_label() -> None:
    t = parse_transcript("Speaker 1:\n\nand the answer is:\n\nforty two\n")
    assert len(t.turns) == 1
    assert t.turns[0].text == "and the answer is:\n\nforty two"


def test_label_with_no_text_is_skipped() -> None:
    t = parse_transcript("Speaker 1:\n\nSpeaker 2:\n\nHello.\n\nSpeaker 1:\n\n...\n")
    assert _speakers(t) == ["Speaker 2", "Speaker 1"]
    assert _texts(t) == ["Hello.", "..."]


@pytest.mark.parametrize(
    ("fmt", "speakers"),
    [
        ("plain", ["Speaker 1", "Speaker 1"]),
        ("speaker_inline", ["Note", "Alice"]),
        ("speaker_block", ["Alice"]),
    ],
)
def test_forcing_a_format(fmt: TranscriptFormat, speakers: list[str]) -> None:
    text = "Note: the start.\n\nAlice:\nHello.\n"
    assert parse_transcript(text, fmt).format == fmt
    assert _speakers(parse_transcript(text, fmt)) == speakers


def test_forcing_a_format_that_does_not_fit_raises() -> None:
    with pytest.raises(TranscriptParseError, match="no timestamped turn found"):
        parse_transcript("Alice: hi\n", "timestamped", path="t.txt")
    with pytest.raises(UnknownFormatError):
        parse_transcript("Alice: hi\n", "nope")  # type: ignore[arg-type]


# --- reading files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("utf-8"),
        lambda s: s.encode("utf-8-sig"),
        lambda s: s.encode("utf-16"),
        lambda s: b"\xfe\xff" + s.encode("utf-16-be"),
        lambda s: b"\xff\xfe" + s.encode("utf-16-le"),
        lambda s: s.replace("\n", "\r\n").encode("utf-8"),
        lambda s: s.replace("\n", "\r").encode("utf-8-sig"),
    ],
    ids=["utf8", "utf8-bom", "utf16", "utf16-be", "utf16-le", "crlf", "cr"],
)
def test_encodings_and_line_endings(tmp_path: Path, encode) -> None:  # type: ignore[no-untyped-def]
    text = "Intro — café\n\nSpeaker 1:\n\nHéllo wörld,\nsecond line.\n\nSpeaker 2:\n\nJa.\n"
    path = tmp_path / "t.txt"
    path.write_bytes(encode(text))
    t = read_transcript(path)
    assert t.path == str(path)
    assert t.front_matter == "Intro — café"
    assert _texts(t) == ["Héllo wörld,\nsecond line.", "Ja."]
    assert [turn.line for turn in t.turns] == [3, 8]


@pytest.mark.parametrize(
    "data",
    [b"Speaker 1:\n\nhi\x00there\n", b"\x89PNG\r\n\x1a\n\x00\x00", b"Speaker 1:\n\ncaf\xe9\n"],
    ids=["nul", "png", "latin1"],
)
def test_binary_input_is_not_a_text_file(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "t.bin"
    path.write_bytes(data)
    with pytest.raises(TranscriptParseError, match="not a text file") as info:
        read_transcript(path)
    assert info.value.path == str(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(TranscriptParseError, match="file not found"):
        read_transcript(tmp_path / "nope.txt")
    with pytest.raises(TranscriptParseError, match="is a directory"):
        read_transcript(tmp_path)


@pytest.mark.parametrize(
    "data",
    [b"", b"   \n\n\t\r\n", b"\xef\xbb\xbf", b"Speaker 1:\n\n...\n\nSpeaker 2:\n\n?!\n", b"--\n"],
    ids=["empty", "whitespace", "bom-only", "punctuation-turns", "punctuation"],
)
def test_inputs_without_words_are_empty(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(data)
    with pytest.raises(EmptyTranscriptError) as info:
        read_transcript(path)
    assert info.value.path == str(path)


def test_labels_without_text_are_empty() -> None:
    with pytest.raises(EmptyTranscriptError):
        parse_transcript("Front matter words.\n\nSpeaker 1:\n\nSpeaker 2:\n")


def test_turn_checks_its_tokens() -> None:
    with pytest.raises(ValueError, match="tokens"):
        TranscriptTurn("A", "one two", ("one",), None, 1)


# --- rendering -------------------------------------------------------------------------

SAMPLES: dict[TranscriptFormat, str] = {
    "speaker_block": "Show notes\n\nAlice:\n\nHello there.\n\nSecond para.\n\nBob:\n\nHi.\n",
    "speaker_inline": "Alice: Hello there.\nBob: Hi,\nyou.\nAlice: Bye.\n",
    "timestamped": (
        "Notes: none\n\n[00:00:01] Alice: Hello.\n00:00:04 Bob: Hi.\n[00:01:00] Alice: Bye.\n"
    ),
    "plain": "First paragraph here.\n\nSecond one,\non two lines.\n",
}


@pytest.mark.parametrize("fmt", list(SAMPLES))
def test_render_round_trip(fmt: TranscriptFormat) -> None:
    t = parse_transcript(SAMPLES[fmt])
    assert t.format == fmt
    times = [None, 62.54, 3600.04][: len(t.turns)]
    texts = [f"new text {i}" for i in range(len(t.turns))]
    back = parse_transcript(render_transcript(t, texts, times))
    assert back.format == fmt
    assert back.front_matter == t.front_matter
    assert _speakers(back) == _speakers(t)
    assert _texts(back) == texts
    assert _times(back) == times


@pytest.mark.parametrize("fmt", list(SAMPLES))
def test_render_unchanged_is_a_fixed_point(fmt: TranscriptFormat) -> None:
    t = parse_transcript(SAMPLES[fmt])
    rendered = render_transcript(t, _texts(t), _times(t))
    back = parse_transcript(rendered)
    assert (back.format, back.front_matter) == (t.format, t.front_matter)
    assert [(x.speaker, x.text, x.original_time_s) for x in back.turns] == [
        (x.speaker, x.text, x.original_time_s) for x in t.turns
    ]
    assert render_transcript(back, _texts(back), _times(back)) == rendered


def test_render_shapes_and_drops() -> None:
    t = parse_transcript(SAMPLES["speaker_block"])
    assert render_transcript(t, ["One.", None], [59.96, None]) == (
        "Show notes\n\nAlice: [00:00:59.960]\n\nOne.\n"
    )
    inline = parse_transcript(SAMPLES["speaker_inline"])
    assert render_transcript(inline, ["a", "  ", "c"], [1.25, None, None]) == (
        "Alice: [00:00:01.250] a\n\nAlice: c\n"
    )
    ts = parse_transcript(SAMPLES["timestamped"])
    rendered = render_transcript(ts, ["a", "b", "c"], [None, 4.0, 60.0])
    assert rendered.splitlines()[2] == f"{NO_TIME_STAMP} Alice: a"
    plain = parse_transcript(SAMPLES["plain"])
    assert render_transcript(plain, ["x", "y"], [0.0, None]) == "[00:00:00.000]\nx\n\ny\n"


def test_render_rejects_bad_arguments() -> None:
    t = parse_transcript(SAMPLES["speaker_inline"])
    with pytest.raises(ValueError, match="one text and one time per turn"):
        render_transcript(t, ["a"], [None, None, None])
    with pytest.raises(ValueError, match="time must be >= 0"):
        render_transcript(t, ["a", "b", "c"], [None, -1.0, None])


def test_seed_render_round_trip() -> None:
    t = read_transcript(SEED_PATH)
    times = [10.0 * i for i in range(len(t.turns))]
    back = parse_transcript(render_transcript(t, _texts(t), times))
    assert back.format == "speaker_block"
    assert back.front_matter == t.front_matter
    assert _speakers(back) == _speakers(t)
    assert _texts(back) == _texts(t)
    assert _times(back) == times
