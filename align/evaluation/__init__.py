"""The evaluation stage: score an alignment ``Result`` against a reference (``turnalign eval``).

``reference`` reads reference files (truth JSON, TextGrid, CTM, RTTM, words JSON) into one
``Reference``; ``score`` maps turns and scores turn and word times; ``detect`` scores
whether the injected transcript errors were flagged; ``report`` formats the result for a
terminal; ``types`` holds the options and the report's frozen types.
"""

from align.evaluation.reference import (
    REFERENCE_FORMATS,
    Corruption,
    Reference,
    RefTurn,
    RefWord,
    read_reference,
    read_result,
)
from align.evaluation.report import format_text
from align.evaluation.score import evaluate, map_turns
from align.evaluation.types import (
    EVAL_SCHEMA,
    TURN_MAPPINGS,
    Detection,
    ErrorStats,
    EvalOptions,
    EvalReport,
    KindDetection,
    TurnScores,
    Within,
    WordScores,
)

__all__ = [
    "EVAL_SCHEMA",
    "REFERENCE_FORMATS",
    "TURN_MAPPINGS",
    "Corruption",
    "Detection",
    "ErrorStats",
    "EvalOptions",
    "EvalReport",
    "KindDetection",
    "RefTurn",
    "RefWord",
    "Reference",
    "TurnScores",
    "Within",
    "WordScores",
    "evaluate",
    "format_text",
    "map_turns",
    "read_reference",
    "read_result",
]
