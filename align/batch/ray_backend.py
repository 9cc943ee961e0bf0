"""The Ray backend: the same ``Worker`` inside Ray actors, one model per actor.

The driver (the ``turnalign batch`` process) reads the manifest, skips finished items
and hands the rest out one at a time, each with a hint of the item that actor gets
next, so the actor's prefetch thread reads ahead just as a local worker does. Actors
write outputs and markers themselves: ``OUTDIR`` and every input path must be the same
path on every node (a shared file system). Ray is imported only here, on first use.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from align.batch.items import BatchItem
from align.batch.types import BatchEvent, BatchOptions, EventFn, ItemOutcome, failed_outcome
from align.batch.worker import Worker
from align.errors import UsageError

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'turnalign[ray]'"
# An actor that failed this many calls (its process died each time) gets no more work.
_MAX_ACTOR_FAILURES = 3
_ACTOR_RESTARTS = _MAX_ACTOR_FAILURES
# Calls per item before it is reported failed: an actor can die for reasons that are not
# the item's (a node lost, a worker that could not register on a busy machine).
_ITEM_TRIES = 2


class RayWorker:
    """Actor body: a ``Worker`` that lives as long as the actor (wrapped by ``ray.remote``)."""

    def __init__(self, outdir: str, opts: BatchOptions, worker: int, engine_workers: int):
        self._worker = Worker(Path(outdir), opts, worker=worker, engine_workers=engine_workers)

    def process(self, item: BatchItem, next_item: BatchItem | None) -> ItemOutcome:
        return self._worker.process(item, next_item)


def import_ray() -> Any:
    """Import Ray, or explain how to install it.

    Raises:
        UsageError: Ray is not installed.
    """
    try:
        import ray
    except ImportError as e:
        raise UsageError(f"--backend ray needs Ray: {INSTALL_HINT}") from e
    return ray


def run_ray(todo: Sequence[BatchItem], outdir: Path, opts: BatchOptions, emit: EventFn) -> None:
    """Align ``todo`` on Ray actors; emits a finish event for every item it could run.

    Joins ``opts.ray_address``, else ``RAY_ADDRESS``, else starts a local instance (and
    stops it afterwards). A connected session (``ray.init`` already called) is reused.

    Raises:
        UsageError: Ray is not installed or the cluster cannot be reached.
    """
    ray = import_ray()
    started = False
    if not ray.is_initialized():
        address = opts.ray_address or os.environ.get("RAY_ADDRESS") or None
        try:
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(include_dashboard=False, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as e:
            where = f" at {address}" if address else ""
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise UsageError(f"cannot start or reach Ray{where}: {msg}") from e
        started = True
    try:
        _run(ray, todo, outdir, opts, emit)
    finally:
        if started:
            ray.shutdown()


def _actor_resources(ray: Any, opts: BatchOptions) -> tuple[float, float]:
    """(num_cpus, num_gpus) per actor: one GPU for --device cuda (or auto on a GPU
    cluster); as many CPUs as --threads asks."""
    device = opts.align.engine.device
    cluster_gpus = float(ray.cluster_resources().get("GPU", 0))
    gpus = 1.0 if device == "cuda" or (device == "auto" and cluster_gpus >= 1) else 0.0
    if gpus and cluster_gpus < 1:
        log.warning("--device cuda, but the Ray cluster has no GPU now; actors wait for one")
    cpus = float(opts.align.engine.cpu_threads)
    return cpus, gpus


def _run(
    ray: Any, todo: Sequence[BatchItem], outdir: Path, opts: BatchOptions, emit: EventFn
) -> None:
    cpus, gpus = _actor_resources(ray, opts)
    actor_cls = ray.remote(num_cpus=cpus, num_gpus=gpus, max_restarts=_ACTOR_RESTARTS)(RayWorker)
    count = min(opts.workers, len(todo))
    # An actor holds the CPUs of one engine call: one call at a time (changes no output).
    actors = [actor_cls.remote(str(outdir), opts, w, 1) for w in range(count)]
    log.info("Ray: %d actor(s), %.0f CPU and %.0f GPU each", count, cpus, gpus)
    waiting = deque(todo)
    running: dict[Any, tuple[int, BatchItem]] = {}  # object ref -> (actor, item)
    hints: dict[int, BatchItem | None] = {}
    failures = [0] * count
    tries: dict[str, int] = {}

    def submit(actor: int, item: BatchItem) -> None:
        following = waiting.popleft() if waiting else None
        hints[actor] = following
        ref = actors[actor].process.remote(item, following)
        running[ref] = (actor, item)
        emit(BatchEvent("start", item.id, actor))

    try:
        for actor in range(count):
            if waiting:
                submit(actor, waiting.popleft())
        while running:
            ready, _ = ray.wait(list(running), num_returns=1)
            actor, item = running.pop(ready[0])
            try:
                emit(BatchEvent("finish", item.id, actor, outcome=ray.get(ready[0])))
            except ray.exceptions.RayError as e:  # the actor's process died, or Ray failed
                failures[actor] += 1
                tries[item.id] = tries.get(item.id, 0) + 1
                log.warning("Ray call for '%s' failed: %s", item.id, type(e).__name__)
                log.debug("Ray call for '%s' failed", item.id, exc_info=True)
                if tries[item.id] < _ITEM_TRIES:
                    waiting.append(item)  # a busy node or a lost worker: try once more
                else:
                    emit(BatchEvent("finish", item.id, actor, outcome=failed_outcome(item.id, e)))
            following = hints.pop(actor, None)
            if failures[actor] >= _MAX_ACTOR_FAILURES:
                if following is not None:
                    waiting.appendleft(following)
                _hand_over(waiting, running, submit, failures)
                continue
            if following is None and waiting:
                following = waiting.popleft()  # put back by an actor that gave up
            if following is not None:
                submit(actor, following)
        gave_up = RuntimeError(f"no Ray actor left (each failed {_MAX_ACTOR_FAILURES} calls)")
        for item in waiting:  # every actor gave up
            emit(BatchEvent("finish", item.id, outcome=failed_outcome(item.id, gave_up)))
    finally:
        for handle in actors:
            ray.kill(handle)


def _hand_over(
    waiting: deque[BatchItem],
    running: dict[Any, tuple[int, BatchItem]],
    submit: Any,
    failures: list[int],
) -> None:
    """Give waiting work to a healthy idle actor, if there is one (else it stays unrun)."""
    busy = {actor for actor, _ in running.values()}
    for actor, failed in enumerate(failures):
        if waiting and failed < _MAX_ACTOR_FAILURES and actor not in busy:
            submit(actor, waiting.popleft())


__all__ = ["INSTALL_HINT", "RayWorker", "import_ray", "run_ray"]
