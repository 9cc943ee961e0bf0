"""Forced alignment of known words with pocketsphinx: where exactly each word starts and ends.

Whisper's word times come from cross-attention and are about 100 ms off (median, on the
benchmark's gold words). Told the words, an HMM aligner with 10 ms frames finds their edges to
a frame or two. pocketsphinx (PyPI ``pocketsphinx`` 5.x) runs offline and ships a US English
acoustic model and the CMU dictionary, so it is the English default. Teacher-forced Whisper
cross-attention (``WhisperModel.find_alignment``) was measured too and is no better than
Whisper's own times (``scripts/measure_refine.py``).

The grammar is a straight line through a window's words, with silence or noise allowed
between any two, and optional words (ones the engine did not hear) that the aligner may skip
(``align.refine.grammar`` keeps track of the skips).
``find_hesitations`` runs a grammar of no words over a pause, to hear an "um" nobody wrote.
pocketsphinx is imported lazily; its decoder is built once per process.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from align.errors import EngineUnavailableError
from align.refine.grammar import AlignToken, place_found, skip_targets
from align.refine.lexicon import clean_word, is_acronym, pronounce
from audio import SAMPLE_RATE

log = logging.getLogger(__name__)

ALIGNER_NAME = "pocketsphinx"
FRAME_S = 0.01
"""pocketsphinx's frame period (100 frames a second, fixed by its acoustic model)."""

_MIN_FRAMES = 3
"""The shortest audio worth aligning: one phone's three HMM states."""
_INT16_SCALE = 32767.0
_SILENCE_WORD = "<sil>"
_NOISE_WORD = "[NOISE]"
_NULL_WORD = "(NULL)"
_ADDED_PREFIX = "_ta_"
"""Words we add to the dictionary are named by their phones: "_ta_T_AE_T_ER_D"."""
_HESITATION_PREFIX = "_hes_"
# Hesitations a transcript may leave out, named apart from the transcript's own "uh"/"um".
_HESITATIONS: dict[str, str] = {
    f"{_HESITATION_PREFIX}uh": "AH",
    f"{_HESITATION_PREFIX}um": "AH M",
    f"{_HESITATION_PREFIX}mm": "M",
}
_TOP_GAUSSIANS = 3
"""Gaussians scored per frame (pocketsphinx's ``topn``, 4 by default): scoring them is half
of the aligner's time. With 3, conv_dev's refinement took 8 % less CPU and its turn and gold
word figures, clean, noisy and under a -30 dBFS floor, stayed as with 4; with 2 (17 % less)
one more noisy turn edge fell beyond 250 ms under that floor (docs/benchmarks.md, 10)."""
_GRAMMAR = "turnalign"
_PAUSE_GRAMMAR = "turnalign_pause"
# The decoder is one per process and not thread-safe: aligners in threads take turns.
_DECODER_LOCK = threading.RLock()


@dataclass(frozen=True, slots=True)
class ForcedAlignOptions:
    """How the pocketsphinx aligner searches.

    ``beam``: one pruning beam for states, phones and word exits (pocketsphinx breaks
    alignments when they differ, cmusphinx/pocketsphinx#464); very wide, because a forced
    alignment has a single path to keep alive and the windows are short. Narrower beams
    (1e-48, 1e-70) lost whole windows on the benchmark. ``phone_bonus``: pocketsphinx's
    phone insertion probability ``pip``; above 1 it rewards each phone a little, which stops
    the search from parking in silence and losing the path after a one-phone word
    ("so I probably ..."), seen at the default of 1. ``silence_prob``/``noise_prob``:
    probability of a silence / noise (cough, breath) loop between words. ``optional_prob``:
    probability that an optional word was spoken. ``hesitation_prob``: probability of a
    hesitation loop in a pause (``find_hesitations``). Loops of hesitations between the
    transcript's own words were measured too: they steal time from real words.
    """

    beam: float = 1e-100
    phone_bonus: float = 2.0
    silence_prob: float = 0.5
    noise_prob: float = 1e-3
    optional_prob: float = 0.5
    hesitation_prob: float = 0.01

    def __post_init__(self) -> None:
        if not 0.0 < self.beam < 1.0:
            raise ValueError(f"beam must be in (0, 1), got {self.beam}")
        if self.phone_bonus <= 0.0:
            raise ValueError(f"phone_bonus must be > 0, got {self.phone_bonus}")
        for name in ("silence_prob", "noise_prob", "optional_prob", "hesitation_prob"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ValueError(f"{name} must be in (0, 1), got {value}")


@dataclass(frozen=True, slots=True)
class TokenSpan:
    """Where the aligner put one token, in seconds from the start of its audio."""

    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class ScoredAlignment:
    """One span per token (as ``PocketsphinxAligner.align`` gives them) and the natural log
    of the best path's score; only differences of scores over the same samples mean
    anything."""

    spans: tuple[TokenSpan | None, ...]
    log_score: float


class PocketsphinxAligner:
    """pocketsphinx forced alignment over short windows. Build with ``load_aligner``."""

    def __init__(self, decoder: Any, opts: ForcedAlignOptions) -> None:
        self._decoder = decoder
        self._opts = opts
        self._words: dict[str, tuple[str | None, bool]] = {}

    @property
    def name(self) -> str:
        return ALIGNER_NAME

    def known_share(self, texts: Sequence[str]) -> float:
        """Share (0-1) of ``texts`` whose pronunciation comes from the dictionary (not a
        split or letter rules): low for text that is not English."""
        counted = [t for t in texts if clean_word(t)]
        if not counted:
            return 1.0
        return sum(1 for t in counted if self._word_for(t)[1]) / len(counted)

    def align(
        self, samples: NDArray[np.floating], tokens: Sequence[AlignToken]
    ) -> tuple[TokenSpan | None, ...] | None:
        """Align ``tokens``, in order, to ``samples`` (shape (n,), 16 kHz mono).

        Returns:
            One span per token (``None`` for an optional token the aligner left out, or a
            token with nothing to say, "--"); ``None`` when it found no path through the
            words (the caller keeps the times it had).
        """
        scored = self.align_scored(samples, tokens)
        return None if scored is None else scored.spans

    def align_scored(
        self, samples: NDArray[np.floating], tokens: Sequence[AlignToken]
    ) -> ScoredAlignment | None:
        """``align``, with the score of the best path: two alignments of the same samples
        with different words compare by ``log_score`` (``align.refine.verify``)."""
        words = [self._word_for(t.text)[0] for t in tokens]
        positions = [k for k, w in enumerate(words) if w is not None]
        names = [w for w in words if w is not None]
        skips = skip_targets([tokens[k] for k in positions])
        if not names or samples.shape[0] < _MIN_FRAMES * FRAME_S * SAMPLE_RATE:
            return None
        decoded = self._decode_scored(samples, self._line_grammar(names, skips), _GRAMMAR)
        if decoded is None:
            return None
        segs, log_score = decoded
        found = [(_base(w), a, b) for w, a, b in segs if not _is_filler(w)]
        placed = place_found(names, skips, [w for w, _, _ in found])
        if placed is None:
            return None
        spans: list[TokenSpan | None] = [None] * len(tokens)
        for (_, start_s, end_s), pos in zip(found, placed):
            spans[positions[pos]] = TokenSpan(start_s, end_s)
        return ScoredAlignment(tuple(spans), log_score)

    def silence_scored(self, samples: NDArray[np.floating]) -> float | None:
        """The best path's score over ``samples`` with no word at all (silence and noise
        only): what an alignment scores when the words it was given are not there."""
        if samples.shape[0] < _MIN_FRAMES * FRAME_S * SAMPLE_RATE:
            return None
        decoded = self._decode_scored(samples, self._loops(0), _PAUSE_GRAMMAR)
        return None if decoded is None else decoded[1]

    def find_hesitations(self, samples: NDArray[np.floating]) -> list[TokenSpan]:
        """The hesitations ("uh", "um", "mm") in audio that holds no transcribed word.

        The grammar has no words, only loops of silence, noise and hesitations, so the
        acoustic model decides which of them the audio is.
        """
        if samples.shape[0] < _MIN_FRAMES * FRAME_S * SAMPLE_RATE:
            return []
        loops = self._loops(0)
        loops += [(0, 0, self._opts.hesitation_prob, w) for w in self._hesitation_words()]
        segs = self._decode(samples, loops, _PAUSE_GRAMMAR)
        return [TokenSpan(a, b) for w, a, b in segs or () if w.startswith(_HESITATION_PREFIX)]

    def pronunciations(self, text: str) -> tuple[str, ...]:
        """The phones (ARPAbet, space-separated) of every pronunciation the dictionary has
        for the word ``text``, or the one ``lexicon.pronounce`` builds; ``()`` for a token
        with nothing to say. A word of several parts ("well-known") is its parts'
        first pronunciations in a row."""
        word = clean_word(text)
        if not word:
            return ()
        with _DECODER_LOCK:
            if " " in word:
                parts = [self.pronunciations(p) for p in word.split()]
                return (" ".join(p[0] for p in parts if p),)
            found: list[str] = []
            variant = word
            while (hit := self._decoder.lookup_word(variant)) is not None:
                found.append(hit)
                variant = f"{word}({len(found) + 1})"
            if found:
                return tuple(found)
            phones, _known = pronounce(word, self._decoder.lookup_word, is_acronym(text))
        return (phones,) if phones else ()

    def _decode(
        self, samples: NDArray[np.floating], trans: list[Any], grammar: str
    ) -> list[tuple[str, float, float]] | None:
        """Run one grammar over ``samples``; the segments (word, start_s, end_s) or None."""
        decoded = self._decode_scored(samples, trans, grammar)
        return None if decoded is None else decoded[0]

    def _decode_scored(
        self, samples: NDArray[np.floating], trans: list[Any], grammar: str
    ) -> tuple[list[tuple[str, float, float]], float] | None:
        """``_decode``, with the natural log of the best path's score."""
        final = max(t[1] for t in trans)
        pcm = (np.clip(samples, -1.0, 1.0) * _INT16_SCALE).astype(np.int16)
        with _DECODER_LOCK:
            try:
                fsg = self._decoder.create_fsg(grammar, 0, final, trans)
                self._decoder.add_fsg(grammar, fsg)
                self._decoder.activate_search(grammar)
                # pocketsphinx carries feature state (cepstral mean, noise estimate, filter
                # memory) from one utterance to the next, which moved some words by 10-40 ms
                # with whatever the process aligned before; every window starts afresh.
                self._decoder.reinit_feat()
                self._decoder.start_utt()
                self._decoder.process_raw(pcm.tobytes(), full_utt=True)
                self._decoder.end_utt()
            except RuntimeError as e:  # a grammar or an utterance pocketsphinx cannot take
                log.debug("pocketsphinx failed on %d transitions: %s", len(trans), e)
                return None
            hyp = self._decoder.hyp()
            if hyp is None:
                return None  # no path reached the grammar's end
            segs = [
                (seg.word, seg.start_frame * FRAME_S, (seg.end_frame + 1) * FRAME_S)
                for seg in self._decoder.seg()
            ]
            # The binding hands the score back through its log table's exp(); its log is
            # the path's log-likelihood on pocketsphinx's own (scaled) scale.
            return segs, math.log(hyp.score) if hyp.score > 0.0 else -math.inf

    def _line_grammar(self, names: Sequence[str], skips: Sequence[int | None]) -> list[Any]:
        """States 0..n in a line, word k from state k to k + 1; ``skips[k]``: the state a
        null transition from state k jumps to (leaving out an optional word or group)."""
        p = self._opts.optional_prob
        trans: list[Any] = []
        for state, (name, skip) in enumerate(zip(names, skips)):
            trans += self._loops(state)
            if skip is not None:
                trans += [(state, state + 1, p, name), (state, skip, 1.0 - p)]
            else:
                trans.append((state, state + 1, 1.0, name))
        return trans + self._loops(len(names))

    def _loops(self, state: int) -> list[Any]:
        """What may sit between two words: silence, or noise (a cough, a breath)."""
        return [
            (state, state, self._opts.silence_prob, _SILENCE_WORD),
            (state, state, self._opts.noise_prob, _NOISE_WORD),
        ]

    def _hesitation_words(self) -> list[str]:
        for name, phones in _HESITATIONS.items():
            self._add(phones, name)
        return list(_HESITATIONS)

    def _word_for(self, text: str) -> tuple[str | None, bool]:
        """The dictionary word to put in the grammar for ``text`` (None: nothing to say),
        and whether its pronunciation came from the dictionary."""
        cached = self._words.get(text)
        if cached is not None:
            return cached
        word = clean_word(text)
        result: tuple[str | None, bool] = (None, True)
        if " " not in word and word and self._decoder.lookup_word(word) is not None:
            result = (word, True)
        elif word:
            phones, known = pronounce(word, self._decoder.lookup_word, is_acronym(text))
            result = (self._add(phones), known) if phones else (None, True)
        self._words[text] = result
        return result

    def _add(self, phones: str, name: str | None = None) -> str:
        """Add a word to the dictionary (by default named by its phones, so aligners that
        share the decoder never clash) and return its name."""
        name = name or _ADDED_PREFIX + phones.replace(" ", "_")
        with _DECODER_LOCK:
            if self._decoder.lookup_word(name) is None:
                self._decoder.add_word(name, phones, True)
        return name


def load_aligner(opts: ForcedAlignOptions = ForcedAlignOptions()) -> PocketsphinxAligner:
    """Load pocketsphinx with its bundled US English model (offline, about 0.3 s).

    Raises:
        EngineUnavailableError: pocketsphinx is not installed or its model cannot load.
    """
    return PocketsphinxAligner(_decoder(opts.beam, opts.phone_bonus), opts)


@lru_cache(maxsize=2)
def _decoder(beam: float, phone_bonus: float) -> Any:
    # One decoder per search (refinement's, and the wider one of ``align.refine.verify``)
    # per process: it holds the model and the 135k-word dictionary.
    try:
        from pocketsphinx import Decoder
    except ImportError as e:
        raise EngineUnavailableError(ALIGNER_NAME, "pip install 'pocketsphinx>=5.0,<6'") from e
    try:
        return Decoder(
            samprate=SAMPLE_RATE,
            lm=None,  # no language model: loads 4x faster, and add_word rebuilds none
            loglevel="FATAL",
            bestpath=False,  # its lattice pass breaks word alignment (pocketsphinx#318)
            fsgusefiller=False,  # we add our own silence and noise loops
            beam=beam,
            wbeam=beam,
            pbeam=beam,
            lpbeam=beam,
            lponlybeam=beam,
            maxhmmpf=-1,
            pip=phone_bonus,
            topn=_TOP_GAUSSIANS,
        )
    except (RuntimeError, OSError, ValueError) as e:
        raise EngineUnavailableError(ALIGNER_NAME, f"cannot load its English model: {e}") from e


def _base(word: str) -> str:
    """ "probably(2)" -> "probably": alternate pronunciations come back numbered."""
    return word.split("(", 1)[0] if word.endswith(")") else word


def _is_filler(word: str) -> bool:
    return word == _NULL_WORD or word.startswith(("<", "[", "+", _HESITATION_PREFIX))


__all__ = [
    "ALIGNER_NAME",
    "ForcedAlignOptions",
    "PocketsphinxAligner",
    "ScoredAlignment",
    "TokenSpan",
    "load_aligner",
]
