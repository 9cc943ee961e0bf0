"""``turnalign batch``: manifests, failures per item, resumable runs, worker processes, Ray.

The end-to-end tests run the real model (tiny.en, ``--refine none``) on short real clips:
a 6-item manifest with 4 good items, one corrupt audio file and one missing transcript.
One uninterrupted run is the reference that the other backends and the killed-and-resumed
run must reproduce byte for byte. The rest use a fake engine and take milliseconds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from align.batch import BatchOptions, run_batch
from align.batch import worker as batch_worker
from align.batch.items import BatchItem, ItemOverrides, check_item_id, parse_options, safe_stem
from align.batch.manifest import pair_directory, read_manifest
from align.batch.state import lock_outdir
from align.cli import main
from align.engines.base import EngineOptions, Heard, HeardWord, ProgressFn, ScoreRequest
from align.errors import EXIT_BAD_INPUT, EXIT_BATCH_FAILURES, ManifestError, UsageError
from align.model import EngineInfo

REPO_ROOT = Path(__file__).resolve().parents[3]
JFK_FLAC = REPO_ROOT / "tests" / "data" / "jfk.flac"
EXAMPLE = REPO_ROOT / "examples" / "michaelandsickmichael"
JFK_TEXT = (
    "And so, my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
GOOD_IDS = ("jfk", "michael", "jfk_mp3", "jfk_wav")
# jfk first: it finishes early, so the kill test can stop the run inside the 52 s clip.
MANIFEST = (
    "audio,transcript,id,options\n"
    "jfk.flac,jfk.txt,jfk,\n"
    "michaelandsickmichael.flac,michaelandsickmichael.txt,michael,\n"
    "encoded/jfk.mp3,jfk.txt,jfk_mp3,\n"
    'encoded/jfk.wav,jfk.txt,jfk_wav,"format=json,vtt;language=en"\n'
    "corrupt.wav,jfk.txt,corrupt,\n"
    "jfk.flac,missing.txt,orphan,\n"
)
BASE_ARGS = ("--refine", "none", "--format", "json,srt")


@pytest.fixture(scope="module")
def inputs(
    tmp_path_factory: pytest.TempPathFactory, encode_audio: Callable[[Path, Path, str], Path]
) -> Path:
    """A folder with the 6-item manifest and its files (relative paths, one subfolder)."""
    root = tmp_path_factory.mktemp("batch_inputs")
    shutil.copy(JFK_FLAC, root / "jfk.flac")
    (root / "jfk.txt").write_text(f"President Kennedy:\n\n{JFK_TEXT}\n", encoding="utf-8")
    for ext in (".flac", ".txt"):
        shutil.copy(EXAMPLE.with_suffix(ext), root / f"michaelandsickmichael{ext}")
    (root / "encoded").mkdir()
    encode_audio(JFK_FLAC, root / "encoded" / "jfk.mp3", "mp3")
    encode_audio(JFK_FLAC, root / "encoded" / "jfk.wav", "pcm_s16le")
    (root / "corrupt.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVE" + os.urandom(4000))
    (root / "manifest.csv").write_text(MANIFEST, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def reference(inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One uninterrupted run, in process; returns its output folder."""
    out = tmp_path_factory.mktemp("batch_reference")
    code = main(["-q", "batch", str(inputs / "manifest.csv"), "-o", str(out), *BASE_ARGS])
    assert code == EXIT_BATCH_FAILURES
    return out


def _summary(out: Path) -> dict:
    return json.loads((out / "batch_summary.json").read_text(encoding="utf-8"))


def _tree(out: Path) -> dict[str, bytes]:
    """Every file a run leaves, by relative path, except the summary (it holds timings)."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != "batch_summary.json"
    }


# -- end to end, real model ------------------------------------------------------------


def test_good_items_written_and_bad_ones_reported(reference: Path) -> None:
    summary = _summary(reference)
    assert (summary["total"], summary["done"], summary["failed"], summary["skipped"]) == (
        6,
        4,
        2,
        0,
    )
    by_id = {item["id"]: item for item in summary["items"]}
    assert by_id["corrupt"]["error"] == "AudioDecodeError"
    assert "corrupt.wav" in by_id["corrupt"]["reason"]
    assert by_id["orphan"]["error"] == "TranscriptParseError"
    assert "missing.txt" in by_id["orphan"]["reason"]
    outputs = sorted(p.name for p in reference.iterdir() if p.is_file())
    assert outputs == sorted(
        [
            "batch_summary.json",
            "jfk.json",
            "jfk.srt",
            "michael.json",
            "michael.srt",
            "jfk_mp3.json",
            "jfk_mp3.srt",
            "jfk_wav.json",
            "jfk_wav.vtt",
        ]
    )
    for item_id in GOOD_IDS:
        result = json.loads((reference / f"{item_id}.json").read_text(encoding="utf-8"))
        assert result["quality"]["coverage"] > 0.8
        assert Path(result["audio"]["path"]).is_absolute()
    wav = json.loads((reference / "jfk_wav.json").read_text(encoding="utf-8"))
    assert wav["engine"]["language"] == "en"
    assert not list(reference.rglob("*.tmp"))


def test_rerun_skips_finished_items(reference: Path, inputs: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in reference.glob("jfk*.*")}
    code = main(["-q", "batch", str(inputs / "manifest.csv"), "-o", str(reference), *BASE_ARGS])
    assert code == EXIT_BATCH_FAILURES
    summary = _summary(reference)
    assert (summary["done"], summary["failed"], summary["skipped"]) == (0, 2, 4)
    assert {p: p.stat().st_mtime_ns for p in reference.glob("jfk*.*")} == before


def test_sigkill_midway_then_rerun_matches_uninterrupted(
    reference: Path, inputs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "align", "-q", "batch", str(inputs / "manifest.csv")]
    cmd += ["-o", str(out), *BASE_ARGS]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT)
    try:
        deadline = time.monotonic() + 120
        while not (out / "jfk.srt").exists():  # the first item's outputs are in place
            assert proc.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "michael.json").exists(), "killed too late to test anything"
    for path in out.glob("*.json"):  # whatever is in place is complete
        json.loads(path.read_text(encoding="utf-8"))
    rerun = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True)
    assert rerun.returncode == EXIT_BATCH_FAILURES, rerun.stderr
    summary = _summary(out)
    assert summary["failed"] == 2 and summary["done"] + summary["skipped"] == 4
    assert _tree(out) == _tree(reference)


def test_worker_processes_give_the_same_outputs(
    reference: Path, inputs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code = main(
        ["-q", "batch", str(inputs / "manifest.csv"), "-o", str(out), *BASE_ARGS, "--workers", "2"]
    )
    assert code == EXIT_BATCH_FAILURES
    assert _tree(out) == _tree(reference)


def test_ray_backend_gives_the_same_outputs(
    reference: Path, inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ray", reason="Ray is optional: pip install 'turnalign[ray]'")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)  # a local instance, started by batch
    out = tmp_path / "out"
    argv = ["-q", "batch", str(inputs / "manifest.csv"), "-o", str(out), *BASE_ARGS]
    code = main([*argv, "--backend", "ray", "--workers", "2"])
    assert code == EXIT_BATCH_FAILURES
    summary = _summary(out)
    assert summary["backend"] == "ray"
    assert summary["done"] == 4, [item["reason"] for item in summary["items"]]
    assert _tree(out) == _tree(reference)


# -- the same machinery with a fake engine (fast) --------------------------------------


class FakeEngine:
    """Hears the JFK sentence spread over whatever audio it gets."""

    def __init__(self, on_call: Callable[[int], None] | None = None) -> None:
        self.calls = 0
        self.languages: list[str | None] = []
        self._on_call = on_call

    @property
    def info(self) -> EngineInfo:
        return EngineInfo("fake", "fake", "cpu", "none", "en")

    @property
    def parallel(self) -> int:
        return 1

    def transcribe(
        self,
        samples: np.ndarray,
        *,
        offset_s: float = 0.0,
        language: str | None = None,
        prompt: str | None = None,
        on_progress: ProgressFn | None = None,
    ) -> Heard:
        self.calls += 1
        self.languages.append(language)
        if self._on_call is not None:
            self._on_call(self.calls)
        words = JFK_TEXT.split()
        step = len(samples) / 16000 / (len(words) + 1)
        heard = tuple(
            HeardWord(w, offset_s + i * step, offset_s + (i + 0.8) * step, 0.9)
            for i, w in enumerate(words)
        )
        return Heard(heard, "en")

    def score(self, request: ScoreRequest) -> tuple[tuple[float, ...], ...]:
        """No audio to read: every written word fits (so no "heard differently" stands)."""
        return tuple(tuple(1.0 for _ in text) for text in (*request.texts, *request.more))


def _loader(engine: FakeEngine) -> Callable[[str, EngineOptions], FakeEngine]:
    return lambda _name, _opts: engine


def _jfk_items(folder: Path, count: int) -> list[BatchItem]:
    items = []
    for i in range(count):
        audio_path = folder / f"clip{i}.flac"
        shutil.copy(JFK_FLAC, audio_path)
        transcript = folder / f"clip{i}.txt"
        transcript.write_text(JFK_TEXT + "\n", encoding="utf-8")
        items.append(BatchItem(f"clip{i}", audio_path, transcript))
    return items


def test_resume_key_follows_inputs_and_options(tmp_path: Path) -> None:
    items = _jfk_items(tmp_path, 2)
    out = tmp_path / "out"
    engine = FakeEngine()

    def statuses(opts: BatchOptions | None = None) -> list[str]:
        summary = run_batch(items, out, opts or BatchOptions(), engine_loader=_loader(engine))
        return [o.status for o in summary.outcomes]

    assert statuses() == ["done", "done"]
    assert statuses() == ["skipped", "skipped"]
    items[1].transcript_path.write_text(JFK_TEXT + " Thank you.\n", encoding="utf-8")
    assert statuses() == ["skipped", "done"]
    assert statuses(BatchOptions(formats=("json",))) == ["done", "done"]
    assert statuses(BatchOptions(formats=("json",), force=True)) == ["done", "done"]
    (out / "clip0.json").unlink()  # an output the marker lists is gone
    assert statuses(BatchOptions(formats=("json",))) == ["done", "skipped"]


def test_unexpected_error_fails_one_item_only(tmp_path: Path) -> None:
    def explode(call: int) -> None:
        if call == 2:
            raise ValueError("boom")

    items = _jfk_items(tmp_path, 3)
    summary = run_batch(items, tmp_path / "out", engine_loader=_loader(FakeEngine(explode)))
    assert [o.status for o in summary.outcomes] == ["done", "failed", "done"]
    failed = summary.outcomes[1]
    assert (failed.error, failed.reason) == ("ValueError", "unexpected ValueError: boom")
    assert summary.exit_code == EXIT_BATCH_FAILURES


def test_prefetch_decodes_next_item_while_current_transcribes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = _jfk_items(tmp_path, 3)
    decoded = {item.audio_path: threading.Event() for item in items}
    threads: list[str] = []
    real_prepare = batch_worker.prepare

    def prepare(audio_path: Path, *args: Any) -> Any:  # decodes the audio, once
        prepared = real_prepare(audio_path, *args)
        threads.append(threading.current_thread().name)
        decoded[Path(audio_path)].set()
        return prepared

    overlapped: list[bool] = []

    def wait_for_next(call: int) -> None:
        # Transcribing item k blocks until item k+1 is decoded: without overlap this
        # would wait out the timeout.
        if call < len(items):
            overlapped.append(decoded[items[call].audio_path].wait(timeout=30))

    monkeypatch.setattr(batch_worker, "prepare", prepare)
    summary = run_batch(items, tmp_path / "out", engine_loader=_loader(FakeEngine(wait_for_next)))
    assert [o.status for o in summary.outcomes] == ["done"] * 3
    assert overlapped == [True, True]
    assert all(name.startswith("turnalign-prefetch") for name in threads)


def test_language_override_reuses_the_loaded_model(tmp_path: Path) -> None:
    items = _jfk_items(tmp_path, 2)
    items[1] = BatchItem("clip1", items[1].audio_path, items[1].transcript_path,
                         ItemOverrides(language="de"))  # fmt: skip
    engine = FakeEngine()
    loads: list[EngineOptions] = []

    def loader(_name: str, opts: EngineOptions) -> FakeEngine:
        loads.append(opts)
        return engine

    run_batch(items, tmp_path / "out", BatchOptions(formats=("json",)), engine_loader=loader)
    assert len(loads) == 1 and engine.languages == [None, "de"]
    result = json.loads((tmp_path / "out" / "clip1.json").read_text(encoding="utf-8"))
    assert result["engine"]["language"] == "de"


def test_min_coverage_failure_is_kept_on_rerun(tmp_path: Path) -> None:
    items = _jfk_items(tmp_path, 1)
    items[0].transcript_path.write_text("Completely different words here.\n", encoding="utf-8")
    opts = BatchOptions(formats=("json",), min_coverage=0.5)
    kinds = []
    for _ in range(2):  # the second run skips the work but keeps the verdict
        summary = run_batch(items, tmp_path / "out", opts, engine_loader=_loader(FakeEngine()))
        outcome = summary.outcomes[0]
        assert (outcome.status, outcome.error) == ("failed", "AlignmentFailedError")
        assert outcome.outputs == ("clip0.json",)
        kinds.append(outcome.elapsed_s > 0)
    assert kinds == [True, False]


def test_stale_temporary_files_are_removed(tmp_path: Path) -> None:
    items = _jfk_items(tmp_path, 1)
    out = tmp_path / "out"
    (out / ".turnalign").mkdir(parents=True)
    leftovers = [out / ".clip0.json.0a1b2c3d.tmp", out / ".turnalign" / ".clip0.done.json.ff.tmp"]
    for path in leftovers:
        path.write_text("{partial", encoding="utf-8")
    unrelated = out / ".notes.txt.1234.tmp"
    unrelated.write_text("keep", encoding="utf-8")
    run_batch(items, out, BatchOptions(formats=("json",)), engine_loader=_loader(FakeEngine()))
    assert not any(p.exists() for p in leftovers)
    assert unrelated.exists()


def test_second_batch_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    items = _jfk_items(tmp_path, 1)
    with lock_outdir(tmp_path / "out"), pytest.raises(UsageError, match="another turnalign"):
        run_batch(items, tmp_path / "out", engine_loader=_loader(FakeEngine()))


# -- manifests ---------------------------------------------------------------------------


def test_manifest_types_and_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.tsv").write_text(
        "# comment\naudio\ttranscript\tlanguage\n../x.wav\tt/a.txt\tDE\n/abs/y.mp3\tb.txt\t\n",
        encoding="utf-8",
    )
    items = read_manifest(tmp_path / "sub" / "a.tsv")
    assert [i.id for i in items] == ["a", "b"]
    assert items[0].audio_path == tmp_path / "x.wav"
    assert items[0].transcript_path == tmp_path / "sub" / "t" / "a.txt"
    assert items[0].overrides == ItemOverrides(language="de")
    assert items[1].audio_path == Path("/abs/y.mp3")
    (tmp_path / "m.jsonl").write_text(
        '{"audio": "a.wav", "transcript": "a.txt", "id": "one", '
        '"options": {"model": "base", "refine": "fast", "format": ["json", "md"]}}\n\n'
        '{"audio": "b.wav", "transcript": "b.txt", "options": "model=base refine=none"}\n',
        encoding="utf-8",
    )
    one, two = read_manifest(tmp_path / "m.jsonl")
    assert one.overrides == ItemOverrides("base", "fast", None, ("json", "md"))
    assert (two.id, two.overrides) == ("b", ItemOverrides("base", "none"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("audio,transcript,colour\na.wav,a.txt,red\n", "unknown column 'colour'"),
        ("audio,id\na.wav,x\n", "'transcript' is missing"),
        ("audio,transcript,options\na.wav,a.txt,beam=5\n", "unknown option 'beam'"),
        ("audio,transcript,options\na.wav,a.txt,refine=slow\n", "refine 'slow'"),
        ("audio,transcript,options\na.wav,a.txt,format=pdf\n", "unknown format 'pdf'"),
        ("audio,transcript,options\na.wav,a.txt,{bad json\n", "not valid JSON"),
        ("audio,transcript,id\na.wav,a.txt,../evil\n", "contains '/'"),
        ("audio,transcript,id\na.wav,a.txt,/etc/passwd\n", "contains '/'"),
        ("audio,transcript,id\na.wav,a.txt,..\n", "starts with '.'"),
        ("audio,transcript,id\na.wav,a.txt,a\\b\n", "id 'a\\b' contains '\\'"),
        ("audio,transcript,id\na.wav,a.txt,.hidden\n", "starts with '.'"),
        ("audio,transcript,id\na.wav,a.txt,x\nb.wav,b.txt,X\n", "duplicate id 'X'"),
        ("audio,transcript\na.wav,a.txt\nb.wav,a.txt\n", "duplicate id 'a'"),
        ("audio,transcript\na.wav,a.txt,extra\n", "3 fields"),
        ("audio,transcript\n", "no items"),
    ],
)
def test_bad_manifest_is_a_manifest_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError, match=re.escape(message)):
        read_manifest(path)


def test_bad_manifest_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text('{"audio": "a.wav", "transcript": "a.txt", "speed": 2}\n', encoding="utf-8")
    assert main(["batch", str(path), "-o", str(tmp_path / "out")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert err.startswith("turnalign: error: cannot read manifest") and "\n" not in err
    assert "unknown key 'speed'" in err
    assert not (tmp_path / "out").exists()
    (tmp_path / "m.xlsx").write_bytes(b"PK")
    assert main(["batch", str(tmp_path / "m.xlsx")]) == EXIT_BAD_INPUT
    assert "unknown manifest type '.xlsx'" in capsys.readouterr().err
    assert main(["batch", str(tmp_path / "m2.csv")]) == EXIT_BAD_INPUT
    assert "m2.csv': file not found" in capsys.readouterr().err
    assert main(["batch"]) == EXIT_BAD_INPUT  # neither a manifest nor --pairs


def test_a_folder_given_as_the_manifest_is_paired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "episodes"
    folder.mkdir()
    (folder / "notes.txt").write_text("no audio here", encoding="utf-8")
    assert main(["batch", str(folder), "-o", str(tmp_path / "out")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err  # what --pairs says of it: the folder was paired
    assert "no audio files" in err and "manifest type" not in err
    assert not (tmp_path / "out").exists()


def test_colliding_output_names_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(
        'audio,transcript,id,options\na.wav,a.txt,a,\nb.wav,b.txt,a.words,"format=csv"\n'
        "c.wav,c.txt,batch_summary,\n",
        encoding="utf-8",
    )
    argv = ["-q", "batch", str(path), "-o", str(tmp_path / "out"), "--format", "words_csv"]
    assert main(argv) == EXIT_BAD_INPUT


def test_pairs_by_stem(tmp_path: Path) -> None:
    for name in ("a.WAV", "a.txt", "b.mp3", "c.txt", ".hidden.wav", "notes.md"):
        (tmp_path / name).write_bytes(b"")
    items = pair_directory(tmp_path)
    assert [(i.id, i.audio_path.name, i.transcript_path.name) for i in items] == [
        ("a", "a.WAV", "a.txt"),
        ("b", "b.mp3", "b.txt"),  # no b.txt: the item fails at run time, reported
    ]
    (tmp_path / "a.flac").write_bytes(b"")
    with pytest.raises(ManifestError, match="share a stem"):
        pair_directory(tmp_path)
    with pytest.raises(ManifestError, match="folder not found"):
        pair_directory(tmp_path / "nope")


def test_ids_are_checked_or_rewritten() -> None:
    assert check_item_id(" ep 1 ") == "ep 1"
    for bad in ("", ".x", "a/b", "C:x", "x\x00", "a" * 201):
        with pytest.raises(ValueError):
            check_item_id(bad)
    assert safe_stem("..odd:name") == "__odd_name"
    assert parse_options(Path("m"), 1, "language=EN; format=json") == ItemOverrides(
        language="en", formats=("json",)
    )


def test_ray_missing_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from align.batch.ray_backend import import_ray

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(UsageError, match=r"pip install 'turnalign\[ray\]'"):
        import_ray()
