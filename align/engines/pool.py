"""Engine helper processes, the caller's side: two windows transcribed at once, each alone
in its process.

Two CTranslate2 calls running at once in one process do not compute bit for bit what one
call computes (issue 14: on an AVX2 AMD machine the same podcast gave 70 or 71 aligned
turns from run to run, and the Ray backend differed from the local one). A helper process
runs one call at a time with the same options, so every window is computed the same way
whichever slot takes it: the result is a function of the inputs and options alone.

A helper is ``python -m align.engines.worker`` (its loop), a helper process
(``align.helper``). It reads pickled messages on stdin: first the engine options, then
one task at a time (a window to transcribe, or texts to score against a stretch of audio);
it answers with progress messages and then the ``Heard`` words or the probabilities (or
the error) on stdout. End of input ends it.
"""

from __future__ import annotations

import pickle
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from align.engines.base import EngineOptions, Heard, ProgressFn, ScoreRequest
from align.errors import EngineUnavailableError, ToolkitError
from align.helper import HelperProcess


@dataclass(frozen=True, slots=True)
class WindowTask:
    """One window for a helper: what ``Engine.transcribe`` takes, less the callback."""

    samples: np.ndarray  # shape (n,), float32, 16 kHz
    offset_s: float
    language: str | None
    prompt: str | None


class EngineProcess(HelperProcess):
    """One helper process holding its own model; ``transcribe`` takes one caller at a time.

    Raises:
        EngineUnavailableError: the process cannot start, or died.
    """

    def __init__(self, opts: EngineOptions) -> None:
        try:
            super().__init__("align.engines.worker")
            self.send(opts)
        except OSError as e:
            raise EngineUnavailableError("faster-whisper", f"helper process: {e}") from e

    def score(self, request: ScoreRequest) -> tuple[tuple[float, ...], ...]:
        """Read ``request``'s texts against its audio in the helper (``Engine.score``)."""
        answer: tuple[tuple[float, ...], ...] = self._ask(request, None)
        return answer

    def transcribe(self, task: WindowTask, on_progress: ProgressFn | None) -> Heard:
        """Transcribe one window in the helper; progress arrives as it goes.

        An exception from ``on_progress`` (a stop request) ends the helper, mid-window.
        """
        heard: Heard = self._ask(task, on_progress)
        return heard

    def _ask(self, task: WindowTask | ScoreRequest, on_progress: ProgressFn | None) -> Any:
        """Send one task and wait for its answer, passing progress on as it comes."""
        try:
            self.send(task)
            while True:
                kind, *body = self.receive()
                if kind == "progress":
                    if on_progress is not None:
                        on_progress(body[0], body[1])
                elif kind == "error":  # exceptions are sent as text: ours do not unpickle
                    toolkit, message = body
                    if toolkit:
                        raise EngineUnavailableError("faster-whisper", message)
                    raise RuntimeError(f"engine helper: {message}")
                else:
                    return body[0]
        except (OSError, EOFError, pickle.UnpicklingError) as e:
            self.kill()
            raise EngineUnavailableError("faster-whisper", "a helper process died") from e
        except ToolkitError:
            raise
        except BaseException:
            self.kill()
            raise


class EngineSlots:
    """Where an engine's calls run, each one at a time: this process's model (``None``)
    and up to ``workers - 1`` helper processes, given started or started when first
    needed. ``take`` hands out a free slot, this process's own first (a helper costs a
    start-up), and takes it back, or retires a helper that died in the call."""

    def __init__(self, opts: EngineOptions, helpers: Sequence[EngineProcess] = ()) -> None:
        self._opts = opts
        self._free: list[EngineProcess | None] = [None, *helpers]
        self._started = 1 + len(helpers)
        self._changed = threading.Condition()
        self._helpers: list[EngineProcess] = list(helpers)
        weakref.finalize(self, _end_helpers, self._helpers)

    @contextmanager
    def take(self) -> Iterator[EngineProcess | None]:
        """A free slot for one call (waiting for one if need be)."""
        slot = self._acquire()
        dead = False
        try:
            yield slot
        except BaseException:
            dead = slot is not None and not slot.alive
            if dead:
                assert slot is not None
                self._retire(slot)
            raise
        finally:
            if not dead:
                with self._changed:
                    self._free.append(slot)
                    self._changed.notify()

    def close(self) -> None:
        """End the helper processes (later calls start new ones)."""
        with self._changed:
            helpers, self._helpers[:] = list(self._helpers), []
            self._free = [s for s in self._free if s is None]
            self._started -= len(helpers)
        _end_helpers(helpers)

    def _acquire(self) -> EngineProcess | None:
        with self._changed:
            while not self._free and self._started >= self._opts.workers:
                self._changed.wait()
            if self._free:
                return self._free.pop(self._free.index(None) if None in self._free else 0)
            self._started += 1
        try:
            helper = EngineProcess(self._opts)
        except BaseException:
            with self._changed:
                self._started -= 1
                self._changed.notify()
            raise
        with self._changed:
            self._helpers.append(helper)
        return helper

    def _retire(self, helper: EngineProcess) -> None:
        with self._changed:
            if helper in self._helpers:
                self._helpers.remove(helper)
            self._started -= 1
            self._changed.notify()


def _end_helpers(helpers: list[EngineProcess]) -> None:
    for helper in helpers:
        helper.close()
