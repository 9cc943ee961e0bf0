"""The audio's verdict on "not in the transcript", on the bundled example's real audio.

A turn cut from the transcript leaves its speech unexplained, and it stays reported; a
report over a pause, or over audio the transcript's own words were placed in, is Whisper's
noise and goes.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import audio
from align.claims import ClaimOptions, judge_unclaimed
from align.engines.base import Engine, EngineOptions
from align.model import Mismatch, Result
from align.options import AlignOptions
from align.pipeline import align_file, load_engine

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "michaelandsickmichael"
# The example's second turn, "Um this is me talking really slow ...", as it is spoken.
CUT_TURN = 1


@pytest.fixture(scope="module")
def engine() -> Engine:
    return load_engine("faster-whisper", EngineOptions(workers=1))


@pytest.fixture(scope="module")
def exact(engine: Engine) -> Result:
    flac, txt = EXAMPLE.with_suffix(".flac"), EXAMPLE.with_suffix(".txt")
    return align_file(flac, txt, AlignOptions(), engine=engine)


def _unheard(result: Result) -> list[Mismatch]:
    return [m for m in result.mismatches if m.kind == "not_in_transcript"]


@pytest.mark.slow
def test_a_turn_cut_from_the_transcript_stays_reported(
    tmp_path: Path, engine: Engine, exact: Result
) -> None:
    text = EXAMPLE.with_suffix(".txt").read_text("utf-8")
    spoken = exact.turns[CUT_TURN]
    cut = tmp_path / "cut.txt"
    cut.write_text(text.replace(f"Michael:\n\n{spoken.text}\n\n", "", 1), "utf-8")
    result = align_file(EXAMPLE.with_suffix(".flac"), cut, AlignOptions(), engine=engine)
    assert len(result.turns) == len(exact.turns) - 1
    assert spoken.start is not None and spoken.end is not None
    found = [
        m
        for m in _unheard(result)
        if m.start is not None and m.end is not None
        and min(m.end, spoken.end) - max(m.start, spoken.start) > 0.5 * (spoken.end - spoken.start)
    ]  # fmt: skip
    assert found, [(m.text, m.start, m.end) for m in _unheard(result)]
    assert found[0].decided_by == "teacher-forced"
    p_next = found[0].score("p_next")
    assert p_next is not None and p_next <= ClaimOptions().max_next_prob


def _planted(exact: Result, start_s: float, end_s: float, heard: str) -> Result:
    m = Mismatch("not_in_transcript", None, heard, start_s, end_s, heard=heard)
    return replace(exact, mismatches=(*exact.mismatches, m))


@pytest.mark.slow
def test_speech_over_a_pause_or_placed_words_is_not_reported(engine: Engine, exact: Result) -> None:
    """Two reports Whisper could make: words in the longest pause inside a turn ("And here's
    a long pause [...] and I think"), and a word over audio the transcript's own words were
    placed in."""
    assert _unheard(exact) == []  # the exact transcript explains all of the example
    timed = [[w for w in t.words if w.start is not None] for t in exact.turns]
    gap = max(
        (p for ws in timed for p in zip(ws, ws[1:])),
        key=lambda p: (p[1].start or 0.0) - (p[0].end or 0.0),
    )
    words = timed[0]
    a, b = gap[0].end, gap[1].start
    assert a is not None and b is not None and b - a >= 0.5
    in_pause = _planted(exact, a + 0.01, max(a + 0.02, b - 0.01), "to see this.")
    over_words = _planted(exact, words[3].start or 0.0, words[8].end or 0.0, "We're")
    source = audio.decode_once(EXAMPLE.with_suffix(".flac"))
    for planted in (in_pause, over_words):
        assert len(_unheard(planted)) == 1
        assert _unheard(judge_unclaimed(planted, source, engine)) == []
