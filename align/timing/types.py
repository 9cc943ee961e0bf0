"""The options and the working state shared by the timing modules."""

from __future__ import annotations

from dataclasses import dataclass, field

from align.model import WordStatus


@dataclass(frozen=True, slots=True)
class TimingOptions:
    """Heuristics that turn pairs into times; each has a reason.

    ``seconds_per_char``: typical speaking time per character of text (about 15
    characters a second in conversation), used to judge whether unheard words fit.
    ``min_fit_ratio``: unheard words fit in a gap that holds at least this share of
    their typical duration; shorter gaps mean the words were not spoken there.
    ``min_turn_matched``/``min_turn_coverage``: a turn needs this many exactly matched
    words, or this share of its words, to count as found; less is chance.
    ``min_unheard_words``/``min_unheard_s``: unclaimed speech is reported when it has at
    least this many words or lasts this long (single stray words are engine noise).
    ``repeat_similarity``: how alike two word runs must be to call one a duplicate.
    ``edge_max_lead_s``: unheard words at a turn's edge sit at most this far outside it.
    ``max_word_gap_s``: a pause longer than this between heard words breaks a phrase; speech
    beyond it does not belong to the turn's edge.
    ``detached_gap_s``: an edge word this far from the rest of its turn may belong to the
    neighbouring turn (see ``align.timing.evidence``).
    """

    seconds_per_char: float = 0.065
    min_fit_ratio: float = 0.35
    min_turn_matched: int = 3
    min_turn_coverage: float = 0.3
    min_unheard_words: int = 3
    min_unheard_s: float = 1.5
    repeat_similarity: float = 0.8
    edge_max_lead_s: float = 2.0
    max_word_gap_s: float = 0.3
    detached_gap_s: float = 1.0

    def __post_init__(self) -> None:
        if self.seconds_per_char <= 0:
            raise ValueError(f"seconds_per_char must be > 0, got {self.seconds_per_char}")
        if not 0 <= self.min_turn_coverage <= 1:
            raise ValueError(f"min_turn_coverage must be in [0, 1], got {self.min_turn_coverage}")


@dataclass(slots=True)
class TokenSlot:
    """Mutable working state of one transcript token while times are assigned."""

    turn: int
    word: int
    text: str
    units: tuple[str, ...]
    unit_start: int
    status: WordStatus = "not_found"
    start: float | None = None
    end: float | None = None
    confidence: float = 0.0
    heard: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    sims: list[float] = field(default_factory=list)
    reason: str = ""
    heard_text: str | None = None

    def unbind(self) -> None:
        """Forget every pair: back to ``not_found``, untimed, with nothing heard."""
        self.heard, self.kinds, self.sims = [], [], []
        self.status, self.start, self.end, self.confidence, self.heard_text = (
            "not_found",
            None,
            None,
            0.0,
            None,
        )
