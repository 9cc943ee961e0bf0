"""One batch worker: aligns items one after another with each model loaded once.

The same ``Worker`` runs in this process, in local worker processes
(``align.batch.pool``) and in Ray actors (``align.batch.ray_backend``). While one item
transcribes, a prefetch thread parses the next item's transcript, hashes its inputs and
decodes its audio (PyAV and CTranslate2 both release the GIL, so the two overlap). Any
failure of an item becomes a failed ``ItemOutcome``; the worker goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from align.batch.items import BatchItem
from align.batch.state import ItemKey, item_key, options_digest, remove_marker, write_marker
from align.batch.types import (
    BatchEvent,
    BatchOptions,
    EventFn,
    ItemOutcome,
    below_min_coverage,
    failed_outcome,
    resolve_item_options,
)
from align.engines.base import Engine, EngineOptions, Heard, ProgressFn, ScoreRequest
from align.errors import AlignmentFailedError, AudioDecodeError, ToolkitError
from align.model import EngineInfo
from align.pipeline import AlignOptions, EngineName, Prepared, align_prepared, load_engine, prepare
from align.writers import write_outputs

log = logging.getLogger(__name__)

EngineLoader = Callable[[EngineName, EngineOptions], Engine]
# Progress events are throttled: a worker process or actor sends them over a queue.
_PROGRESS_INTERVAL_S = 0.5


@dataclass(frozen=True, slots=True, eq=False)
class _Prepared:
    """An item's inputs, read ahead: its key and what ``align.pipeline.prepare`` gives (the
    parsed transcript and the audio, decoded once, as ``turnalign align`` decodes it)."""

    key: ItemKey
    inputs: Prepared
    decode_s: float


class Worker:
    """Aligns items one after another with one loaded model per engine configuration.

    ``process(item, next_item)`` aligns ``item`` while a prefetch thread reads
    ``next_item``; at most two items' audio are held at once. ``engine_workers`` overrides
    ``EngineOptions.workers`` at load time only (it changes no output), so that several
    batch workers share the cores.
    """

    def __init__(
        self,
        outdir: Path,
        opts: BatchOptions,
        *,
        worker: int = 0,
        on_event: EventFn | None = None,
        engine_loader: EngineLoader | None = None,
        engine_workers: int | None = None,
    ) -> None:
        self._outdir = outdir
        self._opts = opts
        self._worker = worker
        self._on_event = on_event
        self._load = engine_loader or load_engine
        self._engine_workers = engine_workers
        self._engines: dict[tuple[str, EngineOptions], Engine | ToolkitError] = {}
        self._pending: dict[str, Future[_Prepared]] = {}
        self._pool = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="turnalign-prefetch")
            if opts.prefetch
            else None
        )

    def close(self) -> None:
        """Stop the prefetch thread (a pending read-ahead is dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pending.clear()

    def process(self, item: BatchItem, next_item: BatchItem | None = None) -> ItemOutcome:
        """Align one item and write its outputs and marker; never raises for a bad item."""
        t0 = time.perf_counter()
        self._emit(BatchEvent("start", item.id, self._worker))
        future = self._pending.pop(item.id, None)
        if future is None and self._pool is not None:
            future = self._pool.submit(self._prepare, item)
        for stale in [k for k in self._pending if next_item is None or k != next_item.id]:
            self._pending.pop(stale).cancel()  # read ahead for an item sent elsewhere
        if next_item is not None and self._pool is not None and next_item.id not in self._pending:
            self._pending[next_item.id] = self._pool.submit(self._prepare, next_item)
        try:
            outcome = self._align(item, future, t0)
        except Exception as e:  # one bad file must never stop the run (see module doc)
            if not isinstance(e, ToolkitError):
                log.debug("item '%s' failed unexpectedly", item.id, exc_info=True)
            outcome = failed_outcome(item.id, e, time.perf_counter() - t0)
        self._emit(BatchEvent("finish", item.id, self._worker, outcome=outcome))
        return outcome

    def _align(self, item: BatchItem, future: Future[_Prepared] | None, t0: float) -> ItemOutcome:
        t_wait = time.perf_counter()
        prepared = future.result() if future is not None else self._prepare(item)
        wait_s = time.perf_counter() - t_wait if future is not None else prepared.decode_s
        align_opts, formats = resolve_item_options(self._opts, item.overrides)
        # A batch runs files side by side already: each worker refines alone (the result
        # does not depend on it), in a process pool or a Ray actor alike.
        align_opts = replace(align_opts, refine_workers=1)
        try:
            engine = self._engine(align_opts)
            result = align_prepared(prepared.inputs, engine, align_opts, self._progress(item.id))
        finally:
            prepared.inputs.close()
        remove_marker(self._outdir, item.id)
        written = write_outputs(result, formats, self._outdir, item.id, self._opts.writer)
        names = tuple(p.name for p in written)
        coverage = result.quality.coverage if result.quality is not None else None
        write_marker(self._outdir, item, prepared.key, names, coverage)
        outcome = ItemOutcome(
            item.id,
            "done",
            names,
            coverage=coverage,
            elapsed_s=time.perf_counter() - t0,
            decode_s=prepared.decode_s,
            wait_s=wait_s,
        )
        if below_min_coverage(self._opts.min_coverage, coverage):
            assert self._opts.min_coverage is not None and coverage is not None
            e = AlignmentFailedError(coverage, self._opts.min_coverage)
            outcome = replace(outcome, status="failed", reason=str(e), error=type(e).__name__)
        return outcome

    def _prepare(self, item: BatchItem) -> _Prepared:
        """Read ahead: parse the transcript, decode the audio once, hash the inputs."""
        t0 = time.perf_counter()
        align_opts, formats = resolve_item_options(self._opts, item.overrides)
        inputs = prepare(item.audio_path, item.transcript_path, align_opts)
        try:
            key = item_key(item, options_digest(align_opts, formats, self._opts.writer))
        except OSError as e:  # the files were readable a moment ago
            inputs.close()
            raise AudioDecodeError(item.audio_path, e.strerror or str(e)) from e
        return _Prepared(key, inputs, time.perf_counter() - t0)

    def _engine(self, align_opts: AlignOptions) -> Engine:
        """The loaded engine for these options (loaded on first use; failures cached)."""
        engine_opts = replace(align_opts.engine, language=None)
        if self._engine_workers is not None:
            engine_opts = replace(engine_opts, workers=self._engine_workers)
        cache_key = (align_opts.engine_name, engine_opts)
        if cache_key not in self._engines:
            try:
                log.info("worker %d: loading %s", self._worker, engine_opts.model)
                self._engines[cache_key] = self._load(align_opts.engine_name, engine_opts)
            except ToolkitError as e:  # e.g. a model that cannot load: fail fast from now on
                self._engines[cache_key] = e
        loaded = self._engines[cache_key]
        if isinstance(loaded, ToolkitError):
            raise loaded
        language = align_opts.engine.language
        return loaded if language is None else _LanguageEngine(loaded, language)

    def _progress(self, item_id: str) -> ProgressFn:
        last = [0.0]

        def report(done_s: float, total_s: float) -> None:
            now = time.monotonic()
            if now - last[0] >= _PROGRESS_INTERVAL_S or done_s >= total_s:
                last[0] = now
                self._emit(BatchEvent("progress", item_id, self._worker, done_s, total_s))

        return report

    def _emit(self, event: BatchEvent) -> None:
        if self._on_event is not None:
            self._on_event(event)


class _LanguageEngine:
    """A loaded engine told to use one language: one model load serves every language."""

    def __init__(self, inner: Engine, language: str) -> None:
        self._inner = inner
        self._language = language
        self._info = replace(inner.info, language=language)

    @property
    def info(self) -> EngineInfo:
        return self._info

    @property
    def parallel(self) -> int:
        return self._inner.parallel

    def transcribe(
        self,
        samples: np.ndarray,
        *,
        offset_s: float = 0.0,
        language: str | None = None,
        prompt: str | None = None,
        on_progress: ProgressFn | None = None,
    ) -> Heard:
        return self._inner.transcribe(
            samples,
            offset_s=offset_s,
            language=language or self._language,
            prompt=prompt,
            on_progress=on_progress,
        )

    def score(self, request: ScoreRequest) -> tuple[tuple[float, ...], ...]:
        return self._inner.score(replace(request, language=request.language or self._language))


__all__ = ["EngineLoader", "Worker"]
