"""The audio's verdict on "not in audio" (``align.refine.verify``), on real recordings only.

The cases are cut from ``../shared/bench/conv_dev`` (real clips, exact word times) and
``../shared/data/real`` with ``align.evaluation.splice``; they skip when ``../shared`` is
absent. The first tests run only the forced aligner, on a result built from the truth; the
end-to-end ones run the default pipeline (Whisper tiny.en) on a 70 s excerpt, once.
"""

from __future__ import annotations

import json
import wave
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import audio
from align.cli import main
from align.evaluation.splice import Conversation
from align.model import (
    AudioInfo,
    EngineInfo,
    Mismatch,
    MismatchReason,
    Result,
    TranscriptInfo,
    Turn,
    Word,
)
from align.refine.rooms import repeat_copies
from align.refine.verify import verify_result

TOLERANCE_S = 0.25
# The excerpt: conv_dev's first ten turns (69.5 s).
N_TURNS = 10


def _write_wav(samples: np.ndarray, path: Path) -> Path:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(audio.SAMPLE_RATE)
        w.writeframes(pcm.tobytes())
    return path


@pytest.fixture(scope="module")
def conv_dev(shared_dir: Path) -> Conversation:
    bench = shared_dir / "bench"
    truth = json.loads((bench / "conv_dev.truth.json").read_text("utf-8"))
    samples = audio.load(bench / "conv_dev.flac").samples
    return Conversation.load(samples, (bench / "conv_dev.clean.txt").read_text("utf-8"), truth)


@pytest.fixture
def head(conv_dev: Conversation, tmp_path: Path) -> tuple[Conversation, Path]:
    """conv_dev's first ``N_TURNS`` turns, and their audio in a file (the aligner needed)."""
    pytest.importorskip("pocketsphinx")
    conv = conv_dev.head(N_TURNS)
    return conv, _write_wav(conv.samples, tmp_path / "head.wav")


def _result_from_truth(conv: Conversation, path: Path) -> Result:
    """What a perfect first pass would give: every word matched at its true time."""
    turns = []
    for i, t in enumerate(conv.turns):
        words = tuple(
            Word(tok, w["start"], w["end"], "matched", 0.9) for tok, w in zip(t.tokens, t.words)
        )
        text = " ".join(t.tokens)
        if words:
            turn = Turn(i, t.speaker, text, words[0].start, words[-1].end, "aligned", words, 0.9)
        else:
            words = tuple(Word(tok, None, None, "not_found") for tok in t.tokens)
            turn = Turn(i, t.speaker, text, None, None, "not_found", words)
        turns.append(turn)
    return Result(
        audio=AudioInfo(str(path), round(conv.duration_s, 3)),
        transcript=TranscriptInfo("t.txt", "speaker_blocks", ""),
        engine=EngineInfo("none", "", "", "", "en"),
        turns=tuple(turns),
        refine="full",
    )


def _unheard(result: Result, turn: int, start: int, count: int, reason: MismatchReason) -> Result:
    """``result`` with words ``[start, start + count)`` of ``turn`` untimed and reported."""
    t = result.turns[turn]
    words = list(t.words)
    for k in range(start, start + count):
        words[k] = Word(words[k].text, None, None, "not_found")
    timed = [w for w in words if w.start is not None]
    t = replace(
        t,
        words=tuple(words),
        status="aligned" if timed else "not_found",
        start=timed[0].start if timed else None,
        end=timed[-1].end if timed else None,
    )
    text = " ".join(w.text for w in t.words[start : start + count])
    flag = Mismatch("not_in_audio", turn, text, None, None, word_start=start, word_count=count,
                    reason=reason, confidence=0.6)  # fmt: skip
    turns = list(result.turns)
    turns[turn] = t
    return result.with_turns(tuple(turns), mismatches=(*result.mismatches, flag))


def _flags(result: Result) -> list[Mismatch]:
    return [m for m in result.mismatches if m.kind == "not_in_audio"]


def _with_copy(result: Result, turn: int, at: int, first: int, count: int) -> Result:
    """``result`` with words ``[first, first + count)`` of ``turn`` written again before
    word ``at``, untimed (an earlier ASR pass's duplicate)."""
    t = result.turns[turn]
    copy = tuple(Word(w.text, None, None, "not_found") for w in t.words[first : first + count])
    words = (*t.words[:at], *copy, *t.words[at:])
    turns = list(result.turns)
    turns[turn] = replace(t, words=words, text=" ".join(w.text for w in words))
    return result.with_turns(tuple(turns), mismatches=result.mismatches)


def test_a_spoken_word_the_engine_missed_is_timed_by_the_audio(
    head: tuple[Conversation, Path],
) -> None:
    conv, path = head
    # Turn 9 "Um I have a cold": the 30 ms "a" (gold 60.10-60.13 s) and the 0.5 s "cold".
    result = _unheard(_result_from_truth(conv, path), 9, 3, 1, "not heard")
    result = _unheard(result, 9, 4, 1, "not heard")
    out = verify_result(result, path)
    assert _flags(out) == []
    for k, truth in ((3, conv.turns[9].words[3]), (4, conv.turns[9].words[4])):
        w = out.turns[9].words[k]
        assert w.evidence == "acoustic" and w.start is not None and w.end is not None
        # pocketsphinx puts the 30 ms reduced "a" 110 ms later than MFA's gold, and the
        # start of "cold" with it (160 ms): two aligners' disagreement, within the 250 ms.
        assert abs(w.start - truth["start"]) <= TOLERANCE_S
        assert abs(w.end - truth["end"]) <= TOLERANCE_S


def test_a_phrase_written_twice_but_said_once_stays_not_in_audio(
    head: tuple[Conversation, Path],
) -> None:
    conv, path = head
    truth = _result_from_truth(conv, path)
    t = truth.turns[5]
    # Turn 5 "This fair child of mine shall sum my count": "child of mine" written twice.
    result = _with_copy(truth, 5, 5, 2, 3)
    flag = Mismatch("not_in_audio", 5, "child of mine", None, None, word_start=5, word_count=3,
                    reason="repeated phrase", confidence=0.9)  # fmt: skip
    result = result.with_turns(result.turns, mismatches=(flag,))
    out = verify_result(result, path)
    assert [(m.turn, m.word_start, m.word_count) for m in _flags(out)] == [(5, 5, 3)]
    assert all(w.start is None for w in out.turns[5].words[5:8])
    assert out.turns[5].start == t.start and out.turns[5].end == t.end


def test_a_turn_with_no_audio_stays_not_in_audio_and_its_neighbours_keep_their_times(
    conv_dev: Conversation, tmp_path: Path
) -> None:
    pytest.importorskip("pocketsphinx")
    conv = conv_dev.head(N_TURNS)
    conv.remove_turn_audio(4)  # the audio of "Unless to be rather cold hearted ..." is gone
    path = _write_wav(conv.samples, tmp_path / "cut.wav")
    result = _result_from_truth(conv, path)
    flag = Mismatch("not_in_audio", 4, result.turns[4].text, None, None, word_start=0,
                    word_count=len(result.turns[4].words), reason="turn not heard")  # fmt: skip
    out = verify_result(result.with_turns(result.turns, mismatches=(flag,)), path)
    assert out.turns[4].status == "not_found" and [m.turn for m in _flags(out)] == [4]
    for k in (3, 5):
        before, after = result.turns[k], out.turns[k]
        assert (after.start, after.end) == (before.start, before.end)


def test_an_unheard_turn_is_placed_and_the_copy_written_in_it_reported(
    head: tuple[Conversation, Path],
) -> None:
    conv, path = head
    # Turn 5 "This fair child of mine shall sum ...": the engine heard none of it, and the
    # transcript writes "child of mine" twice.
    result = _with_copy(_result_from_truth(conv, path), 5, 5, 2, 3)
    result = _unheard(result, 5, 0, len(result.turns[5].words), "turn not heard")
    out = verify_result(result, path)
    assert [(m.turn, m.word_start, m.word_count, m.reason) for m in _flags(out)] == [
        (5, 5, 3, "repeated phrase")
    ]
    t = out.turns[5]
    assert t.status == "aligned" and t.start is not None and t.end is not None
    assert all(w.start is None for w in t.words[5:8])
    assert all(w.evidence == "acoustic" for k, w in enumerate(t.words) if not 5 <= k < 8)
    assert abs(t.start - conv.turns[5].words[0]["start"]) <= TOLERANCE_S
    assert abs(t.end - conv.turns[5].words[-1]["end"]) <= TOLERANCE_S


def test_a_copy_paired_with_a_lost_turns_audio_gives_the_audio_back(
    head: tuple[Conversation, Path],
) -> None:
    conv, path = head
    # Turn 7 "Yeah so that just happened ..." unheard; turn 8 "Three look in thy glass and
    # tell ..." written with "Three look in thy glass and" twice, and the first copy paired
    # (weakly, as the matcher does in noise) with turn 7's audio.
    truth = _result_from_truth(conv, path)
    result = _with_copy(truth, 8, 0, 0, 6)
    result = _unheard(result, 7, 0, len(result.turns[7].words), "turn not heard")
    lost = [(w["start"], w["end"]) for w in conv.turns[7].words]
    t = result.turns[8]
    paired = tuple(
        Word(w.text, lost[k][0], lost[k][1], "substituted", 0.2, "nothing") if k < 6 else w
        for k, w in enumerate(t.words)
    )
    turns = list(result.turns)
    turns[8] = replace(t, words=paired, start=paired[0].start)
    result = result.with_turns(tuple(turns), mismatches=result.mismatches)
    out = verify_result(result, path)
    assert [(m.turn, m.word_start, m.word_count, m.reason) for m in _flags(out)] == [
        (8, 0, 6, "repeated phrase")
    ]
    seven, eight = out.turns[7], out.turns[8]
    assert seven.status == "aligned" and seven.start is not None and seven.end is not None
    assert abs(seven.start - conv.turns[7].words[0]["start"]) <= TOLERANCE_S
    assert abs(seven.end - conv.turns[7].words[-1]["end"]) <= TOLERANCE_S
    assert all(w.start is None for w in eight.words[:6])
    # "Three" is the room's context now: the aligner may move it, not by much.
    assert eight.start is not None and truth.turns[8].start is not None
    assert abs(eight.start - truth.turns[8].start) <= TOLERANCE_S


def test_an_unheard_turn_opens_with_the_um_its_transcript_left_out(
    head: tuple[Conversation, Path],
) -> None:
    conv, path = head
    # Turn 9 "Um I have a cold ...", written without its "Um" (gold 59.06-59.65 s), and
    # the engine heard none of it: the turn starts at the "um".
    result = _result_from_truth(conv, path)
    t = result.turns[9]
    assert t.words[0].text.lower().strip(",.") == "um"
    turns = list(result.turns)
    turns[9] = replace(t, words=t.words[1:], text=" ".join(w.text for w in t.words[1:]))
    result = result.with_turns(tuple(turns), mismatches=())
    result = _unheard(result, 9, 0, len(turns[9].words), "turn not heard")
    out = verify_result(result, path)
    assert _flags(out) == []
    nine = out.turns[9]
    assert nine.start is not None and abs(nine.start - conv.turns[9].words[0]["start"]) <= 0.25
    first = nine.words[0]
    assert first.start is not None and abs(first.start - conv.turns[9].words[1]["start"]) <= 0.25


def test_a_last_word_carried_over_a_pause_to_the_next_turn_is_pulled_back(
    conv_dev: Conversation, tmp_path: Path
) -> None:
    pytest.importorskip("pocketsphinx")
    from align.refine.decide import RoomAligner, _pull_back_last_words
    from align.refine.forced import load_aligner
    from align.refine.rooms import Room, VerifyOptions, VerifyState

    conv = conv_dev.head(N_TURNS + 1)
    path = _write_wav(conv.samples, tmp_path / "head.wav")
    state = VerifyState(_result_from_truth(conv, path))
    # Turn 9 ends "...a bunch of different words" (gold "words" 66.08-66.56 s) and turn 10
    # starts 3 s later: a room's alignment put "words." against turn 10's "And".
    last = (9, len(state.result.turns[9].words) - 1)
    gold = conv.turns[9].words[-1]
    nxt = state.times[(10, 0)][0]
    state.times[last] = (nxt - 0.3, nxt)
    room = Room([], [], 60.0, 72.0)
    samples = conv.samples[60 * audio.SAMPLE_RATE : 72 * audio.SAMPLE_RATE]
    opts = VerifyOptions()
    _pull_back_last_words(state, room, samples, RoomAligner(load_aligner(), opts), opts, {last})
    start, end = state.times[last]
    assert abs(start - gold["start"]) <= TOLERANCE_S and abs(end - gold["end"]) <= TOLERANCE_S
    # Where the word does lie next to its turn, nothing moves.
    before = dict(state.times)
    _pull_back_last_words(state, room, samples, RoomAligner(load_aligner(), opts), opts, {last})
    assert state.times == before


# -- end to end, Whisper included ------------------------------------------------------------
@pytest.fixture(scope="module")
def spliced(
    conv_dev: Conversation, shared_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Conversation, Result, dict[str, Any]]:
    """One run on the excerpt with three edits: a real "the the", a real "Yeah." inserted as
    its own turn, and turn 4's audio cut out."""
    conv = conv_dev.head(N_TURNS)
    conv.remove_turn_audio(4)
    the = next(k for k, w in enumerate(conv.turns[9].words) if w["word"] == "the")
    conv.repeat_word(9, the)  # gold "the", 0.36 s
    src = audio.load(shared_dir / "data/real/A_word_level/mfa_cold_corpus3/cold_corpus3.wav")
    clip = src.samples[round(18.37 * audio.SAMPLE_RATE) : round(18.60 * audio.SAMPLE_RATE)]
    gap = (conv.turns[0].words[-1]["end"], conv.turns[1].words[0]["start"])
    conv.insert_turn(sum(gap) / 2, clip.copy(), "Speaker 10", "Yeah.", "yeah")
    out = tmp_path_factory.mktemp("spliced")
    path = _write_wav(conv.samples, out / "spliced.wav")
    (out / "spliced.txt").write_text(conv.transcript(), "utf-8")
    assert main(["-q", "align", str(path), str(out / "spliced.txt"), "-o", str(out),
                 "--format", "json"]) == 0  # fmt: skip
    result = Result.from_dict(json.loads((out / "spliced.json").read_text("utf-8")))
    return conv, result, conv.truth()


def _errors(result: Result, truth: dict[str, Any], k: int) -> tuple[float, float]:
    j = truth["noisy_turn_map"][k]
    turn, ref = result.turns[k], truth["turns"][j]
    assert turn.start is not None and turn.end is not None, f"turn {k} not timed"
    return abs(turn.start - ref["start"]), abs(turn.end - ref["end"])


@pytest.mark.slow
def test_a_spliced_real_repeat_is_timed_not_flagged(
    spliced: tuple[Conversation, Result, dict[str, Any]],
) -> None:
    conv, result, _ = spliced
    [(turn, k, _n)] = conv.repeats()
    words = result.turns[turn].words
    assert words[k].text.lower() == words[k + 1].text.lower().strip(".,") == "the"
    assert words[k].start is not None and words[k + 1].start is not None
    assert words[k].end <= words[k + 1].start + 1e-3  # type: ignore[operator]
    assert not [m for m in _flags(result) if m.turn == turn]


@pytest.mark.slow
def test_a_real_backchannel_turn_is_placed_where_it_was_said(
    spliced: tuple[Conversation, Result, dict[str, Any]],
) -> None:
    conv, result, truth = spliced
    [k] = conv.inserted_turns()
    assert result.turns[k].status == "aligned"
    start_err, end_err = _errors(result, truth, k)
    assert start_err <= TOLERANCE_S and end_err <= TOLERANCE_S


@pytest.mark.slow
def test_a_cut_turn_is_not_in_audio_and_no_turn_stretches_over_it(
    spliced: tuple[Conversation, Result, dict[str, Any]],
) -> None:
    _, result, truth = spliced
    cut = [k for k, j in enumerate(truth["noisy_turn_map"]) if j is None]
    assert len(cut) == 1 and result.turns[cut[0]].status == "not_found"
    assert [m.turn for m in _flags(result)] == cut  # the only report, and a true one
    for k, j in enumerate(truth["noisy_turn_map"]):
        if j is not None:
            start_err, end_err = _errors(result, truth, k)
            assert start_err <= TOLERANCE_S and end_err <= TOLERANCE_S, f"turn {k}"


def test_evidence_travels_through_the_json(conv_dev: Conversation, tmp_path: Path) -> None:
    result = _result_from_truth(conv_dev.head(2), tmp_path / "none.wav")
    words = list(result.turns[0].words)
    words[1] = Word(words[1].text, words[1].start, words[1].end, "interpolated", 0.3,
                    evidence="acoustic")  # fmt: skip
    turns = (replace(result.turns[0], words=tuple(words)), *result.turns[1:])
    back = Result.from_dict(result.with_turns(turns).to_dict())
    assert [w.evidence for w in back.turns[0].words[:3]] == ["whisper", "acoustic", "whisper"]
    data = result.to_dict()
    for t in data["turns"]:
        for w in t["words"]:
            del w["evidence"]  # a result written before the field existed
    assert {w.evidence for w in Result.from_dict(data).turns[0].words} == {"whisper"}


def test_phrases_written_twice_in_a_row_are_found_as_copies() -> None:
    words = (
        "So I probably sound quite different than I probably sound quite different than the".split()
    )
    assert repeat_copies(words) == [(7, 13)]
    # Punctuation and case do not hide a copy; a short repeat ("I I", "it took it took") is
    # a speaker's, and is left alone.
    assert repeat_copies("three look in thy glass and 3 Look in thy glass, and tell".split()) == [
        (6, 12)
    ]
    assert repeat_copies("I I think it took it took a while".split()) == []
