"""What the acoustic check of issue 15 costs: conv_dev aligned with it and without, in one run.

    python scripts/bench_verify.py [--shared ../shared] [--repeats 3] [--before-tree DIR]

Each run is a fresh process (``python -c`` calling the CLI's ``main``, so interpreter start,
imports and model load count), the configurations interleaved round by round so machine
load hits them alike; the minimum wall and CPU (user + sys of the child) are reported.
``verify off`` is today's default path with ``AlignOptions.verify=False``;
``--before-tree`` adds a checkout of an older commit (``git worktree add DIR <commit>``)
run the same way, for a before/after in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_RUN_DEFAULT = "import sys; from align.cli import main; sys.exit(main(sys.argv[1:]))"
_RUN_NO_VERIFY = (
    "import sys, dataclasses; import align.cli.commands as c; real = c.align_options; "
    "c.align_options = lambda a: dataclasses.replace(real(a), verify=False); "
    "sys.exit(c.main(sys.argv[1:]))"
)


def run_once(code: str, tree: Path, args: list[str]) -> tuple[float, float]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], check=True, env=env, cwd=tree)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path("../shared"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--transcript", default="noisy", choices=("clean", "noisy"))
    ap.add_argument("--before-tree", type=Path, help="a checkout of the commit to compare with")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    here = Path(__file__).resolve().parents[1]
    bench = args.shared.resolve() / "bench"
    configs = [("verify on (default)", _RUN_DEFAULT, here), ("verify off", _RUN_NO_VERIFY, here)]
    if args.before_tree is not None:
        configs.append((f"before ({args.before_tree.name})", _RUN_DEFAULT, args.before_tree))
    times: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in configs}
    with tempfile.TemporaryDirectory() as out:
        transcript = bench / f"conv_dev.{args.transcript}.txt"
        cli = ["-q", "align", str(bench / "conv_dev.flac"), str(transcript), "-o", out,
               "--format", "json"]  # fmt: skip
        for _ in range(args.repeats):
            for name, code, tree in configs:
                times[name].append(run_once(code, tree, cli))
    load = os.getloadavg()[0]
    rows = {
        name: {
            "wall_min_s": round(min(w for w, _ in t), 2),
            "cpu_min_s": round(min(c for _, c in t), 2),
            "runs": len(t),
        }  # fmt: skip
        for name, t in times.items()
    }
    print(f"conv_dev ({args.transcript}), {args.repeats} rounds, load average {load:.2f}")
    print("| run | wall min (s) | CPU user+sys min (s) |\n| --- | --- | --- |")
    for name, r in rows.items():
        print(f"| {name} | {r['wall_min_s']} | {r['cpu_min_s']} |")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "load": load}, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
