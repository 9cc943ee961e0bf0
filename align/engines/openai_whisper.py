"""The second engine: openai-whisper (PyTorch), offline from the bundled weights.

It exists as an independent check on the default faster-whisper engine (same weights,
another decoder and another word-timing implementation) and for users who already run
PyTorch. The bundled models ship in CTranslate2 format; ``align.engines.convert`` turns
them into openai-whisper checkpoints once and caches them. Other model names go to
``whisper.load_model``, which downloads.

Audio always goes to Whisper as a float32 array: its own file loader needs an ``ffmpeg``
binary. openai-whisper reports no progress while it runs, so ``on_progress`` is called
once, when a call finishes. ``EngineOptions.batch_size`` does not apply (no batching).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from align.engines.base import (
    EngineOptions,
    Heard,
    HeardWord,
    ProgressFn,
    ScoreRequest,
    asks_more,
    word_tokens,
)
from align.engines.convert import load_converted
from align.engines.models import resolve_model_dir
from align.errors import EngineUnavailableError, ModelNotFoundError, UsageError
from align.model import EngineInfo
from audio import SAMPLE_RATE

log = logging.getLogger(__name__)

ENGINE_NAME = "openai-whisper"
_INSTALL_HINT = "install the extra: pip install 'turnalign[torch]'"
# Each window is decoded on its own, as in the faster-whisper engine: the transcript is
# known, so context helps little, and it keeps one hallucination from derailing the rest.
_CONDITION_ON_PREVIOUS_TEXT = False
# Whisper's (and faster-whisper's) default fallback: retry a failed window hotter.
_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
_SAMPLING_SEED = 1
# openai-whisper has no int8 path; these are the compute types it can honour.
_COMPUTE_TYPES = ("default", "float32", "float16")


def _import_backend() -> tuple[Any, Any]:
    try:
        import torch
        import whisper
    except ImportError as e:
        raise EngineUnavailableError(ENGINE_NAME, _INSTALL_HINT) from e
    except OSError as e:  # a broken torch install (missing shared library)
        raise EngineUnavailableError(ENGINE_NAME, f"cannot load PyTorch: {e}") from e
    return torch, whisper


def _resolve_device(torch: Any, device: str) -> str:
    cuda = bool(torch.cuda.is_available())
    if device == "auto":
        return "cuda" if cuda else "cpu"
    if device == "cuda" and not cuda:
        raise EngineUnavailableError(ENGINE_NAME, "device cuda: PyTorch sees no CUDA GPU")
    return device


def _resolve_fp16(compute_type: str, device: str) -> bool:
    if compute_type not in _COMPUTE_TYPES:
        raise UsageError(
            f"compute type '{compute_type}' is not supported by {ENGINE_NAME}; "
            f"choose from {', '.join(_COMPUTE_TYPES)}"
        )
    if compute_type == "float16" and device != "cuda":
        raise UsageError(f"compute type float16 needs device cuda with {ENGINE_NAME}, not {device}")
    return device == "cuda" and compute_type != "float32"


class OpenAIWhisperEngine:
    """A loaded openai-whisper model. Build with ``load_engine``."""

    def __init__(
        self,
        model: Any,
        transcribe_fn: Any,
        info: EngineInfo,
        *,
        fp16: bool,
        beam_size: int,
        torch: Any,
    ) -> None:
        self._model = model
        self._torch = torch
        self._transcribe_fn = transcribe_fn
        self._info = info
        self._fp16 = fp16
        self._beam_size = beam_size
        self._english_only = not bool(model.is_multilingual)

    @property
    def info(self) -> EngineInfo:
        return self._info

    @property
    def parallel(self) -> int:
        # Decoding installs key/value-cache hooks on the shared modules: one call at a time.
        return 1

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

        Times in the result are ``offset_s`` + seconds into ``samples``.

        Raises:
            UsageError: a language other than English for an English-only model.
            ValueError: ``samples`` is not one-dimensional.
        """
        audio = np.asarray(samples, dtype=np.float32)
        if audio.ndim != 1:
            raise ValueError(f"samples must have shape (n,), got {audio.shape}")
        lang = language or (None if self._info.language == "auto" else self._info.language)
        if self._english_only:
            if lang not in (None, "en"):
                raise UsageError(
                    f"model '{self._info.model}' is English-only and cannot transcribe "
                    f"language '{lang}'; use a multilingual model such as 'base'"
                )
            lang = "en"
        total_s = len(audio) / SAMPLE_RATE
        if len(audio) == 0:
            return Heard((), lang or "")
        # Temperature fallback samples from torch's generator: each call starts it from the
        # same seed (and leaves the caller's state alone), so a window hears the same words
        # in every run.
        cuda = [self._model.device.index or 0] if self._model.device.type == "cuda" else []
        with self._torch.random.fork_rng(devices=cuda):
            self._torch.manual_seed(_SAMPLING_SEED)
            result = self._call(audio, prompt, lang)
        words: list[HeardWord] = []
        for seg in result["segments"]:
            for w in seg.get("words", ()):
                text = str(w["word"]).strip()
                if not text:
                    continue
                start_s = min(total_s, max(0.0, float(w["start"])))
                end_s = min(total_s, max(float(w["end"]), start_s))
                words.append(
                    HeardWord(text, offset_s + start_s, offset_s + end_s, float(w["probability"]))
                )
        if on_progress is not None:
            on_progress(total_s, total_s)
        return Heard(tuple(words), str(result.get("language") or lang or ""))

    def score(self, request: ScoreRequest) -> tuple[tuple[float, ...], ...]:
        """Teacher-forced: how likely Whisper finds each word of each text of ``request``
        in its audio, read from the start (see ``ScoreRequest``).

        openai-whisper's encoder takes exactly 30 s, so the audio is padded to it (the
        faster-whisper engine encodes it at its own length); each text is one forward pass
        of the decoder. A word's probability is the geometric mean of its tokens'.
        """
        import whisper

        torch = self._torch
        lang = request.language or (None if self._info.language == "auto" else self._info.language)
        tokenizer = whisper.tokenizer.get_tokenizer(
            bool(self._model.is_multilingual),
            num_languages=self._model.num_languages,
            language=lang or "en",
            task="transcribe",
        )
        audio = whisper.pad_or_trim(np.asarray(request.samples, dtype=np.float32))
        mel = whisper.log_mel_spectrogram(audio, self._model.dims.n_mels)
        prefix = list(tokenizer.sot_sequence_including_notimestamps)
        with torch.no_grad():
            dtype = torch.float16 if self._fp16 else torch.float32
            features = self._model.embed_audio(mel[None].to(self._model.device, dtype))

            def read(words: Sequence[str]) -> tuple[float, ...]:
                ids, spans = word_tokens(tokenizer.encode, words)
                if not ids:
                    return tuple(0.0 for _ in words)
                tokens = torch.tensor([prefix + ids], device=self._model.device)
                logits = self._model.logits(tokens, features)[0].float()
                logp = torch.log_softmax(logits, dim=-1)
                # The token at position i is predicted by the logits at position i - 1.
                at = torch.arange(len(prefix) - 1, len(prefix) - 1 + len(ids))
                token_logp = logp[at, torch.tensor(ids)].cpu().numpy()
                return tuple(
                    float(np.exp(token_logp[a:b].mean())) if b > a else 0.0 for a, b in spans
                )

            out = tuple(read(words) for words in request.texts)
            if request.more and out and asks_more(request, out[0]):
                out += tuple(read(words) for words in request.more)
        return out

    def _call(self, audio: np.ndarray, prompt: str | None, lang: str | None) -> Any:
        return self._transcribe_fn(
            self._model,
            audio,
            verbose=None,  # None: print nothing (False still draws a tqdm bar)
            temperature=_TEMPERATURES,
            condition_on_previous_text=_CONDITION_ON_PREVIOUS_TEXT,
            initial_prompt=prompt,
            word_timestamps=True,
            language=lang,
            task="transcribe",
            # beam_size None is greedy decoding; a beam of 1 would run the slower beam search.
            beam_size=self._beam_size if self._beam_size > 1 else None,
            fp16=self._fp16,
        )


def load_engine(opts: EngineOptions) -> OpenAIWhisperEngine:
    """Load an openai-whisper model once; reuse the engine for many files.

    Bundled models (``tiny.en``, ``base``) and local CTranslate2 folders are converted
    to an openai-whisper checkpoint on first use and cached (see ``align.engines.convert``).

    Raises:
        EngineUnavailableError: torch/openai-whisper is not installed or the device is unusable.
        ModelNotFoundError: the model cannot be found, converted or loaded.
        UsageError: a compute type openai-whisper cannot run, or a language other than
            English for an English-only model.
    """
    torch, whisper = _import_backend()
    device = _resolve_device(torch, opts.device)
    fp16 = _resolve_fp16(opts.compute_type, device)
    if opts.cpu_threads > 0:
        torch.set_num_threads(opts.cpu_threads)
    model = _load_model(whisper, opts.model, device)
    english_only = not bool(model.is_multilingual)
    if english_only and opts.language not in (None, "en"):
        raise UsageError(
            f"model '{opts.model}' is English-only and cannot transcribe language "
            f"'{opts.language}'; use a multilingual model such as 'base'"
        )
    info = EngineInfo(
        name=ENGINE_NAME,
        model=opts.model,
        device=device,
        compute_type="float16" if fp16 else "float32",
        language=opts.language or ("en" if english_only else "auto"),
    )
    return OpenAIWhisperEngine(
        model, whisper.transcribe, info, fp16=fp16, beam_size=opts.beam_size, torch=torch
    )


def _load_model(whisper: Any, name: str, device: str) -> Any:
    local = resolve_model_dir(name)
    if local is not None and not (local / "model.bin").is_file():
        return _load_named(whisper, str(local / "model.pt"), name, device)
    if local is None:
        return _load_named(whisper, name, name, device)
    started = time.perf_counter()
    checkpoint = load_converted(name, local)
    from whisper.model import ModelDimensions, Whisper

    model = Whisper(ModelDimensions(**checkpoint["dims"]))
    try:
        model.load_state_dict(checkpoint["model_state_dict"], strict=True)
    except RuntimeError as e:  # shapes or names do not fit: a converter bug or odd model
        raise ModelNotFoundError(name, f"converted weights do not fit: {e}") from e
    model.set_alignment_heads(checkpoint["alignment_heads"])
    log.debug("loaded %s in %.2fs", name, time.perf_counter() - started)
    return model.to(device)


def _load_named(whisper: Any, source: str, name: str, device: str) -> Any:
    """``whisper.load_model`` with its errors translated (a known name downloads)."""
    try:
        return whisper.load_model(source, device=device)
    except RuntimeError as e:  # unknown name, or a checkpoint that does not load
        raise ModelNotFoundError(name, str(e).splitlines()[0] if str(e) else "cannot load") from e
    except OSError as e:  # download failed (offline) or file unreadable
        raise ModelNotFoundError(
            name,
            "not bundled and could not be downloaded (offline?); "
            "use tiny.en, base, or a local model folder",
        ) from e
