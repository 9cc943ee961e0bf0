"""Read -> write -> read: every layout turnalign both reads and writes comes back whole.

The ``Result`` here is built from the transcript with made-up word times (no model), so
that each writer's output can be read back and compared: same turns, speakers and words,
and each turn's time within 1 ms of the time the result gave it. Subtitle and podcast JSON
inputs also keep their cues: each cue comes back at its first word's new time.
"""

from __future__ import annotations

import io
import json
import math
import shutil
from pathlib import Path

import pytest

from align.model import AudioInfo, EngineInfo, Result, TranscriptInfo, Turn, Word
from align.transcript import Transcript, parse_transcript, read_transcript
from align.writers import WRITERS, WriterOptions

DATA = Path(__file__).resolve().parents[2] / "data" / "transcripts"
MS = 1e-3 + 1e-9  # "within 1 ms", with room for float rounding of the written decimals
# Made-up word timing: each word lasts WORD_S, turns start at irregular, ms-exact times.
WORD_S = 0.317
TURN_GAP_S = 1.113


def fake_result(
    t: Transcript, *, offset_s: float = 2.351, missing: frozenset[int] = frozenset()
) -> Result:
    """A result for ``t``: every word of every turn timed; turns in ``missing`` not found."""
    turns = []
    clock = offset_s
    for i, turn in enumerate(t.turns):
        if i in missing:
            words = tuple(Word(w, None, None, "not_found") for w in turn.tokens)
            turns.append(Turn(i, turn.speaker, turn.text, None, None, "not_found", words))
            continue
        words = tuple(
            Word(w, round(clock + k * WORD_S, 3), round(clock + (k + 0.8) * WORD_S, 3), "matched")
            for k, w in enumerate(turn.tokens)
        )
        turns.append(
            Turn(i, turn.speaker, turn.text, words[0].start, words[-1].end, "aligned", words,
                 1.0, 1.0, turn.original_time_s)
        )  # fmt: skip
        clock = (words[-1].end or clock) + TURN_GAP_S
    return Result(
        audio=AudioInfo("audio.flac", math.ceil(clock + 1)),
        transcript=TranscriptInfo(t.path, t.format, t.front_matter),
        engine=EngineInfo("none", "", "", "", ""),
        turns=tuple(turns),
    )


def write(fmt: str, result: Result) -> str:
    fp = io.StringIO()
    WRITERS[fmt].write(result, fp, WriterOptions())  # type: ignore[arg-type]
    return fp.getvalue()


def _same_turns(back: Transcript, result: Result) -> None:
    kept = [t for t in result.turns]
    assert [t.speaker for t in back.turns] == [t.speaker for t in kept]
    assert [t.tokens for t in back.turns] == [tuple(w.text for w in t.words) for t in kept]


def _times_within_1ms(back: Transcript, result: Result) -> None:
    for got, want in zip(back.turns, result.turns, strict=True):
        if want.start is None:
            assert got.original_time_s is None
        else:
            assert got.original_time_s is not None
            assert abs(got.original_time_s - want.start) <= MS, (got.original_time_s, want.start)


@pytest.mark.parametrize("name", ["srt_podcast_namespace.srt", "srt_plain.srt", "youtube.sbv"])
def test_srt_in_srt_out_keeps_the_cues(name: str) -> None:
    source = read_transcript(DATA / name)
    result = fake_result(source)
    text = write("srt", result)
    back = parse_transcript(text, path="back.srt")
    _same_turns(back, result)
    _times_within_1ms(back, result)
    assert len(back.cues) == len(source.cues)
    if name.endswith(".srt"):  # the same text and line breaks, cue by cue
        assert [c.lines for c in back.cues] == [c.lines for c in source.cues]
    # every cue starts at its first word's new time
    for cue, got in zip(source.cues, back.cues, strict=True):
        words = result.turns[cue.turn].words[cue.token_start : cue.token_start + cue.token_count]
        if words and words[0].start is not None:
            assert abs(got.start_s - words[0].start) <= MS


@pytest.mark.parametrize("name", ["vtt_teams.vtt", "vtt_w3c_features.vtt", "vtt_zoom.vtt"])
def test_vtt_in_vtt_out_keeps_voices_ids_settings_and_notes(name: str) -> None:
    source = read_transcript(DATA / name)
    result = fake_result(source)
    text = write("vtt", result)
    back = parse_transcript(text, path="back.vtt")
    _same_turns(back, result)
    _times_within_1ms(back, result)
    assert [(c.lines, c.ident, c.settings) for c in back.cues] == [
        (c.lines, c.ident, c.settings) for c in source.cues
    ]
    assert back.header == source.header
    assert back.front_matter == source.front_matter


@pytest.mark.parametrize("name", ["podcast_segments.json", "podcast_words.json"])
def test_podcast_json_in_podcast_json_out(name: str) -> None:
    source = read_transcript(DATA / name)
    result = fake_result(source)
    text = write("podcast-json", result)
    assert json.loads(text)["version"] == "1.0.0"
    back = parse_transcript(text, path="back.json")
    _same_turns(back, result)
    _times_within_1ms(back, result)
    assert [c.lines for c in back.cues] == [c.lines for c in source.cues]


# A transcript without cues: its words are laid out as cues (srt, vtt, podcast-json) or
# written as turns (md, timestamped).
PLAIN_SOURCE = "timestamped_lines.txt"


@pytest.mark.parametrize("fmt", ["srt", "vtt", "podcast-json", "podcast-json-words"])
def test_subtitle_and_podcast_writers_round_trip(fmt: str) -> None:
    source = read_transcript(DATA / PLAIN_SOURCE)
    result = fake_result(source)
    back = parse_transcript(write(fmt, result), path=f"back.{fmt}")
    _same_turns(back, result)
    _times_within_1ms(back, result)


@pytest.mark.parametrize(
    "name",
    ["timestamped_lines.txt", "happy_scribe.txt", "speaker_text.txt", "turnalign_md.md",
     "markdown_bold_inline.md", "interview_qa.txt", "podcast_template_roles.txt"],
)  # fmt: skip
def test_timestamped_writes_the_layout_back_to_the_millisecond(name: str) -> None:
    source = read_transcript(DATA / name)
    result = fake_result(source)
    back = parse_transcript(write("timestamped", result), path="back.txt")
    assert back.format == source.format
    assert back.front_matter == source.front_matter
    _same_turns(back, result)
    if source.format != "interview":  # Q/A labels carry no time
        _times_within_1ms(back, result)


@pytest.mark.parametrize("name", ["rev.txt", "otter.txt", "teams.docx", "screenplay.fountain"])
def test_service_layouts_write_back_in_their_own_shape(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    shutil.copy(DATA / name, path)
    source = read_transcript(path)
    result = fake_result(source)
    back = parse_transcript(write("timestamped", result), path="back.txt")
    assert back.format == source.format
    _same_turns(back, result)
    if source.format != "screenplay":  # Rev, Otter and Teams write whole seconds
        for got, want in zip(back.turns, result.turns, strict=True):
            assert got.original_time_s == math.floor(want.start or 0)


def test_md_round_trip() -> None:
    """``--format md`` writes whole seconds (floored, so a link lands before the speech):
    read back, every turn is there with its speaker, words and that second."""
    source = read_transcript(DATA / "turnalign_md.md")
    result = fake_result(source, missing=frozenset({2}))
    text = write("md", result)
    back = parse_transcript(text, path="back.md")
    assert back.format == "markdown"
    assert back.front_matter == source.front_matter
    _same_turns(back, result)
    for got, want in zip(back.turns, result.turns, strict=True):
        expected = None if want.start is None else math.floor(want.start)
        assert got.original_time_s == expected


def test_md_from_any_layout_reads_back() -> None:
    source = read_transcript(DATA / "rev.txt")
    result = fake_result(source)
    back = parse_transcript(write("md", result), path="back.md")
    assert back.format == "markdown"
    _same_turns(back, result)
