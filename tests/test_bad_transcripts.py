"""Transcripts in a layout that is broken: one line on stderr, exit 2, no output, no model.

The rules of tests/test_bad_input.py, for the layouts of ``align.transcript``: an SRT with
a broken timing line, a JSON file that is not a transcript, a .docx that is a zip of
something else, a file that fits two layouts, and a forced layout that does not fit. Each
fails while the transcript is read, before the model loads, and leaves nothing behind.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

from align import pipeline
from align.cli import main
from align.errors import EXIT_BAD_INPUT

JFK_AUDIO = Path(__file__).resolve().parent / "data" / "jfk.flac"
ERROR_PREFIX = "turnalign: error: "

BROKEN_SRT = (
    "1\n00:00:00,000 --> 00:00:03,000\nAnd so, my fellow Americans,\n\n"
    "2\n00:00:03,000 --> 00:00:05,50O\nask not what your country can do for you,\n"
)
NOT_A_TRANSCRIPT = '{"title": "Inaugural address", "year": 1961, "duration": 11.0}\n'
MIXED_LAYOUTS = (
    "John Kennedy (00:00:00):\nAnd so, my fellow Americans,\n\n"
    "Narrator  0:03\nask not what your country can do for you,\n\n"
    "John Kennedy (00:00:06):\nask what you can do\n\n"
    "Narrator  0:09\nfor your country.\n"
)


def _zip_of_something_else(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("photos/holiday.txt", "not a Word document\n")
    return path


@pytest.fixture(autouse=True)
def _no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def load(name: Any, opts: Any) -> Any:
        raise AssertionError("the model was loaded although the transcript could not be read")

    monkeypatch.setattr(pipeline, "load_engine", load)


def _run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, transcript: Path, *extra: str
) -> tuple[int, str, Path]:
    out = tmp_path / "out"
    argv = ["-q", "align", str(JFK_AUDIO), str(transcript), "-o", str(out)]
    code = main([*argv, "--format", "json,srt,vtt,podcast-json", *extra])
    captured = capsys.readouterr()
    assert captured.out == ""
    return code, captured.err, out


def _one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(ERROR_PREFIX), err
    return lines[0]


@pytest.mark.parametrize(
    ("name", "make", "needles"),
    [
        ("broken.srt", lambda p: p.write_text(BROKEN_SRT), ("line 6", "broken timing line")),
        ("meta.json", lambda p: p.write_text(NOT_A_TRANSCRIPT), ("not a transcript", "segments")),
        ("talk.docx", _zip_of_something_else, ("not a Word document",)),
        (
            "talk.txt",
            lambda p: p.write_text(MIXED_LAYOUTS),
            ("rev or otter", "--transcript-format"),
        ),
    ],
    ids=["srt-broken-timing", "json-not-a-transcript", "docx-zip-of-other", "two-layouts"],
)
def test_broken_layouts_fail_in_one_line_with_exit_2_and_no_output(
    name: str,
    make: Any,
    needles: tuple[str, ...],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    transcript = tmp_path / name
    make(transcript)
    code, err, out = _run(capsys, tmp_path, transcript)
    assert code == EXIT_BAD_INPUT, err
    line = _one_line(err)
    assert name in line
    for needle in needles:
        assert needle in line, line
    assert not out.exists() or not any(out.iterdir())


def test_forced_layout_that_does_not_fit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    transcript = tmp_path / "talk.txt"
    transcript.write_text("Kennedy: And so, my fellow Americans\n")
    code, err, out = _run(capsys, tmp_path, transcript, "--transcript-format", "srt")
    assert code == EXIT_BAD_INPUT, err
    assert "expected a cue timing line" in _one_line(err)
    assert not out.exists() or not any(out.iterdir())


def test_unknown_forced_layout_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    transcript = tmp_path / "talk.txt"
    transcript.write_text("Kennedy: And so, my fellow Americans\n")
    code, err, _ = _run(capsys, tmp_path, transcript, "--transcript-format", "docx")
    assert code == EXIT_BAD_INPUT
    assert "invalid choice" in err
