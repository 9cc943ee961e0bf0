"""Measure the boundary refinement modes (issue 4): accuracy on gold words and turns, and cost.

For each recording the engine runs once; the unrefined alignment is then refined with every
mode (``none``, ``fast``, ``full``), each timed as the best of ``--repeats`` runs (wall and
CPU seconds of ``align.refine.refine_result`` alone), and scored with ``align.evaluation``:

- ``conv_dev.clean.txt``: gold word boundaries (median, share within 25/50/100 ms, words
  left without a time);
- ``conv_dev.noisy.txt``: turn start/end median error and the share of spoken turns with
  start and end within 100 ms / 250 ms / 1 s (turns mapped by the truth's noisy_turn_map);
- every other recording in ``data/real/A_word_level`` with an MFA reference TextGrid (gold):
  word boundaries, so no constant is judged on conv_dev alone.

``--candidates`` also measures the alternative word aligner that was tried: Whisper
cross-attention over the transcript's tokens, teacher-forced one turn at a time
(faster-whisper ``WhisperModel.find_alignment``). The silver word times in ``shared/`` were
made with pocketsphinx, the ``full`` aligner, so word figures use gold words only.

    .venv/bin/python scripts/measure_refine.py                  # ~2 min on 2 CPU cores
    .venv/bin/python scripts/measure_refine.py --candidates --json out/refine.json
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from align.engines.base import Engine  # noqa: E402
from align.evaluation import EvalOptions, evaluate, read_reference  # noqa: E402
from align.model import REFINE_MODES, Result  # noqa: E402
from align.pipeline import (  # noqa: E402
    AlignOptions,
    align_heard,
    load_engine,
    probe_duration,
    transcribe_file,
)
from align.refine import refine_result  # noqa: E402
from align.transcript import read_transcript  # noqa: E402

# Markup in MFA's .lab files that is not a spoken word ("[adif]", "<VOCNOISE>").
_MARKUP = re.compile(r"\[[^\]]*\]|<[^>]*>")
WORD_TOLERANCES_MS = (25, 50, 100)
TURN_TOLERANCES_S = (0.1, 0.25, 1.0)


@dataclass(frozen=True, slots=True)
class Case:
    """One recording, its transcript, its reference and how to map turns."""

    name: str
    audio: Path
    transcript: Path
    reference: Path
    turn_map: str = "auto"


def cases(shared: Path, tmp: Path) -> list[Case]:
    bench = shared / "bench"
    truth = bench / "conv_dev.truth.json"
    out = [
        Case("conv_dev.clean", bench / "conv_dev.flac", bench / "conv_dev.clean.txt", truth),
        Case("conv_dev.noisy", bench / "conv_dev.flac", bench / "conv_dev.noisy.txt", truth,
             "noisy"),
    ]  # fmt: skip
    for grid in sorted((shared / "data" / "real" / "A_word_level").glob("*/*.TextGrid")):
        wav = grid.with_suffix(".wav")
        if not wav.is_file() or not (grid.parent.name.startswith(("mfa_", "ljspeech"))):
            continue  # only the MFA reference alignments are gold
        lab = grid.with_suffix(".lab")
        text = lab.read_text(encoding="utf-8") if lab.is_file() else _grid_text(grid)
        transcript = tmp / f"{grid.stem}.txt"
        transcript.write_text(" ".join(_MARKUP.sub(" ", text).split()) + "\n", encoding="utf-8")
        out.append(Case(grid.stem, wav, transcript, grid))
    return out


def _grid_text(grid: Path) -> str:
    from praatio import textgrid

    tg = textgrid.openTextgrid(str(grid), includeEmptyIntervals=False)
    return " ".join(e.label for e in tg.getTier("words").entries)


def timed(fn: Callable[[], Any], repeats: int) -> tuple[Any, float, float]:
    """(result, best wall s, best CPU s) over ``repeats`` calls."""
    best_wall = best_cpu = float("inf")
    out: Any = None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return out, best_wall, best_cpu


def score(result: Result, case: Case) -> dict[str, Any]:
    ref = read_reference(case.reference)
    opts = EvalOptions(turn_map=case.turn_map,  # type: ignore[arg-type]
                       word_tolerances_ms=WORD_TOLERANCES_MS,
                       turn_tolerances_s=TURN_TOLERANCES_S)  # fmt: skip
    report = evaluate(result, ref, opts)
    out: dict[str, Any] = {}
    gold = next((w for w in report.words if w.grade == "gold"), None)
    if gold is not None:
        b = gold.boundaries
        out["gold_words"] = gold.n_matched
        out["gold_untimed"] = gold.n_not_timed
        out["gold_median_ms"] = None if b.median_s is None else round(1000 * b.median_s, 1)
        for w in b.within:
            out[f"gold_within_{round(1000 * w.tolerance_s)}ms"] = w.share
    if report.turns is not None and case.name.startswith("conv_dev"):
        t = report.turns
        out["turns"] = t.n_mapped
        out["turn_start_median_ms"] = _ms(t.start.median_s)
        out["turn_end_median_ms"] = _ms(t.end.median_s)
        for w in t.both_within:
            out[f"turns_within_{round(1000 * w.tolerance_s)}ms"] = w.share
    return out


def _ms(x: float | None) -> float | None:
    return None if x is None else round(1000 * x, 1)


def measure(case: Case, engine: Engine, opts: AlignOptions, repeats: int,
            candidates: bool) -> dict[str, Any]:  # fmt: skip
    transcript = read_transcript(case.transcript, None)
    heard, engine_wall, engine_cpu = timed(
        lambda: transcribe_file(case.audio, engine, opts.window_s), 1
    )
    duration = probe_duration(case.audio)
    base = align_heard(transcript, heard, case.audio, duration, engine, opts)
    row: dict[str, Any] = {"audio_s": round(duration, 1), "engine_wall_s": round(engine_wall, 2),
                           "engine_cpu_s": round(engine_cpu, 2), "modes": {}}  # fmt: skip
    refine_result(base, case.audio, "full")  # load the aligner once, outside the timings
    for mode in REFINE_MODES:
        run = functools.partial(refine_result, base, case.audio, mode)
        result, wall, cpu = timed(run, repeats)
        row["modes"][mode] = {"applied": result.refine, "wall_s": round(wall, 3),
                              "cpu_s": round(cpu, 3), **score(result, case)}  # fmt: skip
    if candidates:
        result, wall, cpu = timed(lambda: whisper_attention(base, case.audio, engine), 1)
        row["modes"]["whisper-xattn"] = {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                                         **score(result, case)}  # fmt: skip
    return row


def whisper_attention(result: Result, audio_path: Path, engine: Engine) -> Result:
    """Candidate aligner: Whisper cross-attention DTW over each turn's words, teacher-forced
    (the words are the transcript's, not decoded), in the audio of the turn +- 0.5 s."""
    import numpy as np
    from faster_whisper.tokenizer import Tokenizer

    import audio

    model = engine._model  # type: ignore[attr-defined]  # the faster-whisper WhisperModel
    tok = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe",
                    language="en")  # fmt: skip
    samples = audio.load(audio_path).samples
    sr, turns, last = audio.SAMPLE_RATE, list(result.turns), 0.0
    for i, turn in enumerate(turns):
        if turn.start is None or turn.end is None:
            continue
        lo = max(0.0, turn.start - 0.5)
        hi = min(len(samples) / sr, turn.end + 0.5, lo + 30.0)
        idx = [k for k, w in enumerate(turn.words) if w.start is not None]
        feats = model.feature_extractor(samples[int(lo * sr) : int(hi * sr)])
        frames = min(feats.shape[-1], 3000)
        feats = np.pad(feats, ((0, 0), (0, max(0, 3000 - feats.shape[-1]))))[:, :3000]
        tokens = tok.encode(" " + " ".join(turn.words[k].text for k in idx))
        spans = model.find_alignment(tok, [tokens], model.encode(feats), frames)[0]
        spans = [s for s in spans if any(c.isalnum() for c in s["word"])]
        words = list(turn.words)
        if len(spans) == len(idx):  # the tokenizer split a word differently: keep Whisper's
            for k, s in zip(idx, spans):
                start = max(last, round(lo + float(s["start"]), 3))
                end = max(start, round(lo + float(s["end"]), 3))
                words[k], last = replace(words[k], start=start, end=end), end
        timed_words = [w for w in words if w.start is not None and w.end is not None]
        turns[i] = replace(turn, words=tuple(words), start=timed_words[0].start,
                           end=max(w.end for w in timed_words))  # type: ignore[type-var]  # fmt: skip
        last = max(last, turns[i].end or last)
    return result.with_turns(tuple(turns), refine="whisper-xattn")


def print_table(rows: dict[str, dict[str, Any]]) -> None:
    cols = ["applied", "wall_s", "cpu_s", "gold_median_ms", "gold_within_25ms",
            "gold_within_50ms", "gold_within_100ms", "gold_untimed", "turn_start_median_ms",
            "turn_end_median_ms", "turns_within_100ms", "turns_within_250ms",
            "turns_within_1000ms"]  # fmt: skip
    for name, row in rows.items():
        print(f"\n{name} ({row['audio_s']} s audio; engine {row['engine_wall_s']} s wall)")
        print("  " + " | ".join(["mode", *cols]))
        for mode, m in row["modes"].items():
            print("  " + " | ".join([mode, *(_fmt(m.get(c)) for c in cols)]))


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.3f}" if x < 1 else f"{x:.1f}"
    return "-" if x is None else str(x)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    p.add_argument("--model", default="tiny.en")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--only", default="", help="comma list of case names (default: all)")
    p.add_argument("--candidates", action="store_true", help="also time Whisper attention")
    p.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = p.parse_args(argv)
    if not (args.shared / "bench").is_dir():
        print(f"no benchmark data in {args.shared}", file=sys.stderr)
        return 2
    opts = AlignOptions(refine="none")
    opts = replace(opts, engine=replace(opts.engine, model=args.model, device="cpu"))
    engine = load_engine(opts.engine_name, opts.engine)
    only = {n for n in args.only.split(",") if n}
    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases(args.shared, Path(tmp)):
            if only and case.name not in only:
                continue
            rows[case.name] = measure(case, engine, opts, args.repeats, args.candidates)
    print_table(rows)
    device = {"machine": platform.machine(), "processor": platform.processor(),
              "cpus": os.cpu_count(), "python": platform.python_version(),
              "model": args.model}  # fmt: skip
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"device": device, "cases": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
