"""The ``turnalign`` command line (``turnalign = align.cli:main``).

``parser`` defines the arguments, ``commands`` turns them into typed options and runs the
four commands (``main`` dispatches and maps errors to exit codes), and ``summary`` prints
the few lines ``turnalign align`` shows on the terminal.
"""

import os

# numpy's OpenBLAS keeps its worker threads spinning after every matrix product, on the
# core the engine's and the refiner's helper processes need: conv_dev took 1.3 s more CPU
# and 5 % more wall time for it (docs/benchmarks.md section 10). Set before numpy loads;
# a caller's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from align.cli.commands import align_options, main  # noqa: E402
from align.cli.parser import DEFAULT_FORMATS, DEFAULT_MIN_COVERAGE, build_parser

__all__ = ["DEFAULT_FORMATS", "DEFAULT_MIN_COVERAGE", "align_options", "build_parser", "main"]
