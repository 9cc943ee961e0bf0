"""Issue 15's stress suite: hard cases built from real recordings, aligned and scored.

    python scripts/stress_suite.py [--shared ../shared] [--out .bench/stress] [--json F]

Cases, all from ``shared/bench/conv_dev`` and ``shared/data/real`` (``align.evaluation.splice``;
no synthetic speech):

- ``base``: conv_dev as it is, clean and noisy transcripts.
- ``a_noise``: its noise floor raised to about -30 dBFS (Gaussian noise added), clean and
  noisy transcripts.
- ``b_repeats``: six gold-aligned words ("i", "the", "and", ...) said twice: each word's own
  audio spliced in after itself and the token written twice. Every copy must be timed.
- ``b_phrases``: six two-word phrases said without a pause ("this is", "I have"), said twice
  the same way ("this is this is"). Both copies must be timed.
- ``c_backchannels``: real one-word clips ("yeah", "okay", "uh", "alright", "um", cut at
  their gold word times in the MFA corpora) inserted into pauses as one-word turns.
- ``d_cut``: three turns' audio (and the pause after each) cut out; the transcript keeps
  them. They must stay ``not_in_audio``, their neighbours unstretched.
- ``long``: an hour: conv_dev's turns twelve times over, each pass shuffled (clean
  transcript). No spoken turn may be lost, and no turn edge be more than 1 s off.
- ``clean_files``: the other real recordings with exact text (the bundled example, scored
  against MFA's word alignments of it, and every ``D_derived_pocketsphinx`` file), for false
  ``not_in_audio`` per 1,000 words.

Per case: spoken turns with start and end within 250 ms, lost turns (spoken, not found),
false ``not_in_audio``, ``substitution`` reports (and the false ones: on an exact transcript,
all), ``not_in_transcript`` reports, recall of the real corruptions, untimed spoken words,
wall time.
Runs ``turnalign align`` in this process with the CLI's defaults, one case at a time.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

import audio
from align.cli import main as cli_main
from align.evaluation import evaluate, read_reference
from align.evaluation.splice import (
    Conversation,
    level_dbfs,
    pauses,
    pick_phrases,
    pick_repeats,
    shuffled_copies,
)
from align.model import Result

TOLERANCE_S = 0.25
NOISE_DBFS = -30.0
NOISE_SEED = 15
REPEAT_WORDS = ("i", "the", "and", "a", "we", "so", "to", "that", "it", "is", "of", "in")
N_REPEATS = 6
# Two-word phrases said twice ("it took it took") are picked from words said without a pause.
PHRASE_GAP_S = 0.05
# (file under A_word_level, gold word, its start and end in s, token to write).
BACKCHANNELS = (
    ("mfa_cold_corpus3/cold_corpus3.wav", "yeah", 18.37, 18.60, "Yeah."),
    ("mfa_cold_corpus3/cold_corpus3.wav", "okay", 5.67, 5.92, "Okay."),
    ("mfa_cold_corpus/cold_corpus.wav", "uh", 1.24, 1.67, "Uh."),
    ("mfa_cold_corpus3/cold_corpus3.wav", "alright", 0.88, 1.32, "Alright."),
    ("mfa_cold_corpus3/cold_corpus3.wav", "um", 6.52, 7.11, "Um."),
)
MIN_BACKCHANNEL_PAUSE_S = 1.0
CUT_TURNS = (12, 26, 40)
LONG_COPIES = 12
_MARKUP = re.compile(r"^[\[<].*[\]>]$")


def write_flac(samples: NDArray[np.float32], path: Path) -> None:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("flac", rate=audio.SAMPLE_RATE, layout="mono")
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
        frame.sample_rate = audio.SAMPLE_RATE
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def build_cases(shared: Path) -> dict[str, tuple[Conversation, str | None]]:
    """name -> (conversation, which conv_dev transcript: None for the edited clean one)."""
    bench = shared / "bench"
    samples = audio.load(bench / "conv_dev.flac").samples
    truth = json.loads((bench / "conv_dev.truth.json").read_text("utf-8"))
    base = Conversation.load(samples, (bench / "conv_dev.clean.txt").read_text("utf-8"), truth)
    cases: dict[str, tuple[Conversation, str | None]] = {}
    cases["base_clean"] = (base, "clean")
    cases["base_noisy"] = (base, "noisy")
    noisy = base.copy()
    noisy.add_noise(NOISE_DBFS, NOISE_SEED)
    cases["a_noise_clean"] = (noisy, "clean")
    cases["a_noise_noisy"] = (noisy, "noisy")
    rep = base.copy()
    for turn, word in sorted(pick_repeats(rep, REPEAT_WORDS, N_REPEATS), reverse=True):
        rep.repeat_word(turn, word)
    cases["b_repeats"] = (rep, None)
    phrases = base.copy()
    for turn, word in sorted(pick_phrases(phrases, 2, N_REPEATS, PHRASE_GAP_S), reverse=True):
        phrases.repeat_word(turn, word, 2)
    cases["b_phrases"] = (phrases, None)
    back = base.copy()
    real = shared / "data" / "real" / "A_word_level"
    speech_db = np.median([level_dbfs(_span(base.samples, t.words)) for t in base.turns])
    gaps = pauses(back, MIN_BACKCHANNEL_PAUSE_S)
    step = max(1, len(gaps) // len(BACKCHANNELS))
    chosen = [gaps[k * step] for k in range(len(BACKCHANNELS))]
    for (_, a, b), (rel, said, s0, s1, token) in sorted(
        zip(chosen, BACKCHANNELS), key=lambda x: -x[0][1]
    ):
        src = audio.load(real / rel).samples
        clip = src[round(s0 * audio.SAMPLE_RATE) : round(s1 * audio.SAMPLE_RATE)].copy()
        clip *= np.float32(10 ** ((speech_db - level_dbfs(clip)) / 20))
        back.insert_turn((a + b) / 2, clip, "Speaker 10", token, said)
    cases["c_backchannels"] = (back, None)
    cut = base.copy()
    for turn in sorted(CUT_TURNS, reverse=True):
        cut.remove_turn_audio(turn)
    cases["d_cut"] = (cut, None)
    cases["long"] = (shuffled_copies(base, LONG_COPIES, NOISE_SEED), None)
    return cases


def _span(samples: NDArray[np.float32], words: list[dict[str, Any]]) -> NDArray[np.float32]:
    a, b = words[0]["start"], words[-1]["end"]
    return samples[round(a * audio.SAMPLE_RATE) : round(b * audio.SAMPLE_RATE)]


def clean_files(shared: Path, out: Path) -> list[tuple[str, Path, Path, Path]]:
    """(name, audio, transcript, reference) of the other real recordings with exact text."""
    files = [("example", Path("examples/michaelandsickmichael.flac"),
              Path("examples/michaelandsickmichael.txt"),
              Path("examples/michaelandsickmichael.words.TextGrid"))]  # fmt: skip
    derived = shared / "data" / "real" / "D_derived_pocketsphinx"
    index = json.loads((derived / "index.json").read_text("utf-8"))
    for words_name, audio_rel, _count in index:  # [words file, audio path, word count]
        words_path, audio_path = derived / words_name, shared / "data" / "real" / audio_rel
        if "michael" in words_path.name:  # the example, scored against MFA's words above
            continue
        data = json.loads(words_path.read_text("utf-8"))
        words = data["words"] if isinstance(data, dict) else data
        text = " ".join(w["word"] for w in words if not _MARKUP.match(w["word"]))
        transcript = out / f"{words_path.stem}.txt"
        transcript.write_text(f"Speaker 1:\n\n{text}\n", "utf-8")
        files.append((words_path.stem.replace(".words", ""), audio_path, transcript, words_path))
    return files


def run_align(audio_path: Path, transcript: Path, out: Path) -> tuple[Result, float]:
    t0 = time.perf_counter()
    code = cli_main(["-q", "align", str(audio_path), str(transcript), "-o", str(out),
                     "--format", "json"])  # fmt: skip
    wall = time.perf_counter() - t0
    if code not in (0, 3):
        raise SystemExit(f"turnalign align failed ({code}) on {audio_path}")
    result_path = out / f"{transcript.stem}.json"
    return Result.from_dict(json.loads(result_path.read_text("utf-8"))), wall


def score(result: Result, truth_path: Path, extra: dict[str, Any]) -> dict[str, Any]:
    """The suite's figures for one result."""
    ref = read_reference(truth_path)
    report = evaluate(result, ref)
    targets = report.turn_map
    spoken = [(i, j) for i, j in enumerate(targets) if j is not None]
    within = lost = within_1s = 0
    worst: list[tuple[float, int]] = []
    for i, j in spoken:
        turn, rt = result.turns[i], ref.turns[j]
        if turn.start is None or turn.end is None:
            lost += 1
            continue
        err = max(abs(turn.start - rt.start_s), abs(turn.end - rt.end_s))
        within += err <= TOLERANCE_S + 1e-6
        within_1s += err <= 1.0 + 1e-6
        worst.append((err, i))
    det = report.detection
    # A words-only reference has no turns: then every result turn counts as spoken.
    rows = [i for i, _ in spoken] if ref.turns else list(range(len(result.turns)))
    untimed = sum(
        1 for i in rows for w in result.turns[i].words if w.start is None
    )  # includes a duplicate's unspoken copy on noisy transcripts
    words = sum(len(result.turns[i].words) for i in rows)
    row: dict[str, Any] = {
        "spoken_turns": len(spoken),
        "within_250ms": within,
        "within_1s": within_1s,
        "lost_turns": lost,
        "worst_turns": [(round(e, 3), i) for e, i in sorted(worst, reverse=True)[:3]],
        "not_in_audio": det.not_in_audio_flags,
        "false_not_in_audio": det.not_in_audio_false,
        "recall": {k.kind: f"{k.detected}/{k.injected}" for k in det.kinds},
        "substitutions": det.substitution_flags,
        "false_substitutions": det.substitution_false,
        "not_in_transcript": det.not_in_transcript_flags,
        "words": words,
        "untimed_spoken_words": untimed,
        "evidence": _evidence(result),
    }
    row.update(extra)
    return row


def _evidence(result: Result) -> dict[str, int]:
    counts: dict[str, int] = {}
    for t in result.turns:
        for w in t.words:
            counts[str(w.evidence)] = counts.get(str(w.evidence), 0) + 1
    return counts


def _select(asked: list[str], names: list[str]) -> set[str]:
    """The case names ``asked`` selects (each a name or a prefix); an unknown one is an error."""
    out: set[str] = set()
    for a in asked:
        hits = [n for n in names if n == a or n.startswith(a + "_")]
        if not hits:
            raise SystemExit(f"stress_suite: unknown case {a!r}; cases: {', '.join(names)}")
        out.update(hits)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path("../shared"))
    ap.add_argument("--out", type=Path, default=Path(".bench/stress"))
    ap.add_argument("--json", type=Path, help="write every figure here")
    ap.add_argument(
        "--cases",
        help="comma-separated case names or their prefixes, e.g. a_noise for a_noise_clean and "
        "a_noise_noisy (default: all but long); clean_files for the other real recordings",
    )
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    asked = args.cases.split(",") if args.cases else None
    rows: dict[str, dict[str, Any]] = {}
    bench = args.shared / "bench"
    cases = build_cases(args.shared)
    wanted = None if asked is None else _select(asked, [*cases, "clean_files"])
    for name, (conv, which) in cases.items():
        if (wanted is not None and name not in wanted) or (wanted is None and name == "long"):
            continue  # the hour-long case runs only when asked for by name
        folder = args.out / name
        folder.mkdir(exist_ok=True)
        if name.startswith("base"):
            audio_path = bench / "conv_dev.flac"
        else:
            audio_path = folder / "audio.flac"
            write_flac(conv.samples, audio_path)
        truth_path = folder / "truth.json"
        if which is not None:
            truth_path = bench / "conv_dev.truth.json"
            transcript = folder / f"{which}.txt"
            transcript.write_text((bench / f"conv_dev.{which}.txt").read_text("utf-8"), "utf-8")
        else:
            truth_path.write_text(json.dumps(conv.truth(), indent=1), "utf-8")
            transcript = folder / "transcript.txt"
            transcript.write_text(conv.transcript(), "utf-8")
        result, wall = run_align(audio_path, transcript, folder)
        extra: dict[str, Any] = {"wall_s": round(wall, 2)}
        if which is None and conv.repeats():
            extra["repeats_timed"] = _repeats_timed(result, conv.repeats())
        rows[name] = score(result, truth_path, extra)
        print(name, json.dumps(rows[name]), flush=True)
    if wanted is None or "clean_files" in wanted:
        files_dir = args.out / "clean_files"
        files_dir.mkdir(exist_ok=True)
        for name, audio_path, transcript, ref in clean_files(args.shared, files_dir):
            result, wall = run_align(audio_path, transcript, files_dir)
            rows[f"clean:{name}"] = score(result, ref, {"wall_s": round(wall, 2)})
            print(name, json.dumps(rows[f"clean:{name}"]), flush=True)
    clean = [r for n, r in rows.items() if n.startswith("clean:") or n.endswith("_clean")
             or n in ("b_repeats", "b_phrases", "c_backchannels")]  # fmt: skip
    words = sum(r["words"] for r in clean)
    false = sum(r["false_not_in_audio"] for r in clean)
    false_subs = sum(r["false_substitutions"] for r in clean)
    summary = {"clean_words": words, "clean_false_not_in_audio": false,
               "per_1000_words": round(1000 * false / words, 2) if words else None,
               "clean_false_substitutions": false_subs,
               "substitutions_per_1000_words": round(1000 * false_subs / words, 2)
               if words else None}  # fmt: skip
    print(json.dumps(summary))
    if args.json:
        args.json.write_text(json.dumps({"cases": rows, "summary": summary}, indent=1), "utf-8")
    return 0


def _repeats_timed(result: Result, repeats: list[tuple[int, int, int]]) -> str:
    flagged = {
        (m.turn, k)
        for m in result.mismatches
        if m.kind == "not_in_audio" and m.turn is not None and m.word_start is not None
        for k in range(m.word_start, m.word_start + m.word_count)
    }
    ok = 0
    for turn, k, n in repeats:
        words = result.turns[turn].words
        both = [(turn, q) for q in range(k, k + 2 * n)]
        ok += all(words[q].start is not None for _, q in both) and not (set(both) & flagged)
    return f"{ok}/{len(repeats)}"


if __name__ == "__main__":
    sys.exit(main())
