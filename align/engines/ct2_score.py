"""Teacher-forced reading with a CTranslate2 Whisper model: how likely the model finds
given words in a stretch of audio (the faster-whisper engine's ``score``).

The audio is encoded once, at its own length, not padded to Whisper's 30 s: the encoder's
cost falls with the length (a 5 s stretch in a fifth of a 30 s window's time), and on
conv_dev's candidate words the probabilities came out close to those read in full 30 s
windows (docs/benchmarks.md section 10). Each text is then forced through the decoder
(``Whisper.align``); a word's probability is the geometric mean of its tokens'.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from align.engines.base import ScoreRequest, asks_more, geometric_mean, word_tokens

# Whisper's 30 s of mel frames at most; the content plus a second of silence after it,
# rounded up to whole seconds.
_FULL_FRAMES = 3000
_PAD_FRAMES = 100
_FRAME_STEP = 100


def score_request(
    model: Any, tokenizer: Any, request: ScoreRequest
) -> tuple[tuple[float, ...], ...]:
    """Read ``request``'s texts (and its ``more`` ones, when asked) against its audio.

    ``model``: a ``faster_whisper.WhisperModel``; ``tokenizer``: its tokenizer for the
    request's language.
    """
    import ctranslate2

    feats = model.feature_extractor(request.samples.astype(np.float32, copy=False))
    content = min(int(feats.shape[-1]), _FULL_FRAMES)
    frames = min(_FULL_FRAMES, -(-(content + _PAD_FRAMES) // _FRAME_STEP) * _FRAME_STEP)
    padded = np.zeros((feats.shape[0], frames), dtype=np.float32)  # shape: (n_mels, frames)
    padded[:, :content] = feats[:, :content]
    encoded = model.model.encode(ctranslate2.StorageView.from_array(padded[None]))

    def read(words: Sequence[str]) -> tuple[float, ...]:
        tokens, spans = word_tokens(tokenizer.encode, words)
        if not tokens:
            return tuple(0.0 for _ in words)
        found = model.model.align(encoded, tokenizer.sot_sequence, [tokens], content)
        probs = np.asarray(found[0].text_token_probs, dtype=np.float64)
        return tuple(geometric_mean(probs[a:b]) for a, b in spans)

    out = tuple(read(words) for words in request.texts)
    if request.more and out and asks_more(request, out[0]):
        out += tuple(read(words) for words in request.more)
    return out


__all__ = ["score_request"]
