"""The quality report (``--format report``): where transcript and audio disagree, in Markdown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from align.model import Result
from align.writers.options import WriterOptions

# Turns below these are listed as weak: most of their words were not heard as written.
_WEAK_COVERAGE = 0.6
_WEAK_CONFIDENCE = 0.4


def _weak(coverage: float, confidence: float) -> bool:
    return coverage < _WEAK_COVERAGE or confidence < _WEAK_CONFIDENCE


def _ts(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    m, s = divmod(seconds, 60.0)
    h, m = divmod(int(m), 60)
    return f"{h:d}:{m:02d}:{s:06.3f}"


def _cell(text: str, limit: int = 80) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, or "None." when there are no rows."""
    if not rows:
        return "None.\n"
    lines = [columns, ["---"] * len(columns), *rows]
    return "".join(f"| {' | '.join(cells)} |\n" for cells in lines)


def _prob(p: float | None) -> str:
    return "" if p is None else f"{p:.3f}"


def write_report(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """Fit, mismatches, suspect and weak turns, and the corrections, as Markdown tables."""
    q = result.quality
    w = fp.write
    w(f"# Alignment report: {result.transcript.path}\n\n")
    w(f"- audio: `{result.audio.path}` ({_ts(result.audio.duration)})\n")
    w(
        f"- engine: {result.engine.name} {result.engine.model} ({result.engine.device}, "
        f"{result.engine.compute_type}); refine: {result.refine}\n"
    )
    if q is not None:
        w(f"- turns aligned: {q.turns_aligned} of {q.turns_aligned + q.turns_not_found}\n")
        w(
            f"- words heard (coverage): {q.coverage:.1%}; mean confidence {q.confidence:.2f}; "
            f"score {q.score:.2f}\n"
        )
    evidence = [word.evidence for t in result.turns for word in t.words]
    w(
        f"- words timed by what Whisper heard: {evidence.count('whisper')}; found in the audio "
        f"by the aligner: {evidence.count('acoustic')}; placed between neighbours: "
        f"{evidence.count('interpolated')}; untimed: {evidence.count('none')}\n"
    )
    kinds = ("not_in_audio", "not_in_transcript", "substitution")
    by_kind = {k: [m for m in result.mismatches if m.kind == k] for k in kinds}
    counts = {k: len(v) for k, v in by_kind.items()}
    w(
        f"- mismatches: {counts['not_in_audio']} not in audio, {counts['not_in_transcript']} "
        f"not in transcript, {counts['substitution']} substitutions\n\n"
    )
    w("## Transcript text not in the audio\n\n")
    w(_table(("turn", "speaker", "text", "why", "confidence"), [
        (str(m.turn), _cell(result.turns[m.turn].speaker if m.turn is not None else "", 30),
         _cell(m.text), m.reason, f"{m.confidence:.2f}")
        for m in by_kind["not_in_audio"]
    ]))  # fmt: skip
    w("\n## Speech in the audio not in the transcript\n\n")
    w(_table(("start", "end", "heard", "confidence"), [
        (_ts(m.start), _ts(m.end), _cell(m.heard or m.text), f"{m.confidence:.2f}")
        for m in by_kind["not_in_transcript"]
    ]))  # fmt: skip
    w("\n## Words heard differently\n\n")
    w(_table(("turn", "time", "written", "heard", "decided by", "p(written)", "p(heard)",
              "confidence"), [
        (str(m.turn), _ts(m.start), _cell(m.text, 40), _cell(m.heard or "", 40),
         m.decided_by, _prob(m.score("p_written")), _prob(m.score("p_heard")),
         f"{m.confidence:.2f}")
        for m in by_kind["substitution"]
    ]))  # fmt: skip
    suspect = [t for t in result.turns if t.suspect]
    weak = [t for t in result.turns if t.status == "aligned" and _weak(t.coverage, t.confidence)]
    w("\n## Turns to check\n\n")
    w(_table(("turn", "speaker", "start", "coverage", "confidence", "note", "text"), [
        (str(t.index), _cell(t.speaker, 30), _ts(t.start), f"{t.coverage:.0%}",
         f"{t.confidence:.2f}",
         "suspect: inside another speaker's speech" if t.suspect else "weak match",
         _cell(t.text, 60))
        for t in sorted({*suspect, *weak}, key=lambda t: t.index)
    ]))  # fmt: skip
    w("\n## Corrections\n\n")
    w(_table(("turn", "change", "before", "after", "why", "confidence"), [
        (str(c.turn), c.kind, _cell(c.before, 50), _cell(c.after, 30), c.reason,
         f"{c.confidence:.2f}")
        for c in result.corrections
    ]))  # fmt: skip
