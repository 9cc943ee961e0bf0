"""Engine helper processes, the caller's side: two windows transcribed at once, each alone
in its process.

Two CTranslate2 calls running at once in one process do not compute bit for bit what one
call computes (issue 14: on an AVX2 AMD machine the same podcast gave 70 or 71 aligned
turns from run to run, and the Ray backend differed from the local one). A helper process
runs one call at a time with the same options, so every window is computed the same way
whichever slot takes it: the result is a function of the inputs and options alone.

A helper is ``python -m align.engines.worker`` (its loop), started afresh (not forked: the engine's
threads may hold locks; not through ``multiprocessing``, whose spawned children re-run the
caller's ``__main__``). It reads pickled messages on stdin: first the engine options, then
one window at a time; it answers with progress messages and then the ``Heard`` words (or
the error) on stdout. End of input ends it.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from align.engines.base import EngineOptions, Heard, ProgressFn
from align.errors import EngineUnavailableError, ToolkitError


@dataclass(frozen=True, slots=True)
class WindowTask:
    """One window for a helper: what ``Engine.transcribe`` takes, less the callback."""

    samples: np.ndarray  # shape (n,), float32, 16 kHz
    offset_s: float
    language: str | None
    prompt: str | None


class EngineProcess:
    """One helper process holding its own model; ``transcribe`` takes one caller at a time.

    Raises:
        EngineUnavailableError: the process cannot start, or died.
    """

    def __init__(self, opts: EngineOptions) -> None:
        # The helper imports turnalign from wherever this process did (installed or not).
        root = str(Path(__file__).resolve().parents[2])
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
        )
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "align.engines.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
            )
            self._send(opts)
        except OSError as e:
            raise EngineUnavailableError("faster-whisper", f"helper process: {e}") from e

    def transcribe(self, task: WindowTask, on_progress: ProgressFn | None) -> Heard:
        """Transcribe one window in the helper; progress arrives as it goes.

        An exception from ``on_progress`` (a stop request) ends the helper, mid-window.
        """
        try:
            self._send(task)
            assert self._proc.stdout is not None
            while True:
                kind, *body = pickle.load(self._proc.stdout)
                if kind == "progress":
                    if on_progress is not None:
                        on_progress(body[0], body[1])
                elif kind == "error":  # exceptions are sent as text: ours do not unpickle
                    toolkit, message = body
                    if toolkit:
                        raise EngineUnavailableError("faster-whisper", message)
                    raise RuntimeError(f"engine helper: {message}")
                else:
                    heard: Heard = body[0]
                    return heard
        except (OSError, EOFError, pickle.UnpicklingError) as e:
            self.kill()
            raise EngineUnavailableError("faster-whisper", "a helper process died") from e
        except ToolkitError:
            raise
        except BaseException:
            self.kill()
            raise

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def close(self) -> None:
        """End the helper (it stops at the end of its input)."""
        try:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            self._proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()

    def kill(self) -> None:
        """End the helper now, in the middle of a window if need be."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()

    def _send(self, obj: Any) -> None:
        assert self._proc.stdin is not None
        pickle.dump(obj, self._proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self._proc.stdin.flush()
