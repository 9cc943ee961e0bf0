"""What every Whisper engine gives the aligner: timed words, nothing engine-specific.

Engines take 16 kHz mono float32 samples (never a path: ``align/`` does not decode
files) and return ``Heard``: the words the model heard with absolute times in seconds.
They also score given text against the audio, teacher-forced (``Engine.score``): how
likely the model finds the transcript's own words where they were placed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from align.model import EngineInfo

Device = Literal["cpu", "cuda", "auto"]
ProgressFn = Callable[[float, float], None]
"""``on_progress(done_s, total_s)``: seconds of audio processed so far, of the total."""


@dataclass(frozen=True, slots=True)
class HeardWord:
    """One word the engine heard. Times in seconds from the start of the audio."""

    text: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True, slots=True)
class Heard:
    """The engine's timed words over a stretch of audio, in time order."""

    words: tuple[HeardWord, ...]
    language: str


@dataclass(frozen=True, slots=True)
class ScoreRequest:
    """Texts to read against a stretch of audio, teacher-forced (``Engine.score``).

    ``samples``: shape (n,), float32, 16 kHz, at most 30 s; every text is read from its
    start. ``more``: texts read as well, with the same encoding of the audio, when the
    words of ``texts[0]`` from index ``more_from`` on have a (geometric) mean probability
    of at most ``more_below`` (a second question only worth asking after the first).
    """

    samples: np.ndarray
    texts: tuple[tuple[str, ...], ...]
    language: str | None = None
    more: tuple[tuple[str, ...], ...] = ()
    more_from: int = 0
    more_below: float = 1.0


_MIN_PROB = 1e-9


def geometric_mean(probs: Sequence[float] | np.ndarray) -> float:
    """The geometric mean of probabilities (0 for none): a word's from its tokens', a
    stretch's from its words'."""
    values = np.asarray(probs, dtype=np.float64)
    if values.size == 0:
        return 0.0
    return float(np.exp(np.mean(np.log(np.maximum(values, _MIN_PROB)))))


def asks_more(request: ScoreRequest, first: Sequence[float]) -> bool:
    """Whether ``request.more`` is to be read, given its first text's word probabilities."""
    tail = first[request.more_from :]
    return len(tail) > 0 and geometric_mean(tail) <= request.more_below


def word_tokens(
    encode: Callable[[str], list[int]], words: Sequence[str]
) -> tuple[list[int], list[tuple[int, int]]]:
    """A text's tokens by the engine's tokenizer (``encode``), and each word's span of
    them (Whisper's words are spoken after a space)."""
    tokens: list[int] = []
    spans: list[tuple[int, int]] = []
    for word in words:
        ids = list(encode(" " + word.strip())) if word.strip() else []
        spans.append((len(tokens), len(tokens) + len(ids)))
        tokens.extend(ids)
    return tokens, spans


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """How to run an engine.

    ``model``: ``tiny.en`` (bundled, offline), ``base`` (bundled, offline), a local
    CTranslate2 model folder, or any name the engine's own loader knows (downloads).
    ``compute_type``: CTranslate2 compute type (``default`` picks int8 on CPU,
    float16 on CUDA). ``cpu_threads``: threads per engine call. It is part of the result:
    CTranslate2 may split its arithmetic by thread, so it is fixed (1), not derived from the
    machine's core count. ``workers``: windows of audio transcribed at once (faster-whisper;
    openai-whisper always takes one at a time): this process's model plus ``workers - 1``
    helper processes, each running one call at a time, so the words do not depend on the
    worker count (``align.engines.pool``). Greedy decoding of a small model keeps about
    one core busy, so two workers nearly halve the wall time on two cores.
    ``vad_filter``: skip what Silero VAD calls non-speech before decoding. Off by default: on quiet
    speakers (-40 dBFS) it drops whole turns (seen on the bundled example).
    """

    model: str = "tiny.en"
    device: Device = "auto"
    compute_type: str = "default"
    language: str | None = None
    beam_size: int = 1
    cpu_threads: int = 1
    batch_size: int = 1
    workers: int = 2
    vad_filter: bool = False

    def __post_init__(self) -> None:
        if self.device not in ("cpu", "cuda", "auto"):
            raise ValueError(f"device must be cpu, cuda or auto, not {self.device!r}")
        if self.beam_size < 1:
            raise ValueError(f"beam_size must be >= 1, got {self.beam_size}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")
        if self.cpu_threads < 1:
            raise ValueError(f"cpu_threads must be >= 1, got {self.cpu_threads}")


class Engine(Protocol):
    """A loaded Whisper model. Load once, call many times."""

    @property
    def info(self) -> EngineInfo: ...

    @property
    def parallel(self) -> int:
        """How many windows may be transcribed at once, from separate threads (each call
        must hear the same words however many run at once)."""
        ...

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
        """
        ...

    def score(self, request: ScoreRequest) -> tuple[tuple[float, ...], ...]:
        """Teacher-forced: the probability (0-1) Whisper gives each word of each text of
        ``request``, read from the start of its audio; like ``transcribe``, safe to call
        from ``parallel`` threads at once.

        One tuple per text, one probability per word (the geometric mean of its tokens'),
        then one per text of ``request.more`` if they were read.
        """
        ...
