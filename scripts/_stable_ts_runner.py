"""Run stable-ts ``align()`` once, in its own venv, and write its words as JSON.

Started by ``scripts/bench.py`` with the interpreter of the peer venv
(``.bench/stable-venv``, see ``scripts/requirements-bench.txt``), never with the project's:
stable-ts needs torch + torchaudio, which turnalign does not. It imports nothing from
turnalign, so the words it writes are stable-ts's own; ``bench.py`` maps them onto turns.

    .bench/stable-venv/bin/python scripts/_stable_ts_runner.py \
        --audio A.flac --text TEXT.txt --model-dir DIR --out words.json

The audio goes to stable-ts as a 16 kHz float32 numpy array decoded with PyAV (through
faster-whisper's ``decode_audio``; there is no ffmpeg binary here). The model is the same
CTranslate2 folder turnalign uses, loaded with ``stable_whisper.load_faster_whisper``.
The output holds stable-ts's words in order (``word``, ``start``, ``end``, ``probability``),
per-stage wall times, and, when ``align`` raised or returned ``None``, the error.
"""

from __future__ import annotations

import argparse
import json
import time
import traceback
import warnings
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--audio", required=True)
    ap.add_argument("--text", required=True, help="UTF-8 file: the plain text to align")
    ap.add_argument("--model-dir", required=True, help="CTranslate2 Whisper model folder")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--compute-type", default="int8")
    ap.add_argument("--threads", type=int, default=0, help="CTranslate2 CPU threads (0: default)")
    ap.add_argument("--language", default="en")
    ap.add_argument("--out", required=True, help="JSON file to write")
    args = ap.parse_args()

    times: dict[str, float] = {}
    out: dict[str, object] = {"tool": "stable-ts", "times_s": times}
    t0 = time.perf_counter()
    import stable_whisper
    import torch
    from faster_whisper import __version__ as fw_version
    from faster_whisper.audio import decode_audio

    times["import"] = time.perf_counter() - t0
    out["versions"] = {
        "stable-ts": stable_whisper.__version__,
        "torch": torch.__version__,
        "faster-whisper": fw_version,
    }

    t = time.perf_counter()
    audio_np = decode_audio(args.audio, sampling_rate=16000)  # shape: (n,), float32
    times["decode"] = time.perf_counter() - t
    out["audio_s"] = len(audio_np) / 16000

    t = time.perf_counter()
    model = stable_whisper.load_faster_whisper(
        args.model_dir,
        device=args.device,
        compute_type=args.compute_type,
        cpu_threads=args.threads,
    )
    times["load_model"] = time.perf_counter() - t

    text = Path(args.text).read_text(encoding="utf-8")
    t = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = model.align(audio_np, text, language=args.language, verbose=None)
        except Exception as e:  # report what stable-ts does, whatever it is
            result = None
            out["error"] = f"{type(e).__name__}: {e}"
            out["traceback"] = traceback.format_exc(limit=8)
    out["warnings"] = [str(w.message) for w in caught]
    times["align"] = time.perf_counter() - t
    if result is None and "error" not in out:
        out["error"] = "align() returned None"
    words = []
    if result is not None:
        for seg in result.segments:
            for w in seg.words:
                words.append(
                    {
                        "word": w.word,
                        "start": float(w.start),
                        "end": float(w.end),
                        "probability": float(w.probability or 0.0),
                    }
                )
        out["segments"] = len(result.segments)
    out["words"] = words
    times["total_in_process"] = time.perf_counter() - t0
    Path(args.out).write_text(json.dumps(out), encoding="utf-8")
    return 0 if result is not None else 4


if __name__ == "__main__":
    raise SystemExit(main())
