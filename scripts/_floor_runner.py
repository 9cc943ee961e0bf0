"""The floor: plain faster-whisper transcription with word timestamps, once, as JSON.

Started by ``scripts/bench.py`` in a fresh process so its wall time and peak RSS are its
own. It uses nothing from turnalign but the model folder ``bench.py`` passes in, and the
same decoding options turnalign's engine uses (beam 1, no conditioning on previous text,
language en, word timestamps, no VAD), so it is the cost turnalign cannot go below:
decode + transcribe, no transcript, no matching, no turns.

    .venv/bin/python scripts/_floor_runner.py --audio A.flac --model-dir DIR --out words.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--audio", required=True)
    ap.add_argument("--model-dir", required=True, help="CTranslate2 Whisper model folder")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--compute-type", default="int8")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--language", default="en")
    ap.add_argument("--beam-size", type=int, default=1)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    times: dict[str, float] = {}
    t0 = time.perf_counter()
    from faster_whisper import WhisperModel
    from faster_whisper import __version__ as fw_version
    from faster_whisper.audio import decode_audio

    times["import"] = time.perf_counter() - t0
    t = time.perf_counter()
    audio_np = decode_audio(args.audio, sampling_rate=16000)  # shape: (n,), float32
    times["decode"] = time.perf_counter() - t
    t = time.perf_counter()
    model = WhisperModel(
        args.model_dir,
        device=args.device,
        compute_type=args.compute_type,
        cpu_threads=args.threads,
        local_files_only=True,
    )
    times["load_model"] = time.perf_counter() - t
    t = time.perf_counter()
    segments, _info = model.transcribe(
        audio_np,
        language=args.language,
        beam_size=args.beam_size,
        word_timestamps=True,
        condition_on_previous_text=False,
        vad_filter=False,
    )
    words = [
        {
            "word": w.word.strip(),
            "start": float(w.start),
            "end": float(w.end),
            "probability": float(w.probability),
        }
        for seg in segments  # work happens while iterating
        for w in seg.words or ()
        if w.word.strip()
    ]
    times["transcribe"] = time.perf_counter() - t
    times["total_in_process"] = time.perf_counter() - t0
    out = {
        "tool": "faster-whisper",
        "versions": {"faster-whisper": fw_version},
        "audio_s": len(audio_np) / 16000,
        "times_s": times,
        "words": words,
    }
    Path(args.out).write_text(json.dumps(out), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
