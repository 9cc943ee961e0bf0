"""Worker processes for the refinement pass: pocketsphinx holds the GIL, so a second core
helps only from a second process.

A worker is ``python -m align.refine.worker``, started afresh: not forked (the engine's
threads may hold locks) and not through ``multiprocessing`` (whose spawned children re-run
the caller's ``__main__``). It reads pickled messages on stdin: first the
``ForcedAlignOptions`` to load its aligner with, then one segment at a time
(``align.refine.walk.run_task``), answering each on stdout. End of input ends it.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from align.refine.forced import ForcedAlignOptions, load_aligner
from align.refine.walk import run_task


class WorkerProcess:
    """One worker process; ``run`` blocks, and takes one caller at a time.

    Raises:
        OSError: the process cannot start.
    """

    def __init__(self, forced: ForcedAlignOptions) -> None:
        # The worker imports turnalign from wherever this process did (installed or not).
        root = str(Path(__file__).resolve().parents[2])
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
        )
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "align.refine.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self._send(forced)

    def run(self, task: Any) -> Any:
        """Send ``task`` and wait for its answer.

        Raises:
            OSError, EOFError, pickle.UnpicklingError: the worker died.
        """
        self._send(task)
        assert self._proc.stdout is not None
        return pickle.load(self._proc.stdout)

    def close(self) -> None:
        """End the worker (it stops at the end of its input)."""
        try:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            self._proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self._proc.kill()
            self._proc.wait()

    def kill(self) -> None:
        """End the worker now, in the middle of a segment if need be."""
        self._proc.kill()
        self._proc.wait()

    def _send(self, obj: Any) -> None:
        assert self._proc.stdin is not None
        pickle.dump(obj, self._proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self._proc.stdin.flush()


def main(stdin: IO[bytes] | None = None, stdout: IO[bytes] | None = None) -> int:
    """The worker's loop: load the aligner, then refine segments until end of input."""
    src = stdin or sys.stdin.buffer
    dst = stdout or sys.stdout.buffer
    aligner = load_aligner(pickle.load(src))
    while True:
        try:
            task = pickle.load(src)
        except EOFError:
            return 0
        pickle.dump(run_task(task, aligner), dst, protocol=pickle.HIGHEST_PROTOCOL)
        dst.flush()


if __name__ == "__main__":
    raise SystemExit(main())
