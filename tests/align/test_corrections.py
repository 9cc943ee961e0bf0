"""Corrections, the duplicated-phrase detector and suspect turns, on real transcripts.

The seed transcript is the real podcast transcript users have (no audio here: text
evidence only). The conv_dev tests re-time the noisy transcript against the words the
engine really heard in conv_dev's audio (``tests/data/conv_dev.heard.json``).
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from align.corrections import (
    CorrectionOptions,
    apply_corrections,
    derive_corrections,
    flag_suspect_turns,
)
from align.engines.base import Heard, HeardWord
from align.model import AudioInfo, EngineInfo, Result, TranscriptInfo, Turn, Word
from align.pipeline import AlignOptions, _quality, match_and_time
from align.text.repeats import find_repeats
from align.transcript import parse_transcript, read_transcript
from align.writers import WRITERS, WriterOptions

DATA = Path(__file__).resolve().parents[1] / "data"
SEED = read_transcript(DATA / "seed_000.txt")


def _untimed_result(transcript_path: Path) -> Result:
    t = read_transcript(transcript_path)
    turns = tuple(
        Turn(i, tt.speaker, tt.text, None, None, "not_found",
             tuple(Word(tok, None, None, "not_found") for tok in tt.tokens))
        for i, tt in enumerate(t.turns)
    )  # fmt: skip
    return Result(
        AudioInfo("none.wav", 1.0), TranscriptInfo(str(transcript_path), t.format, t.front_matter),
        EngineInfo("none", "", "", "", ""), turns,
    )  # fmt: skip


# -- the duplicated-phrase detector on the seed's text -------------------------------------


def _repeated_phrases(tokens: tuple[str, ...]) -> list[str]:
    return [" ".join(tokens[r.start : r.start + r.length]) for r in find_repeats(tokens)]


def test_detector_finds_the_seed_duplicates() -> None:
    found = {
        p.lower().replace(",", "").replace(".", "")
        for turn in SEED.turns
        for p in _repeated_phrases(turn.tokens)
    }
    assert "a challenging one to say that maybe" in found
    assert "the future of" in found
    assert "problem to to do better well let's continue to" in found


def test_detector_leaves_single_word_stutters() -> None:
    tokens = tuple("I I I do not believe that MCTS by any means is, like, the the end".split())
    assert find_repeats(tokens) == []


def test_detector_reads_digits_as_words() -> None:
    tokens = tuple("3 look in thy glass and three look in thy glass and tell".split())
    assert _repeated_phrases(tokens) == ["three look in thy glass and"]


# -- suspect turns ---------------------------------------------------------------------------


def test_seed_short_turns_inside_another_speakers_sentence_are_suspect() -> None:
    result = flag_suspect_turns(_untimed_result(DATA / "seed_000.txt"))
    suspects = {t.text for t in result.turns if t.suspect}
    assert "tells you, you you you know," in suspects
    # Every flagged turn is short and sits between two turns of one other speaker.
    for t in result.turns:
        if t.suspect:
            prev, nxt = result.turns[t.index - 1], result.turns[t.index + 1]
            assert len(t.words) <= 6 and prev.speaker == nxt.speaker != t.speaker


def test_continuous_audio_makes_a_short_turn_suspect() -> None:
    def turn(i: int, speaker: str, text: str, start: float, end: float) -> Turn:
        words = text.split()
        step = (end - start) / len(words)
        ws = tuple(
            Word(w, start + k * step, start + (k + 1) * step, "matched", 0.9)
            for k, w in enumerate(words)
        )
        return Turn(i, speaker, text, start, end, "aligned", ws, 0.9, 1.0)

    turns = (
        turn(0, "A", "So the main result was that.", 0.0, 2.0),
        turn(1, "B", "You know,", 2.1, 2.6),
        turn(2, "A", "It scales with compute.", 2.7, 4.0),
        turn(3, "B", "Right.", 6.0, 6.4),
    )
    result = Result(AudioInfo("a.wav", 10.0), TranscriptInfo("t.txt", "speaker_block", ""),
                    EngineInfo("none", "", "", "", ""), turns)  # fmt: skip
    flagged = flag_suspect_turns(result)
    assert [t.suspect for t in flagged.turns] == [False, True, False, False]


# -- corrections on real heard words -----------------------------------------------------------


def _heard() -> tuple[Heard, float]:
    doc = json.loads((DATA / "conv_dev.heard.json").read_text())
    return Heard(tuple(HeardWord(*w) for w in doc["words"]), "en"), float(doc["duration"])


@pytest.fixture(scope="module")
def noisy_result() -> Result:
    heard, duration = _heard()
    transcript = read_transcript(DATA / "conv_dev.noisy.txt")
    timed = match_and_time(transcript, heard, duration, AlignOptions())
    result = Result(
        AudioInfo("conv_dev.flac", duration),
        TranscriptInfo("conv_dev.noisy.txt", transcript.format, transcript.front_matter),
        EngineInfo("faster-whisper", "tiny.en", "cpu", "int8", "en"),
        timed.turns, timed.mismatches, quality=_quality(timed),
    )  # fmt: skip
    return replace(result, corrections=derive_corrections(result))


def test_corrections_remove_duplicates_and_the_unspoken_turn(noisy_result: Result) -> None:
    kinds = {c.kind for c in noisy_result.corrections}
    assert kinds == {"remove_words", "remove_turn"}
    removed_turns = [c.turn for c in noisy_result.corrections if c.kind == "remove_turn"]
    assert [noisy_result.turns[t].speaker for t in removed_turns] == ["Speaker 9"]
    texts = apply_corrections(noisy_result.turns, noisy_result.corrections)
    # Each edit removes exactly one copy of an adjacent repeat, so none is left in those turns.
    for c in noisy_result.corrections:
        if c.kind == "remove_words":
            assert texts[c.turn] is not None
            assert find_repeats(tuple(texts[c.turn].split())) == []  # type: ignore[union-attr]


def test_corrections_change_nothing_else(noisy_result: Result) -> None:
    texts = apply_corrections(noisy_result.turns, noisy_result.corrections)
    touched = {c.turn for c in noisy_result.corrections}
    for turn, text in zip(noisy_result.turns, texts):
        if turn.index not in touched:
            assert text == turn.text


def test_corrected_writer_round_trips_in_the_input_format(noisy_result: Result) -> None:
    buf = io.StringIO()
    WRITERS["corrected"].write(noisy_result, buf, WriterOptions())  # type: ignore[arg-type]
    back = parse_transcript(buf.getvalue())
    assert back.format == "speaker_block"
    assert back.front_matter == noisy_result.transcript.front_matter
    assert len(back.turns) == len(noisy_result.turns) - 1  # the unspoken turn is gone
    assert all(t.original_time_s is not None for t in back.turns)


def test_fix_words_only_when_asked(noisy_result: Result) -> None:
    fixes = derive_corrections(noisy_result, CorrectionOptions(fix_words=True))
    replaced = [c for c in fixes if c.kind == "replace_word"]
    assert all(c.before != c.after and c.reason.startswith("heard as") for c in replaced)
    assert not [c for c in noisy_result.corrections if c.kind == "replace_word"]


def test_report_lists_every_mismatch(noisy_result: Result) -> None:
    buf = io.StringIO()
    WRITERS["report"].write(noisy_result, buf, WriterOptions())  # type: ignore[arg-type]
    report = buf.getvalue()
    for m in noisy_result.mismatches:
        if m.kind == "not_in_audio":
            assert m.text.split()[0].replace("|", "\\|") in report
    assert "Speech in the audio not in the transcript" in report
