"""Helper processes start ahead of the work they serve and never outlive an error.

The engine's helpers start while this process loads its own model, refinement's workers
before the first pass, and a closed helper's exit is awaited off the caller's path. These
tests check what that must not break: a helper that was closed still ends, and a failure
before a helper's work begins (a model that cannot load, an engine error in the first
pass) leaves no helper process running. Every helper a test starts is recorded as it
starts (``spawned``), so each is checked by its own process, not by a scan of the system.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import audio
from align.engines.base import EngineOptions, Heard
from align.errors import ModelNotFoundError
from align.helper import HelperProcess
from align.model import EngineInfo
from align.options import AlignOptions
from align.pipeline import align_prepared, load_engine, prepare
from align.refine import RefineOptions, RefineWorkers
from audio import SAMPLE_RATE

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "michaelandsickmichael.flac"
EXAMPLE_TEXT = ROOT / "examples" / "michaelandsickmichael.txt"


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, HelperProcess]]]:
    """``(module, helper)`` for every helper process started during the test; any still
    running at its end are killed, so one test's leftovers cannot reach the next."""
    started: list[tuple[str, HelperProcess]] = []
    real = HelperProcess.__init__

    def record(self: HelperProcess, module: str) -> None:
        real(self, module)
        started.append((module, self))

    monkeypatch.setattr(HelperProcess, "__init__", record)
    yield started
    for _, helper in started:
        helper.kill()


def _running(spawned: list[tuple[str, HelperProcess]], module: str) -> int:
    return sum(1 for m, h in spawned if m == module and h.alive)


def _all_ended(spawned: list[tuple[str, HelperProcess]], within_s: float = 10.0) -> bool:
    deadline = time.monotonic() + within_s
    while any(h.alive for _, h in spawned):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_closed_helper_ends_and_is_reaped(spawned: list[tuple[str, HelperProcess]]) -> None:
    workers = RefineWorkers.start(RefineOptions(workers=3))
    assert len(workers.workers) == 2
    assert _running(spawned, "align.refine.worker") == 2
    workers.close()
    assert workers.workers == []
    assert _all_ended(spawned)


def test_a_killed_helper_stops_at_once(spawned: list[tuple[str, HelperProcess]]) -> None:
    helper = HelperProcess("align.refine.worker")  # waits for its options, forever
    assert helper.alive
    helper.kill()
    assert not helper.alive  # kill() waits for it


def test_a_model_that_cannot_load_leaves_no_helper_running(
    tmp_path: Path, spawned: list[tuple[str, HelperProcess]]
) -> None:
    """The engine's helpers start before its model loads here; with a corrupt model
    none is left running once the error reaches the caller."""
    model = tmp_path / "broken-model"
    model.mkdir()
    (model / "model.bin").write_bytes(b"not a model" * 100)
    (model / "config.json").write_text("{}")
    (model / "vocabulary.txt").write_text("a\nb\n")
    with pytest.raises(ModelNotFoundError):
        load_engine("faster-whisper", EngineOptions(model=str(model), workers=2))
    assert [m for m, _ in spawned] == ["align.engines.worker"]
    assert _running(spawned, "align.engines.worker") == 0  # kill() waits for it


def _twice(tmp_path: Path) -> tuple[np.ndarray, Path]:
    """The example played twice (104 s: two refinement segments) and its text twice."""
    samples = audio.load(EXAMPLE).samples
    text = EXAMPLE_TEXT.read_text(encoding="utf-8")
    body = text.split("\n\n", 2)[2]  # the turns, after the title and the note
    path = tmp_path / "twice.txt"
    path.write_text(body + "\n\n" + body, encoding="utf-8")
    return np.concatenate([samples, samples]), path


class _FailingEngine:
    """An engine whose first pass fails (a disk error while decoding, say); it notes the
    refine workers running when it was asked."""

    info = EngineInfo("fake", "fake", "cpu", "none", "en")
    parallel = 1

    def __init__(self, spawned: list[tuple[str, HelperProcess]]) -> None:
        self.spawned = spawned
        self.workers_seen = -1

    def transcribe(self, samples: np.ndarray, **_kw: Any) -> Heard:
        self.workers_seen = _running(self.spawned, "align.refine.worker")
        raise OSError("read error")


def test_an_error_in_the_first_pass_stops_the_early_refine_workers(
    tmp_path: Path, spawned: list[tuple[str, HelperProcess]]
) -> None:
    """Refinement's workers start before the first pass; an error there must not leave
    them waiting."""
    samples, text = _twice(tmp_path)
    prepared = prepare(samples, text, AlignOptions(), SAMPLE_RATE)
    engine = _FailingEngine(spawned)
    try:
        with pytest.raises(OSError, match="read error"):
            align_prepared(prepared, engine, AlignOptions())  # type: ignore[arg-type]
    finally:
        prepared.close()
    assert engine.workers_seen == 1  # started ahead: AlignOptions().refine_workers - 1
    assert _running(spawned, "align.refine.worker") == 0  # killed: kill() waits for it


def test_a_whole_alignment_leaves_no_helper_behind(
    tmp_path: Path, spawned: list[tuple[str, HelperProcess]]
) -> None:
    """Engine helpers and refine workers started ahead all end with the run, and the
    run aligns every turn of the doubled example."""
    samples, text = _twice(tmp_path)
    engine = load_engine("faster-whisper", EngineOptions(workers=2))
    prepared = prepare(samples, text, AlignOptions(), SAMPLE_RATE)
    try:
        result = align_prepared(prepared, engine, AlignOptions())
    finally:
        prepared.close()
    assert result.refine == "full" and result.quality is not None
    assert result.quality.turns_aligned == len(result.turns) == 14
    engine.close()  # type: ignore[attr-defined]
    assert sorted(m for m, _ in spawned) == ["align.engines.worker", "align.refine.worker"]
    assert _all_ended(spawned)
