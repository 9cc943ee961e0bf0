"""Engine helper processes, the caller's side: two windows transcribed at once, each alone
in its process.

Two CTranslate2 calls running at once in one process do not compute bit for bit what one
call computes (issue 14: on an AVX2 AMD machine the same podcast gave 70 or 71 aligned
turns from run to run, and the Ray backend differed from the local one). A helper process
runs one call at a time with the same options, so every window is computed the same way
whichever slot takes it: the result is a function of the inputs and options alone.

A helper is ``python -m align.engines.worker`` (its loop), a helper process
(``align.helper``). It reads pickled messages on stdin: first the engine options, then
one window at a time; it answers with progress messages and then the ``Heard`` words (or
the error) on stdout. End of input ends it.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import numpy as np

from align.engines.base import EngineOptions, Heard, ProgressFn
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

    def transcribe(self, task: WindowTask, on_progress: ProgressFn | None) -> Heard:
        """Transcribe one window in the helper; progress arrives as it goes.

        An exception from ``on_progress`` (a stop request) ends the helper, mid-window.
        """
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
