"""The hard-case builder: a phrase said twice is the recording's own audio, and the truth
moves with it (MFA's acoustic_corpus recording and its word alignment, tests/data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import audio
from align.evaluation import read_reference
from align.evaluation.splice import Conversation, pick_phrases
from audio import SAMPLE_RATE

DATA = Path(__file__).resolve().parents[2] / "data"


def _corpus() -> Conversation:
    """acoustic_corpus.wav as one turn, its truth MFA's words."""
    words = read_reference(DATA / "acoustic_corpus.TextGrid").words
    truth = {
        "turns": [{"index": 0}],
        "words": [{"word": w.text, "start": w.start_s, "end": w.end_s, "turn": 0,
                   "grade": "gold"} for w in words],
    }  # fmt: skip
    text = "Speaker 1:\n\n" + " ".join(w.text for w in words) + "\n"
    return Conversation.load(audio.load(DATA / "acoustic_corpus.wav").samples, text, truth)


def test_a_phrase_said_twice_is_its_own_audio_and_the_truth_moves_with_it() -> None:
    before = _corpus()
    [(turn, k)] = pick_phrases(before, 2, 1, max_gap_s=0.05)
    after = before.copy()
    after.repeat_word(turn, k, 2)
    a, b = before.turns[0].words[k], before.turns[0].words[k + 1]
    clip = before.samples[round(a["start"] * SAMPLE_RATE) : round(b["end"] * SAMPLE_RATE)]
    at = round(b["end"] * SAMPLE_RATE)
    assert len(after.samples) == len(before.samples) + len(clip)
    assert np.array_equal(after.samples[at : at + len(clip)], clip)
    assert np.array_equal(after.samples[at + len(clip) :], before.samples[at:])
    tokens = after.turns[0].tokens
    assert [t.lower() for t in tokens[k : k + 4]] == [a["word"], b["word"]] * 2
    shift_s = len(clip) / SAMPLE_RATE
    moved, kept = after.turns[0].words, before.turns[0].words
    assert abs(moved[k + 2]["start"] - (a["start"] + shift_s)) < 1e-3
    assert abs(moved[k + 3]["end"] - (b["end"] + shift_s)) < 1e-3
    assert abs(moved[-1]["end"] - (kept[-1]["end"] + shift_s)) < 1e-3
    assert after.repeats() == [(0, k, 2)]
    assert len(after.truth()["words"]) == len(kept) + 2
