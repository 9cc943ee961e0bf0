"""The openai-whisper engine: CTranslate2 conversion, JFK words, and parity with faster-whisper."""

from __future__ import annotations

import base64
import gzip
import os
import re
import shutil
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from align.engines import convert, ct2_file
from align.engines.base import EngineOptions, Heard
from align.engines.models import resolve_model_dir
from align.errors import EngineUnavailableError, ModelNotFoundError, UsageError
from audio import SAMPLE_RATE

JFK_TEXT = (
    "and so my fellow americans ask not what your country can do for you "
    "ask what you can do for your country"
)
JFK_WORDS = JFK_TEXT.split(" ")
_REPO_JFK = Path(__file__).resolve().parents[1] / "data" / "jfk.flac"
_SHARED_JFK = Path("/work/shared/data/real/C_transcript_only/jfk/jfk.flac")
# Both engines run the same weights with greedy decoding; their word timings come from
# different DTW code, so allow a little drift (they agree to 0.0 s median in practice).
MAX_MEDIAN_START_DIFF_S = 0.3
# Word times are rounded to Whisper's 20 ms timestamp grid.
TIME_EPS_S = 1e-6


def _need_whisper() -> Any:
    return pytest.importorskip(
        "whisper", reason="openai-whisper is not installed (pip install 'turnalign[torch]')"
    )


def _normalize(words: Any) -> list[str]:
    out = []
    for w in words:
        text = re.sub(r"[^\w']", "", w.lower())
        if text:
            out.append(text)
    return out


def _decode_16k_mono(path: Path) -> np.ndarray:
    av = pytest.importorskip("av", reason="PyAV decodes the test clip")
    blocks: list[np.ndarray] = []
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        for frame in container.decode(audio=0):
            blocks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
        blocks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    return np.concatenate(blocks).astype(np.float32)  # shape: (n,)


@pytest.fixture(scope="module")
def jfk_samples() -> np.ndarray:
    for path in (_REPO_JFK, _SHARED_JFK):
        if path.is_file():
            return _decode_16k_mono(path)
    pytest.skip("jfk.flac is not available")


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private TURNALIGN_CACHE, so tests neither read nor fill the user's cache."""
    path = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TURNALIGN_CACHE", str(path))
        yield path


@pytest.fixture(scope="module")
def engine(model_cache: Path) -> Any:
    _need_whisper()
    from align.engines.openai_whisper import load_engine

    return load_engine(EngineOptions(model="tiny.en", device="cpu", beam_size=1))


@pytest.fixture(scope="module")
def jfk_heard(engine: Any, jfk_samples: np.ndarray) -> Heard:
    heard: Heard = engine.transcribe(jfk_samples)
    return heard


# -- the CTranslate2 reader, against CTranslate2's own writer ------------------------------


def _save_ct2_spec(tmp_path: Path, weight: np.ndarray, quantization: str | None) -> Path:
    model_spec = pytest.importorskip("ctranslate2.specs.model_spec")
    common_spec = pytest.importorskip("ctranslate2.specs.common_spec")

    class _Spec(model_spec.ModelSpec):  # type: ignore[name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.first = common_spec.LinearSpec()
            self.second = common_spec.LinearSpec()  # equal weights: stored as an alias
            self.conv = common_spec.Conv1DSpec()
            self.norm = common_spec.LayerNormSpec()

        @property
        def name(self) -> str:
            return "TestSpec"

    spec = _Spec()
    # CTranslate2 quantizes in place: hand it copies.
    spec.first.weight = weight.copy()
    spec.first.bias = np.arange(weight.shape[0], dtype=np.float32)
    spec.second.weight = weight.copy()
    spec.second.bias = np.ones(weight.shape[0], dtype=np.float32)
    spec.conv.weight = np.stack([weight.copy(), -weight.copy()], axis=2)
    spec.norm.gamma = np.full(weight.shape[1], 2.0, dtype=np.float32)
    spec.norm.beta = np.zeros(weight.shape[1], dtype=np.float32)
    spec.validate()
    spec.optimize(quantization=quantization)
    spec.save(str(tmp_path))
    return tmp_path / "model.bin"


@pytest.mark.parametrize("quantization", [None, "float16", "int8", "int8_float16", "bfloat16"])
def test_reader_round_trips_ctranslate2_writer(tmp_path: Path, quantization: str | None) -> None:
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((6, 4)).astype(np.float32)  # shape: (out, in)
    model = ct2_file.read_ct2_model(_save_ct2_spec(tmp_path, weight, quantization))
    v = model.variables
    assert model.spec_name == "TestSpec"
    assert model.binary_version == 6
    tol = 0.02 if quantization else 0.0  # int8 rows keep ~1/127 of their range
    for name in ("first/weight", "second/weight"):
        np.testing.assert_allclose(convert._float_weight(v, name), weight, atol=tol * 3)
    conv = convert._float_weight(v, "conv/weight")  # shape: (out, in, 2)
    np.testing.assert_allclose(conv[:, :, 1], -weight, atol=tol * 3)
    np.testing.assert_allclose(v["first/bias"].astype(np.float32), np.arange(6))
    np.testing.assert_allclose(v["norm/gamma"].astype(np.float32), 2.0)


def test_reader_rejects_truncated_file(tmp_path: Path) -> None:
    model_bin = _save_ct2_spec(tmp_path, np.ones((2, 2), dtype=np.float32), None)
    model_bin.write_bytes(model_bin.read_bytes()[:-20])
    with pytest.raises(ModelNotFoundError, match="not a valid CTranslate2"):
        ct2_file.read_ct2_model(model_bin)


def test_reader_rejects_unknown_version(tmp_path: Path) -> None:
    bad = tmp_path / "model.bin"
    bad.write_bytes((99).to_bytes(4, "little") + b"\0" * 16)
    with pytest.raises(ModelNotFoundError, match="binary version 99"):
        ct2_file.read_ct2_model(bad)


def test_sinusoids_match_whisper() -> None:
    _need_whisper()
    from whisper.model import sinusoids

    np.testing.assert_array_equal(convert.sinusoids(1500, 384), sinusoids(1500, 384).numpy())


# -- converting the bundled tiny.en --------------------------------------------------------


def test_tiny_en_converts_and_loads_strictly(model_cache: Path) -> None:
    whisper = _need_whisper()
    from whisper.model import ModelDimensions, Whisper

    model_dir = resolve_model_dir("tiny.en")
    assert model_dir is not None
    checkpoint = convert.load_converted("tiny.en", model_dir)
    assert checkpoint["dims"] == {
        "n_mels": 80,
        "n_audio_ctx": 1500,
        "n_audio_state": 384,
        "n_audio_head": 6,
        "n_audio_layer": 4,
        "n_vocab": 51864,
        "n_text_ctx": 448,
        "n_text_state": 384,
        "n_text_head": 6,
        "n_text_layer": 4,
    }
    model = Whisper(ModelDimensions(**checkpoint["dims"]))
    model.load_state_dict(checkpoint["model_state_dict"], strict=True)
    assert not model.is_multilingual
    # config.json's heads must be the ones openai-whisper ships for tiny.en.
    official = whisper._ALIGNMENT_HEADS["tiny.en"]
    ours = checkpoint["alignment_heads"]
    assert gzip.decompress(base64.b85decode(ours)) == gzip.decompress(base64.b85decode(official))
    model.set_alignment_heads(ours)
    # whisper.load_model reads the cached file as it reads its own downloads.
    cached = convert.checkpoint_path("tiny.en", model_dir)
    assert cached.parent == model_cache / "models"
    assert whisper.load_model(str(cached), device="cpu").dims == model.dims


def test_conversion_is_cached_and_redone_when_source_changes(
    tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _need_whisper()
    source = resolve_model_dir("tiny.en")
    assert source is not None
    model_dir = tmp_path / "my-model"
    shutil.copytree(source, model_dir)
    first = convert.load_converted(str(model_dir), model_dir)
    cached = convert.checkpoint_path(str(model_dir), model_dir)
    assert cached.is_file() and cached.parent == model_cache / "models"
    assert not list(cached.parent.glob(".*"))  # no temporary file left behind

    calls: list[Path] = []
    real_read = ct2_file.read_ct2_model

    def counting_read(path: Path) -> convert.Ct2Model:
        calls.append(path)
        return real_read(path)

    monkeypatch.setattr(convert, "read_ct2_model", counting_read)
    again = convert.load_converted(str(model_dir), model_dir)
    assert calls == []
    assert again["source_key"] == first["source_key"]

    st = (model_dir / "model.bin").stat()
    os.utime(model_dir / "model.bin", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    convert.load_converted(str(model_dir), model_dir)
    assert calls == [model_dir / "model.bin"]


def test_folder_without_whisper_spec_is_refused(tmp_path: Path) -> None:
    _save_ct2_spec(tmp_path, np.ones((2, 2), dtype=np.float32), None)
    with pytest.raises(ModelNotFoundError, match="not WhisperSpec"):
        convert.ct2_to_openai(ct2_file.read_ct2_model(tmp_path / "model.bin"), {})


# -- the engine ----------------------------------------------------------------------------


@pytest.mark.slow
def test_jfk_words_in_order_with_monotonic_times(
    engine: Any, jfk_heard: Heard, jfk_samples: np.ndarray
) -> None:
    assert engine.info.name == "openai-whisper"
    assert engine.info.language == "en"
    assert engine.info.compute_type == "float32"
    assert jfk_heard.language == "en"
    assert _normalize(w.text for w in jfk_heard.words) == JFK_WORDS
    duration_s = len(jfk_samples) / SAMPLE_RATE
    previous_end = 0.0
    for w in jfk_heard.words:
        assert w.text == w.text.strip()
        assert 0.0 <= w.start <= w.end <= duration_s + TIME_EPS_S
        assert w.start >= previous_end - TIME_EPS_S
        assert 0.0 <= w.probability <= 1.0
        previous_end = w.end


@pytest.mark.slow
def test_offset_shifts_every_time(engine: Any, jfk_heard: Heard, jfk_samples: np.ndarray) -> None:
    progress: list[tuple[float, float]] = []
    shifted = engine.transcribe(
        jfk_samples, offset_s=100.0, on_progress=lambda d, t: progress.append((d, t))
    )
    assert [w.text for w in shifted.words] == [w.text for w in jfk_heard.words]
    for a, b in zip(jfk_heard.words, shifted.words):
        assert b.start == pytest.approx(a.start + 100.0, abs=1e-6)
        assert b.end == pytest.approx(a.end + 100.0, abs=1e-6)
    duration_s = len(jfk_samples) / SAMPLE_RATE
    assert progress[-1] == (duration_s, duration_s)


@pytest.mark.slow
def test_same_words_and_times_as_faster_whisper(jfk_heard: Heard, jfk_samples: np.ndarray) -> None:
    faster_whisper = pytest.importorskip("faster_whisper", reason="faster-whisper not installed")
    model_dir = resolve_model_dir("tiny.en")
    model = faster_whisper.WhisperModel(str(model_dir), device="cpu", compute_type="float32")
    segments, _ = model.transcribe(
        jfk_samples,
        language="en",
        beam_size=1,
        temperature=0.0,
        word_timestamps=True,
        condition_on_previous_text=False,
        vad_filter=False,
    )
    fw_words = [w for seg in segments for w in seg.words or ()]
    assert _normalize(w.word for w in fw_words) == _normalize(w.text for w in jfk_heard.words)
    diffs = [abs(a.start - b.start) for a, b in zip(fw_words, jfk_heard.words)]
    assert statistics.median(diffs) <= MAX_MEDIAN_START_DIFF_S


def test_english_only_model_refuses_other_language(engine: Any, jfk_samples: np.ndarray) -> None:
    with pytest.raises(UsageError, match="English-only"):
        engine.transcribe(jfk_samples[:SAMPLE_RATE], language="de")


def test_empty_audio_gives_no_words(engine: Any) -> None:
    heard = engine.transcribe(np.zeros(0, dtype=np.float32))
    assert heard.words == ()


def test_english_only_model_with_other_language_option_fails_at_load(model_cache: Path) -> None:
    _need_whisper()
    from align.engines.openai_whisper import load_engine

    with pytest.raises(UsageError, match="English-only"):
        load_engine(EngineOptions(model="tiny.en", device="cpu", language="de"))


def test_int8_compute_type_is_a_usage_error(model_cache: Path) -> None:
    _need_whisper()
    from align.engines.openai_whisper import load_engine

    with pytest.raises(UsageError, match="int8"):
        load_engine(EngineOptions(model="tiny.en", device="cpu", compute_type="int8"))


def test_unknown_model_name_is_model_not_found(model_cache: Path) -> None:
    _need_whisper()
    from align.engines.openai_whisper import load_engine

    with pytest.raises(ModelNotFoundError, match="no-such-model"):
        load_engine(EngineOptions(model="no-such-model", device="cpu"))


def test_missing_backend_is_engine_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    from align.engines.openai_whisper import load_engine

    monkeypatch.setitem(__import__("sys").modules, "whisper", None)  # import now fails
    with pytest.raises(EngineUnavailableError, match=r"turnalign\[torch\]"):
        load_engine(EngineOptions(model="tiny.en", device="cpu"))


def test_noisy_audio_sampled_by_the_fallback_hears_the_same_words_twice(engine: Any) -> None:
    # A real 27 s recording under a -20 dBFS noise floor, where Whisper's checks fail at
    # temperature 0 and the fallback samples: each call starts torch's generator from one seed.
    import torch

    path = Path(__file__).resolve().parents[1] / "data" / "acoustic_corpus.wav"
    speech = _decode_16k_mono(path)
    noise = np.random.default_rng(7).standard_normal(len(speech)).astype(np.float32)
    samples = speech + noise * np.float32(10 ** (-20 / 20))
    state = torch.random.get_rng_state()
    first = engine.transcribe(samples)
    torch.rand(3)  # the caller's own use of the generator changes nothing
    second = engine.transcribe(samples)
    assert first.words and first.words == second.words
    torch.random.set_rng_state(state)


# -- teacher-forced scoring, against faster-whisper's -------------------------------------

# Both engines read the same weights, but faster-whisper's are int8 and encoded at the
# audio's own length, openai-whisper's float32 over 30 s: the probabilities agree to within
# this per word (measured: 0.11 at most on JFK, median 0.01).
MAX_SCORE_DIFF = 0.2


def test_scores_agree_with_faster_whisper(engine: Any, jfk_samples: np.ndarray) -> None:
    """Each engine reads JFK's words, and the same words with one wrong, against the audio:
    both find the spoken words likely and the wrong one unlikely, word by word alike."""
    from align.engines import faster_whisper
    from align.engines.base import ScoreRequest

    words = tuple(JFK_TEXT.split())
    wrong = (*words[:3], "africans", *words[4:])
    request = ScoreRequest(jfk_samples, (words, wrong))
    theirs = faster_whisper.load_engine(EngineOptions(workers=1)).score(request)
    ours = engine.score(request)
    for a, b in zip(ours, theirs, strict=True):
        assert len(a) == len(b)
        assert max(abs(x - y) for x, y in zip(a, b)) <= MAX_SCORE_DIFF
    for probs in (ours, theirs):
        assert statistics.median(probs[0]) >= 0.8  # the words as spoken
        assert probs[1][3] < 0.05 < 0.5 < probs[0][3]  # "africans" for "americans"
