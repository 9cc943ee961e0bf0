"""The default engine: faster-whisper (CTranslate2), on CPU or CUDA, with word timestamps."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from align.engines.base import EngineOptions, Heard, HeardWord, ProgressFn
from align.engines.models import resolve_model_dir
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

    def __init__(self, model: Any, info: EngineInfo, opts: EngineOptions, english_only: bool):
        self._model = model
        self._info = info
        self._opts = opts
        self._english_only = english_only
        self._batched: Any = None
        if opts.batch_size > 1:
            from faster_whisper import BatchedInferencePipeline

            self._batched = BatchedInferencePipeline(model)

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
        """Transcribe ``samples`` (shape (n,), float32, 16 kHz) into timed words."""
        lang = language or self._opts.language or ("en" if self._english_only else None)
        total_s = len(samples) / SAMPLE_RATE
        samples = samples.astype(np.float32, copy=False)
        common: dict[str, Any] = {"language": lang, "beam_size": self._opts.beam_size,
                                  "word_timestamps": True, "initial_prompt": prompt}  # fmt: skip
        if self._batched is not None and total_s > _BATCH_MIN_S:
            # Several 30 s chunks share each forward pass; chunks are cut at quiet points
            # (not by VAD, which can drop quiet speakers).
            clips = [{"start": w.start_s, "end": w.end_s} for w in cut_at_quiet_points(samples)]
            segments, info = self._batched.transcribe(
                samples, **common, clip_timestamps=clips, batch_size=self._opts.batch_size
            )
        else:
            segments, info = self._model.transcribe(
                samples,
                **common,
                condition_on_previous_text=_CONDITION_ON_PREVIOUS_TEXT,
                vad_filter=self._opts.vad_filter,
            )
        words: list[HeardWord] = []
        for seg in segments:  # work happens while iterating
            for w in seg.words or ():
                text = w.word.strip()
                if not text:
                    continue
                start = offset_s + max(0.0, float(w.start))
                end = offset_s + min(total_s, max(float(w.end), float(w.start)))
                words.append(HeardWord(text, start, max(start, end), float(w.probability)))
            if on_progress is not None:
                on_progress(min(total_s, float(seg.end)), total_s)
        if on_progress is not None:
            on_progress(total_s, total_s)
        return Heard(tuple(words), info.language or lang or "")


def load_engine(opts: EngineOptions) -> FasterWhisperEngine:
    """Load a faster-whisper model once; reuse the engine for many files.

    Raises:
        EngineUnavailableError: faster-whisper is not installed or the device is unusable.
        ModelNotFoundError: the model cannot be found or loaded.
    """
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
    try:
        model = WhisperModel(
            source,
            device=device,
            compute_type=compute_type,
            cpu_threads=_threads_per_worker(opts),
            num_workers=opts.workers,
            local_files_only=local is not None,
        )
    except ValueError as e:  # unknown compute type or model size
        raise ModelNotFoundError(opts.model, str(e).splitlines()[0]) from e
    except RuntimeError as e:  # CUDA missing, corrupt model.bin, ...
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        if "cuda" in msg.lower():
            raise EngineUnavailableError(ENGINE_NAME, f"device {device}: {msg}") from e
        raise ModelNotFoundError(opts.model, msg) from e
    except OSError as e:  # download failed (offline) or files missing
        raise ModelNotFoundError(
            opts.model,
            "not bundled and could not be downloaded (offline?); "
            "use tiny.en, base, or a local model folder",
        ) from e
    english_only = _is_english_only(local, opts.model)
    info = EngineInfo(
        name=ENGINE_NAME,
        model=opts.model,
        device=device,
        compute_type=compute_type,
        language=opts.language or ("en" if english_only else "auto"),
    )
    return FasterWhisperEngine(model, info, opts, english_only)


def _threads_per_worker(opts: EngineOptions) -> int:
    """CPU threads for each worker: the cores shared out when the caller left it to us.
    (CTranslate2's own default, 4 threads, runs slower than 1 on two busy cores.)"""
    if opts.cpu_threads > 0:
        return opts.cpu_threads
    return max(1, (os.cpu_count() or 1) // opts.workers)


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
