"""Dataset export: clip planning, exact audio cuts, manifests, reruns, the CLI, and the
clips' text against the benchmark's truth words."""

from __future__ import annotations

import csv
import json
import os
import re
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audio
from align.cli import main
from align.errors import EXIT_BAD_INPUT, InputError
from align.evaluation.reference import read_result
from align.export import (
    Clip,
    ExportOptions,
    export_clips,
    plan_clips,
    resolve_audio_path,
)
from align.export.manifest import spell_out_numbers
from align.export.plan import clip_prefix, safe_prefix
from align.model import (
    AudioInfo,
    EngineInfo,
    Mismatch,
    Result,
    TranscriptInfo,
    Turn,
    Word,
    WordStatus,
)
from audio import SAMPLE_RATE

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLE_AUDIO = REPO_ROOT / "examples" / "michaelandsickmichael.flac"
EXAMPLE_TRANSCRIPT = REPO_ROOT / "examples" / "michaelandsickmichael.txt"
EXAMPLE_TEXTGRID = REPO_ROOT / "examples" / "michaelandsickmichael.TextGrid"

# One sample at 16 kHz, plus float slack: clip edges are whole samples.
_SAMPLE_S = 1.0 / SAMPLE_RATE + 1e-9


# -- building results and audio ------------------------------------------------------------


def _w(text: str, start: float | None, end: float | None, status: WordStatus = "matched") -> Word:
    return Word(text, start, end, status, confidence=0.0 if start is None else 0.9)


def _turn(index: int, speaker: str, words: list[Word]) -> Turn:
    timed = [w for w in words if w.start is not None and w.end is not None]
    start = min((w.start for w in timed if w.start is not None), default=None)
    end = max((w.end for w in timed if w.end is not None), default=None)
    heard = sum(1 for w in words if w.status in ("matched", "substituted"))
    return Turn(
        index=index,
        speaker=speaker,
        text=" ".join(w.text for w in words),
        start=start,
        end=end,
        status="aligned" if timed else "not_found",
        words=tuple(words),
        confidence=0.9,
        coverage=heard / len(words),
    )


def _result(
    turns: list[list[Word]],
    duration_s: float,
    audio_path: str = "episode.wav",
    mismatches: tuple[Mismatch, ...] = (),
    speakers: tuple[str, ...] = ("A", "B"),
) -> Result:
    return Result(
        audio=AudioInfo(audio_path, duration_s),
        transcript=TranscriptInfo("episode.txt", "speaker_block", ""),
        engine=EngineInfo("faster-whisper", "tiny.en", "cpu", "int8", "en"),
        turns=tuple(_turn(i, speakers[i % len(speakers)], words) for i, words in enumerate(turns)),
        mismatches=mismatches,
    )


def _even_words(
    texts: list[str], start_s: float, word_s: float = 0.9, gap_s: float = 0.1
) -> list[Word]:
    """Words of ``word_s`` each, ``gap_s`` apart, from ``start_s``; times in whole ms."""
    words = []
    t = start_s
    for text in texts:
        words.append(_w(text, round(t, 3), round(t + word_s, 3)))
        t += word_s + gap_s
    return words


def _write_wav(path: Path, duration_s: float) -> np.ndarray:
    """A 16 kHz mono 16-bit WAV whose samples differ from their neighbours; returns them."""
    n = round(duration_s * SAMPLE_RATE)
    pcm = ((np.arange(n, dtype=np.int64) * 7919) % 65536 - 32768).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    return pcm.astype(np.float32) / 32768.0


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _timed_text(turn: Turn, clip: Clip) -> str:
    words = turn.words[clip.word_start : clip.word_start + clip.word_count]
    return " ".join(w.text for w in words if w.timed)


# -- options ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"min_s": 5.0, "max_s": 2.0},
        {"max_s": 0.0},
        {"min_s": -1.0},
        {"pad_ms": -1},
        {"min_coverage": 1.5},
        {"min_confidence": -0.1},
        {"audio_format": "mp3"},
        {"name_prefix": "../up"},
        {"name_prefix": ""},
    ],
)
def test_bad_options_raise_value_error(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ExportOptions(**changes)


# -- planning --------------------------------------------------------------------------------


def test_a_turn_is_one_clip_padded_but_never_past_the_gap_midpoint() -> None:
    first = [_w("Hello", 1.0, 1.5), _w("there.", 1.5, 2.0)]
    second = [_w("Hi", 2.06, 2.5), _w("you.", 2.5, 3.2)]
    result = _result([first, second], duration_s=3.25)
    clips, dropped = plan_clips(result, ExportOptions(min_s=0.5, pad_ms=100))
    assert dropped == ()
    assert [(c.turn, c.text) for c in clips] == [(0, "Hello there."), (1, "Hi you.")]
    assert clips[0].start_s == pytest.approx(0.9)  # full pad before the first word
    assert clips[0].end_s == pytest.approx(2.03)  # midpoint of the 60 ms gap, not 2.1
    assert clips[1].start_s == pytest.approx(2.03)
    assert clips[1].end_s == pytest.approx(3.25)  # the audio ends before the pad does
    assert [c.clip_id for c in clips] == ["episode_0000_0000", "episode_0001_0000"]


def test_long_turn_is_split_at_the_longest_pause() -> None:
    # A 0.6 s pause after word 11 beats the sentence end after word 19 (0.1 s pause).
    texts = [f"w{i}." if i == 19 else f"w{i}" for i in range(40)]
    words = _even_words(texts[:12], start_s=0.5) + _even_words(texts[12:], start_s=13.0)
    result = _result([words], duration_s=42.0)
    clips, dropped = plan_clips(result, ExportOptions(max_s=30.0))
    assert dropped == ()
    assert [(c.word_start, c.word_count) for c in clips] == [(0, 12), (12, 28)]
    assert all(c.duration_s <= 30.0 for c in clips)


def test_without_a_longer_pause_sentence_punctuation_decides() -> None:
    words = _even_words([f"w{i}" for i in range(40)], start_s=0.5)
    words[9] = _w("w9,", words[9].start, words[9].end)
    words[19] = _w("w19.", words[19].start, words[19].end)
    result = _result([words], duration_s=41.0)
    clips, _ = plan_clips(result, ExportOptions(max_s=30.0))
    assert [c.word_start for c in clips] == [0, 20]
    assert clips[0].text.endswith("w19.")


def test_not_found_words_leave_the_text_and_mark_the_clip() -> None:
    words = [
        _w("I", 1.0, 1.2),
        _w("said", 1.2, 1.6),
        _w("said", None, None, "not_found"),
        _w("hello.", 1.6, 2.2),
    ]
    result = _result([words], duration_s=3.0)
    (clip,), _ = plan_clips(result)
    assert clip.text == "I said hello."
    assert clip.word_count == 4
    assert clip.coverage == pytest.approx(3 / 4)
    assert clip.mismatch_kinds == ("not_in_audio",)


def test_an_unheard_neighbouring_turn_marks_the_clips_beside_it() -> None:
    # "Uh." was not found: its sound, if any, lies in the gap both clips pad into.
    turns = [
        [_w("Hello", 1.0, 2.0)],
        [_w("Uh.", None, None, "not_found")],
        [_w("Hi", 4.0, 5.0), _w("there", 5.0, 6.0)],
        [_w("Bye", 8.0, 9.0)],
    ]
    clips, _ = plan_clips(_result(turns, duration_s=10.0), ExportOptions(max_s=1.5))
    assert [(c.turn, c.word_start, c.mismatch_kinds) for c in clips] == [
        (0, 0, ("not_in_audio",)),
        (2, 0, ("not_in_audio",)),
        (2, 1, ()),
        (3, 0, ()),
    ]


def test_a_mismatch_overlapping_in_time_marks_the_clip() -> None:
    result = _result(
        [[_w("Hello", 1.0, 1.5), _w("there.", 1.5, 2.0)], [_w("Bye", 5.0, 6.0)]],
        duration_s=7.0,
        mismatches=(Mismatch("not_in_transcript", None, "um well", 2.02, 2.6),),
    )
    clips, _ = plan_clips(result)
    assert clips[0].mismatch_kinds == ("not_in_transcript",)
    assert clips[1].mismatch_kinds == ()
    assert not clips[1].mismatch


def test_substituted_words_count_as_heard_but_mark_the_clip() -> None:
    words = [_w("their", 1.0, 1.5, "substituted"), _w("house", 1.5, 2.0, "interpolated")]
    result = _result(
        [words],
        duration_s=3.0,
        mismatches=(Mismatch("substitution", 0, "their", 1.0, 1.5, heard="there"),),
    )
    (clip,), _ = plan_clips(result)
    assert clip.coverage == pytest.approx(0.5)  # interpolated words were not heard
    assert clip.mismatch_kinds == ("substitution",)


def test_dropped_clips_carry_their_reason() -> None:
    turns = [
        [_w("Short", 1.0, 1.3)],  # 0.5 s with padding
        [_w("Gone", None, None, "not_found")],  # no audio at all
        [_w("Fine", 3.0, 3.6), _w("words.", 3.6, 4.4)],
        [_w("Unsure", 6.0, 6.8, "interpolated"), _w("text.", 6.8, 7.6)],
    ]
    result = _result(turns, duration_s=9.0)
    clips, dropped = plan_clips(result, ExportOptions(min_s=1.0, min_coverage=0.9))
    assert [c.turn for c in clips] == [2]
    assert [(d.turn, d.reason) for d in dropped] == [
        (0, "too_short"),
        (1, "not_in_audio"),
        (3, "low_coverage"),
    ]
    assert dropped[1].clip is None and dropped[1].text == "Gone"
    assert "0.50 s < min 1 s" in dropped[0].detail


def test_confidence_and_mismatch_bars() -> None:
    result = _result(
        [[_w("Hello", 1.0, 2.0)], [_w("there", 3.0, 4.0)]],
        duration_s=5.0,
        mismatches=(Mismatch("not_in_transcript", None, "uh", 3.5, 3.6),),
    )
    _, dropped = plan_clips(result, ExportOptions(drop_mismatched=True))
    assert [(d.turn, d.reason) for d in dropped] == [(1, "mismatch")]
    _, dropped = plan_clips(result, ExportOptions(min_confidence=0.95))
    assert [d.reason for d in dropped] == ["low_confidence", "low_confidence"]


def test_a_clip_holding_another_turns_words_is_dropped() -> None:
    # Crosstalk: B's word lies inside A's words, so A's clip would hold speech not in its text.
    turns = [[_w("one", 1.0, 1.5), _w("two", 2.5, 3.0)], [_w("yes", 1.8, 2.2)]]
    result = _result(turns, duration_s=4.0)
    clips, dropped = plan_clips(result, ExportOptions(min_s=0.2))
    assert [(d.turn, d.reason) for d in dropped] == [(0, "overlap")]
    assert [c.turn for c in clips] == [1]


def test_one_word_longer_than_max_is_too_long() -> None:
    result = _result([[_w("Ooooh", 1.0, 9.0)]], duration_s=10.0)
    _, dropped = plan_clips(result, ExportOptions(max_s=5.0))
    assert [d.reason for d in dropped] == ["too_long"]


def test_clip_names_are_stable_and_safe() -> None:
    assert clip_prefix("/data/My Show ep.1.mp3") == "My_Show_ep.1"
    assert clip_prefix("C:\\rec\\talk.wav") == "talk"
    # Hugging Face would put "conv_dev_0001_0000.flac" into a "validation" split.
    assert clip_prefix("bench/conv_dev.flac") == "conv_Dev"
    assert safe_prefix("test") == "Test"
    assert safe_prefix("devices_latest") == "devices_latest"
    result = _result([_even_words(["a", "b"], 1.0)], 4.0, audio_path="/x/ep.flac")
    (clip,), _ = plan_clips(result, ExportOptions(name_prefix="show-7"))
    assert clip.clip_id == "show-7_0000_0000"


@st.composite
def _random_results(draw: st.DrawFn) -> tuple[Result, ExportOptions]:
    t = draw(st.floats(0.0, 1.0))
    turns: list[list[Word]] = []
    for _ in range(draw(st.integers(1, 5))):
        words: list[Word] = []
        for _ in range(draw(st.integers(1, 25))):
            t += draw(st.sampled_from([0.0, 0.02, 0.1, 0.3, 0.8, 2.0]))
            if draw(st.integers(0, 9)) == 0:
                words.append(_w("lost", None, None, "not_found"))
                continue
            length = draw(st.sampled_from([0.0, 0.1, 0.3, 0.6, 1.4]))
            punct = draw(st.sampled_from(["", "", "", ",", "."]))
            words.append(_w(f"w{len(words)}{punct}", round(t, 3), round(t + length, 3)))
            t += length
        turns.append(words)
        t += draw(st.sampled_from([0.0, 0.05, 0.5, 3.0]))
    min_s = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0]))
    opts = ExportOptions(
        min_s=min_s,
        max_s=min_s + draw(st.sampled_from([0.5, 2.0, 5.0, 30.0])),
        pad_ms=draw(st.sampled_from([0, 100, 400])),
    )
    return _result(turns, duration_s=round(t + draw(st.floats(0.0, 1.0)), 3)), opts


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_random_results())
def test_planned_clips_respect_bounds_and_partition_every_turn(
    case: tuple[Result, ExportOptions],
) -> None:
    result, opts = case
    clips, dropped = plan_clips(result, opts)
    for clip in clips:
        assert opts.min_s - _SAMPLE_S <= clip.duration_s <= opts.max_s + _SAMPLE_S
        turn = result.turns[clip.turn]
        assert clip.text == _timed_text(turn, clip)
        inside = [w for w in turn.words[clip.word_start :][: clip.word_count] if w.timed]
        assert inside[0].start is not None and inside[-1].end is not None
        assert clip.start_s <= inside[0].start + _SAMPLE_S
        assert clip.end_s >= inside[-1].end - _SAMPLE_S
    ordered = sorted(clips, key=lambda c: c.start_sample)
    for a, b in zip(ordered, ordered[1:]):
        assert a.end_sample <= b.start_sample  # no two clips share audio
    assert len({c.clip_id for c in clips}) == len(clips)
    # Every timed word is in exactly one clip, kept or dropped, in order.
    planned = [*clips, *(d.clip for d in dropped if d.clip is not None)]
    for turn in result.turns:
        runs = sorted((c.word_start, c.word_count) for c in planned if c.turn == turn.index)
        covered = [i for start, count in runs for i in range(start, start + count)]
        timed = [i for i, w in enumerate(turn.words) if w.timed]
        assert [i for i in covered if turn.words[i].timed] == timed
        assert len(covered) == len(set(covered))


# -- writing ---------------------------------------------------------------------------------


@pytest.fixture()
def episode(tmp_path: Path) -> tuple[Result, Path, np.ndarray]:
    """A 24 s WAV and a three-turn result over it, one turn long enough to split at 8 s."""
    wav = tmp_path / "conv_dev.wav"
    samples = _write_wav(wav, 24.0)
    long_turn = _even_words([f"w{i}" for i in range(14)], start_s=8.0)
    long_turn[6] = _w("w6.", long_turn[6].start, long_turn[6].end)
    turns = [
        _even_words(["It", "cost", "$5,", "in", "1990."], start_s=0.6),
        long_turn,
        [_w("Bye.", 23.0, 23.4)],  # too short
    ]
    result = _result(turns, duration_s=24.0, audio_path=str(wav))
    return result, wav, samples


def test_export_writes_exact_clips_and_all_manifests(
    episode: tuple[Result, Path, np.ndarray], tmp_path: Path
) -> None:
    result, wav, samples = episode
    out = tmp_path / "out"
    summary = export_clips(result, wav, out, ExportOptions(max_s=8.0))
    assert [c.clip_id for c in summary.clips] == [
        "conv_Dev_0000_0000",
        "conv_Dev_0001_0000",
        "conv_Dev_0001_0007",
    ]
    assert summary.dropped_by_reason() == {"too_short": 1}
    for clip in summary.clips:
        got = audio.load(out / "wavs" / f"{clip.clip_id}.flac").samples
        np.testing.assert_array_equal(got, samples[clip.start_sample : clip.end_sample])

    rows = _read_jsonl(out / "manifest.jsonl")
    assert [r["audio_filepath"] for r in rows] == [f"wavs/{c.clip_id}.flac" for c in summary.clips]
    assert all((out / r["audio_filepath"]).is_file() for r in rows)
    assert rows[0]["text"] == "It cost $5, in 1990."
    assert rows[0]["duration"] == pytest.approx(summary.clips[0].duration_s, abs=1e-4)
    assert rows[0]["source_start_s"] == pytest.approx(0.5)
    assert "offset" not in rows[0]  # NeMo would seek into the clip by it
    assert {"speaker", "source", "coverage", "confidence", "mismatch"} <= rows[0].keys()

    with open(out / "wavs" / "metadata.csv", encoding="utf-8", newline="") as fp:
        table = list(csv.DictReader(fp))
    assert [r["file_name"] for r in table] == [f"{c.clip_id}.flac" for c in summary.clips]
    assert table[1]["transcription"] == "w0 w1 w2 w3 w4 w5 w6."
    assert (out / "metadata_ljspeech.csv").read_text(encoding="utf-8").splitlines()[0] == (
        "conv_Dev_0000_0000|It cost $5, in 1990.|It cost five dollars, in nineteen ninety."
    )
    (gone,) = _read_jsonl(out / "dropped.jsonl")
    assert gone["reason"] == "too_short" and gone["id"] == "conv_Dev_0002_0000"
    assert not list(out.rglob("*.tmp"))
    assert not (out / "wavs" / "conv_Dev_0002_0000.flac").exists()


def test_wav_clips_hold_the_same_samples(
    episode: tuple[Result, Path, np.ndarray], tmp_path: Path
) -> None:
    result, wav, samples = episode
    summary = export_clips(result, wav, tmp_path / "out", ExportOptions(audio_format="wav"))
    for clip in summary.clips:
        path = tmp_path / "out" / "wavs" / f"{clip.clip_id}.wav"
        with wave.open(str(path), "rb") as fp:
            assert (fp.getnchannels(), fp.getsampwidth(), fp.getframerate()) == (1, 2, 16000)
        got = audio.load(path).samples
        np.testing.assert_array_equal(got, samples[clip.start_sample : clip.end_sample])


def test_rerun_rewrites_nothing_and_removes_stale_clips(
    episode: tuple[Result, Path, np.ndarray], tmp_path: Path
) -> None:
    result, wav, _ = episode
    out = tmp_path / "out"
    first = export_clips(result, wav, out, ExportOptions(max_s=8.0))
    files = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    again = export_clips(result, wav, out, ExportOptions(max_s=8.0))
    assert (again.files_written, again.files_removed) == (0, 0)
    assert again.files_unchanged == first.files_written
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == files
    # A stricter plan drops a clip: its file goes, the rest stay as they are.
    third = export_clips(result, wav, out, ExportOptions(max_s=8.0, min_s=6.0))
    kept = {f"{c.clip_id}.flac" for c in third.clips}
    assert third.files_removed == len(first.clips) - len(third.clips) > 0
    assert {p.name for p in (out / "wavs").glob("*.flac")} == kept


def test_audio_is_streamed_once_without_loading_it_whole(
    episode: tuple[Result, Path, np.ndarray], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, wav, samples = episode
    calls: list[float] = []
    real_iter_blocks = audio.iter_blocks

    def small_blocks(path: Any, block_s: float = 30.0) -> Iterator[audio.AudioBlock]:
        calls.append(block_s)
        return real_iter_blocks(path, block_s=0.37)  # clips straddle many blocks

    def no_load(path: Any) -> None:
        raise AssertionError("export must not decode the whole file at once")

    monkeypatch.setattr(audio, "iter_blocks", small_blocks)
    monkeypatch.setattr(audio, "load", no_load)
    summary = export_clips(result, wav, tmp_path / "out", ExportOptions(audio_format="wav"))
    monkeypatch.undo()
    assert len(calls) == 1
    for clip in summary.clips:
        got = audio.load(tmp_path / "out" / "wavs" / f"{clip.clip_id}.wav").samples
        np.testing.assert_array_equal(got, samples[clip.start_sample : clip.end_sample])


def test_a_clip_past_the_decoded_end_is_cut_short(tmp_path: Path) -> None:
    wav = tmp_path / "ep.wav"
    samples = _write_wav(wav, 5.0)
    # The result claims 0.5 s more audio than the file has (within the tolerance).
    result = _result([_even_words(["a", "b", "c"], start_s=3.5, word_s=0.6)], duration_s=5.5)
    summary = export_clips(result, wav, tmp_path / "out", ExportOptions(audio_format="wav"))
    (clip,) = summary.clips
    assert clip.end_sample == samples.shape[0]
    assert json.loads((tmp_path / "out" / "manifest.jsonl").read_text())["duration"] == (
        pytest.approx(clip.duration_s, abs=1e-4)
    )


def test_audio_of_another_length_is_refused(tmp_path: Path) -> None:
    wav = tmp_path / "ep.wav"
    _write_wav(wav, 5.0)
    result = _result([[_w("Hello", 1.0, 2.0)]], duration_s=60.0)
    with pytest.raises(InputError, match="lasts 5.0 s but the result was aligned to 60.0 s"):
        export_clips(result, wav, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_spell_out_numbers_keeps_punctuation() -> None:
    assert spell_out_numbers("It cost $5, in 1990.") == "It cost five dollars, in nineteen ninety."
    assert spell_out_numbers("(3rd) time") == "(third) time"
    assert spell_out_numbers("no digits here") == "no digits here"


# -- CLI -------------------------------------------------------------------------------------


def _save(result: Result, path: Path) -> Path:
    path.write_text(json.dumps(result.to_dict()), encoding="utf-8")
    return path


def test_cli_export_finds_the_audio_beside_the_result(
    episode: tuple[Result, Path, np.ndarray],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    result, wav, _ = episode
    relative = result.with_turns(result.turns, audio=AudioInfo(wav.name, 24.0))
    saved = _save(relative, tmp_path / "conv_dev.json")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert resolve_audio_path(relative, saved) == wav
    code = main(["export", str(saved), "-o", str(tmp_path / "ds"), "--audio-format", "wav"])
    assert code == 0
    err = capsys.readouterr().err
    assert "exported 2 clips" in err and "too_short 1" in err
    assert len(list((tmp_path / "ds" / "wavs").glob("*.wav"))) == 2


def test_cli_export_says_how_to_name_audio_it_cannot_find(
    episode: tuple[Result, Path, np.ndarray],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The result names its audio as ``align`` was given it: here relative to a folder that
    # is neither the current one nor the result's.
    result, _, _ = episode
    moved = result.with_turns(result.turns, audio=AudioInfo("recordings/ep1.wav", 24.0))
    saved = _save(moved, tmp_path / "ep1.json")
    assert main(["export", str(saved), "-o", str(tmp_path / "ds")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert err.startswith("turnalign: error: cannot read audio 'recordings/ep1.wav'")
    assert "--audio" in err and "\n" not in err
    assert not (tmp_path / "ds").exists()


@pytest.mark.parametrize(
    "extra",
    [["--max-s", "0"], ["--min-s", "5", "--max-s", "2"], ["--audio-format", "mp3"]],
)
def test_cli_export_bad_options_exit_2(
    episode: tuple[Result, Path, np.ndarray], tmp_path: Path, extra: list[str]
) -> None:
    result, _, _ = episode
    saved = _save(result, tmp_path / "r.json")
    assert main(["-q", "export", str(saved), "-o", str(tmp_path / "ds"), *extra]) == 2
    assert not (tmp_path / "ds").exists()


def test_cli_export_bad_inputs_exit_2(
    episode: tuple[Result, Path, np.ndarray],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    result, _, _ = episode
    saved = _save(result, tmp_path / "r.json")
    other = tmp_path / "other.wav"
    _write_wav(other, 3.0)
    for argv in (
        ["export", str(tmp_path / "missing.json"), "-o", str(tmp_path / "ds")],
        ["export", str(saved), "-o", str(tmp_path / "ds"), "--audio", str(other)],
        ["export", str(saved), "-o", str(tmp_path / "ds"), "--audio", str(tmp_path / "no.wav")],
    ):
        assert main(argv) == EXIT_BAD_INPUT
        err = capsys.readouterr().err.strip()
        assert err.startswith("turnalign: error: ") and "\n" not in err


# -- Hugging Face datasets -------------------------------------------------------------------


@pytest.fixture()
def exported(episode: tuple[Result, Path, np.ndarray], tmp_path: Path) -> tuple[Path, Any]:
    result, wav, samples = episode
    out = tmp_path / "out"
    summary = export_clips(result, wav, out, ExportOptions(max_s=8.0))
    return out, (summary, samples)


def test_jsonl_manifest_loads_with_datasets(exported: tuple[Path, Any], tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets", reason="datasets is a test extra")
    out, (summary, _) = exported
    ds = datasets.load_dataset(
        "json",
        data_files=str(out / "manifest.jsonl"),
        split="train",
        cache_dir=str(tmp_path / "hf"),
    )
    assert ds.num_rows == len(summary.clips)
    assert ds["text"] == [c.text for c in summary.clips]
    assert ds.features["duration"].dtype == "float64"
    assert ds.features["mismatch"].dtype == "bool"


@pytest.mark.parametrize("root", ["wavs", "."])
def test_metadata_csv_loads_with_audiofolder(
    exported: tuple[Path, Any], tmp_path: Path, root: str
) -> None:
    datasets = pytest.importorskip("datasets", reason="datasets is a test extra")
    out, (summary, samples) = exported
    try:
        datasets.Audio(decode=False).encode_example(str(out / "manifest.jsonl"))
    except ImportError as e:  # datasets >= 4 needs torch and torchcodec even to store paths
        pytest.skip(f"datasets {datasets.__version__} cannot build an audio column: {e}")
    loaded = datasets.load_dataset(
        "audiofolder", data_dir=str(out / root), cache_dir=str(tmp_path / "hf")
    )
    assert list(loaded) == ["train"]  # clip names must not look like split names
    # Decoding needs librosa (datasets 3) or torchcodec (datasets 4+); read paths instead.
    ds = loaded["train"].cast_column("audio", datasets.Audio(decode=False))
    assert ds.num_rows == len(summary.clips)
    assert ds["transcription"] == [c.text for c in summary.clips]
    assert ds["speaker"] == [c.speaker for c in summary.clips]
    for row, clip in zip(ds, summary.clips):
        path = Path(row["audio"]["path"])
        assert path.name == f"{clip.clip_id}.flac"
        np.testing.assert_array_equal(
            audio.load(path).samples, samples[clip.start_sample : clip.end_sample]
        )


# -- real audio ------------------------------------------------------------------------------


def _norm_words(text: str) -> list[str]:
    """Lowercase, punctuation out (hyphens split words), as the truth file writes words."""
    return re.sub(r"[^a-z0-9\s]", "", text.lower().replace("-", " ")).split()


def _align(audio_path: Path, transcript: Path, outdir: Path) -> Path:
    argv = ["-q", "align", str(audio_path), str(transcript), "-o", str(outdir)]
    assert main([*argv, "--format", "json"]) == 0
    return outdir / f"{transcript.stem}.json"


@pytest.fixture(scope="module")
def example_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    tmp = tmp_path_factory.mktemp("example")
    saved = _align(EXAMPLE_AUDIO, EXAMPLE_TRANSCRIPT, tmp)
    return read_result(saved), tmp


@pytest.mark.slow
@pytest.mark.parametrize("max_s", [30.0, 4.0])
def test_example_clips_hold_their_utterance(
    example_export: tuple[Result, Path], max_s: float
) -> None:
    from praatio import textgrid

    result, tmp = example_export
    out = tmp / f"ds_{max_s:g}"
    opts = ExportOptions(max_s=max_s)
    summary = export_clips(result, EXAMPLE_AUDIO, out, opts)
    assert summary.clips
    grid = textgrid.openTextgrid(str(EXAMPLE_TEXTGRID), includeEmptyIntervals=False)
    utterances = [
        (e.start, e.end, _norm_words(e.label))
        for name in grid.tierNames
        for e in grid.getTier(name).entries
    ]
    rows = _read_jsonl(out / "manifest.jsonl")
    assert len(rows) == len(summary.clips)
    problems = []
    for clip, row in zip(summary.clips, rows):
        assert opts.min_s - _SAMPLE_S <= clip.duration_s <= opts.max_s + _SAMPLE_S
        decoded = audio.load(out / row["audio_filepath"]).samples.shape[0]
        assert decoded == clip.end_sample - clip.start_sample
        assert clip.text == _timed_text(result.turns[clip.turn], clip)
        # A clip no mismatch touches lies in one utterance and holds a run of its words;
        # a flagged one (engine times can be off there) at least overlaps its utterance.
        touching = [u for u in utterances if u[0] < clip.end_s and u[1] > clip.start_s]
        words = _norm_words(clip.text)
        own = [u for u in touching if _in_order(words, u[2], contiguous=not clip.mismatch)]
        if not own or (not clip.mismatch and len(touching) != 1):
            problems.append(
                f"{clip.clip_id} {clip.start_s:.3f}-{clip.end_s:.3f} "
                f"mismatch={clip.mismatch_kinds}: {' '.join(words)!r} touches "
                + "; ".join(f"{u[0]:.3f}-{u[1]:.3f} {' '.join(u[2])!r}" for u in touching)
            )
    assert not problems, "\n".join(problems)


def _in_order(words: list[str], ref: list[str], contiguous: bool) -> bool:
    if contiguous:
        n = len(words)
        return any(ref[i : i + n] == words for i in range(len(ref) - n + 1))
    it = iter(ref)
    return all(w in it for w in words)


@pytest.fixture(scope="module")
def conv_dev_result(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    bench = shared_dir / "bench"
    return _align(
        bench / "conv_dev.flac", bench / "conv_dev.clean.txt", tmp_path_factory.mktemp("conv")
    )


# The must-show runs with the defaults (1-30 s clips); short clips (max 6 s) force cuts
# inside turns, at pauses the aligner placed, and are held to the bounds and a measured
# text accuracy below.
_CONV_DEV_OPTIONS = {"default": ExportOptions()}


@pytest.fixture(scope="module", params=sorted(_CONV_DEV_OPTIONS))
def conv_dev_export(
    request: pytest.FixtureRequest, conv_dev_result: Path, shared_dir: Path
) -> tuple[ExportOptions, list[dict[str, Any]], Path, list[dict[str, Any]]]:
    opts = _CONV_DEV_OPTIONS[request.param]
    out = conv_dev_result.parent / f"ds_{request.param}"
    export_clips(read_result(conv_dev_result), shared_dir / "bench" / "conv_dev.flac", out, opts)
    truth = json.loads((shared_dir / "bench" / "conv_dev.truth.json").read_text())
    return opts, _read_jsonl(out / "manifest.jsonl"), out, truth["words"]


@pytest.mark.slow
def test_conv_dev_clip_text_equals_the_truth_words_inside_it(
    conv_dev_export: tuple[ExportOptions, list[dict[str, Any]], Path, list[dict[str, Any]]],
) -> None:
    _, rows, _, truth_words = conv_dev_export
    wrong = []
    for row in rows:
        start, end = row["source_start_s"], row["source_end_s"]
        inside = [w for w in truth_words if start < (w["start"] + w["end"]) / 2 < end]
        want = [x for w in inside for x in _norm_words(w["word"])]
        got = _norm_words(row["text"])
        if got != want:
            wrong.append(
                f"{row['id']} {start:.3f}-{end:.3f} mismatch={row['mismatch_kinds'] or '-'}\n"
                f"    clip : {' '.join(got)}\n    truth: {' '.join(want)}"
            )
    assert not wrong, f"{len(wrong)} of {len(rows)} clips:\n" + "\n".join(wrong)


@pytest.mark.slow
def test_conv_dev_no_clip_edge_cuts_a_gold_word(
    conv_dev_export: tuple[ExportOptions, list[dict[str, Any]], Path, list[dict[str, Any]]],
) -> None:
    _, rows, _, truth_words = conv_dev_export
    gold = [w for w in truth_words if w["grade"] == "gold"]
    cuts = [
        f"{row['id']} edge {edge:.3f}s inside {w['word']!r} {w['start']:.3f}-{w['end']:.3f}"
        for row in rows
        for edge in (row["source_start_s"], row["source_end_s"])
        for w in gold
        if w["start"] < edge < w["end"]
    ]
    assert not cuts, f"{len(cuts)} edges cut gold words:\n" + "\n".join(cuts)


@pytest.mark.slow
def test_conv_dev_clip_files_respect_the_bounds(
    conv_dev_export: tuple[ExportOptions, list[dict[str, Any]], Path, list[dict[str, Any]]],
) -> None:
    opts, rows, out, _ = conv_dev_export
    assert rows
    for row in rows:
        with_file = audio.load(out / row["audio_filepath"]).duration_s
        assert with_file == pytest.approx(row["duration"], abs=1e-4)
        assert opts.min_s - _SAMPLE_S <= with_file <= opts.max_s + _SAMPLE_S
    dropped = _read_jsonl(out / "dropped.jsonl")
    assert all(d["reason"] in ("too_short", "too_long", "overlap") for d in dropped)


@pytest.mark.slow
def test_conv_dev_short_clips_keep_bounds_and_mostly_exact_text(
    conv_dev_result: Path, shared_dir: Path
) -> None:
    opts = ExportOptions(max_s=6.0)
    out = conv_dev_result.parent / "ds_short"
    export_clips(read_result(conv_dev_result), shared_dir / "bench" / "conv_dev.flac", out, opts)
    truth_words = json.loads((shared_dir / "bench" / "conv_dev.truth.json").read_text())["words"]
    rows = _read_jsonl(out / "manifest.jsonl")
    assert len(rows) > 48  # long turns were split
    exact = 0
    for row in rows:
        assert opts.min_s - _SAMPLE_S <= row["duration"] <= opts.max_s + _SAMPLE_S
        start, end = row["source_start_s"], row["source_end_s"]
        inside = [w for w in truth_words if start < (w["start"] + w["end"]) / 2 < end]
        exact += _norm_words(row["text"]) == [x for w in inside for x in _norm_words(w["word"])]
    assert exact / len(rows) >= 0.9, f"{exact}/{len(rows)} clips with exactly the truth words"


def test_exported_files_take_the_umask_mode(
    episode: tuple[Result, Path, np.ndarray], tmp_path: Path
) -> None:
    """Under umask 022 every clip and manifest is 0644: another account, or a training job
    run as another user, reads the dataset (private 0600 files came out before)."""
    result, wav, _ = episode
    out = tmp_path / "out"
    old = os.umask(0o022)
    try:
        export_clips(result, wav, out, ExportOptions(max_s=8.0))
    finally:
        os.umask(old)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) >= 5  # clips, manifest.jsonl, metadata.csv, ljspeech, dropped.jsonl
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in files} == {
        p.name: "0o644" for p in files
    }
