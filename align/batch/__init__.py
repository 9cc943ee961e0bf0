"""The batch stage: align many files in one resumable run, locally or on a Ray cluster.

``manifest`` reads the inputs (and ``items`` their ids and per-item options); ``runner``
skips finished items (``state``) and hands the rest to a backend (this process, ``pool``
or ``ray_backend``), each driving the same ``worker``; ``types`` holds the options, events
and outcomes; ``cli`` is ``turnalign batch``.

Exported lazily: ``turnalign`` imports ``align.batch.cli`` to build its parser, and that
must not load the pipeline.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from align.batch.items import BatchItem, ItemOverrides
    from align.batch.manifest import pair_directory, read_manifest
    from align.batch.runner import run_batch
    from align.batch.types import BatchEvent, BatchOptions, BatchSummary, ItemOutcome
    from align.batch.worker import Worker

_HOMES = {
    "BatchEvent": "align.batch.types",
    "BatchItem": "align.batch.items",
    "BatchOptions": "align.batch.types",
    "BatchSummary": "align.batch.types",
    "ItemOutcome": "align.batch.types",
    "ItemOverrides": "align.batch.items",
    "Worker": "align.batch.worker",
    "pair_directory": "align.batch.manifest",
    "read_manifest": "align.batch.manifest",
    "run_batch": "align.batch.runner",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


__all__ = [
    "BatchEvent",
    "BatchItem",
    "BatchOptions",
    "BatchSummary",
    "ItemOutcome",
    "ItemOverrides",
    "Worker",
    "pair_directory",
    "read_manifest",
    "run_batch",
]
