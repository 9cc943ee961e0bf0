"""Same input, same output (issue 14): every path through turnalign gives the same bytes.

A 63 s real recording (the bundled example, then JFK) is long enough to be cut into two
windows, so two engine workers really run at once. It goes through the CLI with one and
two engine workers, three times in this one process, through batch with one and two local
worker processes, and through the Ray backend: every JSON must be byte-identical. The
default refinement (pocketsphinx, with its helper process) is on.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

import audio
from align.cli import main
from align.errors import EXIT_OK

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "examples" / "michaelandsickmichael"
JFK_FLAC = REPO_ROOT / "tests" / "data" / "jfk.flac"
ACOUSTIC_CORPUS = REPO_ROOT / "tests" / "data" / "acoustic_corpus.wav"
JFK_TEXT = (
    "And so, my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(audio, transcript): the example and JFK back to back, as 16-bit WAV."""
    root = tmp_path_factory.mktemp("repeatable")
    samples = np.concatenate(
        [audio.load(EXAMPLE.with_suffix(".flac")).samples, audio.load(JFK_FLAC).samples]
    )  # shape: (n,), float32, 16 kHz
    wav = root / "two_voices.wav"
    with wave.open(str(wav), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(audio.SAMPLE_RATE)
        f.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    text = EXAMPLE.with_suffix(".txt").read_text(encoding="utf-8")
    transcript = root / "two_voices.txt"
    transcript.write_text(f"{text.rstrip()}\n\nPresident Kennedy:\n\n{JFK_TEXT}\n", "utf-8")
    return wav, transcript


def _align(inputs: tuple[Path, Path], out: Path, *extra: str) -> bytes:
    wav, transcript = inputs
    assert main(["-q", "align", str(wav), str(transcript), "-o", str(out), *extra]) == EXIT_OK
    return (out / "two_voices.json").read_bytes()


def _batch(inputs: tuple[Path, Path], out: Path, *extra: str) -> list[bytes]:
    wav, transcript = inputs
    manifest = out.parent / f"{out.name}.csv"
    rows = "".join(f"{wav},{transcript},{item},\n" for item in ("first", "second"))
    manifest.write_text(f"audio,transcript,id,options\n{rows}", encoding="utf-8")
    assert main(["-q", "batch", str(manifest), "-o", str(out), *extra]) == EXIT_OK
    return [(out / f"{item}.json").read_bytes() for item in ("first", "second")]


def test_every_path_gives_byte_identical_json(
    inputs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = _align(inputs, tmp_path / "w1", "--engine-workers", "1")
    assert b'"status": "aligned"' in reference
    got = {
        "align, 2 engine workers": _align(inputs, tmp_path / "w2", "--engine-workers", "2"),
        "align again in this process": _align(inputs, tmp_path / "w2b"),
    }
    for workers in ("1", "2"):
        first, second = _batch(inputs, tmp_path / f"batch{workers}", "--workers", workers)
        got[f"batch, {workers} worker(s), first item"] = first
        got[f"batch, {workers} worker(s), second item"] = second
    pytest.importorskip("ray", reason="Ray is optional: pip install 'turnalign[ray]'")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)  # a local instance, started by batch
    first, second = _batch(inputs, tmp_path / "ray", "--backend", "ray", "--workers", "2")
    got["ray, first item"], got["ray, second item"] = first, second
    differ = [name for name, data in got.items() if data != reference]
    assert not differ, f"differ from align --engine-workers 1: {differ}"


def test_audio_that_needs_the_temperature_fallback_hears_the_same_words_every_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A real 27 s recording under a -22 dBFS noise floor: tiny.en repeats itself at
    # temperature 0 (Whisper's compression-ratio check fails), so the chunk is sampled at
    # higher temperatures. Before that sampling was seeded per fallback, runs differed.
    from concurrent.futures import ThreadPoolExecutor

    from align.engines.base import EngineOptions
    from align.engines.faster_whisper import load_engine

    speech = audio.load(ACOUSTIC_CORPUS).samples
    noise = np.random.default_rng(7).standard_normal(len(speech)).astype(np.float32)
    samples = speech + noise * np.float32(10 ** (-22 / 20))  # shape: (n,), float32, 16 kHz
    engine = load_engine(EngineOptions(workers=2))
    try:
        with caplog.at_level("INFO", logger="align.engines.faster_whisper"):
            first = engine.transcribe(samples)
        assert "temperature fallback" in caplog.text, "the noisy clip no longer needs it"
        again = engine.transcribe(samples)
        with ThreadPoolExecutor(2) as pool:  # one of the two runs in the helper process
            both = list(pool.map(lambda _: engine.transcribe(samples), range(2)))
    finally:
        engine.close()
    assert first.words, "nothing heard"
    assert [h.words == first.words for h in (again, *both)] == [True, True, True]
