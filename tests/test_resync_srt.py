"""Drifted subtitles re-synced by their words: an SRT of conv_dev with its timing broken.

The SRT is built from ``../shared/bench/conv_dev.truth.json``: every truth turn is cut
into cues (at most ``CUE_WORDS`` words, and at every pause of ``CUE_PAUSE_S``), each cue
starting at its first word, with the speaker's name on the first cue of a turn, as the
podcast namespace's SRT does. Then its times are broken the way real subtitles drift: a
constant offset, a clock running ``DRIFT`` too fast, and a jump half way through (an ad
cut out of the audio). ``turnalign align`` (the real model, default options) must give
every cue back a start within ``MAX_START_ERROR_S`` of the truth, cue for cue, with the
text and line breaks unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from align.cli import main
from align.transcript import read_transcript

# How the SRT is cut: cues of a few words, cut at pauses as a subtitler would.
CUE_WORDS = 7
CUE_PAUSE_S = 0.6
CUE_LINE_WORDS = 4
# How its timing is broken: late by OFFSET_S, a clock DRIFT fast, JUMP_S more after half.
OFFSET_S = 2.0
DRIFT = 0.015
JUMP_S = 1.2
# The bound on every re-synced cue start.
MAX_START_ERROR_S = 0.25


def _cues(truth: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(speaker, words) of every cue, in order."""
    cues: list[tuple[str, list[dict[str, Any]]]] = []
    for turn in truth["turns"]:
        words = [w for w in truth["words"] if w["turn"] == turn["index"]]
        current: list[dict[str, Any]] = []
        for w in words:
            if current and (
                len(current) >= CUE_WORDS or w["start"] - current[-1]["end"] >= CUE_PAUSE_S
            ):
                cues.append((turn["speaker"], current))
                current = []
            current.append(w)
        if current:
            cues.append((turn["speaker"], current))
    return cues


def _clock(t: float) -> str:
    ms = round(max(t, 0.0) * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def _broken(t: float, duration_s: float) -> float:
    return OFFSET_S + t * (1 + DRIFT) + (JUMP_S if t > duration_s / 2 else 0.0)


def _drifted_srt(truth: dict[str, Any]) -> tuple[str, list[float]]:
    """The SRT text and the true start of each of its cues."""
    blocks, starts = [], []
    previous = None
    for n, (speaker, words) in enumerate(_cues(truth), start=1):
        texts = [w["word"] for w in words]
        if speaker != previous:
            texts[0] = f"{speaker}: {texts[0]}"
        previous = speaker
        step = CUE_LINE_WORDS
        lines = [" ".join(texts[i : i + step]) for i in range(0, len(texts), step)]
        start, end = words[0]["start"], words[-1]["end"]
        timing = f"{_clock(_broken(start, truth['duration']))} --> "
        timing += _clock(_broken(end, truth["duration"]))
        blocks.append(f"{n}\n{timing}\n" + "\n".join(lines))
        starts.append(start)
    return "\n\n".join(blocks) + "\n", starts


@pytest.fixture(scope="module")
def resynced(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    truth = json.loads((shared_dir / "bench" / "conv_dev.truth.json").read_text("utf-8"))
    work = tmp_path_factory.mktemp("drifted")
    text, true_starts = _drifted_srt(truth)
    drifted = work / "conv_dev.drifted.srt"
    drifted.write_text(text, encoding="utf-8")
    out = work / "out"
    audio = shared_dir / "bench" / "conv_dev.flac"
    code = main(["-q", "align", str(audio), str(drifted), "-o", str(out), "--format", "srt,json"])
    assert code == 0
    return {
        "input": read_transcript(drifted),
        "output": read_transcript(out / "conv_dev.drifted.srt"),
        "true_starts": true_starts,
    }


@pytest.mark.slow
def test_every_cue_starts_within_250_ms_of_the_truth(resynced: dict[str, Any]) -> None:
    before = [c.start_s for c in resynced["input"].cues]
    after = [c.start_s for c in resynced["output"].cues]
    truth = resynced["true_starts"]
    assert len(after) == len(truth)
    errors_before = [abs(b - t) for b, t in zip(before, truth, strict=True)]
    errors = [abs(a - t) for a, t in zip(after, truth, strict=True)]
    worst = max(range(len(errors)), key=errors.__getitem__)
    assert max(errors) <= MAX_START_ERROR_S, (
        f"cue {worst + 1} starts {errors[worst] * 1000:.0f} ms off "
        f"(input was {errors_before[worst]:.2f} s off); "
        f"{sum(e > MAX_START_ERROR_S for e in errors)}/{len(errors)} cues over "
        f"{MAX_START_ERROR_S * 1000:.0f} ms"
    )
    assert min(errors_before) >= OFFSET_S - 1e-3  # the input was broken everywhere


@pytest.mark.slow
def test_cues_keep_their_text_line_breaks_and_speakers(resynced: dict[str, Any]) -> None:
    source, back = resynced["input"], resynced["output"]
    assert [c.lines for c in back.cues] == [c.lines for c in source.cues]
    assert [t.speaker for t in back.turns] == [t.speaker for t in source.turns]
