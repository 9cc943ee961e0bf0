"""The evaluation report as a terminal table (``turnalign eval`` without ``--json``)."""

from __future__ import annotations

from align.evaluation.types import (
    ErrorStats,
    EvalReport,
)


# -- text report ---------------------------------------------------------------------------
def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, scale: float) -> str:
    return "-" if x is None else f"{x * scale:.3f}" if scale == 1 else f"{x * scale:.1f}"


def _table(
    title: str, unit: str, rows: list[tuple[str, ErrorStats]], tol_labels: list[str]
) -> list[str]:
    scale = 1000.0 if unit == "ms" else 1.0
    head = f"  {title:<18}{'n':>6}{'timed':>7}{'median':>9}{'p95':>9}{'mean':>9}"
    lines = [head + "".join(f"{'<=' + t:>9}" for t in tol_labels) + f"   ({unit})"]
    for label, st in rows:
        cells = [_num(st.median_s, scale), _num(st.p95_s, scale), _num(st.mean_s, scale)]
        lines.append(
            f"  {label:<18}{st.n_total:>6}{st.n_timed:>7}"
            + "".join(f"{c:>9}" for c in cells)
            + "".join(f"{_pct(w.share):>9}" for w in st.within)
        )
    return lines


def format_text(report: EvalReport) -> str:
    """A readable multi-line summary of ``report`` for a terminal."""
    out = [
        f"reference  {report.reference} ({report.reference_format})",
        f"transcript {report.transcript}",
        f"turn map: {report.turn_map_method}",
    ]
    t = report.turns
    if t is not None:
        out.append(
            f"\nturns: {t.n_mapped} of {t.n_result} mapped to {t.n_reference} reference turns; "
            f"{t.n_not_found} not found, {t.n_reference_unmapped} reference turns unmapped, "
            f"{t.n_extra} extra ({t.extra_turns_timed} given a time)"
        )
        tols = [f"{w.tolerance_s:g}s" for w in t.start.within]
        both = ErrorStats(t.n_mapped, t.start.n_timed, None, None, None, None, t.both_within)
        out += _table("turn", "s", [("start", t.start), ("end", t.end), ("start+end", both)], tols)
    if report.words:
        out.append(
            f"\nwords: {report.result_words_matched} of {report.result_words} result words "
            "matched to the reference"
        )
        rows = []
        for w in report.words:
            rows += [(f"{w.grade} start", w.start), (f"{w.grade} end", w.end)]
            rows.append((f"{w.grade} boundaries", w.boundaries))
        tols = [f"{w.tolerance_s * 1000:g}" for w in report.words[0].start.within]
        out += _table("word", "ms", rows, tols)
        out += [
            f"  {w.grade}: {w.n_matched} of {w.n_reference} reference words matched "
            f"({w.n_slot_paired} by slot), {w.n_not_timed} untimed, {w.n_interpolated} interpolated"
            for w in report.words
        ]
    d = report.detection
    out.append("\nmismatch flags:")
    for k in d.kinds:
        out.append(f"  {k.kind:<14} recall {_pct(k.recall):>7}  ({k.detected}/{k.injected})")
        out += [f"    missed {m}" for m in k.missed]
    out.append(
        f"  not_in_audio: {d.not_in_audio_flags} flags, {d.not_in_audio_false} false"
        + (f", precision {_pct(d.not_in_audio_precision)}" if d.applicable else "")
    )
    out.append(f"  not_in_transcript: {d.not_in_transcript_flags} flags")
    out.append(
        f"  substitution: {d.substitution_flags} flags, {d.substitution_false} false"
        + (f", precision {_pct(d.substitution_precision)}" if d.applicable else "")
    )
    return "\n".join(out)
