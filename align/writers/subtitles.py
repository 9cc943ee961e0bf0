"""SRT, WebVTT and ASS writers: ``layout.build_cues`` for the cues, pysubs2 for the files.

The three differ only in how the speaker is named and which characters need guarding;
timing, splitting and line breaking all come from ``layout``.

pysubs2 quirks handled here:

- Its SRT/VTT writer parses SubStation override blocks, so a transcript's ``{laughs}``
  would vanish; ``keep_ssa_tags=True`` writes the text as given.
- It still turns ``\\N``, ``\\n`` and ``\\h`` into whitespace, and ASS renderers read
  ``{...}`` as override tags, so those characters are swapped for look-alikes.
- It writes VTT cue text verbatim: ``&`` and ``<`` must be escaped by us, and a voice
  tag (``<v Speaker 1>``) passes through untouched.
- It writes the ASS Name field verbatim, so a comma in a speaker's name would shift the
  Dialogue fields; it becomes ";".
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import replace
from typing import TextIO

import pysubs2

from align.model import Result
from align.writers.layout import Cue, build_cues
from align.writers.options import WriterOptions

# A backslash before one of these letters is a SubStation line-break or space tag.
_SSA_ESCAPE = re.compile(r"\\(?=[Nnh])")
# Stands in for a backslash that would otherwise start one of those tags.
_BACKSLASH_LOOKALIKE = "\u29f5"  # REVERSE SOLIDUS OPERATOR


def write_srt(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """Write SubRip cues, with "Speaker 1: " leading each cue when speaker labels are on."""
    cues = build_cues(result, opts.subtitle)
    _subs(cues, _srt_text).to_file(fp, "srt", keep_ssa_tags=True)


def write_vtt(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """Write WebVTT cues, naming the speaker with a ``<v Speaker 1>`` voice tag."""
    # The voice tag names the speaker, so the lines carry no "Speaker 1: " label.
    cues = build_cues(result, replace(opts.subtitle, speaker_prefix=False))
    voice = opts.subtitle.speaker_prefix
    _subs(cues, lambda cue: _vtt_text(cue, voice)).to_file(fp, "vtt", keep_ssa_tags=True)


def write_ass(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """Write Advanced SubStation Alpha events; each event's Name field holds the speaker."""
    cues = build_cues(result, opts.subtitle)
    # Fields of a Dialogue line are comma-separated and pysubs2 writes Name unescaped.
    subs = _subs(cues, _ass_text, name_of=lambda cue: cue.speaker.replace(",", ";"))
    subs.to_file(fp, "ass")


def _subs(
    cues: tuple[Cue, ...],
    text_of: Callable[[Cue], str],
    name_of: Callable[[Cue], str] = lambda cue: cue.speaker,
) -> pysubs2.SSAFile:
    subs = pysubs2.SSAFile()
    for cue in cues:
        event = pysubs2.SSAEvent(
            start=pysubs2.make_time(s=cue.start_s),
            end=pysubs2.make_time(s=cue.end_s),
            name=name_of(cue),
        )
        event.plaintext = text_of(cue)
        subs.append(event)
    return subs


def _srt_text(cue: Cue) -> str:
    return "\n".join(_guard_backslashes(line) for line in cue.lines)


def _vtt_text(cue: Cue, voice: bool) -> str:
    lines = [html.escape(_guard_backslashes(line), quote=False) for line in cue.lines]
    if voice and cue.speaker and lines:
        # The annotation runs to the next ">", so only "&" and ">" need escaping in it.
        name = cue.speaker.replace("&", "&amp;").replace(">", "&gt;")
        lines[0] = f"<v {name}>{lines[0]}"
    return "\n".join(lines)


def _ass_text(cue: Cue) -> str:
    # ASS has no brace escape that every renderer honours; parentheses read the same.
    lines = (_guard_backslashes(line).replace("{", "(").replace("}", ")") for line in cue.lines)
    return "\n".join(lines)


def _guard_backslashes(line: str) -> str:
    return _SSA_ESCAPE.sub(_BACKSLASH_LOOKALIKE, line)


__all__ = ["write_ass", "write_srt", "write_vtt"]
