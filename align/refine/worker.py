"""Worker processes for the refinement pass: pocketsphinx holds the GIL, so a second core
helps only from a second process.

A worker is ``python -m align.refine.worker``, a helper process (``align.helper``). It
reads pickled messages on stdin: first the ``ForcedAlignOptions`` to load its aligner with,
then one segment at a time (``align.refine.walk.run_task``), answering each on stdout. End
of input ends it.
"""

from __future__ import annotations

import pickle
import sys
from typing import IO, Any

from align.helper import HelperProcess
from align.refine.forced import ForcedAlignOptions, load_aligner
from align.refine.walk import run_task


class WorkerProcess(HelperProcess):
    """One refinement worker; ``run`` blocks, and takes one caller at a time.

    Raises:
        OSError: the process cannot start.
    """

    def __init__(self, forced: ForcedAlignOptions) -> None:
        super().__init__("align.refine.worker")
        self.send(forced)

    def run(self, task: Any) -> Any:
        """Send ``task`` and wait for its answer.

        Raises:
            OSError, EOFError, pickle.UnpicklingError: the worker died.
        """
        self.send(task)
        return self.receive()


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
