"""Reading speaker-turn transcripts in the layouts people have them, and writing them back.

``read_transcript(path)`` detects the layout of a file and returns a ``Transcript``: front
matter, speaker turns (the words to align, and the text as written with its notations),
and for subtitles and podcast JSON the cues, so that they can be written back with new
times. ``render_transcript`` writes a transcript back in its own layout.

One module per layout family, each with its detector (``read`` picks among them):

- ``labels``: ``speaker_block``, ``speaker_inline``, ``timestamped``, ``plain``;
- ``services``: ``rev``, ``otter``, ``teams``;
- ``markdown``: ``markdown``, ``markdown_table``;
- ``scripts``: ``interview``, ``screenplay``;
- ``subtitles`` and ``captions``: ``srt``, ``vtt``, ``sbv``, ``youtube_vtt``, ``ass``;
- ``podcast``: ``podcast_json``;
- ``docx``: Word files, read as text and then detected like any text file.

``notation`` is shared by all of them: notations (``[inaudible 00:01:35]``, ``(laughs)``,
``[MUSIC]``) and inline timestamps stay in a turn's written text and are never aligned.
"""

from align.transcript.base import (
    CUE_FORMATS,
    DEFAULT_SPEAKER,
    TRANSCRIPT_FORMATS,
    Cue,
    Notation,
    Source,
    Transcript,
    TranscriptFormat,
    TranscriptTurn,
)
from align.transcript.read import decode_text, detect_format, parse_transcript, read_transcript
from align.transcript.render import NO_TIME_STAMP, format_time, render_transcript

__all__ = [
    "CUE_FORMATS",
    "DEFAULT_SPEAKER",
    "NO_TIME_STAMP",
    "TRANSCRIPT_FORMATS",
    "Cue",
    "Notation",
    "Source",
    "Transcript",
    "TranscriptFormat",
    "TranscriptTurn",
    "decode_text",
    "detect_format",
    "format_time",
    "parse_transcript",
    "read_transcript",
    "render_transcript",
]
