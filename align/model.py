"""The result model: one frozen tree that flows from the aligner to every writer.

``Result -> Turn -> Word``, plus ``Mismatch`` and ``Correction``. All times are seconds
from the start of the audio (``float``), or ``None`` where the audio has no such word.
Dicts exist only at the JSON edge, in ``Result.to_dict`` / ``Result.from_dict``; the
dict form is the "turnalign/1" contract documented in the README. Later work may add
fields, never rename or drop them. This module does no I/O and imports nothing heavy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, get_args

SCHEMA = "turnalign/1"

WordStatus = Literal["matched", "substituted", "interpolated", "not_found"]
TurnStatus = Literal["aligned", "not_found"]
MismatchKind = Literal["not_in_audio", "not_in_transcript", "substitution"]
MismatchReason = Literal[
    "",
    "turn not heard",
    "not heard",
    "repeated phrase",
    "heard differently",
    "speech not in transcript",
]
"""Why a ``Mismatch`` was reported; code steers on these values, so compare, never parse.

``not_in_audio``: ``turn not heard`` (the whole turn), ``not heard`` (words with no room
in the audio), ``repeated phrase`` (words that repeat the text around them where the
audio holds no extra words: a duplicate). ``substitution``: ``heard differently``.
``not_in_transcript``: ``speech not in transcript``. ``""``: none given (a ``Mismatch``
built without one); refinement treats it as a repeated phrase. ``Result.from_dict`` keeps
a reason outside this set (a hand-edited or foreign file) as written, so it still
round-trips; no code steers on it."""
MISMATCH_REASONS: tuple[str, ...] = get_args(MismatchReason)
WORD_STATUSES: tuple[str, ...] = ("matched", "substituted", "interpolated", "not_found")
TIMED_WORD_STATUSES: frozenset[str] = frozenset({"matched", "substituted", "interpolated"})
Evidence = Literal["whisper", "acoustic", "interpolated", "none"]
"""What timed a word: ``whisper`` (the engine heard it; the forced aligner may have moved its
edges), ``acoustic`` (the engine did not, the forced aligner found it in the audio),
``interpolated`` (neither: a place between its neighbours), ``none`` (untimed)."""
EVIDENCES: tuple[str, ...] = ("whisper", "acoustic", "interpolated", "none")
ClaimEvidence = Literal["text", "teacher-forced", "forced-aligner"]
"""What decided a ``Mismatch``: Whisper's free ``text`` alone; Whisper reading the written and
heard words against the audio (``teacher-forced``); the ``forced-aligner``'s search."""
CLAIM_EVIDENCES: tuple[str, ...] = get_args(ClaimEvidence)
RefineMode = Literal["none", "fast", "full"]
"""Boundary refinement after alignment (``align.refine``): none, energy snapping, or forced
alignment; ``Result.refine`` records the mode applied."""
REFINE_MODES: tuple[str, ...] = get_args(RefineMode)

# Tolerance when checking that times stay in bounds: decoders and engines round.
_TIME_EPS_S = 1e-3


def _check_span(start: float | None, end: float | None, what: str) -> None:
    if (start is None) != (end is None):
        raise ValueError(f"{what}: start and end must both be set or both be None")
    if start is not None and end is not None:
        if not (math.isfinite(start) and math.isfinite(end)):
            raise ValueError(f"{what}: times must be finite, got {start}, {end}")
        if start < -_TIME_EPS_S or end < start - _TIME_EPS_S:
            raise ValueError(f"{what}: need 0 <= start <= end, got {start:.3f}, {end:.3f}")


@dataclass(frozen=True, slots=True)
class Word:
    """One whitespace-separated token of the user's transcript, as written.

    ``start``/``end`` in seconds; ``None`` when ``status`` is ``not_found``.
    ``heard`` is what the engine heard there (for ``substituted`` words).
    ``confidence`` is 0-1, from match quality and the engine's probability.
    ``evidence`` says what timed the word (``Evidence``); left out, it follows from
    ``status`` (heard words: whisper, interpolated ones: interpolated).
    """

    text: str
    start: float | None
    end: float | None
    status: WordStatus
    confidence: float = 0.0
    heard: str | None = None
    evidence: Evidence | None = None

    def __post_init__(self) -> None:
        if self.status not in WORD_STATUSES:
            raise ValueError(f"unknown word status {self.status!r}")
        _check_span(self.start, self.end, f"word {self.text!r}")
        if (self.start is None) != (self.status == "not_found"):
            raise ValueError(f"word {self.text!r}: status {self.status} with start {self.start}")
        if self.evidence is None:
            object.__setattr__(self, "evidence", default_evidence(self.status))
        elif self.evidence not in EVIDENCES:
            raise ValueError(f"word {self.text!r}: unknown evidence {self.evidence!r}")
        elif (self.evidence == "none") != (self.status == "not_found"):
            raise ValueError(f"word {self.text!r}: evidence {self.evidence} with {self.status}")

    @property
    def timed(self) -> bool:
        return self.start is not None


def default_evidence(status: WordStatus) -> Evidence:
    """The evidence a word of this status has when nothing more is known."""
    if status in ("matched", "substituted"):
        return "whisper"
    return "interpolated" if status == "interpolated" else "none"


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaker turn of the user's transcript, in transcript order.

    ``start``/``end`` (seconds) span the turn's timed words; both are ``None`` when the
    turn's words were not found in the audio (``status == "not_found"``).
    ``original_time`` is a timestamp the input transcript carried (kept, not trusted).
    ``coverage`` is the share of the turn's words that were heard (matched or substituted).
    """

    index: int
    speaker: str
    text: str
    start: float | None
    end: float | None
    status: TurnStatus
    words: tuple[Word, ...]
    confidence: float = 0.0
    coverage: float = 0.0
    original_time: float | None = None
    suspect: bool = False

    def __post_init__(self) -> None:
        _check_span(self.start, self.end, f"turn {self.index}")
        if (self.start is None) != (self.status == "not_found"):
            raise ValueError(f"turn {self.index}: status {self.status} with start {self.start}")
        timed = [w for w in self.words if w.start is not None and w.end is not None]
        if timed and self.start is not None and self.end is not None:
            first, last = timed[0].start, timed[-1].end
            assert first is not None and last is not None
            if first < self.start - _TIME_EPS_S or last > self.end + _TIME_EPS_S:
                raise ValueError(f"turn {self.index}: words run outside the turn's span")


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A place where transcript and audio disagree.

    ``not_in_audio``: transcript text that was not heard (``turn`` set, times ``None``
    unless the place in the audio is known). ``not_in_transcript``: speech heard that no
    transcript turn covers (``turn`` is ``None``, times set, ``text`` is what was heard).
    ``substitution``: a transcript word heard as another (``heard``).
    ``decided_by``: what made the claim; ``scores``: its figures by name (``heard_confidence``:
    Whisper's own in the word it wrote; ``p_written`` / ``p_heard``: the teacher-forced
    probabilities of the written and the heard reading).
    """

    kind: MismatchKind
    turn: int | None
    text: str
    start: float | None
    end: float | None
    heard: str | None = None
    confidence: float = 0.0
    word_start: int | None = None
    word_count: int = 0
    reason: MismatchReason = ""
    decided_by: ClaimEvidence = "text"
    scores: tuple[tuple[str, float], ...] = ()

    def score(self, name: str) -> float | None:
        """The named figure of ``scores``, or ``None``."""
        return next((v for k, v in self.scores if k == name), None)


@dataclass(frozen=True, slots=True)
class Correction:
    """One change the corrected transcript makes, with its provenance."""

    kind: Literal["remove_words", "remove_turn", "replace_word"]
    turn: int
    word_start: int
    word_count: int
    before: str
    after: str
    reason: str
    confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class AudioInfo:
    path: str
    duration: float


@dataclass(frozen=True, slots=True)
class TranscriptInfo:
    path: str
    format: str
    front_matter: str


@dataclass(frozen=True, slots=True)
class EngineInfo:
    name: str
    model: str
    device: str
    compute_type: str
    language: str


@dataclass(frozen=True, slots=True)
class Quality:
    """File-level fit of the transcript to the audio, all in 0-1."""

    coverage: float
    confidence: float
    score: float
    turns_aligned: int
    turns_not_found: int


@dataclass(frozen=True, slots=True)
class Result:
    """An aligned transcript: every turn and word with a time or an honest ``not_found``."""

    audio: AudioInfo
    transcript: TranscriptInfo
    engine: EngineInfo
    turns: tuple[Turn, ...]
    mismatches: tuple[Mismatch, ...] = ()
    corrections: tuple[Correction, ...] = ()
    quality: Quality | None = None
    refine: str = "none"
    schema: str = SCHEMA

    def __post_init__(self) -> None:
        for i, turn in enumerate(self.turns):
            if turn.index != i:
                raise ValueError(f"turn {i} carries index {turn.index}")
            if turn.end is not None and turn.end > self.audio.duration + _TIME_EPS_S:
                raise ValueError(
                    f"turn {i} ends at {turn.end:.3f}s, past the audio ({self.audio.duration:.3f}s)"
                )

    def with_turns(self, turns: tuple[Turn, ...], **changes: Any) -> Result:
        """Return a copy with new turns (and any other field changes)."""
        return replace(self, turns=turns, **changes)

    # -- JSON edge ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The "turnalign/1" JSON form (see README)."""
        return {
            "schema": self.schema,
            "audio": {"path": self.audio.path, "duration": _r(self.audio.duration)},
            "transcript": {
                "path": self.transcript.path,
                "format": self.transcript.format,
                "front_matter": self.transcript.front_matter,
            },
            "engine": {
                "name": self.engine.name,
                "model": self.engine.model,
                "device": self.engine.device,
                "compute_type": self.engine.compute_type,
                "language": self.engine.language,
            },
            "refine": self.refine,
            "quality": None
            if self.quality is None
            else {
                "coverage": _r(self.quality.coverage),
                "confidence": _r(self.quality.confidence),
                "score": _r(self.quality.score),
                "turns_aligned": self.quality.turns_aligned,
                "turns_not_found": self.quality.turns_not_found,
            },
            "turns": [_turn_to_dict(t) for t in self.turns],
            "mismatches": [_flat_to_dict(m) for m in self.mismatches],
            "corrections": [_flat_to_dict(c) for c in self.corrections],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """Read the "turnalign/1" JSON form; raises ``ValueError`` on a malformed tree."""
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} result (schema={data.get('schema')!r})")
        q = data.get("quality")
        return cls(
            audio=AudioInfo(str(data["audio"]["path"]), float(data["audio"]["duration"])),
            transcript=TranscriptInfo(**data["transcript"]),
            engine=EngineInfo(**data["engine"]),
            turns=tuple(_turn_from_dict(t) for t in data["turns"]),
            # A reason outside MismatchReason is kept as written (see its docstring).
            mismatches=tuple(_mismatch_from_dict(m) for m in data.get("mismatches", [])),
            corrections=tuple(Correction(**c) for c in data.get("corrections", [])),
            quality=None if q is None else Quality(**q),
            refine=str(data.get("refine", "none")),
        )


def _r(x: float | None, ndigits: int = 3) -> float | None:
    return None if x is None else round(float(x), ndigits)


def _turn_to_dict(t: Turn) -> dict[str, Any]:
    return {
        "index": t.index,
        "speaker": t.speaker,
        "text": t.text,
        "start": _r(t.start),
        "end": _r(t.end),
        "status": t.status,
        "confidence": _r(t.confidence),
        "coverage": _r(t.coverage),
        "original_time": _r(t.original_time),
        "suspect": t.suspect,
        "words": [
            {
                "text": w.text,
                "start": _r(w.start),
                "end": _r(w.end),
                "status": w.status,
                "confidence": _r(w.confidence),
                "heard": w.heard,
                "evidence": w.evidence,
            }
            for w in t.words
        ],
    }


def _turn_from_dict(d: dict[str, Any]) -> Turn:
    words = tuple(
        Word(w["text"], w["start"], w["end"], w["status"], float(w.get("confidence") or 0.0),
             w.get("heard"), w.get("evidence"))
        for w in d["words"]
    )  # fmt: skip
    return Turn(
        index=int(d["index"]),
        speaker=d["speaker"],
        text=d["text"],
        start=d["start"],
        end=d["end"],
        status=d["status"],
        words=words,
        confidence=float(d.get("confidence") or 0.0),
        coverage=float(d.get("coverage") or 0.0),
        original_time=d.get("original_time"),
        suspect=bool(d.get("suspect", False)),
    )


def _flat_to_dict(item: Mismatch | Correction) -> dict[str, Any]:
    """A mismatch or correction as JSON: its fields in order, floats to the millisecond,
    ``scores`` as a name -> figure object (to 4 places: small probabilities matter)."""
    out: dict[str, Any] = {}
    for f in fields(item):
        value = getattr(item, f.name)
        if f.name == "scores":
            value = {k: _r(v, 4) for k, v in value}
        elif isinstance(value, float):
            value = _r(value)
        out[f.name] = value
    return out


def _mismatch_from_dict(d: dict[str, Any]) -> Mismatch:
    given = dict(d)
    given["scores"] = tuple((str(k), float(v)) for k, v in (d.get("scores") or {}).items())
    return Mismatch(**given)


__all__ = [
    "REFINE_MODES",
    "SCHEMA",
    "AudioInfo",
    "CLAIM_EVIDENCES",
    "ClaimEvidence",
    "Correction",
    "EVIDENCES",
    "EngineInfo",
    "Evidence",
    "MISMATCH_REASONS",
    "Mismatch",
    "MismatchReason",
    "Quality",
    "RefineMode",
    "Result",
    "TranscriptInfo",
    "Turn",
    "Word",
    "default_evidence",
]
