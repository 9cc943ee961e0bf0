"""Hard cases built from real recordings: splice real audio, and move the truth with it.

A benchmark conversation (``shared/bench/conv_dev``: audio, its exact transcript and a truth
JSON) is edited the way the cases of issue 15 need, never with synthetic speech: a word's
own audio spliced in twice ("the the") and written twice; a real "yeah" cut at its gold
word times and inserted into a pause as a one-word turn; a turn's audio cut out while its
text stays; a louder noise floor. Every edit shifts the truth's times with the audio, so the
result still scores with ``align.evaluation.evaluate`` (turns the audio no longer holds map
to no reference turn and are listed as ``extra_turn`` corruptions).

Pure: samples in, samples out; reading and writing files is the caller's.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from audio import SAMPLE_RATE

_SPEAKER_LINE = re.compile(r"^(Speaker [^\n:]+):[ \t]*$", re.MULTILINE)
_EDGE_PUNCT = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)


@dataclass(slots=True)
class _Turn:
    speaker: str
    tokens: list[str]
    words: list[dict[str, Any]]  # one per token while spoken: word, start, end, grade
    spoken: bool = True
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Conversation:
    """A recording with its transcript and truth, being edited (build with ``load``).

    Times are seconds; ``samples`` is 16 kHz mono float32, shape (n,).
    """

    samples: NDArray[np.float32]
    front_matter: str
    turns: list[_Turn]
    corruptions: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(
        cls, samples: NDArray[np.float32], transcript: str, truth: dict[str, Any]
    ) -> Conversation:
        """From a ``Speaker N:`` transcript that is exactly what was said (one token per
        truth word, in order) and its truth JSON.

        Raises:
            ValueError: the transcript's turns or tokens do not match the truth's.
        """
        parts = _SPEAKER_LINE.split(transcript)
        front = parts[0]
        raw = [(parts[i], parts[i + 1].split()) for i in range(1, len(parts), 2)]
        if len(raw) != len(truth["turns"]):
            raise ValueError(f"{len(raw)} transcript turns, {len(truth['turns'])} truth turns")
        by_turn: dict[int, list[dict[str, Any]]] = {}
        for w in truth["words"]:
            by_turn.setdefault(int(w["turn"]), []).append(dict(w))
        turns = []
        for i, (speaker, tokens) in enumerate(raw):
            words = by_turn.get(i, [])
            if len(words) != len(tokens):
                raise ValueError(f"turn {i}: {len(tokens)} tokens, {len(words)} truth words")
            turns.append(_Turn(speaker, tokens, words))
        return cls(samples.astype(np.float32, copy=True), front, turns)

    def copy(self) -> Conversation:
        return Conversation(
            self.samples.copy(), self.front_matter, copy.deepcopy(self.turns), [*self.corruptions]
        )

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    def head(self, n_turns: int) -> Conversation:
        """The first ``n_turns`` turns: the audio up to the next turn's first word (or the
        end), a short recording for tests."""
        out = self.copy()
        out.turns = out.turns[:n_turns]
        nxt = next((t for t in self.turns[n_turns:] if t.words), None)
        end_s = nxt.words[0]["start"] if nxt is not None else self.duration_s
        out.samples = out.samples[: _sample(end_s)].copy()
        return out

    # -- audio edits, with the truth moved along ------------------------------------------
    def insert(self, at_s: float, clip: NDArray[np.float32]) -> None:
        """Insert ``clip`` at ``at_s``; every time at or after it moves later."""
        at = _sample(at_s)
        self.samples = np.concatenate([self.samples[:at], clip, self.samples[at:]])
        shift = len(clip) / SAMPLE_RATE
        for turn in self.turns:
            for w in turn.words:
                if w["start"] >= at_s - 1e-9:  # a word ending at ``at_s`` stays put
                    w["start"] = round(w["start"] + shift, 4)
                if w["end"] > at_s + 1e-9:
                    w["end"] = round(w["end"] + shift, 4)

    def cut(self, start_s: float, end_s: float) -> None:
        """Remove the audio ``[start_s, end_s)``; turns with words inside are no longer
        spoken (their words are dropped from the truth)."""
        a, b = _sample(start_s), _sample(end_s)
        self.samples = np.concatenate([self.samples[:a], self.samples[b:]])
        shift = (b - a) / SAMPLE_RATE
        for turn in self.turns:
            if any(w["end"] > start_s and w["start"] < end_s for w in turn.words):
                turn.spoken, turn.words = False, []
                continue
            for w in turn.words:
                for key in ("start", "end"):
                    if w[key] >= end_s - 1e-9:
                        w[key] = round(w[key] - shift, 4)

    def add_noise(self, rms_dbfs: float, seed: int) -> None:
        """Add Gaussian noise of ``rms_dbfs`` (a louder noise floor; not speech)."""
        rng = np.random.default_rng(seed)
        noise = rng.standard_normal(len(self.samples)).astype(np.float32)
        self.samples = (self.samples + noise * np.float32(10 ** (rms_dbfs / 20))).astype(np.float32)
        peak = float(np.max(np.abs(self.samples)))
        if peak > 1.0:  # keep it in range as a recording would be
            self.samples /= np.float32(peak)

    # -- the cases ---------------------------------------------------------------------------
    def repeat_word(self, turn: int, word: int, n_words: int = 1) -> None:
        """Say ``n_words`` words of ``turn`` from ``word`` on twice: their audio (from the
        first one's start to the last one's end) spliced in right after them, and their
        tokens written twice ("I I think", "it took it took"); the first copy loses its last
        token's trailing punctuation."""
        t = self.turns[turn]
        first, last = t.words[word], t.words[word + n_words - 1]
        clip = self.samples[_sample(first["start"]) : _sample(last["end"])].copy()
        self.insert(last["end"], clip)
        shift = len(clip) / SAMPLE_RATE  # as ``insert`` moves the words after it
        again = [
            dict(w, start=round(w["start"] + shift, 4), end=round(w["end"] + shift, 4))
            for w in t.words[word : word + n_words]
        ]
        t.words[word + n_words : word + n_words] = again
        copy_tokens = list(t.tokens[word : word + n_words])
        lead, core, _trail = _EDGE_PUNCT.match(copy_tokens[-1]).groups()  # type: ignore[union-attr]
        copy_tokens[-1] = f"{lead}{core}"
        t.tokens[word:word] = copy_tokens
        t.meta.setdefault("repeats", []).append((word, n_words))

    def insert_turn(
        self, at_s: float, clip: NDArray[np.float32], speaker: str, token: str, word: str
    ) -> int:
        """Insert a one-word turn: ``clip`` (the word's own audio, cut at its times) at
        ``at_s``, which must lie in a pause between two turns. Returns its turn index."""
        before = sum(1 for t in self.turns if t.words and t.words[-1]["end"] <= at_s)
        self.insert(at_s, clip)
        end_s = round(at_s + len(clip) / SAMPLE_RATE, 4)
        entry = {"word": word, "start": round(at_s, 4), "end": end_s, "grade": "gold"}
        self.turns.insert(before, _Turn(speaker, [token], [entry], meta={"inserted": True}))
        return before

    def remove_turn_audio(self, turn: int) -> None:
        """Cut a turn's audio and the pause after it out of the recording; the transcript
        keeps the turn, so it is text with no audio (an ``extra_turn`` corruption)."""
        t = self.turns[turn]
        start = t.words[0]["start"]
        nxt = next((u for u in self.turns[turn + 1 :] if u.words), None)
        end = nxt.words[0]["start"] if nxt is not None else self.duration_s
        self.cut(start, end)

    # -- output ------------------------------------------------------------------------------
    def transcript(self) -> str:
        """The transcript, in the input's ``Speaker N:`` layout."""
        body = "".join(f"{t.speaker}:\n\n{' '.join(t.tokens)}\n\n" for t in self.turns)
        return self.front_matter + body

    def truth(self) -> dict[str, Any]:
        """A truth JSON (``conv_dev.truth.json`` schema) for the edited recording."""
        turns: list[dict[str, Any]] = []
        words: list[dict[str, Any]] = []
        turn_map: list[int | None] = []
        extra: list[dict[str, Any]] = []
        for t in self.turns:
            if not t.spoken:
                turn_map.append(None)
                text = " ".join(t.tokens)
                extra.append({"type": "extra_turn", "after_turn": len(turns) - 1, "text": text})
                continue
            index = len(turns)
            turn_map.append(index)
            grades = {w.get("grade", "gold") for w in t.words}
            turns.append({
                "index": index, "speaker": t.speaker, "start": t.words[0]["start"],
                "end": t.words[-1]["end"], "text": " ".join(w["word"] for w in t.words),
                "grade": "gold" if grades == {"gold"} else "silver",
            })  # fmt: skip
            words.extend(dict(w, turn=index) for w in t.words)
        return {
            "duration": round(self.duration_s, 4),
            "sample_rate": SAMPLE_RATE,
            "turns": turns,
            "words": words,
            "noisy_turn_map": turn_map,
            "noisy_corruptions": [*self.corruptions, *extra],
        }

    def repeats(self) -> list[tuple[int, int, int]]:
        """(transcript turn, token index of the first copy, words in a copy) of every
        spliced repeat."""
        return [(i, k, n) for i, t in enumerate(self.turns) for k, n in t.meta.get("repeats", [])]

    def inserted_turns(self) -> list[int]:
        return [i for i, t in enumerate(self.turns) if t.meta.get("inserted")]


def shuffled_copies(conv: Conversation, copies: int, seed: int) -> Conversation:
    """A long recording: ``copies`` passes over ``conv``'s spoken turns, each pass in a new
    order. Each turn keeps the half of the pause on either side of it (the first and last
    turns their whole outer silence), so pauses stay real pauses."""
    spoken = [t for t in conv.turns if t.words]
    bounds = [0.0]
    for before, after in zip(spoken, spoken[1:]):
        bounds.append((before.words[-1]["end"] + after.words[0]["start"]) / 2)
    bounds.append(conv.duration_s)
    rng = np.random.default_rng(seed)
    parts: list[NDArray[np.float32]] = []
    turns: list[_Turn] = []
    offset = 0
    for _ in range(copies):
        for k in rng.permutation(len(spoken)):
            a, b = _sample(bounds[k]), _sample(bounds[k + 1])
            shift = (offset - a) / SAMPLE_RATE
            t = copy.deepcopy(spoken[k])
            for w in t.words:
                w["start"], w["end"] = round(w["start"] + shift, 4), round(w["end"] + shift, 4)
            turns.append(t)
            parts.append(conv.samples[a:b])
            offset += b - a
    return Conversation(np.concatenate(parts), conv.front_matter, turns)


def pick_repeats(
    conv: Conversation,
    prefer: Sequence[str],
    limit: int,
    per_word: int = 2,
    grade: str = "gold",
) -> list[tuple[int, int]]:
    """Words to say twice: (turn, word) pairs of ``grade`` words in ``prefer``, at most one
    per turn and ``per_word`` of each word, ``limit`` in all, in ``prefer``'s order."""
    chosen: list[tuple[int, int]] = []
    used_turns: set[int] = set()
    for text in prefer:
        n = 0
        for i, t in enumerate(conv.turns):
            if i in used_turns or n >= per_word or len(chosen) >= limit:
                continue
            k = next((k for k, w in enumerate(t.words)
                      if w["word"] == text and w.get("grade") == grade), None)  # fmt: skip
            if k is not None:
                chosen.append((i, k))
                used_turns.add(i)
                n += 1
    return sorted(chosen)


def pick_phrases(
    conv: Conversation, n_words: int, limit: int, max_gap_s: float, grade: str = "gold"
) -> list[tuple[int, int]]:
    """Phrases to say twice: (turn, first word) of ``n_words`` ``grade`` words said without a
    pause (each gap at most ``max_gap_s``), at most one per turn, from turns spread evenly
    over the conversation, ``limit`` in all."""
    found: list[tuple[int, int]] = []
    for i, t in enumerate(conv.turns):
        for k in range(len(t.words) - n_words + 1):
            run = t.words[k : k + n_words]
            if all(w.get("grade") == grade for w in run) and all(
                b["start"] - a["end"] <= max_gap_s for a, b in zip(run, run[1:])
            ):
                found.append((i, k))
                break
    step = max(1, len(found) // max(1, limit))
    return found[::step][:limit]


def pauses(conv: Conversation, min_s: float) -> list[tuple[int, float, float]]:
    """(turn before, start_s, end_s) of the pauses between consecutive spoken turns."""
    out = []
    spoken = [(i, t) for i, t in enumerate(conv.turns) if t.words]
    for (i, a), (_, b) in zip(spoken, spoken[1:]):
        gap = (a.words[-1]["end"], b.words[0]["start"])
        if gap[1] - gap[0] >= min_s:
            out.append((i, gap[0], gap[1]))
    return out


def level_dbfs(samples: NDArray[np.floating]) -> float:
    """RMS level of ``samples`` in dBFS."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0
    return 20 * float(np.log10(max(rms, 1e-10)))


def _sample(t_s: float) -> int:
    return max(0, round(t_s * SAMPLE_RATE))


__all__ = [
    "Conversation",
    "level_dbfs",
    "pauses",
    "pick_phrases",
    "pick_repeats",
    "shuffled_copies",
]
