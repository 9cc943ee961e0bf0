"""A 3-hour file end to end: wall time and peak memory of one ``turnalign align`` run.

Builds a long recording by repeating ``shared/bench/conv_dev.flac`` (309 s, four speakers)
35 times (3.0 h), written as 16 kHz mono FLAC with PyAV one block at a time, so building
it never holds more than the one source clip in memory; its transcript is the body of
``conv_dev.clean.txt`` repeated as often. Then runs ``turnalign align`` on the pair in a
subprocess (default engine: faster-whisper tiny.en, int8, CPU) and measures wall time and
the child's peak RSS (``/usr/bin/time -v`` when present, else ``getrusage``).

    python scripts/bench_long.py                         # build, run, print a JSON report
    python scripts/bench_long.py --copies 2 --refine none  # a quick try (10 min of audio)
    python scripts/bench_long.py --json long.json -- --no-rerun   # extra align arguments

Not a test: it takes minutes (Whisper runs at about 25x real time on 2 CPU cores).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DEFAULT_SOURCE = SHARED / "bench" / "conv_dev.flac"
DEFAULT_TRANSCRIPT = SHARED / "bench" / "conv_dev.clean.txt"
# 35 x 308.96 s = 10,814 s: just over three hours.
DEFAULT_COPIES = 35
# Seconds per frame handed to the FLAC encoder (PyAV re-blocks them to the codec's size).
_FRAME_S = 10
# Where the body of a transcript starts: its front matter is kept once, at the top.
_FIRST_LABEL_RE = re.compile(r"^Speaker \d+:", re.MULTILINE)
# The target for a 3-hour file.
TARGET_PEAK_RSS_MB = 1536


def build_audio(source: Path, copies: int, dst: Path) -> float:
    """Write ``source`` ``copies`` times over into ``dst`` (FLAC); return its duration (s).

    Only one copy of the source's samples (int16) is held; frames are encoded as they go.
    """
    sys.path.insert(0, str(REPO))
    import audio
    from audio import SAMPLE_RATE

    frame_samples = SAMPLE_RATE * _FRAME_S
    pcm = np.concatenate(
        [np.round(b.samples * 32767.0).astype(np.int16) for b in audio.iter_blocks(source)]
    )  # shape: (n,), int16, 16 kHz mono
    with av.open(str(dst), "w", format="flac") as out:
        stream = out.add_stream("flac", rate=SAMPLE_RATE, layout="mono")
        stream.codec_context.format = "s16"
        pts = 0
        for _ in range(copies):
            for lo in range(0, len(pcm), frame_samples):
                chunk = pcm[lo : lo + frame_samples]
                frame = av.AudioFrame.from_ndarray(chunk[None, :], format="s16", layout="mono")
                frame.sample_rate = SAMPLE_RATE
                frame.pts = pts
                pts += len(chunk)
                for packet in stream.encode(frame):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return pts / SAMPLE_RATE


def build_transcript(source: Path, copies: int, dst: Path) -> int:
    """Write the front matter of ``source`` once and its body ``copies`` times; return turns."""
    text = source.read_text(encoding="utf-8")
    m = _FIRST_LABEL_RE.search(text)
    if m is None:
        raise SystemExit(f"{source}: no 'Speaker N:' label found")
    front, body = text[: m.start()], text[m.start() :].strip()
    dst.write_text(front + "\n\n".join([body] * copies) + "\n", encoding="utf-8")
    return len(_FIRST_LABEL_RE.findall(body)) * copies


def _parse_time_v(stderr: str) -> dict[str, float]:
    """The figures we keep from GNU time's ``-v`` report."""
    fields = {
        "Maximum resident set size (kbytes)": "peak_rss_kb",
        "User time (seconds)": "user_s",
        "System time (seconds)": "sys_s",
    }
    found: dict[str, float] = {}
    for line in stderr.splitlines():
        key, _, value = line.strip().rpartition(": ")
        if key in fields:
            found[fields[key]] = float(value)
    return found


def run_align(audio_path: Path, transcript_path: Path, outdir: Path, extra: list[str]) -> dict:
    """Run ``turnalign align`` in a child process and measure it."""
    cmd = [
        sys.executable,
        "-m",
        "align",
        "align",
        str(audio_path),
        str(transcript_path),
        "-o",
        str(outdir),
        "--format",
        "json,srt",
        *extra,
    ]
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    full = [gnu_time, "-v", *cmd] if gnu_time else cmd
    t0 = time.perf_counter()
    proc = subprocess.run(full, capture_output=True, text=True, cwd=REPO)
    wall_s = time.perf_counter() - t0
    measured = _parse_time_v(proc.stderr) if gnu_time else {}
    if "peak_rss_kb" not in measured:  # no GNU time: the largest child we waited for
        measured["peak_rss_kb"] = float(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    tail = [ln for ln in proc.stderr.splitlines() if not ln.startswith("\t")][-12:]
    return {
        "command": " ".join(cmd[2:]),
        "exit_code": proc.returncode,
        "wall_s": round(wall_s, 1),
        "user_s": measured.get("user_s"),
        "sys_s": measured.get("sys_s"),
        "peak_rss_mb": round(measured["peak_rss_kb"] / 1024, 1),
        "rss_measured_by": "/usr/bin/time -v" if gnu_time else "getrusage(RUSAGE_CHILDREN)",
        "stderr_tail": tail,
    }


def summarize(result_json: Path) -> dict:
    """Coverage and turn counts from the result the run wrote."""
    doc = json.loads(result_json.read_text(encoding="utf-8"))
    turns = doc["turns"]
    return {
        "turns": len(turns),
        "turns_aligned": sum(1 for t in turns if t["status"] == "aligned"),
        "quality": doc.get("quality"),
        "refine": doc.get("refine"),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="audio to repeat")
    ap.add_argument("--transcript", type=Path, default=DEFAULT_TRANSCRIPT, help="its transcript")
    ap.add_argument("--copies", type=int, default=DEFAULT_COPIES, help="repeats (default: 35)")
    ap.add_argument(
        "--workdir", type=Path, default=None, help="where to build (default: a temp dir)"
    )
    ap.add_argument("--keep", action="store_true", help="keep the built files")
    ap.add_argument("--refine", choices=["none", "fast", "full"], default=None)
    ap.add_argument("--json", type=Path, default=None, help="also write the report here")
    ap.add_argument("extra", nargs="*", help="more arguments for turnalign align (after --)")
    args = ap.parse_args()
    for p in (args.source, args.transcript):
        if not p.is_file():
            print(f"bench_long: {p} not found (benchmark data lives in ../shared)", file=sys.stderr)
            return 2

    work = args.workdir or Path(tempfile.mkdtemp(prefix="turnalign_long_"))
    work.mkdir(parents=True, exist_ok=True)
    audio_path = work / f"long_{args.copies}x.flac"
    transcript_path = work / f"long_{args.copies}x.txt"
    t0 = time.perf_counter()
    duration_s = build_audio(args.source, args.copies, audio_path)
    n_turns = build_transcript(args.transcript, args.copies, transcript_path)
    build_s = time.perf_counter() - t0
    extra = list(args.extra)
    if args.refine:
        extra += ["--refine", args.refine]
    run = run_align(audio_path, transcript_path, work / "out", extra)
    report = {
        "audio_s": round(duration_s, 1),
        "audio_h": round(duration_s / 3600, 3),
        "audio_mb": round(audio_path.stat().st_size / 2**20, 1),
        "transcript_turns": n_turns,
        "build_s": round(build_s, 1),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        **run,
        "realtime_factor": round(duration_s / run["wall_s"], 1) if run["wall_s"] else None,
        "peak_rss_target_mb": TARGET_PEAK_RSS_MB,
    }
    result_json = work / "out" / f"{transcript_path.stem}.json"
    if result_json.is_file():
        report.update(summarize(result_json))
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    if not args.keep and args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if run["exit_code"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
