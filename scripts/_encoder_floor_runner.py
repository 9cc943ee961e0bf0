"""The encoder floor: Whisper's encoder over every 30 s of the file, and nothing else.

Any Whisper-based aligner must encode all of the audio once (stable-ts ``align()``,
turnalign's first pass); decoding, alignment and refinement come on top. This runner times
that part alone, as JSON, in a fresh process started by ``scripts/bench.py``: decode the
file (PyAV, through faster-whisper's ``decode_audio``), load the model, compute log-mel
features and run the encoder on each 30 s window, ``--workers`` windows at a time, each on
its own thread with ``--threads`` threads (2 x 1 on a 2-core machine, as turnalign runs).

    .venv/bin/python scripts/_encoder_floor_runner.py --audio A.flac --model-dir DIR --out f.json
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

_RATE = 16000
_WINDOW = 30 * _RATE
_FRAMES = 3000  # log-mel frames in 30 s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--audio", required=True)
    ap.add_argument("--model-dir", required=True, help="CTranslate2 Whisper model folder")
    ap.add_argument("--compute-type", default="int8")
    ap.add_argument("--threads", type=int, default=1, help="threads per encoder call")
    ap.add_argument("--workers", type=int, default=2, help="encoder calls at once")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    times: dict[str, float] = {}
    t0 = time.perf_counter()
    from faster_whisper import WhisperModel
    from faster_whisper.audio import decode_audio

    times["import"] = time.perf_counter() - t0
    t = time.perf_counter()
    samples = decode_audio(args.audio, sampling_rate=_RATE)  # shape: (n,), float32
    times["decode"] = time.perf_counter() - t
    t = time.perf_counter()
    model = WhisperModel(
        args.model_dir,
        device="cpu",
        compute_type=args.compute_type,
        cpu_threads=args.threads,
        num_workers=args.workers,
        local_files_only=True,
    )
    times["load_model"] = time.perf_counter() - t

    def encode(start: int) -> int:
        feats = model.feature_extractor(samples[start : start + _WINDOW])
        feats = np.pad(feats, ((0, 0), (0, max(0, _FRAMES - feats.shape[-1]))))[:, :_FRAMES]
        model.encode(feats)
        return start

    t = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        windows = len(list(pool.map(encode, range(0, len(samples), _WINDOW))))
    times["encode"] = time.perf_counter() - t
    times["total_in_process"] = time.perf_counter() - t0
    out = {"tool": "encoder", "audio_s": len(samples) / _RATE, "windows": windows, "times_s": times}
    Path(args.out).write_text(json.dumps(out), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
