"""The refinement stage: precise word, pause and turn edges after alignment, by listening again.

``runner`` drives the pass (``refine_result``) over the segments ``plan`` cuts; ``walk``
refines one segment window by window, here or in a ``worker`` process; ``window`` aligns
and snaps one window, with the ``forced`` aligner (pocketsphinx, its words spelled by
``lexicon``; ``grammar`` keeps track of the words it may leave out) and the energy envelope
(``snap``); ``rebuild`` turns the refined items back into turns and mismatches.

``verify`` asks the audio about every "not in audio" report (``verify_result``): ``rooms``
finds the candidates and the audio they would sit in, ``decide`` gives each room its
verdict, ``retime`` builds the result from the verdicts.

This package does not import ``worker``: ``python -m align.refine.worker`` runs it.
"""

from align.refine.plan import RefineOptions
from align.refine.runner import DEFAULT_MODE, RefineWorkers, refine_result

__all__ = ["DEFAULT_MODE", "RefineOptions", "RefineWorkers", "refine_result"]
