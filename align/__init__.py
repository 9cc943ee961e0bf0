"""turnalign's text-and-time side: transcripts, engines, alignment, timing, writers, CLI.

Start at ``align.pipeline.align_file`` for the whole path, or ``align.cli`` for the
command line. ``align.model`` holds the result types every stage shares.
"""

__version__ = "0.1.0"
