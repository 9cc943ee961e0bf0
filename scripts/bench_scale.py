"""How matching and timing scale: 5 minutes to 3+ hours of conversation, one core.

Long inputs are built by repeating conv_dev: its clean transcript N times (turns
renumbered in order) and the words the engine heard in its audio N times, shifted by N
times its duration. Each size runs in a fresh subprocess so peak RSS is its own.

    python scripts/bench_scale.py            # prints a Markdown table
    python scripts/bench_scale.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
COPIES = (1, 6, 12, 24, 36, 44)


def run_one(copies: int) -> dict[str, float]:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.path.insert(0, str(REPO))
    from align.engines.base import Heard, HeardWord
    from align.pipeline import AlignOptions, match_and_time
    from align.transcript import parse_transcript

    heard_doc = json.loads((DATA / "conv_dev.heard.json").read_text())
    duration = float(heard_doc["duration"])
    text = (DATA / "conv_dev.clean.txt").read_text()
    body = text[text.index("Speaker 1:") :]
    transcript = parse_transcript("\n\n".join([body] * copies), path="long.txt")
    words = [
        HeardWord(w[0], w[1] + k * duration, w[2] + k * duration, w[3])
        for k in range(copies)
        for w in heard_doc["words"]
    ]
    heard = Heard(tuple(words), "en")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    timed = match_and_time(transcript, heard, duration * copies, AlignOptions())
    wall = time.perf_counter() - t0
    n_t = sum(len(t.tokens) for t in transcript.turns)
    aligned = sum(1 for t in timed.turns if t.status == "aligned")
    return {
        "copies": copies,
        "audio_h": duration * copies / 3600,
        "transcript_words": n_t,
        "heard_words": len(words),
        "turns": len(transcript.turns),
        "turns_aligned": aligned,
        "wall_s": wall,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_before_mb": rss_before,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return 0
    rows = []
    for copies in COPIES:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(copies)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(
        "| audio | transcript words | heard words | turns aligned "
        "| match+timing wall (s) | peak RSS (MB) |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['audio_h']:.2f} h | {r['transcript_words']:,} | {r['heard_words']:,} | "
            f"{r['turns_aligned']}/{r['turns']} | {r['wall_s']:.2f} | {r['peak_rss_mb']:.0f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
