"""The few lines ``turnalign align`` prints about a ``Result``: fit, and the first mismatches.

(The Markdown quality report is a writer: ``align.writers.report``.)
"""

from __future__ import annotations

from align.model import Result


def _ts(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    m, s = divmod(seconds, 60.0)
    h, m = divmod(int(m), 60)
    return f"{h:d}:{m:02d}:{s:05.2f}" if h else f"{m:02d}:{s:05.2f}"


def summary_lines(result: Result, max_items: int = 10) -> list[str]:
    """A few lines for the terminal: fit, and the first mismatches."""
    q = result.quality
    aligned = sum(1 for t in result.turns if t.status == "aligned")
    lines = [
        f"{aligned}/{len(result.turns)} turns aligned"
        + (f", {q.coverage:.0%} of words heard, score {q.score:.2f}" if q else "")
    ]
    shown = [m for m in result.mismatches if m.kind != "substitution"]
    subs = len(result.mismatches) - len(shown)
    for m in shown[:max_items]:
        where = f"turn {m.turn}" if m.turn is not None else f"{_ts(m.start)}-{_ts(m.end)}"
        text = m.text if len(m.text) <= 60 else m.text[:57] + "..."
        lines.append(f"  {m.kind:<17} {where:<16} {text!r} ({m.reason})")
    if len(shown) > max_items:
        lines.append(f"  ... and {len(shown) - max_items} more (see the JSON)")
    if subs:
        lines.append(f"  {subs} word substitution(s) (see the JSON)")
    return lines
