"""Local worker processes for ``--workers N``: each loads its model once and pulls items
from a shared queue, so a slow file never holds up the others.

Workers are started with ``spawn`` (CTranslate2 and PyAV run threads, which ``fork``
does not copy safely) and ignore SIGINT: on Ctrl-C the parent stops them. A worker
takes the next item off the queue before aligning the current one (its prefetch thread
reads it meanwhile) and says so with a "claim" message; if a worker dies (a crash in a
native library, the OOM killer), the item it was aligning is reported as failed, the
item it had only claimed goes back to the queue, and a new worker takes its place.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from collections.abc import Sequence
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from align.batch.items import BatchItem
from align.batch.types import BatchEvent, BatchOptions, EventFn, ItemOutcome
from align.batch.worker import Worker

log = logging.getLogger(__name__)

_POLL_S = 0.5
_JOIN_TIMEOUT_S = 10.0
# A worker that finds its parent gone (killed with SIGKILL) exits instead of going on
# alone; it checks this often.
_ORPHAN_CHECK_S = 1.0
# New workers started per original worker before giving up (a file that crashes the
# native decoder must not respawn workers forever).
_RESPAWNS = 3


def run_pool(todo: Sequence[BatchItem], outdir: Path, opts: BatchOptions, emit: EventFn) -> None:
    """Align ``todo`` in ``opts.workers`` processes; emits a finish event for every item."""
    ctx = mp.get_context("spawn")
    count = min(opts.workers, len(todo))
    tasks: Any = ctx.Queue()
    results: Any = ctx.Queue()
    for item in todo:
        tasks.put(item)
    for _ in range(count):
        tasks.put(None)
    by_id = {item.id: item for item in todo}
    # The engine workers shared out between batch workers: it changes no output (each
    # engine call runs alone in its process, align.engines.worker), only the load.
    engine_workers = max(1, opts.align.engine.workers // count)

    def start(worker: int) -> BaseProcess:
        proc = ctx.Process(
            target=_worker_main,
            args=(worker, outdir, opts, engine_workers, os.getpid(), tasks, results),
            name=f"turnalign-worker-{worker}",
            daemon=True,
        )
        proc.start()
        return proc

    procs = {w: start(w) for w in range(count)}
    claimed: dict[int, set[str]] = {w: set() for w in range(count)}
    started: dict[int, set[str]] = {w: set() for w in range(count)}
    finished: set[str] = set()
    respawns = 0
    next_worker = count
    try:
        while len(finished) < len(todo):
            try:
                msg = results.get(timeout=_POLL_S)
            except queue.Empty:
                msg = None
            if isinstance(msg, tuple):  # ("claim", worker, item_id)
                claimed.setdefault(msg[1], set()).add(msg[2])
            elif isinstance(msg, BatchEvent):
                if msg.kind == "start":
                    started.setdefault(msg.worker, set()).add(msg.item_id)
                if msg.kind == "finish":
                    finished.add(msg.item_id)
                    claimed.get(msg.worker, set()).discard(msg.item_id)
                    started.get(msg.worker, set()).discard(msg.item_id)
                emit(msg)
            if msg is not None:
                continue
            crashed = 0
            for w, proc in list(procs.items()):
                if not proc.is_alive():
                    del procs[w]
                    crashed += proc.exitcode != 0
                    _report_dead(w, proc, started, claimed, finished, by_id, tasks, emit)
            # Replace crashed workers; if every worker is gone with items left (requeued
            # behind the sentinels), start one to take them.
            wanted = max(crashed, 0 if procs else 1) if len(finished) < len(todo) else 0
            for _ in range(min(wanted, count * _RESPAWNS - respawns)):
                respawns += 1
                tasks.put(None)
                procs[next_worker] = start(next_worker)
                next_worker += 1
            if not procs:
                break  # the caller reports whatever is left as failed
    except BaseException:
        for proc in procs.values():
            proc.terminate()
        raise
    finally:
        deadline = time.monotonic() + _JOIN_TIMEOUT_S
        for proc in procs.values():
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.terminate()
        tasks.cancel_join_thread()
        results.cancel_join_thread()


def _report_dead(
    w: int,
    proc: BaseProcess,
    started: dict[int, set[str]],
    claimed: dict[int, set[str]],
    finished: set[str],
    by_id: dict[str, BatchItem],
    tasks: Any,
    emit: EventFn,
) -> None:
    """Fail the item a dead worker was aligning; put the one it had only claimed back."""
    lost_started = started.pop(w, set()) - finished
    lost_claimed = claimed.pop(w, set()) - finished - lost_started
    if proc.exitcode:
        log.warning("worker %d died (exit code %s)", w, proc.exitcode)
    for item_id in sorted(lost_started):
        finished.add(item_id)
        reason = f"worker process died (exit code {proc.exitcode}) while aligning this item"
        outcome = ItemOutcome(item_id, "failed", reason=reason, error="WorkerDied")
        emit(BatchEvent("finish", item_id, w, outcome=outcome))
    for item_id in sorted(lost_claimed):
        tasks.put(by_id[item_id])


def _worker_main(
    worker: int,
    outdir: Path,
    opts: BatchOptions,
    engine_workers: int,
    parent_pid: int,
    tasks: Any,
    results: Any,
) -> None:
    """A worker process: align queued items until the ``None`` sentinel."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(parent_pid,), daemon=True).start()
    engine = Worker(
        outdir, opts, worker=worker, on_event=results.put, engine_workers=engine_workers
    )

    def take() -> BatchItem | None:
        item: BatchItem | None = tasks.get()
        if item is not None:
            results.put(("claim", worker, item.id))
        return item

    try:
        current = take()
        while current is not None:
            following = take()
            engine.process(current, following)
            current = following
    finally:
        engine.close()


def _exit_when_orphaned(parent_pid: int) -> None:
    while True:
        time.sleep(_ORPHAN_CHECK_S)
        if os.getppid() != parent_pid:
            os._exit(1)


__all__ = ["run_pool"]
