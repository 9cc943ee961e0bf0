"""One decode per run: ``audio.decode_once`` serves every stage, in memory or mapped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import audio
import audio.decode
from align.model import Result
from align.pipeline import AlignOptions, align_file

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "examples" / "michaelandsickmichael"


@pytest.mark.parametrize("in_memory_max_s", [600.0, 5.0])  # held, and spilled to a mapped file
def test_decoded_once_reads_back_the_decoders_samples(in_memory_max_s: float) -> None:
    whole = audio.load(EXAMPLE.with_suffix(".flac")).samples
    source = audio.decode_once(EXAMPLE.with_suffix(".flac"), in_memory_max_s)
    try:
        assert source.num_samples == len(whole)
        blocks = np.concatenate([b.samples for b in source.iter_blocks()])
        assert np.array_equal(blocks, whole)  # bit for bit, after forgetting pages too
        reader = source.reader()
        a, b = 20 * audio.SAMPLE_RATE, 25 * audio.SAMPLE_RATE
        assert np.array_equal(reader.read_samples(a, b), whole[a:b])
        reader.release_samples(b)
        again = reader.read_samples(a, b + 100)  # before the release: silence, as a cursor
        assert not again[: b - a].any() and np.array_equal(again[b - a :], whole[b : b + 100])
    finally:
        source.close()


def test_samples_at_another_rate_are_resampled() -> None:
    whole = audio.load(EXAMPLE.with_suffix(".flac")).samples
    at_8k = whole[::2].copy()
    resampled = audio.resample(at_8k, 8000)
    assert abs(len(resampled) - len(whole)) <= 16
    with pytest.raises(audio.AudioError, match="sample_rate"):
        audio.resample(at_8k, 0)


def test_one_run_opens_the_decoder_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Transcription, re-listening, refinement and verification read one decode."""
    opened: list[str] = []
    real_open = audio.decode._open

    def counting_open(path: str):  # type: ignore[no-untyped-def]
        opened.append(path)
        return real_open(path)

    monkeypatch.setattr(audio.decode, "_open", counting_open)
    result = align_file(
        EXAMPLE.with_suffix(".flac"), EXAMPLE.with_suffix(".txt"), AlignOptions(refine="full")
    )
    assert isinstance(result, Result) and result.refine == "full"
    assert len(opened) == 1


def test_a_cursor_reads_the_right_audio_after_skipping_past_what_it_holds() -> None:
    """Spans far apart in one pass (re-hearing 20-24 s, then 45-52 s of the example): the
    release before the second span goes past every sample held, and the next block must
    still be filed under its own time, not under the released one."""
    path = EXAMPLE.with_suffix(".flac")
    whole = audio.load(path).samples
    cursor = audio.open_reader(path)
    spans = [(20.26, 23.9), (45.5, 52.44), (46.0, 47.0)]
    for k, (a_s, b_s) in enumerate(spans[:2]):
        a, b = round(a_s * audio.SAMPLE_RATE), round(b_s * audio.SAMPLE_RATE)
        assert np.array_equal(cursor.read_samples(a, b), whole[a:b]), f"span {k}"
        cursor.release_samples(round(spans[k + 1][0] * audio.SAMPLE_RATE))
    a, b = 44 * audio.SAMPLE_RATE, 47 * audio.SAMPLE_RATE  # before the release: silence
    again = cursor.read_samples(a, b)
    cut = 2 * audio.SAMPLE_RATE
    assert not again[:cut].any() and np.array_equal(again[cut:], whole[a + cut : b])
