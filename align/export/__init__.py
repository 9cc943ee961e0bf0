"""The export stage: cut an aligned recording into training clips with exact text and manifests.

``plan`` decides the clips (no I/O; its options and clip types are in ``types``),
``clip_audio`` cuts and encodes them in one streaming pass, ``manifest`` renders the
manifests, and ``runner`` (``export_clips``) wires them and owns the files.
"""

from align.export.plan import plan_clips
from align.export.runner import (
    DURATION_TOLERANCE_S,
    ExportSummary,
    export_clips,
    resolve_audio_path,
    summary_lines,
)
from align.export.types import Clip, DroppedClip, ExportOptions

__all__ = [
    "DURATION_TOLERANCE_S",
    "Clip",
    "DroppedClip",
    "ExportOptions",
    "ExportSummary",
    "export_clips",
    "plan_clips",
    "resolve_audio_path",
    "summary_lines",
]
