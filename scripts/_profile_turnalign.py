"""Where one ``turnalign align`` run spends its time, stage by stage, as JSON.

Started by ``scripts/bench.py`` in a fresh process. It runs the real CLI
(``align.cli.main``) with the given arguments, after wrapping the pipeline's stage
functions in timers; the wrappers only add a clock read per call, so the numbers are
those of a normal run. A stage whose function no longer exists is left out, not
guessed. Stages:

- ``import``: importing the CLI and pipeline modules (faster-whisper, ctranslate2, av).
- ``load_model``: loading the engine (CTranslate2 model).
- ``transcribe``: the first pass over the file (PyAV decoding, windows, and the engine's
  calls, which run on several threads at once; ``engine_calls_s`` sums those calls'
  wall times over the threads, so it can exceed the stage's wall time).
- ``match+timing``: every call of ``match_and_time`` (twice when a re-listen happens).
- ``rerun_gaps``: re-listening to skipped stretches (its own engine calls included).
- ``refine``: boundary refinement. ``write``: the writers.

With ``--experiments`` it then times faster-whisper alone on the same audio under
options the pipeline could use (word timestamps off, VAD, batched pipeline), to show
what each would save (min of 2 interleaved rounds). Those runs reuse the decoded audio and
one loaded model (a second one for the thread-count row).

    .venv/bin/python scripts/_profile_turnalign.py --out prof.json -- \
        -q align AUDIO TRANSCRIPT -o OUTDIR --format json
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

_T0 = time.perf_counter()
# Each experiment runs this many times, interleaved; the minimum is reported.
_EXPERIMENT_ROUNDS = 2


class _Clock:
    def __init__(self) -> None:
        self.total: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)  # process CPU time, all threads
        self.calls: dict[str, int] = defaultdict(int)
        self.stack: list[str] = []

    def wrap(self, owner: Any, name: str, label: str) -> bool:
        fn = getattr(owner, name, None)
        if fn is None:
            return False

        @functools.wraps(fn)
        def timed(*a: Any, **k: Any) -> Any:
            self.stack.append(label)
            t, c = time.perf_counter(), time.process_time()
            try:
                return fn(*a, **k)
            finally:
                self.total[label] += time.perf_counter() - t
                self.cpu[label] += time.process_time() - c
                self.calls[label] += 1
                self.stack.pop()

        setattr(owner, name, timed)
        return True


def _profile_cli(cli_args: list[str]) -> dict[str, Any]:
    clock = _Clock()
    t, c = time.perf_counter(), time.process_time()
    from align import api, cli, pipeline
    from align.engines import faster_whisper as fw_engine
    from align.refine import verify

    import_s, import_cpu_s = time.perf_counter() - t, time.process_time() - c
    wrapped = {
        "load_model": clock.wrap(pipeline, "load_engine", "load_model"),
        "transcribe": clock.wrap(pipeline, "transcribe_file", "transcribe"),
        "match+timing": clock.wrap(pipeline, "match_and_time", "match+timing"),
        "prepare": clock.wrap(api, "prepare", "prepare (parse + decode)"),
        "rerun_gaps": clock.wrap(pipeline, "rerun_gaps", "rerun_gaps"),
        "verify": clock.wrap(verify, "verify_result", "verify"),
    }
    # Engine calls, told apart by the stage that made them.
    engine_cls = fw_engine.FasterWhisperEngine
    orig = engine_cls.transcribe

    def engine_transcribe(self: Any, *a: Any, **k: Any) -> Any:
        where = clock.stack[-1] if clock.stack else "other"
        t = time.perf_counter()
        try:
            return orig(self, *a, **k)
        finally:  # no CPU time: process_time counts every thread, and calls overlap
            clock.total[f"engine@{where}"] += time.perf_counter() - t
            clock.calls[f"engine@{where}"] += 1

    engine_cls.transcribe = engine_transcribe  # type: ignore[method-assign]
    try:
        from align import refine

        wrapped["refine"] = clock.wrap(refine, "refine_result", "refine")
    except ImportError:
        wrapped["refine"] = False
    from align import writers

    # cli imports write_outputs inside the function, from align.writers.
    wrapped["write"] = clock.wrap(writers, "write_outputs", "write")

    t, c = time.perf_counter(), time.process_time()
    rc = cli.main(cli_args)
    wall_cli, cpu_cli = time.perf_counter() - t, time.process_time() - c

    def split(clocked: dict[str, float], first: float, whole: float) -> dict[str, float]:
        out = {
            "import": first,
            "prepare (parse + decode)": clocked.get("prepare (parse + decode)", 0.0),
            "load_model": clocked.get("load_model", 0.0),
            "transcribe": clocked.get("transcribe", 0.0),
            "match+timing": clocked.get("match+timing", 0.0),
            "rerun_gaps": clocked.get("rerun_gaps", 0.0),
            "refine": clocked.get("refine", 0.0),
            "verify": clocked.get("verify", 0.0),
            "write": clocked.get("write", 0.0),
        }
        out["other (summary, exit)"] = max(0.0, whole - (sum(out.values()) - first))
        return out

    stages = split(clock.total, import_s, wall_cli)
    stages_cpu = split(clock.cpu, import_cpu_s, cpu_cli)
    return {
        "rc": rc,
        "wall_s": time.perf_counter() - _T0,
        "cli_wall_s": wall_cli,
        "stages_s": stages,
        "stages_cpu_s": stages_cpu,
        "calls": dict(clock.calls),
        "engine_calls_s": {k: v for k, v in clock.total.items() if k.startswith("engine@")},
        "wrapped": wrapped,
    }


def _halves(samples: Any) -> list[Any]:
    """The file cut as turnalign cuts it for two workers (``align.pipeline``)."""
    from align.pipeline import window_length_s
    from audio.chunking import quietest_point

    sr = 16000
    length = int(window_length_s(len(samples) / sr, 300.0) * sr)
    if length >= len(samples):
        return [samples]
    cut = quietest_point(samples, max(1600, length - 8 * sr), length, 1600)
    return [samples[:cut], samples[cut:]]


def _experiments(audio_path: str, model: str, compute_type: str) -> dict[str, Any]:
    from faster_whisper import BatchedInferencePipeline, WhisperModel
    from faster_whisper.audio import decode_audio

    from align.engines.models import resolve_model_dir

    folder = resolve_model_dir(model)
    t = time.perf_counter()
    audio_np = decode_audio(audio_path, sampling_rate=16000)  # shape: (n,), float32
    decode_s = time.perf_counter() - t
    fw = WhisperModel(str(folder or model), device="cpu", compute_type=compute_type, cpu_threads=1)
    base = {"language": "en", "beam_size": 1, "condition_on_previous_text": False}
    fw_default = WhisperModel(str(folder or model), device="cpu", compute_type=compute_type)
    fw_two = WhisperModel(
        str(folder or model), device="cpu", compute_type=compute_type, cpu_threads=1, num_workers=2
    )
    wt = {"word_timestamps": True}
    halves = _halves(audio_np)

    def two_workers() -> tuple[list[Any], None]:
        with ThreadPoolExecutor(2) as pool:
            parts = list(pool.map(lambda x: list(fw_two.transcribe(x, **wt, **base)[0]), halves))
        return [seg for part in parts for seg in part], None

    options: list[tuple[str, Any]] = [
        (
            "as turnalign: two windows at once, two workers of one thread",
            two_workers,
        ),
        (
            "one call, one thread (beam 1, word timestamps)",
            lambda: fw.transcribe(audio_np, **wt, **base),
        ),
        (
            "one call, CTranslate2's default threads",
            lambda: fw_default.transcribe(audio_np, **wt, **base),
        ),
        (
            "one thread, word_timestamps=False",
            lambda: fw.transcribe(audio_np, word_timestamps=False, **base),
        ),
        (
            "one thread, without_timestamps=True (no timestamp tokens; word times still from DTW)",
            lambda: fw.transcribe(audio_np, without_timestamps=True, **wt, **base),
        ),
        (
            "one thread, vad_filter=True",
            lambda: fw.transcribe(audio_np, vad_filter=True, **wt, **base),
        ),
        (
            "one thread, BatchedInferencePipeline(batch_size=8) (uses VAD)",
            lambda: BatchedInferencePipeline(fw).transcribe(
                audio_np, batch_size=8, language="en", beam_size=1, **wt
            ),
        ),
    ]
    walls: dict[str, list[float]] = {label: [] for label, _ in options}
    cpus: dict[str, list[float]] = {label: [] for label, _ in options}
    words: dict[str, int] = {}
    for _ in range(_EXPERIMENT_ROUNDS):  # rounds interleave the options: load hits all alike
        for label, fn in options:
            t, c = time.perf_counter(), time.process_time()
            segments, _info = fn()
            segments = list(segments)  # work happens while iterating
            walls[label].append(time.perf_counter() - t)
            cpus[label].append(time.process_time() - c)
            words[label] = sum(len(s.words or ()) for s in segments) or sum(
                len(s.text.split()) for s in segments
            )
    rows = [
        {
            "option": label,
            "wall_s": min(walls[label]),
            "cpu_s": min(cpus[label]),
            "runs": len(walls[label]),
            "words": words[label],
        }
        for label, _ in options
    ]
    return {"decode_pyav_whole_file_s": decode_s, "faster_whisper_only": rows}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--experiments", action="store_true")
    ap.add_argument("cli_args", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cli_args = args.cli_args[1:] if args.cli_args[:1] == ["--"] else args.cli_args
    out = _profile_cli(cli_args)
    if args.experiments:
        audio_path = cli_args[cli_args.index("align") + 1]
        model = cli_args[cli_args.index("--model") + 1] if "--model" in cli_args else "tiny.en"
        ct = (
            cli_args[cli_args.index("--compute-type") + 1]
            if "--compute-type" in cli_args
            else "int8"
        )
        out["experiments"] = _experiments(audio_path, model, ct)
    args.out.write_text(json.dumps(out, indent=1), encoding="utf-8")
    return int(out["rc"])


if __name__ == "__main__":
    sys.exit(main())
