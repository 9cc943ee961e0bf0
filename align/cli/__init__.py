"""The ``turnalign`` command line (``turnalign = align.cli:main``).

``parser`` defines the arguments, ``commands`` turns them into typed options and runs the
four commands (``main`` dispatches and maps errors to exit codes), and ``summary`` prints
the few lines ``turnalign align`` shows on the terminal.
"""

from align.cli.commands import align_options, main
from align.cli.parser import DEFAULT_FORMATS, DEFAULT_MIN_COVERAGE, build_parser

__all__ = ["DEFAULT_FORMATS", "DEFAULT_MIN_COVERAGE", "align_options", "build_parser", "main"]
