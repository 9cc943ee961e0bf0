"""Helper processes: ``python -m MODULE`` started afresh, fed pickled messages on stdin.

Engine windows (``align.engines.pool``) and refinement segments (``align.refine.worker``)
run in helper processes so that two cores work at once without two calls sharing one
process. A helper is started fresh, not forked (the engine's threads may hold locks) and
not through ``multiprocessing`` (whose spawned children re-run the caller's
``__main__``); it imports turnalign from wherever this process did, installed or not.
End of input ends it.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

# The folder that holds the ``align`` package, for the helper's import path.
_ROOT = str(Path(__file__).resolve().parents[1])
# A closed helper that has not exited after this long is killed.
_EXIT_WAIT_S = 5.0


class HelperProcess:
    """One helper process running ``python -m module``; one caller at a time.

    Raises:
        OSError: the process cannot start.
    """

    def __init__(self, module: str) -> None:
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")])),
        )
        # One BLAS thread: a helper is one core's worth of work, and OpenBLAS's idle
        # threads spin on the core the other processes need (see ``align.cli``).
        env.setdefault("OPENBLAS_NUM_THREADS", "1")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def send(self, obj: Any) -> None:
        """Pickle ``obj`` to the helper's input.

        Raises:
            OSError: the helper is gone.
        """
        assert self._proc.stdin is not None
        pickle.dump(obj, self._proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self._proc.stdin.flush()

    def receive(self) -> Any:
        """The helper's next answer.

        Raises:
            OSError, EOFError, pickle.UnpicklingError: the helper died.
        """
        assert self._proc.stdout is not None
        return pickle.load(self._proc.stdout)

    def close(self) -> None:
        """End the helper: it stops at the end of its input. Its exit (the interpreter's
        teardown, about 60 ms) is awaited in a thread, not here, so the caller goes on; this
        process's own exit waits for that thread (at most ``_EXIT_WAIT_S``)."""
        try:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
        except OSError:
            self.kill()
            return
        threading.Thread(target=self._reap, name="turnalign-helper-exit").start()

    def _reap(self) -> None:
        try:
            self._proc.wait(timeout=_EXIT_WAIT_S)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """End the helper now, in the middle of a task if need be."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()


__all__ = ["HelperProcess"]
