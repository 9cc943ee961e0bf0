"""The default engine: faster-whisper (CTranslate2), on CPU or CUDA, with word timestamps."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from align.engines.base import EngineOptions, Heard, HeardWord, ProgressFn, ScoreRequest
from align.engines.ct2_score import score_request
from align.engines.models import resolve_model_dir
from align.engines.pool import EngineProcess, EngineSlots, WindowTask
from align.errors import EngineUnavailableError, ModelNotFoundError
from align.model import EngineInfo
from audio import SAMPLE_RATE
from audio.chunking import cut_at_quiet_points

log = logging.getLogger(__name__)

ENGINE_NAME = "faster-whisper"
# Each window is decoded on its own (no conditioning on the previous window's text):
# a transcript is known, so the decoder gains little from context and it stops one
# hallucinated stretch from derailing the rest of the file.
_CONDITION_ON_PREVIOUS_TEXT = False
# Shorter audio is one chunk anyway; the sequential path is simpler there.
_BATCH_MIN_S = 30.0
# Whisper's checks on a 30 s chunk's text (faster-whisper's defaults): more repetitive than
# this (a loop), or less likely, and the chunk is decoded again at rising temperatures.
_COMPRESSION_RATIO_MAX = 2.4
_AVG_LOG_PROB_MIN = -1.0
_FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
# Sampling draws from CTranslate2's per-thread generator, seeded once when a thread first
# samples: a model that has sampled before answers differently, so runs differed on noisy
# audio. Windows are decoded at temperature 0; one that fails the checks is decoded again,
# with the fallback, on a model loaded for it, whose threads all start from this seed. The
# same window then gets the same words in any run, process or order.
_SAMPLING_SEED = 1
_SECONDS_PER_FRAME = 0.01  # Whisper's mel frames; a segment's ``seek`` counts them


def _resolve_device(device: str) -> str:
    if device != "auto":
        return device
    try:
        import ctranslate2

        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    except (ImportError, RuntimeError):
        return "cpu"


def _default_compute_type(device: str) -> str:
    return "float16" if device == "cuda" else "int8"


class FasterWhisperEngine:
    """A loaded faster-whisper model. Build with ``load_engine``."""

    def __init__(
        self,
        model: Any,
        info: EngineInfo,
        opts: EngineOptions,
        english_only: bool,
        load_model: Callable[[], Any] | None = None,
        helpers: Sequence[EngineProcess] = (),
    ):
        self._model = model
        self._load_model = load_model
        self._info = info
        self._opts = opts
        self._english_only = english_only
        self._batched: Any = None
        if opts.batch_size > 1:
            from faster_whisper import BatchedInferencePipeline

            self._batched = BatchedInferencePipeline(model)
        self._slots = EngineSlots(opts, helpers)
        self._tokenizers: dict[str, Any] = {}

    @property
    def info(self) -> EngineInfo:
        return self._info

    @property
    def parallel(self) -> int:
        return self._opts.workers

    def transcribe(
        self,
        samples: np.ndarray,
        *,
        offset_s: float = 0.0,
        language: str | None = None,
        prompt: str | None = None,
        on_progress: ProgressFn | None = None,
    ) -> Heard:
        """Transcribe ``samples`` (shape (n,), float32, 16 kHz) into timed words.

        Safe to call from ``parallel`` threads at once: each call runs alone, here or in a
        helper process, with the same options, so it hears the same words either way.
        """
        with self._slots.take() as slot:
            if slot is None:
                return self._transcribe_here(samples, offset_s, language, prompt, on_progress)
            task = WindowTask(samples.astype(np.float32, copy=False), offset_s, language, prompt)
            return slot.transcribe(task, on_progress)

    def score(self, request: ScoreRequest) -> tuple[tuple[float, ...], ...]:
        """Teacher-forced: how likely Whisper finds each word of each text of ``request``
        in its audio, read from the start (see ``ScoreRequest``).

        Safe to call from ``parallel`` threads at once, as ``transcribe`` is: each call
        runs alone, here or in a helper process, and reads the same either way.
        """
        with self._slots.take() as slot:
            return self.score_here(request) if slot is None else slot.score(request)

    def score_here(self, request: ScoreRequest) -> tuple[tuple[float, ...], ...]:
        """``score`` with this process's model (the caller holds it)."""
        return score_request(self._model, self._tokenizer(request.language), request)

    def _tokenizer(self, language: str | None) -> Any:
        from faster_whisper.tokenizer import Tokenizer

        lang = language or self._opts.language or ("en" if self._english_only else None)
        key = lang or "en"
        if key not in self._tokenizers:
            model = self._model
            self._tokenizers[key] = Tokenizer(
                model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=key
            )
        return self._tokenizers[key]

    def close(self) -> None:
        """End the helper processes (a later parallel call starts new ones)."""
        self._slots.close()

    def _transcribe_here(
        self,
        samples: np.ndarray,
        offset_s: float,
        language: str | None,
        prompt: str | None,
        on_progress: ProgressFn | None,
    ) -> Heard:
        lang = language or self._opts.language or ("en" if self._english_only else None)
        total_s = len(samples) / SAMPLE_RATE
        samples = samples.astype(np.float32, copy=False)
        common: dict[str, Any] = {"language": lang, "beam_size": self._opts.beam_size,
                                  "word_timestamps": True, "initial_prompt": prompt}  # fmt: skip
        if self._batched is not None and total_s > _BATCH_MIN_S:
            # Several 30 s chunks share each forward pass; chunks are cut at quiet points
            # (not by VAD, which can drop quiet speakers). The batched pipeline decodes at
            # the first temperature only: no sampling, so nothing to seed.
            clips = [{"start": w.start_s, "end": w.end_s} for w in cut_at_quiet_points(samples)]
            segments, info = self._batched.transcribe(
                samples, **common, clip_timestamps=clips, batch_size=self._opts.batch_size
            )
            chunks = _collect(segments, offset_s, total_s, on_progress)
            return Heard(tuple(w for c in chunks for w in c.words), info.language or lang or "")
        sequential = {
            **common,
            "condition_on_previous_text": _CONDITION_ON_PREVIOUS_TEXT,
            "vad_filter": self._opts.vad_filter,
        }
        segments, info = self._model.transcribe(samples, **sequential, temperature=0.0)
        chunks = _collect(segments, offset_s, total_s, on_progress)
        if any(c.failed for c in chunks) and self._load_model is not None:
            try:
                fresh = self._load_model()
            except (RuntimeError, OSError) as e:  # out of memory: keep what temperature 0 heard
                log.warning("cannot load a second model for the fallback: %s", e)
            else:
                for a_s, b_s, why in _spans(chunks, total_s):
                    log.info(
                        "%.1f-%.1fs: Whisper's checks failed at temperature 0 (%s); decoding "
                        "it again with the temperature fallback",
                        offset_s + a_s, offset_s + b_s, why,
                    )  # fmt: skip
                    part = samples[round(a_s * SAMPLE_RATE) : round(b_s * SAMPLE_RATE)]
                    again, _ = fresh.transcribe(
                        part, **sequential, temperature=list(_FALLBACK_TEMPERATURES)
                    )
                    redone = _collect(again, offset_s + a_s, b_s - a_s, None)
                    chunks = [c for c in chunks if not a_s <= c.start_s < b_s]
                    chunks += [replace(c, start_s=a_s + c.start_s, failed="") for c in redone]
                del fresh
                chunks.sort(key=lambda c: c.start_s)
        return Heard(tuple(w for c in chunks for w in c.words), info.language or lang or "")


@dataclass(frozen=True, slots=True)
class _Chunk:
    """One 30 s decoder chunk of a window: where it starts (seconds into the window), its
    words, and why it fails Whisper's checks ("" when it passes)."""

    start_s: float
    words: tuple[HeardWord, ...]
    failed: str


def _collect(
    segments: Iterable[Any], offset_s: float, total_s: float, on_progress: ProgressFn | None
) -> list[_Chunk]:
    """faster-whisper's ``segments`` (decoded while iterating) as chunks of timed words."""
    chunks: list[_Chunk] = []
    for seg in segments:
        start_s = seg.seek * _SECONDS_PER_FRAME
        if not chunks or chunks[-1].start_s != start_s:
            failed = ""
            if seg.compression_ratio > _COMPRESSION_RATIO_MAX:
                failed = f"compression ratio {seg.compression_ratio:.1f}"
            elif seg.avg_logprob < _AVG_LOG_PROB_MIN:
                failed = f"average log probability {seg.avg_logprob:.2f}"
            chunks.append(_Chunk(start_s, (), failed))
        words: list[HeardWord] = []
        for w in seg.words or ():
            text = w.word.strip()
            if not text:
                continue
            start = offset_s + max(0.0, float(w.start))
            end = offset_s + min(total_s, max(float(w.end), float(w.start)))
            words.append(HeardWord(text, start, max(start, end), float(w.probability)))
        chunks[-1] = replace(chunks[-1], words=chunks[-1].words + tuple(words))
        if on_progress is not None:
            on_progress(min(total_s, float(seg.end)), total_s)
    if on_progress is not None:
        on_progress(total_s, total_s)
    return chunks


def _spans(chunks: list[_Chunk], total_s: float) -> list[tuple[float, float, str]]:
    """The stretches (seconds into the window) of the failing chunks, and why the first of
    each fails: each from its start to the next chunk's, runs of failing chunks joined."""
    out: list[tuple[float, float, str]] = []
    for k, c in enumerate(chunks):
        if not c.failed:
            continue
        end_s = chunks[k + 1].start_s if k + 1 < len(chunks) else total_s
        if out and out[-1][1] == c.start_s:
            out[-1] = (out[-1][0], end_s, out[-1][2])
        else:
            out.append((c.start_s, end_s, c.failed))
    return out


def load_engine(opts: EngineOptions) -> FasterWhisperEngine:
    """Load a faster-whisper model once; reuse the engine for many files.

    Raises:
        EngineUnavailableError: faster-whisper is not installed or the device is unusable.
        ModelNotFoundError: the model cannot be found or loaded.
    """
    # MKL's conditional numerical reproducibility: results that do not depend on how the
    # allocator happened to align the buffers, so this process and a helper compute a
    # window alike. Read when MKL first runs; a caller's own setting wins.
    os.environ.setdefault("MKL_CBWR", "AUTO")
    try:
        from faster_whisper import WhisperModel
    except ImportError as e:
        raise EngineUnavailableError(ENGINE_NAME, "pip install faster-whisper") from e
    device = _resolve_device(opts.device)
    compute_type = opts.compute_type
    if compute_type == "default":
        compute_type = _default_compute_type(device)
    local = resolve_model_dir(opts.model)
    source = str(local) if local is not None else opts.model

    def load_model() -> Any:
        return WhisperModel(
            source,
            device=device,
            compute_type=compute_type,
            cpu_threads=opts.cpu_threads,
            num_workers=1,  # one call at a time here; more run in helpers
            local_files_only=local is not None,
        )

    # Helpers start now, so their imports and model load overlap this process's load
    # instead of delaying the first pass's second window; a model still to be downloaded
    # is fetched here first (they start when first needed).
    helpers = _start_helpers(opts) if local is not None else []
    try:
        model = _first_load(load_model, opts.model, device)
    except BaseException:
        for helper in helpers:
            helper.kill()
        raise
    english_only = _is_english_only(local, opts.model)
    info = EngineInfo(
        name=ENGINE_NAME,
        model=opts.model,
        device=device,
        compute_type=compute_type,
        language=opts.language or ("en" if english_only else "auto"),
    )
    return FasterWhisperEngine(model, info, opts, english_only, load_model, helpers)


def _first_load(load_model: Callable[[], Any], name: str, device: str) -> Any:
    """The model, loaded here; its failures as this project's errors."""
    try:
        import ctranslate2

        ctranslate2.set_random_seed(_SAMPLING_SEED)  # before any thread samples
        return load_model()
    except ValueError as e:  # unknown compute type or model size
        raise ModelNotFoundError(name, str(e).splitlines()[0]) from e
    except RuntimeError as e:  # CUDA missing, corrupt model.bin, ...
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        if "cuda" in msg.lower():
            raise EngineUnavailableError(ENGINE_NAME, f"device {device}: {msg}") from e
        raise ModelNotFoundError(name, msg) from e
    except OSError as e:  # download failed (offline) or files missing
        raise ModelNotFoundError(
            name,
            "not bundled and could not be downloaded (offline?); "
            "use tiny.en, base, or a local model folder",
        ) from e


def _start_helpers(opts: EngineOptions) -> list[EngineProcess]:
    """``opts.workers - 1`` helper processes, or fewer where one cannot start (the engine
    then starts them when first needed)."""
    helpers: list[EngineProcess] = []
    for _ in range(opts.workers - 1):
        try:
            helpers.append(EngineProcess(opts))
        except EngineUnavailableError:
            break
    return helpers


# Whisper's English-only tokenizers have 51864 tokens; multilingual ones have more.
_ENGLISH_ONLY_VOCAB = 51864


def _is_english_only(local: Path | None, name: str) -> bool:
    if name.endswith(".en"):
        return True
    if local is None:
        return False
    try:
        with (local / "vocabulary.txt").open(encoding="utf-8") as f:
            return sum(1 for _ in f) <= _ENGLISH_ONLY_VOCAB
    except OSError:
        return False
