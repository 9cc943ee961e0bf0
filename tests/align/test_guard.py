"""The first pass's hallucination guard (``align.guard``) on the bundled example.

tiny.en's real first pass over ``examples/michaelandsickmichael``, with a loop planted the
way Whisper prints one: turn 4's sentence ("And I'm saying a bunch of different words...")
twice more over turn 6's speech ("And here's a long pause..."), in place of what was heard
there. Heard again, the stretch gives turn 6's words back; an engine that loops again has
the loop dropped, and the acoustic check places turn 6 instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import audio
from align.engines.base import Engine, EngineOptions, Heard, HeardWord, ScoreRequest
from align.evaluation import read_reference
from align.guard import guard_loops
from align.model import Result
from align.pipeline import AlignOptions, align_heard, load_engine, transcribe_file
from align.transcript import Transcript, read_transcript

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "michaelandsickmichael"
TOLERANCE_S = 0.25
SENTENCE_S = (40.2, 44.7)  # turn 4, as heard
LOOP_S = (46.5, 51.44)  # turn 6's speech, where the loop is planted


@pytest.fixture(scope="module")
def engine() -> Engine:
    return load_engine("faster-whisper", EngineOptions(workers=1))


@pytest.fixture(scope="module")
def looped(engine: Engine) -> Heard:
    heard = transcribe_file(EXAMPLE.with_suffix(".flac"), engine, 300.0)
    sentence = [w.text for w in heard.words if SENTENCE_S[0] <= w.start < SENTENCE_S[1]]
    assert sentence[:3] == ["And", "I'm", "saying"]
    lo, hi = LOOP_S
    texts = sentence * 2
    step = (hi - lo) / len(texts)
    loop = [HeardWord(t, lo + k * step, lo + (k + 1) * step, 0.9) for k, t in enumerate(texts)]
    kept = [w for w in heard.words if not lo <= w.start <= hi]
    return Heard(tuple(sorted([*kept, *loop], key=lambda w: (w.start, w.end))), heard.language)


@pytest.fixture(scope="module")
def transcript() -> Transcript:
    return read_transcript(EXAMPLE.with_suffix(".txt"), None)


class _LoopsAgain:
    """The real engine, except that re-hearing the planted loop's stretch prints it again."""

    def __init__(self, engine: Engine, loop: Heard) -> None:
        self._engine = engine
        self._loop = loop

    @property
    def info(self) -> Any:
        return self._engine.info

    @property
    def parallel(self) -> int:
        return 1

    def transcribe(self, samples: np.ndarray, *, offset_s: float = 0.0, **kw: Any) -> Heard:
        if offset_s < LOOP_S[0] < offset_s + len(samples) / audio.SAMPLE_RATE:
            words = [w for w in self._loop.words if LOOP_S[0] <= w.start <= LOOP_S[1]]
            return Heard(tuple(words), "en")
        return self._engine.transcribe(samples, offset_s=offset_s, **kw)

    def score(self, request: ScoreRequest) -> tuple[tuple[float, ...], ...]:
        return self._engine.score(request)


def _in_loop(heard: Heard) -> list[str]:
    return [w.text for w in heard.words if LOOP_S[0] <= (w.start + w.end) / 2 <= LOOP_S[1]]


def _check_turns(result: Result) -> None:
    ref = read_reference(EXAMPLE.with_suffix(".TextGrid"))
    assert [m for m in result.mismatches if m.kind == "not_in_audio"] == []
    for turn, truth in zip(result.turns, ref.turns):
        if turn.index < 4:
            continue  # turn 3 starts late for its own reason (tests/test_example.py)
        assert turn.status == "aligned" and turn.start is not None and turn.end is not None
        assert abs(turn.start - truth.start_s) <= TOLERANCE_S, f"turn {turn.index} start"
        assert abs(turn.end - truth.end_s) <= TOLERANCE_S, f"turn {turn.index} end"


@pytest.mark.slow
def test_a_looped_stretch_heard_again_gives_the_turns_words_back(
    engine: Engine, looped: Heard, transcript: Transcript
) -> None:
    path = EXAMPLE.with_suffix(".flac")
    duration_s = audio.probe_duration_s(path)
    guarded = guard_loops(transcript, looped, path, duration_s, engine)
    heard_again = " ".join(_in_loop(guarded)).lower()
    assert "bunch" not in heard_again and "pause" in heard_again and "thanks" in heard_again
    # Turn 4 keeps its own words (the real copy, before the loop).
    assert [w.text for w in guarded.words if SENTENCE_S[0] <= w.start < SENTENCE_S[1]][:3] == [
        "And", "I'm", "saying"
    ]  # fmt: skip
    result = align_heard(transcript, looped, path, duration_s, engine, AlignOptions())
    _check_turns(result)
    assert all(w.evidence == "whisper" for w in result.turns[6].words[:4])


@pytest.mark.slow
def test_a_stretch_that_loops_again_is_dropped_and_the_audio_places_the_turn(
    engine: Engine, looped: Heard, transcript: Transcript
) -> None:
    path = EXAMPLE.with_suffix(".flac")
    duration_s = audio.probe_duration_s(path)
    stubborn = _LoopsAgain(engine, looped)
    guarded = guard_loops(transcript, looped, path, duration_s, stubborn)
    assert _in_loop(guarded) == []  # the loop's words are no evidence
    result = align_heard(transcript, looped, path, duration_s, stubborn, AlignOptions())
    _check_turns(result)
    assert result.turns[6].words[0].evidence == "acoustic"


def test_a_first_pass_that_does_not_loop_costs_no_decode() -> None:
    data = json.loads((ROOT / "tests" / "data" / "conv_dev.heard.json").read_text("utf-8"))
    heard = Heard(tuple(HeardWord(w, a, b, p) for w, a, b, p in data["words"]), "en")
    transcript = read_transcript(ROOT / "tests" / "data" / "conv_dev.clean.txt", None)

    class _Refuses:
        info = parallel = None

        def transcribe(self, *_: Any, **__: Any) -> Heard:
            raise AssertionError("no loop, so nothing to hear again")

    refuses: Any = _Refuses()
    assert guard_loops(transcript, heard, "unused.flac", data["duration"], refuses) is heard
