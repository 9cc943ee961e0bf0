"""Same input, same output: align the same files several times and compare the JSON bytes.

Runs ``turnalign align`` (default options unless told otherwise) on conv_dev's noisy
transcript N times, and on a long file built from shared audio (conv_dev repeated, about
20 minutes for 4 copies) M times, each run a fresh process; then prints, per file, the
distinct SHA-256 digests of the JSON output and the wall times. One digest per file means
every run gave the same bytes.

    python scripts/check_repeatable.py                      # 10 x conv_dev, 3 x 20 min
    python scripts/check_repeatable.py --short 3 --long 0   # a quick try
    python scripts/check_repeatable.py -- --engine-workers 1  # extra align arguments

Not a test: it takes minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CONV_DEV = SHARED / "bench" / "conv_dev.flac"


def run_many(audio_path: Path, transcript: Path, runs: int, extra: list[str], tmp: Path) -> dict:
    """Align ``runs`` times in fresh processes; the distinct digests and wall times."""
    digests: list[str] = []
    walls: list[float] = []
    for k in range(runs):
        out = tmp / f"{audio_path.stem}_{k}"
        cmd = [sys.executable, "-m", "align", "-q", "align", str(audio_path), str(transcript)]
        t0 = time.perf_counter()
        subprocess.run([*cmd, "-o", str(out), "--format", "json", *extra], check=True)
        walls.append(round(time.perf_counter() - t0, 2))
        digests.append(hashlib.sha256((out / f"{transcript.stem}.json").read_bytes()).hexdigest())
        print(f"  {audio_path.name} run {k + 1}/{runs}: {walls[-1]} s {digests[-1][:12]}")
    return {
        "audio": str(audio_path),
        "runs": runs,
        "distinct_json": len(set(digests)),
        "digests": sorted(set(digests)),
        "wall_s": walls,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--short", type=int, default=10, help="runs on conv_dev (default 10)")
    ap.add_argument("--long", type=int, default=3, help="runs on the long file (default 3)")
    ap.add_argument("--copies", type=int, default=4, help="conv_dev copies in the long file")
    ap.add_argument("--json", type=Path, default=None, help="also write the report here")
    ap.add_argument("extra", nargs="*", help="more arguments for turnalign align (after --)")
    args = ap.parse_args()
    if not CONV_DEV.is_file():
        print(f"check_repeatable: {CONV_DEV} not found (needs ../shared)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO / "scripts"))
    from bench_gpu import cpu_name
    from bench_long import build_audio, build_transcript

    report: dict = {"cpu": cpu_name(), "extra_args": args.extra, "files": []}
    with tempfile.TemporaryDirectory(prefix="turnalign_repeat_") as tmp_name:
        tmp = Path(tmp_name)
        noisy = SHARED / "bench" / "conv_dev.noisy.txt"
        if args.short:
            report["files"].append(run_many(CONV_DEV, noisy, args.short, args.extra, tmp))
        if args.long:
            long_audio = tmp / f"conv_dev_x{args.copies}.flac"
            long_text = tmp / f"conv_dev_x{args.copies}.txt"
            duration_s = build_audio(CONV_DEV, args.copies, long_audio)
            build_transcript(SHARED / "bench" / "conv_dev.clean.txt", args.copies, long_text)
            entry = run_many(long_audio, long_text, args.long, args.extra, tmp)
            entry["duration_s"] = round(duration_s, 1)
            report["files"].append(entry)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0 if all(f["distinct_json"] == 1 for f in report["files"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
