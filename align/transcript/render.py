"""Writing a transcript back in its own layout, with new texts and times.

``render_transcript`` serves the ``timestamped`` and ``corrected`` outputs: front matter
first, then each kept turn under its speaker's label, in the input's layout:

- ``speaker_block``: ``Speaker 1: [00:01:02.500]``, a blank line, the text;
- ``speaker_inline``: ``Speaker 1: [00:01:02.500] text``;
- ``timestamped`` (and the cue layouts, whose cues the subtitle writers write back):
  ``[00:01:02.500] Speaker 1: text``, ``[--:--:--]`` where a turn has no time;
- ``plain``: ``[00:01:02.500]`` on a line above the paragraph;
- ``rev``: ``Speaker 1 (00:01:02):``, the text below;
- ``otter`` / ``teams``: ``Speaker 1  1:02`` / ``Speaker 1   1:02``, the text below;
- ``markdown`` and ``markdown_table``: ``**Speaker 1** [00:01:02.500]``, as ``--format md``;
- ``interview``: ``Q: text``; ``screenplay``: the name in capitals above the text.

Times are written to the millisecond where the layout allows it, so that reading the
result back gives each turn's time within 1 ms; Rev, Otter and Teams write whole
seconds, as the services do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from align.transcript.base import Transcript

# Rendered times are [HH:MM:SS.mmm]: a re-read transcript keeps each time within 1 ms.
RENDER_TIME_DECIMALS = 3
# Written where the timestamped layout needs a time and there is none.
NO_TIME_STAMP = "[--:--:--]"


def format_time(time_s: float, decimals: int = RENDER_TIME_DECIMALS) -> str:
    """``HH:MM:SS.mmm`` (``decimals`` digits, rounded; none: seconds floored)."""
    scale = 10**decimals
    total = round(time_s * scale) if decimals else math.floor(time_s)
    hours, rest = divmod(total, 3600 * scale)
    minutes, rest = divmod(rest, 60 * scale)
    seconds, frac = divmod(rest, scale)
    clock = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    return f"{clock}.{frac:0{decimals}d}" if decimals else clock


def _short_clock(time_s: float) -> str:
    """Otter's ``1:02`` / ``1:02:03`` (seconds floored)."""
    total = math.floor(time_s)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _render_turn(fmt: str, speaker: str, text: str, time_s: float | None) -> str:
    stamp = f"[{format_time(time_s)}]" if time_s is not None else None
    if fmt == "speaker_block":
        return f"{speaker}: {stamp}\n\n{text}" if stamp else f"{speaker}:\n\n{text}"
    if fmt == "speaker_inline":
        return f"{speaker}: {stamp} {text}" if stamp else f"{speaker}: {text}"
    if fmt == "plain":
        return f"{stamp}\n{text}" if stamp else text
    if fmt == "rev":
        when = f" ({format_time(time_s, 0)})" if time_s is not None else ""
        return f"{speaker}{when}:\n{text}"
    if fmt in ("otter", "teams"):
        gap = "   " if fmt == "teams" else "  "
        when = f"{gap}{_short_clock(time_s)}" if time_s is not None else f"{gap}0:00"
        return f"{speaker}{when}\n{text}"
    if fmt in ("markdown", "markdown_table"):
        return f"**{speaker}** {stamp or '[not found]'}\n\n{text}"
    if fmt == "interview":
        return f"{speaker}: {text}"
    if fmt == "screenplay":
        return f"{speaker.upper()}\n" + text.replace("\n\n", "\n")  # a blank line ends dialogue
    return f"{stamp or NO_TIME_STAMP} {speaker}: {text}"  # timestamped, and cue layouts


def render_transcript(
    transcript: Transcript, turn_texts: Sequence[str | None], times_s: Sequence[float | None]
) -> str:
    """Write a transcript back in its own layout, with new texts and times.

    Parsing the result gives back the speakers, texts and times (to the millisecond, or
    to the second in Rev, Otter and Teams), as long as each text fits its layout: a
    ``plain`` text with a blank line reads back as two turns.

    Args:
        transcript: the parsed transcript.
        turn_texts: the new text of each turn; None, or only whitespace, drops the turn.
        times_s: each turn's time in seconds, or None for no time.

    Returns:
        The transcript text, ending with a newline.

    Raises:
        ValueError: the sequences do not match the turns, or a time is negative or not finite.
    """
    n_turns = len(transcript.turns)
    if len(turn_texts) != n_turns or len(times_s) != n_turns:
        raise ValueError(
            f"need one text and one time per turn ({n_turns}), "
            f"got {len(turn_texts)} texts and {len(times_s)} times"
        )
    parts = [transcript.front_matter] if transcript.front_matter else []
    markdown = transcript.format in ("markdown", "markdown_table")
    if parts and markdown and not transcript.front_matter.startswith("---"):
        parts.append("---")  # a rule sets plain front matter off from the turns
    for turn, text, time_s in zip(transcript.turns, turn_texts, times_s, strict=True):
        if time_s is not None and not (math.isfinite(time_s) and time_s >= 0):
            raise ValueError(f"turn at line {turn.line}: time must be >= 0, got {time_s}")
        if text is not None and text.strip():
            parts.append(_render_turn(transcript.format, turn.speaker, text.strip(), time_s))
    sep = "\n" if transcript.format == "teams" else "\n\n"
    return sep.join(parts) + "\n"


__all__ = ["NO_TIME_STAMP", "RENDER_TIME_DECIMALS", "format_time", "render_transcript"]
