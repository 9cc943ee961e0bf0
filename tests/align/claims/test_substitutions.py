"""The audio's verdict on "heard differently", on real recordings.

The bundled example's transcript is exact: every word Whisper wrote differently there is
a mishearing, and none may stay reported. JFK's sentence with words planted in it: a
different word is reported, with the figures that decided it; a word that only sounds
alike, or an old spelling of the spoken one, is not.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import audio
from align.claims import ClaimOptions, judge_substitutions
from align.claims.substitutions import is_claim
from align.claims.types import Reading
from align.engines.base import Engine, EngineOptions, ScoreRequest
from align.model import Result
from align.options import AlignOptions
from align.pipeline import align_file, load_engine

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "michaelandsickmichael"
JFK = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
UNJUDGED = AlignOptions(claims=ClaimOptions(judge=False))


@pytest.fixture(scope="module")
def engine() -> Engine:
    return load_engine("faster-whisper", EngineOptions(workers=1))


def _subs(result: Result) -> list[tuple[str, str | None]]:
    return [(m.text, m.heard) for m in result.mismatches if m.kind == "substitution"]


@pytest.mark.slow
def test_an_exact_transcript_keeps_no_substitution(engine: Engine) -> None:
    """The example as transcribed by MFA's authors: Whisper writes some of its words
    differently (the hoarse speaker most), and the audio backs none of them."""
    flac, txt = EXAMPLE.with_suffix(".flac"), EXAMPLE.with_suffix(".txt")
    unjudged = align_file(flac, txt, UNJUDGED, engine=engine)
    assert _subs(unjudged), "Whisper's text differs somewhere on this recording"
    judged = judge_substitutions(unjudged, audio.decode_once(flac), engine)
    assert _subs(judged) == []
    for m in unjudged.mismatches:
        if m.kind == "substitution" and m.turn is not None and m.word_start is not None:
            word = judged.turns[m.turn].words[m.word_start]
            assert word.status == "matched"  # the written word stands
            assert word.heard == m.heard  # and what Whisper wrote is kept
    assert [m for m in judged.mismatches if m.kind != "substitution"] == [
        m for m in unjudged.mismatches if m.kind != "substitution"
    ]


def _align_jfk(tmp_path: Path, jfk_path: Path, text: str, engine: Engine) -> Result:
    transcript = tmp_path / "jfk.txt"
    transcript.write_text(f"Speaker 1: {text}\n", "utf-8")
    return align_file(jfk_path, transcript, AlignOptions(), engine=engine)


@pytest.mark.slow
def test_a_different_word_is_reported_with_what_decided_it(
    tmp_path: Path, jfk_path: Path, engine: Engine
) -> None:
    result = _align_jfk(tmp_path, jfk_path, JFK.replace("Americans", "Africans"), engine)
    (m,) = [m for m in result.mismatches if m.kind == "substitution"]
    assert m.text == "Africans,"
    assert (m.heard or "").strip(",") == "Americans"
    assert m.decided_by == "teacher-forced"
    p_written, p_heard = m.score("p_written"), m.score("p_heard")
    assert p_written is not None and p_heard is not None
    assert p_written < 0.01 < 0.5 < p_heard
    assert result.turns[0].words[4].status == "substituted"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("spoken", "written"),
    [("for you", "four you"), ("what you can do", "what you canst do")],
)
def test_a_word_that_sounds_alike_or_an_old_spelling_is_not(
    tmp_path: Path, jfk_path: Path, engine: Engine, spoken: str, written: str
) -> None:
    result = _align_jfk(tmp_path, jfk_path, JFK.replace(spoken, written, 1), engine)
    assert _subs(result) == []
    assert all(w.status == "matched" for w in result.turns[0].words)


def test_helper_and_this_process_read_alike(jfk_path: Path) -> None:
    """Readings are a function of their inputs: two at once (one here, one in the helper
    process) read what one alone reads."""
    two = load_engine("faster-whisper", EngineOptions(workers=2))
    samples = audio.load(jfk_path).samples[: 5 * audio.SAMPLE_RATE]
    request = ScoreRequest(samples, (tuple(JFK.split()[:5]),))
    alone = two.score(request)
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(two.score, [request, request]))
    assert together == [alone, alone]
    assert np.median(alone[0]) > 0.5


@pytest.mark.parametrize(
    ("reading", "claim"),
    [
        (Reading(written=0.001, heard=0.9, inserted=0.0, heard_confidence=0.95), True),
        (Reading(written=0.05, heard=0.9, inserted=0.0, heard_confidence=0.95), False),
        (Reading(written=0.001, heard=0.02, inserted=0.0, heard_confidence=0.95), False),
        (Reading(written=0.004, heard=0.03, inserted=0.0, heard_confidence=0.95), False),
        # Whisper unsure of its own word, and not sure of it in the transcript's context.
        (Reading(written=0.001, heard=0.45, inserted=0.0, heard_confidence=0.45), False),
        (Reading(written=0.001, heard=0.8, inserted=0.0, heard_confidence=0.45), True),
        # The written word fits right after the heard one: a dropped word, not a wrong one.
        (Reading(written=0.0001, heard=0.6, inserted=0.06, heard_confidence=0.99), False),
    ],
)
def test_the_rule(reading: Reading, claim: bool) -> None:
    assert is_claim(reading, ClaimOptions()) is claim
