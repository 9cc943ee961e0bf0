"""turnalign against its peers: same audio, same model, same machine, one run.

Tools (each run in a fresh subprocess, so wall time and peak RSS are its own):

- ``turnalign``: ``python -m align -q align AUDIO TRANSCRIPT --format json`` with the
  model, ``--device cpu --compute-type int8 --language en``, once per ``--refine`` mode
  the CLI offers (the default mode is marked).
- ``stable-ts``: ``model.align(audio, text, language="en")`` on a faster-whisper model
  loaded from the same CTranslate2 folder (``scripts/_stable_ts_runner.py``), in its own
  venv (``.bench/stable-venv``: torch and torchaudio stay out of turnalign's
  dependencies). ``text`` is every turn's tokens joined by single spaces; stable-ts's
  words are mapped back onto turns by position (see ``map_words_to_turns``).
- ``encoder`` (the floor under every Whisper aligner): the encoder alone over each 30 s,
  two windows at a time (``scripts/_encoder_floor_runner.py``).
- ``faster-whisper`` (the transcription floor): plain transcription with word timestamps, same
  decoding options as turnalign's engine (``scripts/_floor_runner.py``). It has no
  turns; its accuracy is the word boundary error of the words it heard that match truth
  words by text over the whole file.

Accuracy is scored with ``align.evaluation`` against ``conv_dev.truth.json`` after turning
each tool's output into a ``Result``. Speed: realtime factor = process wall time / audio
duration (min over repeats), CPU time (user+sys, min over repeats) and peak RSS (max over
repeats), from ``os.wait4`` on each tool's process. A stage profile of one turnalign run
(``scripts/_profile_turnalign.py``) says where its time goes.

    .venv/bin/python scripts/bench.py                   # tiny.en and base: 10-15 min on 2 cores
    .venv/bin/python scripts/bench.py --models tiny.en --repeats 1   # quicker

It writes ``docs/benchmarks_peers.md`` (tables + the command that made them) and
``docs/bench_results.json`` (every run and every score). Creating the peer venv
(``--setup``, automatic when it is missing) downloads about 7 GB once.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from align.evaluation import EvalReport, evaluate, read_reference, read_result  # noqa: E402
from align.model import (  # noqa: E402
    AudioInfo,
    EngineInfo,
    Result,
    TranscriptInfo,
    Turn,
    TurnStatus,
    Word,
)
from align.transcript import read_transcript  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench_report import kept_tail, markdown  # noqa: E402

SCHEMA = "turnalign-bench-peers/1"
DEFAULT_DATA = REPO.parent / "shared" / "bench"
DEFAULT_PEER_VENV = REPO / ".bench" / "stable-venv"
PEER_REQUIREMENTS = REPO / "scripts" / "requirements-bench.txt"
# Installed first, alone, so the requirements file cannot pull another torch build.
PEER_TORCH = ("torch==2.9.1", "torchaudio==2.9.*")
SCRIPTS = REPO / "scripts"
COMPUTE_TYPE = "int8"
DEVICE = "cpu"
LANGUAGE = "en"
TRANSCRIPTS = ("clean", "noisy")
# A word whose end is at most this after its start has no duration (stable-ts writes
# such "instant" words where a segment fails to align).
_INSTANT_WORD_S = 1e-3


# -- running one tool ------------------------------------------------------------------------
def measure(
    cmd: Sequence[str], log_path: Path, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run ``cmd`` to completion; its wall time, CPU time and peak RSS (``os.wait4``)."""
    load_before = os.getloadavg()[0]
    with log_path.open("wb") as log:
        t = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=log, stderr=subprocess.STDOUT, cwd=REPO, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return {
        "rc": proc.returncode,
        "wall_s": round(wall, 3),
        "user_s": round(usage.ru_utime, 3),
        "sys_s": round(usage.ru_stime, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # ru_maxrss is KiB on Linux
        "load_avg_1m_before": round(load_before, 2),
        "log": str(log_path),
    }


def _log_tail(path: str, n: int = 3) -> str:
    lines = Path(path).read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return " | ".join(line.strip()[:200] for line in lines[-n:])


# -- turning each tool's output into a Result ------------------------------------------------
_NORM = re.compile(r"[^\w']+")


def _norm(token: str) -> str:
    return _NORM.sub("", token.lower().replace("\u2019", "'")).strip("'")


def map_words_to_turns(
    turn_tokens: Sequence[Sequence[str]], words: Sequence[dict[str, Any]]
) -> tuple[list[list[dict[str, Any] | None]], dict[str, int]]:
    """Give each transcript token the stable-ts word aligned to it (or None).

    stable-ts aligned the text we gave it (every token, joined by single spaces) and
    splits it back into words at spaces, so when the counts agree word k is token k, and
    the turns are cut by their token counts: turn 0 takes words [0, n0), turn 1 the next
    n1, and so on. When the counts differ (stable-ts dropped or merged words), tokens are
    paired with words by normalized text (difflib; an equal-length replaced run pairs by
    position) and the rest get None. Returns the per-turn lists and mapping counts.
    """
    flat = [tok for toks in turn_tokens for tok in toks]
    paired: list[dict[str, Any] | None] = [None] * len(flat)
    stats = {
        "tokens": len(flat),
        "tool_words": len(words),
        "by_position": 0,
        "by_text": 0,
        "text_disagrees": 0,
    }
    if len(words) == len(flat):
        paired = list(words)
        stats["by_position"] = len(flat)
        stats["text_disagrees"] = sum(
            _norm(t) != _norm(str(w["word"])) for t, w in zip(flat, words, strict=True)
        )
    else:
        a = [_norm(t) or f"\0{k}" for k, t in enumerate(flat)]
        b = [_norm(str(w["word"])) or f"\1{k}" for k, w in enumerate(words)]
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
                for k in range(i2 - i1):
                    paired[i1 + k] = words[j1 + k]
                stats["by_text"] += i2 - i1
    out: list[list[dict[str, Any] | None]] = []
    k = 0
    for toks in turn_tokens:
        out.append(paired[k : k + len(toks)])
        k += len(toks)
    return out, stats


def _word(text: str, w: dict[str, Any] | None, duration_s: float) -> Word:
    if w is None:
        return Word(text, None, None, "not_found")
    start = min(max(0.0, float(w["start"])), duration_s)
    end = min(max(start, float(w["end"])), duration_s)
    return Word(text, start, end, "matched", confidence=float(w.get("probability") or 0.0))


def tool_result(
    tool: str,
    model: str,
    transcript_path: Path,
    audio_path: Path,
    duration_s: float,
    words: Sequence[dict[str, Any]],
) -> tuple[Result, dict[str, int]]:
    """A ``Result`` for a peer's words on a transcript (every mapped word ``matched``)."""
    tr = read_transcript(transcript_path)
    per_turn, stats = map_words_to_turns([t.tokens for t in tr.turns], words)
    turns = []
    for i, (t, ws) in enumerate(zip(tr.turns, per_turn, strict=True)):
        mapped = [_word(tok, w, duration_s) for tok, w in zip(t.tokens, ws, strict=True)]
        # Peers may emit words out of order; a turn spans its earliest start and latest end.
        starts = [w.start for w in mapped if w.start is not None]
        ends = [w.end for w in mapped if w.end is not None]
        start, end = (min(starts), max(ends)) if starts else (None, None)
        status: TurnStatus = "aligned" if starts else "not_found"
        turns.append(Turn(i, t.speaker, " ".join(t.tokens), start, end, status, tuple(mapped)))
    result = Result(
        audio=AudioInfo(str(audio_path), duration_s),
        transcript=TranscriptInfo(str(transcript_path), tr.format, tr.front_matter),
        engine=EngineInfo(tool, model, DEVICE, COMPUTE_TYPE, LANGUAGE),
        turns=tuple(turns),
    )
    return result, stats


def floor_result(
    model: str, audio_path: Path, duration_s: float, words: Sequence[dict[str, Any]]
) -> Result:
    """The floor's heard words as one turn-less stretch (scored on words only)."""
    ws = tuple(_word(str(w["word"]), w, duration_s) for w in words)
    starts = [w.start for w in ws if w.start is not None]
    ends = [w.end for w in ws if w.end is not None]
    turn = Turn(0, "", " ".join(w.text for w in ws), min(starts), max(ends), "aligned", ws)
    return Result(
        audio=AudioInfo(str(audio_path), duration_s),
        transcript=TranscriptInfo("(none: transcription)", "none", ""),
        engine=EngineInfo("faster-whisper", model, DEVICE, COMPUTE_TYPE, LANGUAGE),
        turns=(turn,),
    )


# -- scores --------------------------------------------------------------------------------
def summarize(report: EvalReport, result: Result) -> dict[str, Any]:
    """The numbers the tables show, from one ``EvalReport``."""
    out: dict[str, Any] = {"turn_map": report.turn_map_method}
    t = report.turns
    if t is not None:
        out["turns"] = {
            "mapped": t.n_mapped,
            "not_found": t.n_not_found,
            "extra": t.n_extra,
            "extra_timed": t.extra_turns_timed,
            "start_median_ms": _ms(t.start.median_s),
            "start_p95_ms": _ms(t.start.p95_s),
            "end_median_ms": _ms(t.end.median_s),
            "end_p95_ms": _ms(t.end.p95_s),
            "start_within": {f"{w.tolerance_s * 1000:g}ms": w.share for w in t.start.within},
            "end_within": {f"{w.tolerance_s * 1000:g}ms": w.share for w in t.end.within},
            "both_within": {f"{w.tolerance_s * 1000:g}ms": w.share for w in t.both_within},
        }
    for w in report.words:
        out[f"words_{w.grade}"] = {
            "reference": w.n_reference,
            "matched": w.n_matched,
            "untimed": w.n_not_timed,
            "boundary_median_ms": _ms(w.boundaries.median_s),
            "boundary_p95_ms": _ms(w.boundaries.p95_s),
            "within": {f"{x.tolerance_s * 1000:g}ms": x.share for x in w.boundaries.within},
        }
    d = report.detection
    out["flags"] = {
        "not_in_audio": d.not_in_audio_flags,
        "not_in_audio_false": d.not_in_audio_false,
        "recall": {k.kind: k.recall for k in d.kinds},
    }
    all_words = [w for turn in result.turns for w in turn.words]
    out["instant_words"] = sum(
        1
        for w in all_words
        if w.start is not None and w.end is not None and w.end - w.start <= _INSTANT_WORD_S
    )
    out["untimed_words"] = sum(1 for w in all_words if w.start is None)
    return out


def _ms(x: float | None) -> float | None:
    return None if x is None else round(1000 * x, 1)


def score(result: Result, truth: Path, words_only: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    ref = read_reference(truth)
    if words_only:  # the floor: no turns, pair words by text over the whole file
        ref = replace(
            ref,
            turns=(),
            words=tuple(replace(w, turn=None) for w in ref.words),
            corruptions=(),
            noisy_turn_map=None,
        )
    report = evaluate(result, ref)
    return summarize(report, result), report.to_dict()


# -- environment -----------------------------------------------------------------------------
def ensure_peer_venv(venv: Path, setup: str) -> str | None:
    """Create and fill the stable-ts venv if asked or missing; a reason when unusable."""
    py = venv / "bin" / "python"
    ok = (
        py.is_file()
        and subprocess.run(
            [str(py), "-c", "import stable_whisper, torchaudio, faster_whisper"],
            capture_output=True,
        ).returncode
        == 0
    )
    if ok and setup != "force":
        return None
    if setup == "never":
        return f"peer venv {venv} is missing or broken; run with --setup auto"
    print(f"bench: creating the stable-ts venv in {venv} (about 7 GB, once)", file=sys.stderr)
    steps = [
        ["python3", "-m", "venv", str(venv)],
        [str(venv / "bin" / "pip"), "install", "-q", *PEER_TORCH],
        [str(venv / "bin" / "pip"), "install", "-q", "-r", str(PEER_REQUIREMENTS)],
    ]
    for step in steps:
        if subprocess.run(step).returncode != 0:
            return f"setting up the peer venv failed at: {shlex.join(step)}"
    return None


def _versions_here() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("turnalign", "faster-whisper", "ctranslate2", "av", "numpy", "pocketsphinx"):
        with contextlib.suppress(PackageNotFoundError):
            out[dist] = version(dist)
    return out


def _machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024**2, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "gpu": "none used (device cpu)",
    }


def _git() -> dict[str, Any]:
    def git(*a: str) -> str:
        r = subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True)
        return r.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_files": len(git("status", "--porcelain").splitlines()),
    }


def _refine_modes() -> tuple[list[str], str]:
    """The ``--refine`` choices the CLI offers and its default (from ``align.refine``)."""
    help_text = subprocess.run(
        [sys.executable, "-m", "align", "align", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
    ).stdout
    m = re.search(r"--refine \{([^}]*)\}", help_text)
    modes = m.group(1).split(",") if m else []
    try:
        from align.refine import DEFAULT_MODE

        default = str(DEFAULT_MODE)
    except ImportError:
        default = "none"
    return modes, default


# -- the run ---------------------------------------------------------------------------------
def _pick_modes(offered: Sequence[str], wanted: str, default_mode: str) -> list[str]:
    """``wanted`` is "all" (every mode the CLI offers) or a comma list ("default" allowed)."""
    if wanted == "all":
        return list(offered)
    names = [default_mode if m.strip() == "default" else m.strip() for m in wanted.split(",")]
    return [m for m in offered if m in names] or [default_mode]


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    data: Path = args.data_dir
    audio_path = data / "conv_dev.flac"
    truth = data / "conv_dev.truth.json"
    for p in (audio_path, truth, *(data / f"conv_dev.{v}.txt" for v in args.transcripts)):
        if not p.is_file():
            raise SystemExit(f"bench: missing {p} (benchmark data lives in ../shared/bench)")
    import audio as audio_pkg
    from align.engines.models import resolve_model_dir

    duration_s = audio_pkg.probe_duration_s(audio_path)
    work = Path(tempfile.mkdtemp(prefix="turnalign-bench-"))
    modes, default_mode = _refine_modes()
    all_modes = modes
    modes = _pick_modes(all_modes, args.refine_modes, default_mode)
    modes_other = _pick_modes(all_modes, args.refine_modes_other, default_mode)
    peer_problem = None
    if "stable-ts" in args.tools:
        peer_problem = ensure_peer_venv(args.peer_venv, args.setup)
        if peer_problem:
            print(f"bench: stable-ts skipped: {peer_problem}", file=sys.stderr)
    peer_py = str(args.peer_venv / "bin" / "python")
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "command": _command_line(),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": _machine(),
        "git": _git(),
        "versions": {"project_venv": _versions_here()},
        "audio": {"path": str(audio_path), "duration_s": round(duration_s, 3)},
        "truth": str(truth),
        "settings": {
            "device": DEVICE,
            "compute_type": COMPUTE_TYPE,
            "language": LANGUAGE,
            "threads": "engine default",
            "refine_modes": modes,
            "refine_modes_other_models": modes_other,
            "refine_default": default_mode,
        },
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
        "runs": [],
        "notes": [],
    }
    if peer_problem:
        out["notes"].append(f"stable-ts not run: {peer_problem}")
    runs: dict[tuple[str, str, str], dict[str, Any]] = {}

    def record(key: tuple[str, str, str], meta: dict[str, Any], m: dict[str, Any]) -> dict:
        row = runs.setdefault(key, {**meta, "repeats": []})
        row["repeats"].append(m)
        return row

    for model in args.models:
        model_dir = resolve_model_dir(model)
        if model_dir is None:
            raise SystemExit(f"bench: model {model!r} is not bundled; use tiny.en or base")
        reps = args.repeats if model == args.models[0] else args.repeats_other
        for rep in range(reps):
            print(f"bench: {model} repeat {rep + 1}/{reps}", file=sys.stderr)
            if "faster-whisper" in args.tools:
                key = ("faster-whisper", model, "-")
                dest = work / f"floor-{model}-{rep}.json"
                m = measure(
                    [
                        sys.executable,
                        str(SCRIPTS / "_floor_runner.py"),
                        "--audio",
                        str(audio_path),
                        "--model-dir",
                        str(model_dir),
                        "--out",
                        str(dest),
                    ],
                    work / f"floor-{model}-{rep}.log",
                )
                m["output"] = str(dest)
                record(
                    key,
                    {
                        "tool": "faster-whisper",
                        "label": "faster-whisper transcribe (floor)",
                        "model": model,
                        "transcript": "-",
                    },
                    m,
                )
            if "encoder" in args.tools:
                dest = work / f"encoder-{model}-{rep}.json"
                runner = str(SCRIPTS / "_encoder_floor_runner.py")
                cmd = [sys.executable, runner, "--audio", str(audio_path),
                       "--model-dir", str(model_dir), "--out", str(dest)]  # fmt: skip
                m = measure(cmd, work / f"encoder-{model}-{rep}.log")
                m["output"] = str(dest)
                record(
                    ("encoder", model, "-"),
                    {
                        "tool": "encoder",
                        "label": "encoder only (floor)",
                        "model": model,
                        "transcript": "-",
                    },
                    m,
                )
            for variant in args.transcripts:
                tpath = data / f"conv_dev.{variant}.txt"
                if "turnalign" in args.tools:
                    for mode in modes if model == args.models[0] else modes_other:
                        odir = work / f"ta-{model}-{variant}-{mode}-{rep}"
                        align_args = _align_args(audio_path, tpath, odir, model)
                        cmd = [sys.executable, "-m", "align", *align_args, "--refine", mode]
                        m = measure(cmd, work / f"ta-{model}-{variant}-{mode}-{rep}.log")
                        m["output"] = str(odir / f"{tpath.stem}.json")
                        label = f"turnalign --refine {mode}"
                        if mode == default_mode:
                            label += " (default)"
                        record(
                            ("turnalign:" + mode, model, variant),
                            {
                                "tool": "turnalign",
                                "label": label,
                                "model": model,
                                "transcript": variant,
                                "refine_requested": mode,
                                "cmd": shlex.join(cmd),
                            },
                            m,
                        )
                if "stable-ts" in args.tools and not peer_problem:
                    tr = read_transcript(tpath)
                    text_file = work / f"text-{variant}.txt"
                    text_file.write_text(
                        " ".join(" ".join(t.tokens) for t in tr.turns), encoding="utf-8"
                    )
                    dest = work / f"sts-{model}-{variant}-{rep}.json"
                    sts_reps = runs.get(("stable-ts", model, variant), {}).get("repeats", [])
                    if len(sts_reps) >= args.stable_repeats:
                        continue
                    m = measure(
                        [
                            peer_py,
                            str(SCRIPTS / "_stable_ts_runner.py"),
                            "--audio",
                            str(audio_path),
                            "--text",
                            str(text_file),
                            "--model-dir",
                            str(model_dir),
                            "--device",
                            DEVICE,
                            "--compute-type",
                            COMPUTE_TYPE,
                            "--language",
                            LANGUAGE,
                            "--out",
                            str(dest),
                        ],
                        work / f"sts-{model}-{variant}-{rep}.log",
                    )
                    m["output"] = str(dest)
                    record(
                        ("stable-ts", model, variant),
                        {
                            "tool": "stable-ts",
                            "label": "stable-ts align()",
                            "model": model,
                            "transcript": variant,
                        },
                        m,
                    )
        if args.profile and model == args.models[0]:
            out["profile"] = profile_turnalign(
                audio_path,
                data / f"conv_dev.{args.transcripts[0]}.txt",
                model,
                work,
                args.experiments,
            )
    for row in runs.values():
        finish_row(row, audio_path, truth, duration_s, data)
        out["runs"].append(row)
    out["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    out["ratios"] = ratios(out["runs"], default_mode)
    out["work_dir"] = str(work)
    return out


def finish_row(
    row: dict[str, Any], audio_path: Path, truth: Path, duration_s: float, data: Path
) -> None:
    """Speed from the repeats; accuracy from the last repeat that produced output."""
    reps = row["repeats"]
    # turnalign's exit 3 (transcript below --min-coverage) still writes its outputs.
    good_rc = (0, 3) if row["tool"] == "turnalign" else (0,)
    ok = [r for r in reps if r["rc"] in good_rc and Path(r["output"]).is_file()]
    row["ok_runs"] = len(ok)
    row["audio_s"] = round(duration_s, 3)
    notes: list[str] = []
    for r in reps:
        if r["rc"] != 0:
            notes.append(f"exit {r['rc']}: {_log_tail(r['log']) or '(no output)'}")
    if ok:
        row["wall_min_s"] = min(r["wall_s"] for r in ok)
        row["rtf"] = round(row["wall_min_s"] / duration_s, 4)
        row["cpu_min_s"] = min(r["cpu_s"] for r in ok)
        row["peak_rss_mb"] = max(r["peak_rss_mb"] for r in ok)
    elif row["tool"] == "stable-ts" and reps and Path(reps[-1]["output"]).is_file():
        ok = [reps[-1]]  # align() failed but the runner wrote what happened
    if not ok:
        row["notes"] = notes
        return
    # Accuracy from any run (they agree); the in-process split from the fastest.
    last = Path(min(ok, key=lambda r: r["wall_s"])["output"])
    if row["tool"] == "turnalign":
        result = read_result(last)
        row["refine_applied"] = result.refine
        row["accuracy"], row["eval"] = score(result, truth, words_only=False)
    else:
        raw = json.loads(last.read_text(encoding="utf-8"))
        row["versions"] = raw.get("versions", {})
        row["in_process_s"] = {k: round(v, 3) for k, v in raw.get("times_s", {}).items()}
        if raw.get("error"):
            notes.append(f"stable-ts: {raw['error']}")
        for w in raw.get("warnings", []):
            notes.append(f"warning: {w}")
        if row["tool"] == "encoder":
            row["windows"] = raw.get("windows")
        elif row["tool"] == "faster-whisper":
            res = floor_result(row["model"], audio_path, duration_s, raw["words"])
            row["accuracy"], row["eval"] = score(res, truth, words_only=True)
            row["heard_words"] = len(raw["words"])
        elif raw.get("words"):
            tpath = data / f"conv_dev.{row['transcript']}.txt"
            res, stats = tool_result(
                "stable-ts", row["model"], tpath, audio_path, duration_s, raw["words"]
            )
            row["mapping"] = stats
            row["accuracy"], row["eval"] = score(res, truth, words_only=False)
    row["notes"] = notes


def ratios(rows: Sequence[dict[str, Any]], default_mode: str) -> list[dict[str, Any]]:
    """turnalign (each refine mode) and the floor over stable-ts: wall and CPU time."""
    out = []
    sts = {
        (r["model"], r["transcript"]): r
        for r in rows
        if r["tool"] == "stable-ts" and "wall_min_s" in r
    }
    for r in rows:
        if "wall_min_s" not in r or r["tool"] == "stable-ts":
            continue
        variants = [r["transcript"]] if r["tool"] == "turnalign" else list(TRANSCRIPTS)
        for variant in variants:
            peer = sts.get((r["model"], variant))
            if peer is None:
                continue
            out.append(
                {
                    "tool": r["tool"],
                    "model": r["model"],
                    "transcript": variant,
                    "refine": r.get("refine_requested", "-"),
                    "default": r.get("refine_requested") == default_mode,
                    "wall_ratio": round(r["wall_min_s"] / peer["wall_min_s"], 3),
                    "cpu_ratio": round(r["cpu_min_s"] / peer["cpu_min_s"], 3),
                }
            )
    return out


def _align_args(audio_path: Path, tpath: Path, outdir: Path, model: str) -> list[str]:
    """``turnalign`` arguments for one run with the benchmark's model settings."""
    return ["-q", "align", str(audio_path), str(tpath), "-o", str(outdir), "--format", "json",
            "--model", model, "--device", DEVICE, "--compute-type", COMPUTE_TYPE,
            "--language", LANGUAGE]  # fmt: skip


def profile_turnalign(
    audio_path: Path, tpath: Path, model: str, work: Path, experiments: bool
) -> dict[str, Any]:
    """One staged turnalign run (default options) in a fresh process."""
    dest = work / "profile.json"
    cmd = [sys.executable, str(SCRIPTS / "_profile_turnalign.py"), "--out", str(dest)]
    if experiments:
        cmd.append("--experiments")
    cmd += ["--", *_align_args(audio_path, tpath, work / "profile-out", model)]
    print("bench: profiling one turnalign run", file=sys.stderr)
    m = measure(cmd, work / "profile.log")
    if not dest.is_file():
        return {"error": _log_tail(m["log"]), **m}
    prof = json.loads(dest.read_text(encoding="utf-8"))
    prof.update({"model": model, "transcript": tpath.name, "process": m})
    return prof


def _command_line() -> str:
    argv = [os.path.relpath(sys.argv[0], REPO)] + sys.argv[1:]
    return "cd " + "<repo>" + " && .venv/bin/python " + shlex.join(argv)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="tiny.en,base", help="comma list (default: tiny.en,base)")
    ap.add_argument("--transcripts", default="clean,noisy")
    ap.add_argument("--tools", default="turnalign,stable-ts,faster-whisper,encoder")
    ap.add_argument(
        "--refine-modes",
        default="all",
        help="turnalign --refine modes for the first model: 'all' the CLI offers, or "
        "a comma list ('default' names the CLI's default)",
    )
    ap.add_argument(
        "--refine-modes-other",
        default="none,default",
        help="the same, for models after the first (default: none,default)",
    )
    ap.add_argument("--repeats", type=int, default=2, help="repeats for the first model")
    ap.add_argument("--repeats-other", type=int, default=1, help="repeats for the other models")
    ap.add_argument(
        "--stable-repeats",
        type=int,
        default=2,
        help="at most this many stable-ts runs per model and transcript",
    )
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--peer-venv", type=Path, default=DEFAULT_PEER_VENV)
    ap.add_argument(
        "--setup",
        choices=["auto", "never", "force"],
        default="auto",
        help="create the stable-ts venv: when missing (auto), never, or anew",
    )
    ap.add_argument("--no-profile", dest="profile", action="store_false")
    ap.add_argument(
        "--no-experiments",
        dest="experiments",
        action="store_false",
        help="skip the faster-whisper option timings in the profile",
    )
    ap.add_argument("--out-md", type=Path, default=REPO / "docs" / "benchmarks_peers.md")
    ap.add_argument("--out-json", type=Path, default=REPO / "docs" / "bench_results.json")
    args = ap.parse_args(argv)
    args.models = [x.strip() for x in args.models.split(",") if x.strip()]
    args.transcripts = [x.strip() for x in args.transcripts.split(",") if x.strip()]
    args.tools = {x.strip() for x in args.tools.split(",") if x.strip()}
    if not set(args.transcripts) <= set(TRANSCRIPTS):
        ap.error(f"--transcripts takes {','.join(TRANSCRIPTS)}")
    if min(args.repeats, args.repeats_other, args.stable_repeats) < 1:
        ap.error("repeats must be >= 1")
    t0 = time.perf_counter()
    res = run_bench(args)
    res["bench_wall_s"] = round(time.perf_counter() - t0, 1)
    args.out_json.parent.mkdir(parents=True, exist_ok=True)
    args.out_json.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    md = markdown(res) + f"\nThe whole benchmark took {res['bench_wall_s'] / 60:.1f} min.\n"
    args.out_md.write_text(md + kept_tail(args.out_md), encoding="utf-8")
    print(f"bench: wrote {args.out_md} and {args.out_json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
