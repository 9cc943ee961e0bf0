"""What a teacher-forced first pass would cost: Whisper's encoder plus CTranslate2's ``align``.

turnalign transcribes every window freely (greedy decoding), which is what finds duplicated
phrases, extra and missing turns and misheard words; stable-ts ``align()`` only force-aligns
the known text, one teacher-forced pass per 30 s. This script times the pieces of that
cheaper pass on one file, in one thread: features, the encoder on each 30 s window, and
``Whisper.align`` over the words the truth puts in the window (the best case: a real forced
pass would first have to find them). Compare with free decoding on the same audio, also
timed here. CPU seconds; one thread, so they add up to what two cores would share.

    python scripts/measure_forced_pass.py ../shared/bench/conv_dev.flac \\
        ../shared/bench/conv_dev.truth.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

import audio
from align.engines.models import resolve_model_dir

_WINDOW = 30 * audio.SAMPLE_RATE
_FRAMES = 3000  # mel frames in 30 s


def main() -> int:
    from faster_whisper import WhisperModel
    from faster_whisper.tokenizer import Tokenizer

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("audio", type=Path)
    ap.add_argument("truth", type=Path, help="truth JSON with timed words")
    ap.add_argument("--model", default="tiny.en")
    args = ap.parse_args()
    samples = audio.load(args.audio).samples
    words = json.loads(args.truth.read_text(encoding="utf-8"))["words"]
    folder = resolve_model_dir(args.model)
    model = WhisperModel(
        str(folder or args.model), device="cpu", compute_type="int8", cpu_threads=1
    )
    tok = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe",
                    language="en")  # fmt: skip
    cpu = {"features": 0.0, "encoder": 0.0, "align": 0.0}
    windows = 0
    for start in range(0, len(samples), _WINDOW):
        piece = samples[start : start + _WINDOW]
        t = time.process_time()
        feats = model.feature_extractor(piece)
        frames = min(feats.shape[-1], _FRAMES)
        feats = np.pad(feats, ((0, 0), (0, max(0, _FRAMES - feats.shape[-1]))))[:, :_FRAMES]
        cpu["features"] += time.process_time() - t
        t = time.process_time()
        encoded = model.encode(feats)
        cpu["encoder"] += time.process_time() - t
        s0, s1 = start / audio.SAMPLE_RATE, (start + len(piece)) / audio.SAMPLE_RATE
        text = " ".join(w["word"] for w in words if s0 <= w["start"] < s1)
        t = time.process_time()
        if text:
            model.model.align(encoded, tok.sot_sequence, [tok.encode(" " + text)], frames)
        cpu["align"] += time.process_time() - t
        windows += 1
    t = time.process_time()
    segments, _ = model.transcribe(samples, language="en", beam_size=1, word_timestamps=True,
                                   condition_on_previous_text=False)  # fmt: skip
    heard = sum(len(s.words or ()) for s in segments)
    free_cpu = time.process_time() - t
    report = {
        "audio_s": round(len(samples) / audio.SAMPLE_RATE, 1),
        "windows": windows,
        "forced_pass_cpu_s": {k: round(v, 2) for k, v in cpu.items()},
        "forced_pass_total_cpu_s": round(sum(cpu.values()), 2),
        "free_decoding_cpu_s": round(free_cpu, 2),
        "free_decoding_words": heard,
    }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
