"""An engine helper process's loop: ``python -m align.engines.worker``.

It reads pickled messages on stdin: first the engine options, then one task at a time
(a window, ``align.engines.pool.WindowTask``, or texts to score, ``ScoreRequest``); it
answers with progress messages and then the ``Heard`` words or the probabilities (or the
error, as text) on stdout. End of input ends it. The caller's side
is ``align.engines.pool.EngineProcess``.
"""

from __future__ import annotations

import pickle
import sys
from dataclasses import replace
from typing import IO, Any

from align.engines.base import EngineOptions, ScoreRequest
from align.engines.faster_whisper import load_engine
from align.engines.pool import WindowTask
from align.errors import ToolkitError


def main(stdin: IO[bytes] | None = None, stdout: IO[bytes] | None = None) -> int:
    """The helper's loop: load the engine once, then transcribe windows until end of input."""
    src = stdin or sys.stdin.buffer
    dst = stdout or sys.stdout.buffer

    def answer(*msg: Any) -> None:
        pickle.dump(msg, dst, protocol=pickle.HIGHEST_PROTOCOL)
        dst.flush()

    opts: EngineOptions = pickle.load(src)
    engine = load_engine(replace(opts, workers=1))
    while True:
        try:
            task: WindowTask | ScoreRequest = pickle.load(src)
        except EOFError:
            return 0
        try:
            if isinstance(task, ScoreRequest):
                answer("done", engine.score_here(task))
                continue
            heard = engine.transcribe(
                task.samples,
                offset_s=task.offset_s,
                language=task.language,
                prompt=task.prompt,
                on_progress=lambda done, total: answer("progress", done, total),
            )
        except ToolkitError as e:
            answer("error", True, str(e))
            continue
        except Exception as e:  # a bug: the caller raises it as one
            answer("error", False, f"{type(e).__name__}: {e}")
            continue
        answer("done", heard)


if __name__ == "__main__":
    raise SystemExit(main())
