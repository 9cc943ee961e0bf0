"""The ``turnalign`` command line, in process and once as a subprocess.

Bad input must give one line on stderr, exit code 2, and no output file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from align.cli import build_parser, main
from align.errors import EXIT_BAD_INPUT
from align.model import Result

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_AUDIO = REPO_ROOT / "examples" / "michaelandsickmichael.flac"
EXAMPLE_TRANSCRIPT = REPO_ROOT / "examples" / "michaelandsickmichael.txt"
JFK_TEXT = (
    "And so, my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("turnalign: error: "), err
    assert "\n" not in err, err
    assert "Traceback" not in err
    return err


@pytest.fixture()
def jfk_transcript(tmp_path: Path) -> Path:
    path = tmp_path / "jfk.txt"
    path.write_text(f"President Kennedy:\n\n{JFK_TEXT}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("suffix", "codec"), [("mp3", "mp3"), ("m4a", "aac"), ("opus", "libopus")])
def test_align_other_audio_formats(
    tmp_path: Path,
    jfk_path: Path,
    jfk_transcript: Path,
    suffix: str,
    codec: str,
    encode_audio: Callable[[Path, Path, str], Path],
) -> None:
    audio_copy = encode_audio(jfk_path, tmp_path / f"jfk.{suffix}", codec)
    out = tmp_path / "out"
    code = main(
        [
            "-q",
            "align",
            str(audio_copy),
            str(jfk_transcript),
            "-o",
            str(out),
            "--format",
            "json",
            "--refine",
            "none",
        ]
    )
    assert code == 0
    result = Result.from_dict(json.loads((out / "jfk.json").read_text(encoding="utf-8")))
    (turn,) = result.turns
    assert turn.status == "aligned"
    assert (
        0.0 <= turn.start < 1.5 and 9.0 < turn.end <= result.audio.duration
    )  # speech spans the clip
    matched = [w for w in turn.words if w.status == "matched"]
    assert len(matched) >= 0.8 * len(turn.words)
    times = [w.start for w in turn.words if w.start is not None]
    assert times == sorted(times)


def test_example_runs_and_writes_every_default_format(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(["-q", "align", str(EXAMPLE_AUDIO), str(EXAMPLE_TRANSCRIPT), "-o", str(out)])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "michaelandsickmichael.json",
        "michaelandsickmichael.srt",
    ]
    result = Result.from_dict(json.loads((out / "michaelandsickmichael.json").read_text()))
    assert len(result.turns) == 7
    assert result.transcript.front_matter.startswith("Michael and Sick Michael")
    speakers = {t.speaker for t in result.turns}
    assert speakers == {"Michael", "Sick Michael"}
    # Every turn with words the engine can hear is placed, in order, inside the audio.
    spoken = [t for t in result.turns if t.text != "Uh."]
    assert all(t.status == "aligned" for t in spoken)
    starts = [t.start for t in spoken]
    assert starts == sorted(starts)
    assert all(t.end is not None and t.end <= result.audio.duration for t in spoken)


def test_the_stages_can_be_switched_off_from_the_command_line() -> None:
    from align.cli.commands import align_options
    from align.cli.parser import build_parser

    on = align_options(build_parser().parse_args(["align", "a.flac", "a.txt"]))
    off = align_options(build_parser().parse_args(
        ["align", "a.flac", "a.txt", "--no-verify", "--no-loop-guard", "--denoise", "never"]
    ))  # fmt: skip
    assert (on.verify, on.guard_loops, on.denoise is not None) == (True, True, True)
    assert (off.verify, off.guard_loops, off.denoise) == (False, False, None)


@pytest.mark.slow
def test_without_the_acoustic_check_whisper_alone_reports_the_unheard(tmp_path: Path) -> None:
    # tiny.en does not print the example's one-word turn "Uh." (44.5 s): Whisper's text
    # alone calls it not in the audio; the acoustic check (the default) times it.
    args = [str(EXAMPLE_AUDIO), str(EXAMPLE_TRANSCRIPT), "--format", "json"]
    for flag, out in (([], tmp_path / "on"), (["--no-verify"], tmp_path / "off")):
        assert main(["-q", "align", *args, "-o", str(out), *flag]) == 0
    on, off = (Result.from_dict(json.loads((tmp_path / d / "michaelandsickmichael.json")
               .read_text("utf-8"))) for d in ("on", "off"))  # fmt: skip
    assert on.turns[5].status == "aligned" and on.turns[5].words[0].evidence == "acoustic"
    assert off.turns[5].status == "not_found"
    assert any(m.kind == "not_in_audio" and m.text == "Uh." for m in off.mismatches)
    assert not any(m.kind == "not_in_audio" for m in on.mismatches)


# -- bad input ---------------------------------------------------------------------------


def _assert_no_outputs(out: Path) -> None:
    assert not out.exists() or not any(out.iterdir())


def test_missing_audio(
    tmp_path: Path, jfk_transcript: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(["align", str(tmp_path / "nope.wav"), str(jfk_transcript), "-o", str(out)])
    assert code == EXIT_BAD_INPUT
    assert "nope.wav" in _one_line_error(capsys)
    _assert_no_outputs(out)


def test_missing_transcript(
    tmp_path: Path, jfk_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(["align", str(jfk_path), str(tmp_path / "nope.txt"), "-o", str(out)])
    assert code == EXIT_BAD_INPUT
    assert "nope.txt" in _one_line_error(capsys)
    _assert_no_outputs(out)


def test_undecodable_audio(
    tmp_path: Path, jfk_transcript: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(np.random.default_rng(0).integers(0, 255, 50_000, dtype=np.uint8).tobytes())
    out = tmp_path / "out"
    code = main(["align", str(bad), str(jfk_transcript), "-o", str(out)])
    assert code == EXIT_BAD_INPUT
    assert "bad.wav" in _one_line_error(capsys)
    _assert_no_outputs(out)


@pytest.mark.parametrize(
    "content", ["", "   \n\n  \n", "Speaker 1:\n\n...\n\nSpeaker 2:\n\n-- !\n"]
)
def test_transcript_without_words(
    tmp_path: Path, jfk_path: Path, content: str, capsys: pytest.CaptureFixture[str]
) -> None:
    transcript = tmp_path / "empty.txt"
    transcript.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    code = main(["align", str(jfk_path), str(transcript), "-o", str(out)])
    assert code == EXIT_BAD_INPUT
    assert "empty.txt" in _one_line_error(capsys)
    _assert_no_outputs(out)


def test_unknown_format_fails_before_any_work(
    tmp_path: Path, jfk_path: Path, jfk_transcript: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(
        ["align", str(jfk_path), str(jfk_transcript), "-o", str(out), "--format", "json,nope"]
    )
    assert code == EXIT_BAD_INPUT
    assert "nope" in _one_line_error(capsys)
    _assert_no_outputs(out)


def test_usage_error_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["align"]) == EXIT_BAD_INPUT
    assert main([]) == EXIT_BAD_INPUT


def test_subprocess_bad_input_has_no_traceback(tmp_path: Path, jfk_transcript: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "align",
            "align",
            str(tmp_path / "missing.flac"),
            str(jfk_transcript),
            "-o",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == EXIT_BAD_INPUT
    assert proc.stderr.strip().count("\n") == 0
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_and_debug_go_before_or_after_the_command(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``-q`` (and ``--debug``) are read on either side of the command's name (the README
    lists ``-q`` among the align options; after the command it was an unknown argument)."""
    args = ["align", str(tmp_path / "missing.flac"), str(EXAMPLE_TRANSCRIPT)]
    assert main(["-q", *args] if where == "before" else [*args, "-q"]) == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments" not in err
    assert "missing.flac" in err  # the one-line error about the input, not about usage
    parsed = build_parser().parse_args(["eval", "r.json", "ref.json", "--debug"])
    assert parsed.debug and not parsed.quiet
