"""Writers: golden strings for SRT and Markdown, every format read back by its own library,
and the all-or-nothing behaviour of ``write_outputs``."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
import stat
import textwrap
from io import StringIO
from pathlib import Path
from typing import BinaryIO, TextIO, get_args

import pysubs2
import pytest
from praatio import textgrid

from align.errors import OutputError, UnknownFormatError
from align.model import (
    AudioInfo,
    EngineInfo,
    Mismatch,
    Quality,
    Result,
    TranscriptInfo,
    Turn,
    Word,
)
from align.writers import (
    WRITERS,
    OutputFormat,
    SubtitleOptions,
    Writer,
    WriterOptions,
    WriterSpec,
    get_writer,
    write_outputs,
)
from align.writers.layout import build_cues

TOLERANCE_S = 0.010
OPTS = WriterOptions()

LONG_TEXT = (
    "So the plan, as I said before, is to start early. We meet at the station at seven, "
    "then we walk to the harbour and take the first boat out. Anyone who is late waits."
)

WordSpec = tuple[str] | tuple[str, float, float] | tuple[str, float, float, str]


def _words(specs: list[WordSpec]) -> tuple[Word, ...]:
    """``(text,)`` not found, ``(text, start, end)`` matched, ``(..., heard)`` substituted."""
    out = []
    for spec in specs:
        if len(spec) == 1:
            out.append(Word(spec[0], None, None, "not_found"))
        elif len(spec) == 3:
            out.append(Word(spec[0], spec[1], spec[2], "matched", 0.9))
        else:
            out.append(Word(spec[0], spec[1], spec[2], "substituted", 0.5, heard=spec[3]))
    return tuple(out)


def _turn(index: int, speaker: str, specs: list[WordSpec]) -> Turn:
    words = _words(specs)
    text = " ".join(w.text for w in words)
    timed = [w for w in words if w.timed]
    if not timed:
        return Turn(index, speaker, text, None, None, "not_found", words)
    return Turn(index, speaker, text, timed[0].start, timed[-1].end, "aligned", words, 0.8, 0.9)


def _long_turn(index: int, start_s: float) -> Turn:
    # One word every 0.4 s, each 0.3 s long: 35 words over 14 s, far past one cue.
    specs: list[WordSpec] = [
        (w, round(start_s + 0.4 * i, 3), round(start_s + 0.4 * i + 0.3, 3))
        for i, w in enumerate(LONG_TEXT.split())
    ]
    return _turn(index, "Speaker 1", specs)


@pytest.fixture
def result() -> Result:
    """Five turns: plain, with an untimed and a substituted word, not found, long, short."""
    turns = (
        _turn(0, "Speaker 1", [("Hello", 0.5, 0.9), ("there,", 1.0, 1.3), ("everyone.", 1.4, 2.0)]),
        _turn(
            1,
            "Speaker 2",
            [("I", 2.5, 2.6), ("saw",), ("the", 2.9, 3.0), ("whale.", 3.0, 3.4, "well")],
        ),
        _turn(2, "Speaker 3", [("This",), ("was",), ("never",), ("said.",)]),
        _long_turn(3, 4.0),
        _turn(4, "Speaker 2", [("Okay.", 21.0, 21.4)]),
    )
    return Result(
        audio=AudioInfo("talk.wav", 30.0),
        transcript=TranscriptInfo(
            "talk.txt", "speaker_turns", "Episode 1: A Talk\n\nRecorded live."
        ),
        engine=EngineInfo("faster-whisper", "base", "cpu", "int8", "en"),
        turns=turns,
        mismatches=(
            Mismatch("substitution", 1, "whale.", 3.0, 3.4, heard="well", word_start=3),
            Mismatch("not_in_audio", 2, "This was never said.", None, None, word_count=4),
        ),
        quality=Quality(
            coverage=0.9, confidence=0.8, score=0.85, turns_aligned=4, turns_not_found=1
        ),
    )


def _render(name: str, result: Result, opts: WriterOptions = OPTS) -> str:
    buf = StringIO()
    get_writer(name).write(result, buf, opts)  # type: ignore[arg-type]
    return buf.getvalue()


def _written(tmp_path: Path, name: str, result: Result, opts: WriterOptions = OPTS) -> Path:
    (path,) = write_outputs(result, [name], tmp_path, "talk", opts)
    return path


# -- golden strings ------------------------------------------------------------------------
def test_srt_golden(result: Result) -> None:
    ref = textwrap.dedent("""\
        1
        00:00:00,500 --> 00:00:02,000
        Speaker 1: Hello there, everyone.

        2
        00:00:02,500 --> 00:00:03,400
        Speaker 2: I saw the whale.

        3
        00:00:04,000 --> 00:00:08,300
        Speaker 1: So the plan,
        as I said before, is to start early.

        4
        00:00:08,400 --> 00:00:11,100
        Speaker 1: We meet at
        the station at seven,

        5
        00:00:11,200 --> 00:00:15,900
        Speaker 1: then we walk to the
        harbour and take the first boat out.

        6
        00:00:16,000 --> 00:00:17,900
        Speaker 1: Anyone who is late waits.

        7
        00:00:21,000 --> 00:00:21,400
        Speaker 2: Okay.

        """)
    assert _render("srt", result) == ref


def test_srt_without_speaker_prefix(result: Result) -> None:
    opts = WriterOptions(SubtitleOptions(speaker_prefix=False))
    text = _render("srt", result, opts)
    assert "Speaker" not in text
    assert "Hello there, everyone.\n" in text


def test_md_golden(result: Result) -> None:
    ref = textwrap.dedent(f"""\
        Episode 1: A Talk

        Recorded live.

        ---

        **Speaker 1** [00:00:00]

        Hello there, everyone.

        **Speaker 2** [00:00:02]

        I saw the whale.

        **Speaker 3** [not found]

        This was never said.

        **Speaker 1** [00:00:04]

        {LONG_TEXT}

        **Speaker 2** [00:00:21]

        Okay.
        """)
    assert _render("md", result) == ref


def test_md_keeps_fenced_front_matter_and_omits_empty(result: Result) -> None:
    fenced = result.with_turns(
        result.turns, transcript=TranscriptInfo("t.md", "md", "---\ntitle: Talk\n---\n")
    )
    assert _render("md", fenced).startswith("---\ntitle: Talk\n---\n\n**Speaker 1** [00:00:00]\n")
    bare = result.with_turns(result.turns, transcript=TranscriptInfo("t.txt", "txt", " \n"))
    assert _render("md", bare).startswith("**Speaker 1** [00:00:00]\n\nHello")


def test_txt_lines(result: Result) -> None:
    lines = _render("txt", result).splitlines()
    assert lines[0] == "[00:00:00.500 - 00:00:02.000] Speaker 1: Hello there, everyone."
    assert lines[2] == "[not found] Speaker 3: This was never said."
    assert len(lines) == len(result.turns)


# -- read back by each format's library ----------------------------------------------------
@pytest.mark.parametrize("fmt", ["srt", "vtt", "ass"])
def test_subtitles_read_back(tmp_path: Path, result: Result, fmt: str) -> None:
    path = _written(tmp_path, fmt, result)
    events = pysubs2.load(str(path)).events
    cues = build_cues(result, OPTS.subtitle)
    assert len(events) == len(cues) == 7
    for event, cue in zip(events, cues, strict=True):
        assert abs(event.start / 1000 - cue.start_s) <= TOLERANCE_S
        assert abs(event.end / 1000 - cue.end_s) <= TOLERANCE_S
    # The cues keep the words' own times: first timed word start, last timed word end.
    assert [e.start for e in events] == [500, 2500, 4000, 8400, 11200, 16000, 21000]
    assert [e.end for e in events] == [2000, 3400, 8300, 11100, 15900, 17900, 21400]
    assert all(a.end <= b.start for a, b in zip(events, events[1:], strict=False))
    if fmt == "ass":
        assert [e.name for e in events[:2]] == ["Speaker 1", "Speaker 2"]
    if fmt == "vtt":
        # pysubs2 drops the voice tag on reading; the line itself carries no label.
        assert events[1].plaintext == "I saw the whale."
    else:
        assert events[1].plaintext == "Speaker 2: I saw the whale."


def test_vtt_voice_tags_and_escaping(result: Result) -> None:
    odd = _turn(0, "Q&A <host>", [("Fish", 0.1, 0.4), ("&", 0.5, 0.6), ("<chips>", 0.7, 1.0)])
    text = _render("vtt", result.with_turns((odd,)))
    assert text.startswith("WEBVTT\n")
    assert "<v Q&amp;A <host&gt;>Fish &amp; &lt;chips&gt;\n" in text
    assert "<v Speaker 1>Hello there, everyone.\n" in _render("vtt", result)
    plain = _render("vtt", result, WriterOptions(SubtitleOptions(speaker_prefix=False)))
    assert "<v " not in plain


def test_ssa_syntax_in_the_transcript_survives(result: Result) -> None:
    turn = _turn(0, "Speaker 1", [("{laughs}", 0.1, 0.4), ("a\\Nb", 0.5, 0.9)])
    one = result.with_turns((turn,))
    # pysubs2 itself reads "{laughs}" as an override block, so check the file's text.
    assert "\nSpeaker 1: {laughs} a\u29f5Nb\n" in _render("srt", one)
    ass = _render("ass", one)
    assert "Speaker 1: (laughs) a\u29f5Nb" in ass


def test_ass_speaker_with_comma_keeps_fields(result: Result) -> None:
    turn = _turn(0, "Smith, John", [("Hi,", 0.1, 0.4), ("there.", 0.5, 0.9)])
    (event,) = pysubs2.SSAFile.from_string(_render("ass", result.with_turns((turn,)))).events
    assert event.name == "Smith; John"
    assert event.plaintext == "Smith, John: Hi, there."
    assert (event.start, event.end, event.marginl) == (100, 900, 0)


def test_textgrid_read_back(tmp_path: Path, result: Result) -> None:
    path = _written(tmp_path, "textgrid", result)
    assert path.name == "talk.TextGrid"
    grid = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    assert list(grid.tierNames) == ["Speaker 1", "Speaker 2", "Speaker 3", "words"]
    assert grid.minTimestamp == 0 and grid.maxTimestamp == pytest.approx(30.0)
    for speaker in ("Speaker 1", "Speaker 2", "Speaker 3"):
        turns = [t for t in result.turns if t.speaker == speaker and t.start is not None]
        entries = grid.getTier(speaker).entries
        assert [e.label for e in entries] == [t.text for t in turns]
        for entry, turn in zip(entries, turns, strict=True):
            assert abs(entry.start - turn.start) <= TOLERANCE_S  # type: ignore[operator]
            assert abs(entry.end - turn.end) <= TOLERANCE_S  # type: ignore[operator]
    timed = [w for t in result.turns for w in t.words if w.timed]
    words = grid.getTier("words").entries
    assert [e.label for e in words] == [w.text for w in timed]
    for entry, word in zip(words, timed, strict=True):
        assert abs(entry.start - word.start) <= TOLERANCE_S  # type: ignore[operator]
        assert abs(entry.end - word.end) <= TOLERANCE_S  # type: ignore[operator]


def test_textgrid_clips_crosstalk_and_stays_in_bounds(tmp_path: Path, result: Result) -> None:
    turns = (
        _turn(0, "A", [("one", 0.0, 1.0), ("two", 1.0, 2.5)]),
        _turn(1, "A", [("three", 2.0, 3.0)]),  # overlaps the same speaker's previous turn
        _turn(2, "B", [("four", 2.2, 2.6), ("five", 2.6, 4.0)]),
        _turn(3, "words", [("six", 3.5, 4.0005)]),  # a speaker named like the words tier
    )
    short = Result(
        AudioInfo("a.wav", 4.0), result.transcript, result.engine, turns
    )  # "six" ends 0.5 ms past the audio, within the model's tolerance
    path = _written(tmp_path, "textgrid", short)
    grid = textgrid.openTextgrid(str(path), includeEmptyIntervals=True)
    assert list(grid.tierNames) == ["A", "B", "words", "words (2)"]
    for name in grid.tierNames:
        entries = grid.getTier(name).entries
        assert all(e.start < e.end for e in entries)
        assert all(a.end <= b.start for a, b in zip(entries, entries[1:], strict=False))
        assert entries[0].start >= 0 and entries[-1].end <= 4.0
    labelled = [e for e in grid.getTier("A").entries if e.label]
    assert [(e.start, e.end) for e in labelled] == [(0.0, 2.5), (2.5, 3.0)]


@pytest.mark.parametrize(("fmt", "delimiter"), [("csv", ","), ("tsv", "\t")])
def test_turn_table_read_back(tmp_path: Path, result: Result, fmt: str, delimiter: str) -> None:
    path = _written(tmp_path, fmt, result)
    with path.open(newline="", encoding="utf-8") as fp:
        rows = list(csv.DictReader(fp, delimiter=delimiter))
    assert list(rows[0]) == ["index", "speaker", "start", "end", "status", "confidence", "text"]
    assert len(rows) == len(result.turns)
    for row, turn in zip(rows, result.turns, strict=True):
        assert (int(row["index"]), row["speaker"], row["status"], row["text"]) == (
            turn.index,
            turn.speaker,
            turn.status,
            turn.text,
        )
        _assert_time(row["start"], turn.start)
        _assert_time(row["end"], turn.end)


@pytest.mark.parametrize(("fmt", "delimiter"), [("words_csv", ","), ("words_tsv", "\t")])
def test_word_table_read_back(tmp_path: Path, result: Result, fmt: str, delimiter: str) -> None:
    path = _written(tmp_path, fmt, result)
    assert path.name == f"talk.words.{fmt[-3:]}"
    with path.open(newline="", encoding="utf-8") as fp:
        rows = list(csv.DictReader(fp, delimiter=delimiter))
    words = [(t, i, w) for t in result.turns for i, w in enumerate(t.words)]
    assert len(rows) == len(words)
    for row, (turn, i, word) in zip(rows, words, strict=True):
        assert (int(row["turn"]), int(row["word"]), row["text"], row["status"]) == (
            turn.index,
            i,
            word.text,
            word.status,
        )
        assert row["speaker"] == turn.speaker
        assert row["heard"] == (word.heard or "")
        _assert_time(row["start"], word.start)
        _assert_time(row["end"], word.end)


def test_csv_quotes_commas_newlines_and_quotes(tmp_path: Path, result: Result) -> None:
    turn = _turn(0, 'The "Host", Jr.', [("Well,", 0.0, 0.5), ('"yes"\nno', 0.6, 1.0)])
    path = _written(tmp_path, "csv", result.with_turns((turn,)))
    with path.open(newline="", encoding="utf-8") as fp:
        (row,) = csv.DictReader(fp)
    assert row["speaker"] == 'The "Host", Jr.'
    assert row["text"] == 'Well, "yes"\nno'


def test_audacity_read_back(tmp_path: Path, result: Result) -> None:
    path = _written(tmp_path, "audacity", result)
    assert path.name == "talk.labels.txt"
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    aligned = [t for t in result.turns if t.start is not None]
    assert len(rows) == len(aligned)
    for (start, end, label), turn in zip(rows, aligned, strict=True):
        _assert_time(start, turn.start)
        _assert_time(end, turn.end)
        assert label.startswith(f"{turn.speaker}: ")
        assert len(label) <= OPTS.label_max_chars
    long_label = rows[2][2]
    assert long_label.endswith("then…")
    assert LONG_TEXT.startswith(long_label.removeprefix("Speaker 1: ").removesuffix("…"))


def test_txt_read_back(tmp_path: Path, result: Result) -> None:
    path = _written(tmp_path, "txt", result)
    stamp = re.compile(r"^\[(\d+):(\d\d):(\d\d\.\d{3}) - (\d+):(\d\d):(\d\d\.\d{3})\] ")
    aligned = [t for t in result.turns if t.start is not None]
    matches = [m for line in path.read_text().splitlines() if (m := stamp.match(line))]
    assert len(matches) == len(aligned)
    for m, turn in zip(matches, aligned, strict=True):
        h1, m1, s1, h2, m2, s2 = m.groups()
        _assert_time(str(int(h1) * 3600 + int(m1) * 60 + float(s1)), turn.start)
        _assert_time(str(int(h2) * 3600 + int(m2) * 60 + float(s2)), turn.end)


def test_json_round_trip(tmp_path: Path, result: Result) -> None:
    path = _written(tmp_path, "json", result)
    with path.open(encoding="utf-8") as fp:
        data = json.load(fp)
    assert data["schema"] == "turnalign/1"
    assert Result.from_dict(data) == result


def test_json_keeps_a_reason_it_does_not_know(tmp_path: Path, result: Result) -> None:
    """A reason outside ``MismatchReason`` (a hand-edited file) is read and written as is."""
    path = _written(tmp_path, "json", result)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["mismatches"][1]["reason"] = "checked by hand"
    read = Result.from_dict(data)
    assert read.mismatches[1].reason == "checked by hand"
    assert read.to_dict() == data


def test_json_keeps_non_ascii(result: Result) -> None:
    turn = _turn(0, "Sprecherin", [("Grüße,", 0.1, 0.5), ("日本", 0.6, 1.0)])
    assert "Grüße, 日本" in _render("json", result.with_turns((turn,)))


# -- registry ------------------------------------------------------------------------------
def test_registry_matches_output_format() -> None:
    assert list(WRITERS) == list(get_args(OutputFormat))
    extensions = [spec.extension for spec in WRITERS.values()]
    assert len(set(extensions)) == len(extensions)
    assert all(spec.text for spec in WRITERS.values())


def test_unknown_format() -> None:
    with pytest.raises(UnknownFormatError) as info:
        get_writer("docx")
    assert info.value.fmt == "docx"
    assert set(info.value.known) == set(WRITERS)
    assert "unknown format 'docx'" in str(info.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_chars_per_line": 3},
        {"max_lines": 0},
        {"max_cue_s": 0.0},
        {"max_cue_s": float("inf")},
        {"min_gap_s": -0.1},
        {"min_gap_s": 7.0},
    ],
)
def test_subtitle_options_reject_bad_values(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        SubtitleOptions(**kwargs)  # type: ignore[arg-type]


def test_writer_options_reject_bad_label_width() -> None:
    with pytest.raises(ValueError, match="label_max_chars"):
        WriterOptions(label_max_chars=2)


# -- write_outputs -------------------------------------------------------------------------
def test_write_outputs_writes_every_format(tmp_path: Path, result: Result) -> None:
    outdir = tmp_path / "new" / "folder"
    names = list(WRITERS)
    paths = write_outputs(result, [*names, "srt"], outdir, "talk", OPTS)
    assert paths == [outdir / f"talk{WRITERS[n].extension}" for n in names]
    assert sorted(p.name for p in outdir.iterdir()) == sorted(p.name for p in paths)
    assert all(p.stat().st_size > 0 for p in paths)
    # write_outputs tells writers where the file goes (the html page links audio from there).
    placed = dataclasses.replace(OPTS, output_dir=outdir)
    for name, path in zip(names, paths, strict=True):
        assert path.read_text(encoding="utf-8") == _render(name, result, placed)


def test_write_outputs_files_get_the_usual_mode(tmp_path: Path, result: Result) -> None:
    umask = os.umask(0o022)
    try:
        (path,) = write_outputs(result, ["srt"], tmp_path, "talk", OPTS)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_write_outputs_binary_format(
    tmp_path: Path, result: Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    def write_bytes(result: Result, fp: BinaryIO, opts: WriterOptions) -> None:
        fp.write(b"\x00\x01turns=%d" % len(result.turns))

    monkeypatch.setitem(WRITERS, "bin", WriterSpec(write_bytes, ".bin", text=False))
    (path,) = write_outputs(result, ["bin"], tmp_path, "talk", OPTS)
    assert path.read_bytes() == b"\x00\x01turns=5"


def test_write_outputs_checks_names_before_writing(tmp_path: Path, result: Result) -> None:
    outdir = tmp_path / "out"
    with pytest.raises(UnknownFormatError):
        write_outputs(result, ["json", "nope"], outdir, "talk", OPTS)
    assert not outdir.exists()


def _failing_writer(error: BaseException) -> Writer:
    def write(result: Result, fp: TextIO, opts: WriterOptions) -> None:
        fp.write("1\n00:00:00,000 --> " * 1000)  # something reaches the file first
        fp.flush()
        raise error

    return write


def test_write_outputs_leaves_nothing_when_a_writer_fails(
    tmp_path: Path, result: Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(WRITERS, "srt", WriterSpec(_failing_writer(RuntimeError("boom")), ".srt"))
    (tmp_path / "talk.srt").write_text("old subtitles")
    with pytest.raises(RuntimeError, match="boom"):
        write_outputs(result, ["json", "srt", "md"], tmp_path, "talk", OPTS)
    # No partial or temporary file, no new json either, and the old srt is untouched.
    assert [p.name for p in tmp_path.iterdir()] == ["talk.srt"]
    assert (tmp_path / "talk.srt").read_text() == "old subtitles"


def test_write_outputs_turns_os_errors_into_output_error(
    tmp_path: Path, result: Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk_full = OSError(28, "No space left on device")
    monkeypatch.setitem(WRITERS, "vtt", WriterSpec(_failing_writer(disk_full), ".vtt"))
    with pytest.raises(OutputError) as info:
        write_outputs(result, ["txt", "vtt"], tmp_path, "talk", OPTS)
    assert info.value.path == str(tmp_path / "talk.vtt")
    assert info.value.reason == "No space left on device"
    assert info.value.__cause__ is disk_full
    assert list(tmp_path.iterdir()) == []


def test_write_outputs_outdir_is_a_file(tmp_path: Path, result: Result) -> None:
    # Tests run as root, so chmod cannot make a folder unwritable; a file in the way can.
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    for outdir in (blocker, blocker / "sub"):
        with pytest.raises(OutputError) as info:
            write_outputs(result, ["json"], outdir, "talk", OPTS)
        assert info.value.path == str(outdir)
    assert [p.name for p in tmp_path.iterdir()] == ["blocker"]
    assert blocker.read_text() == "not a folder"


def test_write_outputs_target_is_a_folder(tmp_path: Path, result: Result) -> None:
    (tmp_path / "talk.json").mkdir()
    with pytest.raises(OutputError) as info:
        write_outputs(result, ["md", "json"], tmp_path, "talk", OPTS)
    assert info.value.path == str(tmp_path / "talk.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.json"]


@pytest.mark.parametrize("stem", ["", "a/b", "..", "."])
def test_write_outputs_rejects_stems_with_folders(
    tmp_path: Path, result: Result, stem: str
) -> None:
    with pytest.raises(ValueError, match="bare file name"):
        write_outputs(result, ["json"], tmp_path, stem, OPTS)


def _assert_time(text: str, seconds: float | None) -> None:
    if seconds is None:
        assert text == ""
    else:
        assert abs(float(text) - seconds) <= TOLERANCE_S
