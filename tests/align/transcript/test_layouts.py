"""Every layout in tests/data/transcripts: its layout, turns, speakers and exact words to align.

Sources of the layouts: tests/data/transcripts/README.md. Notations and inline timestamps
are checked apart from the words (``test_notations_*``), since they must stay in the
written text and never reach the aligner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from align.errors import (
    AmbiguousTranscriptError,
    EmptyTranscriptError,
    TranscriptParseError,
)
from align.transcript import TranscriptFormat, parse_transcript, read_transcript

DATA = Path(__file__).resolve().parents[2] / "data" / "transcripts"


@dataclass(frozen=True)
class Expected:
    """What a layout file reads as: its layout and (speaker, words to align) per turn."""

    layout: TranscriptFormat
    turns: tuple[tuple[str, str], ...]
    times: tuple[float | None, ...] | None = None
    front: tuple[str, ...] = ()  # text the front matter must hold
    notations: tuple[str, ...] = field(default=())  # notations and inline timestamps
    cues: int = 0


LAYOUTS: dict[str, Expected] = {
    "srt_podcast_namespace.srt": Expected(
        "srt",
        (
            ("Sarah", "In today's episode, you'll learn whether or not a trailer is worth "
             "making. And if so, what goes into one? This week's question comes from Gillian."),
            ("Gillian", "Hi, Gillian here from a careers podcast. My question is, do we need a "
             "podcast trailer?"),
            ("Sarah", "Great question, Gillian. Short answer: yes."),
        ),
        times=(0.0, 10.08, 15.9),
        notations=("[laughs]",),
        cues=6,
    ),
    "srt_plain.srt": Expected(
        "srt",
        (
            ("Speaker 1", "Welcome back to the channel. Today we're fixing a bike. First, take "
             "the wheel off and let the air out & wait. It never goes to plan."),
        ),
        times=(3.9,),  # when the words start, after the [MUSIC] cue
        notations=("[MUSIC]", "(laughs)"),
        cues=4,
    ),
    "vtt_podcast_namespace.vtt": Expected(
        "vtt",
        (
            ("John", "Open standards are changing podcasting."),
            ("Tom", "Yes, and the new features are remarkable. Listeners can read along while "
             "they listen."),
            ("John", "Exactly, Tom. Transcripts help everyone."),
        ),
        times=(0.0, 4.0, 12.0),
        cues=4,
    ),
    "vtt_teams.vtt": Expected(
        "vtt",
        (
            ("Anna Kowalski", "Can everyone hear me? I'll share my screen. This is the budget "
             "for next quarter."),
            ("Brian O'Neill", "Yes, we can see it. Go ahead."),
            ("Anna Kowalski", "Great. Travel costs went down."),
        ),
        times=(3.17, 9.9, 12.9),
        notations=("[inaudible]",),
        cues=4,
    ),
    "vtt_zoom.vtt": Expected(
        "vtt",
        (
            ("Maria Lopez", "Okay, I think we're recording now. So the first item is the "
             "launch date."),
            ("Dev Patel", "Right, we moved it to March. Because of the supplier."),
            ("Maria Lopez", "Got it, thanks."),
        ),
        times=(1.08, 8.52, 13.5),
        cues=5,
    ),
    "vtt_w3c_features.vtt": Expected(
        "vtt",
        (
            ("Esme", "It's a blue apple tree!"),
            ("Mary", "No, it isn't. It's a red one."),
            ("Esme", "Tea & cake, then?"),
        ),
        times=(0.5, 3.7, 6.4),
        front=("Recorded at the village fete, 2019.", "a comment between cues"),
        notations=("[applause]",),
        cues=3,
    ),
    "youtube_auto.vtt": Expected(
        "youtube_vtt",
        (
            ("Speaker 1", "so today we're making bread you only need four things flour water "
             "salt and yeast"),
        ),
        times=(0.24,),
        notations=("[Music]",),
        cues=4,
    ),
    "youtube.sbv": Expected(
        "sbv",
        (
            ("ALICE", "Hi, my name is Alice Reed and this is Jon Park"),
            ("JON", "and we run a small bakery."),
            ("ALICE", "Today we'll show you how to bake our oat cookies! Okay, so the "
             "ingredients are laid out here."),
        ),
        times=(0.599, 4.16, 6.77),
        notations=("[intro music]",),
        cues=5,
    ),
    "aegisub.ass": Expected(
        "ass",
        (
            ("Reporter", "How long have you worked here?"),
            ("Fisher", "Forty years. Since I was a boy. Too long, maybe."),
        ),
        times=(1.0, 4.0),
        front=("Harbour interview",),
        notations=("(laughs)",),
        cues=3,
    ),
    "podcast_words.json": Expected(
        "podcast_json",
        (("Darth Vader", "I am your father."), ("Luke", "Nooooo")),
        times=(0.5, 2.75),
        cues=5,
    ),
    "podcast_segments.json": Expected(
        "podcast_json",
        (
            ("Kevin", "We plan to let you upload artwork for these videos. It should ship next "
             "month, if testing goes well."),
            ("Alban", "You're triggering Tom right now."),
            ("Tom", "I'm fine."),
        ),
        times=(0.0, 9.1, 12.3),
        notations=("[laughter]",),
        cues=4,
    ),
    "rev.txt": Expected(
        "rev",
        (
            ("Jennifer Hall", "Thanks for joining us today. Let's start with your background."),
            ("Marcus Webb", "Sure. I grew up near the coast, and I started fishing when I was "
             "twelve. My father ran the boat and I helped on weekends."),
            ("Jennifer Hall", "And when did you take it over?"),
            ("Marcus Webb", "In 1998, after he retired."),
        ),
        times=(0.0, 6.0, 62.0, 65.0),
        notations=("(00:00:46):", "[inaudible 00:00:49]", "[crosstalk]"),
    ),
    "rev_older.txt": Expected(
        "rev",
        (
            ("Interviewer", "How did the project begin?"),
            ("Dr. Ruth Okafor", "With a grant, honestly. We had two years and a very small team."),
            ("Interviewer", "Was that enough?"),
            ("Dr. Ruth Okafor", "No. But it got us started."),
        ),
        times=(7.0, 12.0, 31.0, 33.0),
        notations=("(laughs)",),
    ),
    "rev.docx": Expected(
        "rev",
        (
            ("Amelia Stone", "So tell me how the festival started."),
            ("Ravi Menon", "It was four friends and a borrowed tent. The second year, two "
             "hundred people came."),
            ("Amelia Stone", "And now?"),
        ),
        times=(1.0, 5.0, 30.0),
        front=("Podcast interview, take 2",),
        notations=("[laughs]", "(00:00:21):"),
    ),
    "otter.txt": Expected(
        "otter",
        (
            ("Sidney", "Welcome back to the show. Today we are talking about testing."),
            ("Taylor", "Thanks for having me. I have been writing tests for a long time."),
            ("Sidney", "What is the first thing you tell new people?"),
            ("Taylor", "Start small. Really small."),
        ),
        times=(3.0, 9.0, 15.0, 19.0),
        front=("Transcribed by https://otter.ai",),
        notations=("[laughs]",),
    ),
    "otter_times_only.txt": Expected(
        "otter",
        (
            ("Speaker 1", "When I was a kid, apples were mealy and dull."),
            ("Speaker 1", "It was a bad time to be an apple grower."),
            ("Speaker 1", "And I am Dan Charles. Thanks for listening."),
        ),
        times=(0.0, 6.0, 11.0),
        front=("Transcribed by https://otter.ai",),
    ),
    "teams.docx": Expected(
        "teams",
        (
            ("Anna Kowalski", "Can everyone see my screen?"),
            ("Brian O'Neill", "Yes. We can see it."),
            ("Anna Kowalski", "Good. Travel costs went down this quarter."),
        ),
        times=(3.0, 7.0, 12.0),
        front=(
            "Budget review-20240115_140512-Meeting Transcript",
            "18m 27s",
            "Anna Kowalski started transcription",
            "Anna Kowalski stopped transcription",
        ),
    ),
    "happy_scribe.txt": Expected(
        "timestamped",
        (
            ("Speaker 1", "All right. To start working with this project you need an account "
             "on the portal."),
            ("Speaker 2", "And the account is free?"),
            ("Speaker 1", "Yes, for students it is free. Then you open the dashboard."),
        ),
        times=(0.0, 7.14, 9.3),
        notations=("[pause]",),
    ),
    "timestamped_lines.txt": Expected(
        "timestamped",
        (
            ("Rahul", "Let's start with the attendance numbers."),
            ("Meera", "They went up again this month."),
            ("Rahul", "Good. And the new volunteers?"),
            ("Meera", "Six joined. Sorry, one second."),
        ),
        times=(754.0, 761.0, 765.0, 770.0),
        notations=("[phone rings]",),
    ),
    "speaker_text.txt": Expected(
        "speaker_inline",
        (
            ("Alice", "Hello Bob! Are you ready for the meeting?"),
            ("Bob", "Yes, Alice. I have prepared the report."),
            ("Alice", "Great, let's begin with the numbers."),
            ("Bob", "Revenue is up four percent. Finally."),
        ),
        notations=("(laughs)",),
    ),
    "markdown_bold_inline.md": Expected(
        "markdown",
        (
            ("Host", "Welcome to the show. Today we talk about soil, and why it matters."),
            ("Dr. Lena Marsh", "Thanks. Soil is alive, and most people never think about it."),
            ("Host", "What should a gardener do first?"),
            ("Dr. Lena Marsh", "Stop digging so much. Read the guide first."),
        ),
        front=('title: "Episode 41: Soil"', "# Episode 41: Soil", "[Listen on our site]"),
        notations=("(laughs)",),
    ),
    "markdown_bold_alone.md": Expected(
        "markdown",
        (
            ("Priya", "Morning, everyone. We have three items today. The first is the move to "
             "the new office."),
            ("Tom", "I can take that one."),
            ("Priya", "Thanks, Tom. Go ahead."),
        ),
        front=("## Transcript",),
        notations=("[background noise]",),
    ),
    "turnalign_md.md": Expected(
        "markdown",
        (
            ("Speaker 1", "The function approximator is doing most of the work here."),
            ("Speaker 2", "Right, and the data is the other half."),
            ("Speaker 3", "This turn was never spoken."),
        ),
        times=(1.0, 7.0, None),
        front=("Episode 12: A Conversation\n\nRecorded live. Audio quality varies.",),
    ),
    "markdown_table.md": Expected(
        "markdown_table",
        (
            ("Officer", "Linda, I understand that you are worried."),
            ("Linda", "I am. I need to know the meeting is confirmed. Today, please."),
            ("Officer", "It is confirmed for ten o'clock."),
        ),
        times=(2.0, 6.0, 11.0),
        front=("# Customer call, 4 June",),
        notations=("[typing]",),
    ),
    "podcast_template_roles.txt": Expected(
        "timestamped",
        (
            ("HOST", "Welcome to Cloud Analytics Insights. I'm Alex Rivera."),
            ("HOST", "Today we're joined by Sarah Johnson. Sarah, welcome!"),
            ("GUEST", "Thanks for having me, Alex."),
            ("HOST", "So, what is a data lakehouse?"),
            ("GUEST", "Sure. It joins the lake and the warehouse in one place."),
        ),
        times=(15.0, 25.0, 30.0, 35.0, 44.0),
        front=("Title: Cloud Analytics Insights",),
        notations=("[MUSIC: Intro theme, 15 seconds]", "[PAUSE: 2 seconds]"),
    ),
    "interview_qa.txt": Expected(
        "interview",
        (
            ("Q", "Where were you born?"),
            ("A", "In Duluth, in 1938. My father worked at the shipyard."),
            ("Q", "Do you remember the harbor from those years?"),
            ("A", "Very well. The ore boats came in every day. In winter the whole harbor froze."),
        ),
        front=("Interviewer: Ellen Park", "Date: 12 May 2021", "Location: Duluth, Minnesota"),
        notations=("[laughs]",),
    ),
    "screenplay.fountain": Expected(
        "screenplay",
        (
            ("NORA", "Last one again."),
            ("GUARD", "Ma'am, the boat is leaving."),
            ("NORA", "I know. I'm coming."),
            ("GUARD", "Hold the rail, it's rough tonight."),
        ),
        front=("Title: The Last Ferry",),
        notations=("(to herself)",),
    ),
}  # fmt: skip


def test_at_least_25_layouts_each_with_a_cited_source() -> None:
    files = sorted(p.name for p in DATA.iterdir() if p.suffix not in (".py", ".md") or p.name
                   in LAYOUTS)  # fmt: skip
    assert sorted(LAYOUTS) == [f for f in files if f != "README.md"]
    assert len(LAYOUTS) >= 25
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for name in LAYOUTS:
        assert f"`{name}`" in readme, f"{name} has no source in README.md"


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_layout_turns_speakers_and_words(name: str) -> None:
    expected = LAYOUTS[name]
    t = read_transcript(DATA / name)
    assert t.format == expected.layout
    assert [(turn.speaker, " ".join(turn.tokens)) for turn in t.turns] == list(expected.turns)
    # the words to align, exactly, in order
    words = [w for turn in t.turns for w in turn.tokens]
    assert words == [w for _, text in expected.turns for w in text.split()]
    if expected.times is not None:
        assert [turn.original_time_s for turn in t.turns] == pytest.approx(expected.times)
    for part in expected.front:
        assert part in t.front_matter
    assert len(t.cues) == expected.cues


@pytest.mark.parametrize("name", sorted(n for n in LAYOUTS if LAYOUTS[n].notations))
def test_notations_are_kept_in_the_text_and_never_aligned(name: str) -> None:
    t = read_transcript(DATA / name)
    written = "\n".join(turn.as_written for turn in t.turns)
    noted = [n.text for turn in t.turns for n in turn.notations]
    words = " ".join(w for turn in t.turns for w in turn.tokens)
    for notation in LAYOUTS[name].notations:
        assert notation in written
        assert notation in noted
        assert notation not in words
    assert not any(ch in words for ch in "[]")


def test_inline_timestamps_are_notations_with_their_time() -> None:
    rev = read_transcript(DATA / "rev.txt")
    stamps = [(n.text, n.time_s) for turn in rev.turns for n in turn.notations if n.kind == "time"]
    assert stamps == [("(00:00:46):", 46.0)]
    marcus = rev.turns[1]
    # the continuation opens the turn's second paragraph: it sits before "My"
    (stamp,) = [n for n in marcus.notations if n.kind == "time"]
    assert marcus.tokens[stamp.before] == "My"
    t = parse_transcript("Alice:\n\n[00:01:05] Hello (12:53) there.\n")
    assert t.turns[0].original_time_s == 65.0  # a leading timestamp is the turn's time
    assert t.turns[0].tokens == ("Hello", "there.")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [(n, e.layout) for n, e in LAYOUTS.items() if not n.endswith(".docx")],
)
def test_detected_from_the_text_alone(name: str, fmt: TranscriptFormat) -> None:
    text = (DATA / name).read_text(encoding="utf-8")
    assert parse_transcript(text).format == fmt  # no file name to hint


def test_cue_structure_is_kept_for_writing_back() -> None:
    t = read_transcript(DATA / "vtt_w3c_features.vtt")
    first = t.cues[0]
    assert (first.ident, first.settings) == ("intro", "align:start position:10%")
    assert first.lines == ("<v.first.loud Esme>It's a blue apple tree!",)
    assert t.header.startswith("WEBVTT - A conversation about tea\n\nSTYLE")
    srt = read_transcript(DATA / "srt_podcast_namespace.srt")
    assert srt.cues[0].lines == ("Sarah: In today's episode,", "you'll learn whether or not")
    for turn_index, turn in enumerate(srt.turns):
        spans = [(c.token_start, c.token_count) for c in srt.cues if c.turn == turn_index]
        assert sum(n for _, n in spans) == len(turn.tokens)


def test_youtube_rolling_lines_are_read_once() -> None:
    t = read_transcript(DATA / "youtube_auto.vtt")
    assert [c.lines for c in t.cues] == [
        ("so today we're making bread",),
        ("you only need four things",),
        ("[Music]",),
        ("flour water salt and yeast",),
    ]


def test_role_is_kept_and_the_name_is_the_speaker() -> None:
    t = parse_transcript("Jane Doe (Host): Welcome in.\nSam Lee (Guest): Glad to be here.\n")
    assert [(x.speaker, x.role) for x in t.turns] == [("Jane Doe", "Host"), ("Sam Lee", "Guest")]
    template = read_transcript(DATA / "podcast_template_roles.txt")
    assert template.turns[0].role == "ALEX RIVERA"


def test_forcing_a_layout_that_does_not_fit_is_an_error() -> None:
    text = (DATA / "speaker_text.txt").read_text(encoding="utf-8")
    for fmt in ("srt", "vtt", "sbv", "podcast_json", "rev", "otter", "markdown", "interview"):
        with pytest.raises(TranscriptParseError):
            parse_transcript(text, fmt, path="t.txt")  # type: ignore[arg-type]


def test_forcing_a_layout_reads_the_file_in_it() -> None:
    text = (DATA / "rev.txt").read_text(encoding="utf-8")
    assert parse_transcript(text, "speaker_block").format == "speaker_block"


def test_a_file_in_two_layouts_is_ambiguous_and_names_both() -> None:
    text = (
        "Jane Doe (00:00:01):\nHello there.\n\nSam Lee  0:05\nHi Jane.\n\n"
        "Jane Doe (00:00:09):\nHow are you?\n\nSam Lee  0:12\nFine, thanks.\n"
    )
    with pytest.raises(AmbiguousTranscriptError) as info:
        parse_transcript(text, path="mixed.txt")
    assert set(info.value.candidates) == {"rev", "otter"}
    assert "--transcript-format" in str(info.value)
    assert "\n" not in str(info.value)
    assert parse_transcript(text, "otter").format == "otter"


def test_json_that_is_not_a_transcript() -> None:
    with pytest.raises(TranscriptParseError, match="not a transcript"):
        parse_transcript('{"episode": 3, "title": "x"}', path="t.json", suffix=".json")
    with pytest.raises(TranscriptParseError, match="not valid JSON"):
        parse_transcript('{"segments": [', path="t.json", suffix=".json")
    with pytest.raises(TranscriptParseError, match="segment 0 has no 'startTime'"):
        parse_transcript('{"segments": [{"body": "hi"}]}', path="t.json")


def test_broken_srt_timing_line_names_its_line() -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\nHello.\n\n2\n00:00:03,000 -> 00:00:04,000\nBye.\n"
    with pytest.raises(TranscriptParseError, match="broken timing line") as info:
        parse_transcript(text, path="t.srt", suffix=".srt")
    assert info.value.line == 6


def test_a_zip_that_is_no_word_document(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "notes.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("data.csv", "a,b\n1,2\n")
    with pytest.raises(TranscriptParseError, match="not a Word document"):
        read_transcript(path)


def test_cues_of_notations_only_hold_no_words() -> None:
    with pytest.raises(EmptyTranscriptError):
        parse_transcript("1\n00:00:01,000 --> 00:00:02,000\n[MUSIC]\n")
