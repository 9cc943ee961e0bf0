"""The values a batch run passes around: its options, each item's outcome, progress
events and the summary. No I/O here; ``align.batch`` runs the batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from align.batch.items import ItemOverrides
from align.errors import EXIT_BATCH_FAILURES, EXIT_OK, ToolkitError
from align.options import AlignOptions
from align.writers.options import WriterOptions

Backend = Literal["local", "ray"]
ItemStatus = Literal["done", "failed", "skipped"]
EventKind = Literal["start", "progress", "finish"]
SUMMARY_SCHEMA = "turnalign-batch/1"


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """How a batch runs.

    ``align``/``formats``/``writer``: batch-wide options (a manifest may override model,
    refine, language and formats per item). ``workers``: local worker processes, or Ray
    actors, each loading its model once. ``ray_address``: the cluster to join (``None``:
    ``RAY_ADDRESS`` or a new local instance). ``force``: redo finished items.
    ``min_coverage``: an item whose transcript is heard less than this (0-1) is reported
    as failed (its outputs are still written). ``prefetch``: read the next item while the
    current one transcribes (decoded once, ``audio.decode_once``: a long recording is mapped
    from a temporary file, so memory stays bounded).
    """

    align: AlignOptions = field(default_factory=AlignOptions)
    formats: tuple[str, ...] = ("json", "srt")
    writer: WriterOptions = field(default_factory=WriterOptions)
    workers: int = 1
    backend: Backend = "local"
    ray_address: str | None = None
    force: bool = False
    min_coverage: float | None = None
    prefetch: bool = True

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")
        if not self.formats:
            raise ValueError("formats must name at least one format")
        if self.backend not in ("local", "ray"):
            raise ValueError(f"backend must be local or ray, not {self.backend!r}")
        if self.min_coverage is not None and not 0.0 <= self.min_coverage <= 1.0:
            raise ValueError(f"min_coverage must be between 0 and 1, got {self.min_coverage}")


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    """What became of one item. ``outputs`` are file names in ``OUTDIR``.

    ``reason`` is a one-line message and ``error`` the exception type for a failed item.
    ``decode_s`` is the time spent hashing, parsing and decoding the inputs (in the
    prefetch thread), ``wait_s`` the part of it the worker had to wait for.
    """

    id: str
    status: ItemStatus
    outputs: tuple[str, ...] = ()
    reason: str | None = None
    error: str | None = None
    coverage: float | None = None
    elapsed_s: float = 0.0
    decode_s: float = 0.0
    wait_s: float = 0.0


@dataclass(frozen=True, slots=True)
class BatchEvent:
    """A progress report: an item started, advanced (``done_s`` of ``total_s`` seconds of
    audio transcribed) or finished (``outcome``). ``worker`` tells workers apart."""

    kind: EventKind
    item_id: str
    worker: int = 0
    done_s: float = 0.0
    total_s: float = 0.0
    outcome: ItemOutcome | None = None


EventFn = Callable[[BatchEvent], None]


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """The outcome of every item, in manifest order."""

    outcomes: tuple[ItemOutcome, ...]
    source: str
    outdir: str
    backend: Backend
    elapsed_s: float

    def count(self, status: ItemStatus) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def exit_code(self) -> int:
        """0 when every item is done or skipped, 1 when any failed."""
        return EXIT_BATCH_FAILURES if self.count("failed") else EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SUMMARY_SCHEMA,
            "source": self.source,
            "outdir": self.outdir,
            "backend": self.backend,
            "total": len(self.outcomes),
            "done": self.count("done"),
            "failed": self.count("failed"),
            "skipped": self.count("skipped"),
            "elapsed_s": round(self.elapsed_s, 3),
            "items": [
                {
                    "id": o.id,
                    "status": o.status,
                    "outputs": list(o.outputs),
                    "reason": o.reason,
                    "error": o.error,
                    "coverage": o.coverage,
                    "elapsed_s": round(o.elapsed_s, 3),
                    "decode_s": round(o.decode_s, 3),
                    "wait_s": round(o.wait_s, 3),
                }
                for o in self.outcomes
            ],
        }


def resolve_item_options(
    opts: BatchOptions, overrides: ItemOverrides
) -> tuple[AlignOptions, tuple[str, ...]]:
    """The align options and formats one item runs with: batch options plus overrides."""
    engine = opts.align.engine
    engine = replace(
        engine,
        model=overrides.model or engine.model,
        language=overrides.language or engine.language,
    )
    align_opts = replace(opts.align, engine=engine, refine=overrides.refine or opts.align.refine)
    return align_opts, overrides.formats or opts.formats


def failed_outcome(item_id: str, e: BaseException, elapsed_s: float = 0.0) -> ItemOutcome:
    """A failed outcome with a one-line reason; unexpected errors name their type."""
    if isinstance(e, ToolkitError):
        reason = str(e)
    else:
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        reason = f"unexpected {type(e).__name__}" + (f": {first}" if first else "")
    return ItemOutcome(
        item_id, "failed", reason=reason, error=type(e).__name__, elapsed_s=elapsed_s
    )


def below_min_coverage(min_coverage: float | None, coverage: Any) -> bool:
    """Whether an item's coverage fails ``--min-coverage`` (never when either is unset)."""
    return min_coverage is not None and isinstance(coverage, float) and coverage < min_coverage


__all__ = [
    "Backend",
    "BatchEvent",
    "BatchOptions",
    "BatchSummary",
    "EventFn",
    "ItemOutcome",
    "ItemStatus",
    "below_min_coverage",
    "failed_outcome",
    "resolve_item_options",
]
