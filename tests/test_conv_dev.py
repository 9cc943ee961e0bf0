"""End to end on the 5-minute benchmark conversation, scored against its exact truth.

``../shared/bench/conv_dev``: 48 real-speech turns by 8 speakers; the noisy transcript
has duplicated phrases, dropped words, digits, removed fillers, one spoken turn missing
and one extra turn ("Speaker 9") with no audio. One run of the CLI per transcript is
shared by every test here.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import pytest

from align.cli import main
from align.model import Result

FORMATS = "json,srt,vtt,md"


def _run(shared_dir: Path, out: Path, which: str) -> Result:
    bench = shared_dir / "bench"
    code = main(
        [
            "-q",
            "align",
            str(bench / "conv_dev.flac"),
            str(bench / f"conv_dev.{which}.txt"),
            "-o",
            str(out),
            "--format",
            FORMATS,
        ]
    )
    assert code == 0
    return Result.from_dict(json.loads((out / f"conv_dev.{which}.json").read_text("utf-8")))


@pytest.fixture(scope="module")
def truth(shared_dir: Path) -> dict[str, Any]:
    return json.loads((shared_dir / "bench" / "conv_dev.truth.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def noisy_run(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    out = tmp_path_factory.mktemp("conv_dev_noisy")
    return _run(shared_dir, out, "noisy"), out


def _turn_errors(result: Result, truth: dict[str, Any]) -> list[tuple[float, float]]:
    """(start error, end error) in seconds per spoken turn; inf when the turn has no time."""
    errors = []
    for k, ti in enumerate(truth["noisy_turn_map"]):
        if ti is None:
            continue
        turn, ref = result.turns[k], truth["turns"][ti]
        if turn.start is None or turn.end is None:
            errors.append((float("inf"), float("inf")))
        else:
            errors.append((abs(turn.start - ref["start"]), abs(turn.end - ref["end"])))
    return errors


def test_every_format_written(noisy_run: tuple[Result, Path]) -> None:
    _, out = noisy_run
    for ext in FORMATS.split(","):
        assert (out / f"conv_dev.noisy.{ext}").stat().st_size > 0


def test_every_transcript_turn_is_in_the_result(
    noisy_run: tuple[Result, Path], truth: dict[str, Any]
) -> None:
    result, _ = noisy_run
    assert len(result.turns) == len(truth["noisy_turn_map"])
    for turn in result.turns:
        assert " ".join(w.text for w in turn.words) == " ".join(turn.text.split())


def test_spoken_turns_within_one_second(
    noisy_run: tuple[Result, Path], truth: dict[str, Any]
) -> None:
    result, _ = noisy_run
    errors = _turn_errors(result, truth)
    assert len(errors) == 47
    within = sum(1 for s, e in errors if s <= 1.0 and e <= 1.0)
    assert within / len(errors) >= 0.97, f"{within}/{len(errors)} turns within 1 s"


def test_extra_turn_gets_no_time(noisy_run: tuple[Result, Path], truth: dict[str, Any]) -> None:
    result, _ = noisy_run
    extra = [k for k, ti in enumerate(truth["noisy_turn_map"]) if ti is None]
    assert extra
    for k in extra:
        turn = result.turns[k]
        assert turn.status == "not_found" and turn.start is None and turn.end is None
        assert any(m.kind == "not_in_audio" and m.turn == k for m in result.mismatches)


def test_times_monotonic_and_in_bounds(noisy_run: tuple[Result, Path]) -> None:
    result, _ = noisy_run
    last_end = 0.0
    for turn in result.turns:
        if turn.start is None or turn.end is None:
            continue
        assert 0.0 <= turn.start <= turn.end <= result.audio.duration
        assert turn.start >= last_end - 1e-3, f"turn {turn.index} starts before the previous ends"
        last_end = turn.end
        word_times = [(w.start, w.end) for w in turn.words if w.start is not None]
        for (s0, e0), (s1, _) in zip(word_times, word_times[1:]):
            assert s0 <= e0 <= s1 + 1e-3


def test_turn_start_median_error(noisy_run: tuple[Result, Path], truth: dict[str, Any]) -> None:
    """Reported, loosely held: the refinement issue tightens this bound."""
    result, _ = noisy_run
    starts = [s for s, _ in _turn_errors(result, truth)]
    assert statistics.median(starts) <= 0.35


@pytest.fixture(scope="module")
def clean_run(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Result:
    return _run(shared_dir, tmp_path_factory.mktemp("conv_dev_clean"), "clean")


def test_duplicates_and_extra_turn_are_reported(
    noisy_run: tuple[Result, Path], truth: dict[str, Any]
) -> None:
    """Recall over the injected duplicates and the extra turn, counted here from the truth."""
    result, _ = noisy_run
    targets = [c for c in truth["noisy_corruptions"] if c["type"] in ("duplicate", "extra_turn")]
    inverse = {ti: k for k, ti in enumerate(truth["noisy_turn_map"]) if ti is not None}
    found = 0
    for c in targets:
        if c["type"] == "extra_turn":
            k = truth["noisy_turn_map"].index(None)
            found += result.turns[k].status == "not_found"
            continue
        k = inverse[c["turn"]]
        dup = c["text"].split()
        flagged = [
            m for m in result.mismatches
            if m.kind == "not_in_audio" and m.turn == k and m.word_count >= len(dup) // 2
        ]  # fmt: skip
        found += bool(flagged)
    assert found / len(targets) >= 0.9, f"{found}/{len(targets)} reported"


def test_clean_transcript_has_few_false_flags(clean_run: Result) -> None:
    """The clean transcript is as spoken: nearly nothing in it is 'not in the audio'."""
    flags = [m for m in clean_run.mismatches if m.kind == "not_in_audio"]
    assert len(flags) <= 2, [m.text for m in flags]
    assert all(t.status == "aligned" for t in clean_run.turns)


def _sounds_alike(a: str, b: str) -> bool:
    from align.refine.forced import load_aligner

    aligner = load_aligner()
    return bool(set(aligner.pronunciations(a)) & set(aligner.pronunciations(b)))


def test_injected_substitutions_are_reported_and_nothing_else(
    noisy_run: tuple[Result, Path], truth: dict[str, Any]
) -> None:
    """Every word the noisy transcript got wrong is reported heard differently, but the two
    that only sound like the spoken word ("won" for "one"), and no other word is: each
    report is the audio's (Whisper, teacher-forced, prefers the heard word)."""
    result, _ = noisy_run
    inverse = {ti: k for k, ti in enumerate(truth["noisy_turn_map"]) if ti is not None}
    injected = [c for c in truth["noisy_corruptions"] if c["type"] == "substitution"]
    targets = {(inverse[c["turn"]], c["at_word"]) for c in injected}
    meant = {
        (inverse[c["turn"]], c["at_word"])
        for c in injected
        if not _sounds_alike(c["text"], c["into"])
    }
    reported = {(m.turn, m.word_start): m for m in result.mismatches if m.kind == "substitution"}
    assert len(meant) >= 6
    assert meant <= set(reported), sorted(meant - set(reported))
    assert set(reported) <= targets, [(m.text, m.heard) for m in reported.values()]
    for m in reported.values():
        assert m.decided_by == "teacher-forced"
        assert (m.score("p_written") or 0.0) < (m.score("p_heard") or 0.0)


def test_clean_transcript_has_few_substitutions(clean_run: Result) -> None:
    """As spoken, word for word: at most 5 in 1,000 words may be reported heard differently
    (Whisper's free text differs from it at 53 of its 688)."""
    words = sum(len(t.words) for t in clean_run.turns)
    subs = [(m.text, m.heard) for m in clean_run.mismatches if m.kind == "substitution"]
    assert len(subs) <= 5 * words / 1000, subs


def test_only_the_missing_turn_is_not_in_the_transcript(
    noisy_run: tuple[Result, Path], truth: dict[str, Any]
) -> None:
    """The turn cut from the noisy transcript is speech it does not explain, and the one
    report of it; the audio decided it (read teacher-forced, the next turn's first word does
    not follow the previous turn's last)."""
    result, _ = noisy_run
    (missing,) = [c for c in truth["noisy_corruptions"] if c["type"] == "missing_turn"]
    spoken = truth["turns"][missing["turn"]]
    unheard = [m for m in result.mismatches if m.kind == "not_in_transcript"]
    assert len(unheard) == 1, [m.text for m in unheard]
    (m,) = unheard
    assert m.start is not None and m.end is not None
    assert m.start < spoken["end"] and spoken["start"] < m.end
    assert m.decided_by == "teacher-forced"
