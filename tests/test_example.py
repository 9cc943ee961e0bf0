"""The README's example against the TextGrids of the MFA test suite (MIT licence).

``examples/michaelandsickmichael``: 52 s, two speakers taking turns, seven turns whose text
is exact, so nothing may be reported as not in the audio. The example's TextGrid gives each
turn as an utterance interval; MFA's word alignments of the two recordings it is made of
(``tests/data``) give each turn's first and last word.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import audio
from align.cli import main
from align.evaluation import Reference, evaluate, read_reference
from align.model import Result

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DATA = Path(__file__).resolve().parent / "data"
WORDS_TEXTGRID = EXAMPLES / "michaelandsickmichael.words.TextGrid"
TOLERANCE_S = 0.25
# The example is two MFA test recordings joined end to end, one per channel: acoustic_corpus.wav
# (427,572 samples, 26.72325 s) then cold_corpus.wav. MFA ships a word alignment of each
# (tests/data). The utterance tiers' edges sit on those words but one: Sick Michael's first
# interval opens at 26.72325 s, the first sample of the second recording, whose first word
# ("uh", 1.24 s into it) starts 1.24 s later. Turn edges are checked against the words, as
# examples/michaelandsickmichael.words.TextGrid (scripts/example_words.py) holds them.
WORD_MEDIAN_MS = 25.0  # the refinement target for gold word boundaries


def _word_reference(ref: Reference) -> Reference:
    """The utterance tiers' turns spanned by MFA's word alignments of the two recordings."""
    offset_s = audio.load(DATA / "acoustic_corpus.wav").duration_s
    words = list(read_reference(DATA / "acoustic_corpus.TextGrid").words)
    cold = read_reference(DATA / "cold_corpus.TextGrid").words
    words += [replace(w, start_s=w.start_s + offset_s, end_s=w.end_s + offset_s) for w in cold]
    turns, placed = [], []
    for turn in ref.turns:
        inside = [w for w in words if turn.start_s <= (w.start_s + w.end_s) / 2 <= turn.end_s]
        turns.append(replace(turn, start_s=inside[0].start_s, end_s=inside[-1].end_s))
        placed += [replace(w, turn=turn.index) for w in inside]
    return Reference(ref.path, ref.format, tuple(turns), tuple(placed))


def test_the_utterance_tiers_sit_on_the_word_alignments_but_at_the_join() -> None:
    ref = read_reference(EXAMPLES / "michaelandsickmichael.TextGrid")
    offset_s = audio.load(DATA / "acoustic_corpus.wav").duration_s
    spans = _word_reference(ref).turns
    edges = [(t.start_s, w.start_s) for t, w in zip(ref.turns, spans, strict=True)]
    edges += [(t.end_s, w.end_s) for t, w in zip(ref.turns, spans, strict=True)]
    assert sum(abs(u - w) <= 0.1 for u, w in edges) == 13
    assert ref.turns[3].start_s == pytest.approx(offset_s, abs=1e-4)


def test_the_shipped_word_reference_is_the_two_alignments_joined() -> None:
    built = _word_reference(read_reference(EXAMPLES / "michaelandsickmichael.TextGrid"))
    shipped = read_reference(WORDS_TEXTGRID)
    assert len(shipped.turns) == len(built.turns) == 7
    for a, b in zip(shipped.turns, built.turns, strict=True):
        assert (a.speaker, a.text) == (b.speaker, b.text)
        assert a.start_s == pytest.approx(b.start_s, abs=1e-4)
        assert a.end_s == pytest.approx(b.end_s, abs=1e-4)
    assert [(w.text, w.turn) for w in shipped.words] == [(w.text, w.turn) for w in built.words]
    assert max(abs(a.start_s - b.start_s) for a, b in zip(shipped.words, built.words)) < 1e-4


@pytest.fixture(scope="module")
def aligned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's first command on the example: its result JSON."""
    out = tmp_path_factory.mktemp("example")
    code = main(["-q", "align", str(EXAMPLES / "michaelandsickmichael.flac"),
                 str(EXAMPLES / "michaelandsickmichael.txt"), "-o", str(out),
                 "--format", "json"])  # fmt: skip
    assert code == 0
    return out / "michaelandsickmichael.json"


@pytest.mark.slow
def test_every_turn_is_placed_and_nothing_is_reported_missing(aligned: Path) -> None:
    result = Result.from_dict(json.loads(aligned.read_text("utf-8")))
    ref = read_reference(EXAMPLES / "michaelandsickmichael.TextGrid")
    assert len(result.turns) == len(ref.turns) == 7
    assert [m for m in result.mismatches if m.kind == "not_in_audio"] == []
    words_ref = _word_reference(ref)
    for turn, truth in zip(result.turns, words_ref.turns, strict=True):
        assert turn.status == "aligned" and turn.start is not None and turn.end is not None
        assert abs(turn.start - truth.start_s) <= TOLERANCE_S, f"turn {turn.index} start"
        assert abs(turn.end - truth.end_s) <= TOLERANCE_S, f"turn {turn.index} end"
    gold = next(w for w in evaluate(result, words_ref).words if w.grade == "gold")
    assert gold.n_matched == gold.n_reference and gold.n_not_timed == 0
    assert gold.boundaries.median_s is not None
    assert gold.boundaries.median_s * 1000 <= WORD_MEDIAN_MS
    # The one-word turn "Uh." (44.48-45.08 s) has its own time, and the turn before it ends
    # where its words do, not stretched over the "uh".
    assert result.turns[5].words[0].evidence == "acoustic"
    assert result.turns[4].end is not None and result.turns[4].end <= ref.turns[4].end_s + 0.1


@pytest.mark.slow
def test_eval_scores_the_example_against_its_word_reference(
    aligned: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", str(aligned), str(WORDS_TEXTGRID), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    turns = report["turns"]
    assert (turns["n_mapped"], turns["n_not_found"], turns["n_extra"]) == (7, 0, 0)
    for edge in ("start", "end"):
        assert turns[edge]["max_s"] <= TOLERANCE_S
    assert report["detection"]["not_in_audio_flags"] == 0
    assert main(["eval", str(aligned), str(WORDS_TEXTGRID)]) == 0
    assert "turns: 7 of 7 mapped" in capsys.readouterr().out


@pytest.mark.slow
def test_eval_into_a_closed_pipe_is_quiet(aligned: Path) -> None:
    # `turnalign eval ... | head -1`: the reader is gone before anything is written (its end
    # of the pipe closed first, so there is no race); no traceback, exit 141 (128 + SIGPIPE).
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "align", "eval", str(aligned), str(WORDS_TEXTGRID)],
            stdout=write_end, stderr=subprocess.PIPE, timeout=120, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert proc.returncode == 141
    assert proc.stderr.decode() == ""


# A steady noise floor 13 dB under the example's speech (Gaussian, seeded): the forced
# aligner hears it with the floor subtracted (audio.denoise). Without that, two or three of
# the seven turns came out not found and reported not in the audio, on each of six seeds;
# with it none, and the worst edge of a run was 0.2-2.0 s off (the short "Uh." turn and its
# neighbours), the median within 0.11 s (docs/benchmarks.md). Against the word spans, seeds
# 1-6: worst 1.26-1.95 s (turn 3 opening at the join once the quiet before its "uh" is
# masked), median 0.04-0.11 s.
NOISE_DBFS = -40.0
NOISY_MEDIAN_S, NOISY_WORST_S = 0.25, 2.5


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_under_a_raised_noise_floor_every_turn_is_still_placed(seed: int) -> None:
    import numpy as np

    import align
    import audio

    clean = audio.load(EXAMPLES / "michaelandsickmichael.flac").samples
    noise = np.random.default_rng(seed).standard_normal(clean.shape[0])
    noisy = (clean + noise * 10 ** (NOISE_DBFS / 20)).astype(np.float32)
    result = align.align_file(noisy, EXAMPLES / "michaelandsickmichael.txt", sample_rate=16000)
    ref = read_reference(EXAMPLES / "michaelandsickmichael.TextGrid")
    assert [m for m in result.mismatches if m.kind == "not_in_audio"] == []
    errors = []
    for turn, truth in zip(result.turns, _word_reference(ref).turns, strict=True):
        assert turn.status == "aligned" and turn.start is not None and turn.end is not None
        errors += [abs(turn.start - truth.start_s), abs(turn.end - truth.end_s)]
    assert float(np.median(errors)) <= NOISY_MEDIAN_S
    assert max(errors) <= NOISY_WORST_S
