"""Check a reference's turn starts against the audio: does speech begin where the label says?

A reference made by a forced aligner (a "silver" label) can start a turn's first word in the
silence before it, for example when the aligner had no leading-silence model and pinned the
word to the start of its clip. Scoring against such a label charges the aligner under test
for the label's error. This script measures, for every turn of a truth JSON
(``shared/bench/conv_dev.truth.json`` schema), the 10 ms energy envelope from the labelled
start: how long the audio stays within ``--above-floor-db`` of the noise floor around the
turn before it rises into speech (the same speech/silence rule ``--refine fast`` snaps
with). Turns whose labelled start lies more than ``--max-silence-ms`` before any speech are
listed, with their grade.

    python scripts/check_reference_onsets.py ../shared/bench/conv_dev.flac \\
        ../shared/bench/conv_dev.truth.json

It reads the reference and audio only; it knows nothing of turnalign's own output.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

import audio
from align.refine.snap import FRAME_S, SnapOptions, speech_mask

# Audio read around a turn's labelled start to judge its noise floor (a few pauses in it).
_CONTEXT_S = 5.0


def silence_after_start_s(samples: np.ndarray, start_s: float, above_floor_db: float) -> float:
    """Seconds from ``start_s`` until the first speech frame, judged against the noise floor
    of the ``_CONTEXT_S`` either side."""
    sr = audio.SAMPLE_RATE
    lo = max(0.0, start_s - _CONTEXT_S)
    hi = min(len(samples) / sr, start_s + _CONTEXT_S)
    window = samples[int(lo * sr) : int(hi * sr)]
    mask = speech_mask(window, lo, SnapOptions(speech_above_floor_db=above_floor_db))
    first = mask.frame(start_s)
    onsets = np.flatnonzero(mask.speech[first:])
    if onsets.size == 0:
        return hi - start_s
    return float(onsets[0]) * FRAME_S


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("audio", type=Path)
    ap.add_argument("truth", type=Path, help="truth JSON: turns with start, grade, text")
    ap.add_argument("--above-floor-db", type=float, default=SnapOptions().speech_above_floor_db)
    ap.add_argument("--max-silence-ms", type=float, default=150.0)
    ap.add_argument("--json", action="store_true", help="print every turn as JSON")
    args = ap.parse_args()
    samples = audio.load(args.audio).samples
    turns = json.loads(args.truth.read_text(encoding="utf-8"))["turns"]
    rows = []
    for t in turns:
        silent_s = silence_after_start_s(samples, float(t["start"]), args.above_floor_db)
        rows.append(
            {
                "index": t["index"],
                "grade": t.get("grade", ""),
                "start": t["start"],
                "silence_after_start_ms": round(1000 * silent_s),
                "text": t["text"][:50],
            }
        )
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    late = [r for r in rows if r["silence_after_start_ms"] > args.max_silence_ms]
    print(f"{len(rows)} turns; {len(late)} start more than {args.max_silence_ms:.0f} ms before "
          f"any speech (noise floor + {args.above_floor_db:.0f} dB):")  # fmt: skip
    for r in late:
        print(f"  turn {r['index']:>3} ({r['grade']}) labelled {r['start']:.3f} s: "
              f"{r['silence_after_start_ms']} ms of silence first  \"{r['text']}\"")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
