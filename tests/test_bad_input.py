"""Bad input end to end: every case gets one clear line, a documented exit code, no lost work.

Each case runs ``turnalign align`` (in process through ``align.cli.main``, a few as
subprocesses) in a sandbox: the current folder, ``HOME`` and ``TMPDIR`` all lie inside the
test's ``tmp_path``, which is snapshotted before and after the run. The rules:

- exit code as in README "Exit codes": 0 written, 2 bad input or usage, 3 the transcript
  does not fit the audio (outputs still written), 130 interrupted;
- on failure, exactly one ``turnalign: error: ...`` line on stderr and no traceback
  (``--debug`` alone shows one);
- with exit 2 or 130, no output file and no temporary file anywhere; with 0 or 3, exactly
  the requested outputs, holding every transcript turn;
- nothing is written outside the output folder, and the inputs are left untouched.

Expected exit codes per case (the table in the README is built from these):

==================================================  ====  ==================================
case                                                code  why
==================================================  ====  ==================================
audio: 0 bytes, header only, random bytes, a text   2     not decodable: nothing to align
file, a folder, missing, video without audio
audio: truncated mid-stream, corrupt packets        0     the decodable part is aligned, the
                                                          rest reported ``not_in_audio``; a
                                                          warning names the damage
audio: silence, a click, music only (synthesized    3     nothing heard: every turn
chords), speech in German (transcript in English)         ``not_found``, outputs written
transcript: 0 bytes, blank, labels only, binary,    2     no words, or not text (the message
Latin-1, UTF-16 without BOM, a folder, missing            says how to fix the encoding)
transcript: UTF-8 BOM, UTF-16 LE/BE with BOM,       0     same turns and times as plain UTF-8
CRLF, CR, mixed line ends
transcript: unrelated, German text on English       3     coverage below --min-coverage 0.1
audio, 5000 one-word turns on an 11 s clip, one
100,000-word line
transcript: odd labels (SPEAKER_00, O'Neil-Smith,   0     parsed as speakers; unlabelled
"JFK :", Q/A, Cyrillic, emoji, "Name (Role):")            lines stay text, no word is lost
paths with spaces and non-ASCII characters          0     outputs named after the transcript
output folder under a file, or a file               2     before the model loads
output would overwrite an input                     2     before the model loads
an output name taken by a folder                    2     nothing written, no temp file left
a writer fails (disk full)                          2     nothing new written, old outputs kept
Ctrl-C while transcribing or while writing          130   no output, no temp file, old kept
==================================================  ====  ==================================
"""

from __future__ import annotations

import codecs
import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import av
import numpy as np
import pytest

from align import pipeline
from align.cli import main
from align.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_POOR_FIT
from align.model import Result
from align.transcript import read_transcript
from align.writers import WRITERS, WriterOptions, WriterSpec
from audio import SAMPLE_RATE

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = REPO_ROOT / "tests" / "data"
JFK_AUDIO = DATA / "jfk.flac"
GERMAN_AUDIO = DATA / "german_tts.flac"  # espeak-ng, see LICENSES.md
JFK_TEXT = (
    "And so, my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
JFK_TRANSCRIPT = f"President Kennedy:\n\n{JFK_TEXT}\n"
GERMAN_TEXT = (
    "Guten Morgen und herzlich willkommen. Heute sprechen wir über das Wetter in Hamburg "
    "und über den Zug, der wieder zu spät kommt."
)
UNRELATED_TRANSCRIPT = (
    "Alice: The quarterly report shows revenue growth in the northern region.\n"
    "Bob: We should schedule a meeting with the logistics team next Tuesday.\n"
)
ERROR_PREFIX = "turnalign: error: "
FAST = ("--refine", "none")  # refinement is tested elsewhere; these cases are about input


# -- sandbox -------------------------------------------------------------------------------

Snapshot = dict[str, tuple[int, int]]


def _snapshot(root: Path) -> Snapshot:
    """Every file under ``root`` (hidden ones too) with its size and mtime."""
    found: Snapshot = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            st = p.lstat()
            found[p.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns)
    return found


@dataclass
class Sandbox:
    """A run's whole world: inputs in ``inp``, outputs in ``out``; cwd, HOME, TMPDIR inside."""

    root: Path
    inp: Path
    out: Path
    before: Snapshot
    inputs_before: Snapshot

    def file(self, name: str, data: bytes | str) -> Path:
        """Create an input file (str is written as UTF-8, no newline translation)."""
        path = self.inp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    def transcript(self, text: str = JFK_TRANSCRIPT, name: str = "talk.txt") -> Path:
        return self.file(name, text)

    def mark(self) -> None:
        """Take the 'before' snapshot now (after the inputs were made)."""
        self.before = _snapshot(self.root)
        self.inputs_before = _snapshot(DATA) | {
            f"examples/{k}": v for k, v in _snapshot(REPO_ROOT / "examples").items()
        }

    def changed(self) -> set[str]:
        """Files created, changed or removed since ``mark`` (relative to ``root``)."""
        after = _snapshot(self.root)
        return {k for k in set(self.before) | set(after) if self.before.get(k) != after.get(k)}

    def assert_contained(self, expected: set[str]) -> None:
        """Exactly ``expected`` (names in ``out``) were written, nothing else anywhere."""
        out_rel = self.out.relative_to(self.root).as_posix()
        assert self.changed() == {f"{out_rel}/{name}" for name in expected}
        inputs_after = _snapshot(DATA) | {
            f"examples/{k}": v for k, v in _snapshot(REPO_ROOT / "examples").items()
        }
        assert inputs_after == self.inputs_before, "an input under tests/data or examples changed"


@pytest.fixture()
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for sub in ("in", "cwd", "home", "tmp"):
        (tmp_path / sub).mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home" / ".cache"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    sb = Sandbox(tmp_path, tmp_path / "in", tmp_path / "out", {}, {})
    sb.mark()
    return sb


# One loaded model for the whole module: loading costs more than an 11 s clip.
_ENGINES: dict[Any, Any] = {}


_REAL_LOAD_ENGINE = pipeline.load_engine


def _load_shared_engine(name: Any, opts: Any) -> Any:
    if (name, opts) not in _ENGINES:
        _ENGINES[(name, opts)] = _REAL_LOAD_ENGINE(name, opts)
    return _ENGINES[(name, opts)]


@pytest.fixture(autouse=True)
def _shared_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "load_engine", _load_shared_engine)


def _no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make loading the model a test failure: the case must fail before that."""

    def load(name: Any, opts: Any) -> Any:
        raise AssertionError("the model was loaded although the input could not work")

    monkeypatch.setattr(pipeline, "load_engine", load)


# -- running and checking ------------------------------------------------------------------


def _align(
    capsys: pytest.CaptureFixture[str],
    box: Sandbox,
    audio_path: Path | str,
    transcript_path: Path | str,
    *extra: str,
    quiet: bool = True,
    formats: str = "json,srt",
) -> tuple[int, str]:
    box.mark()
    argv = ["-q"] if quiet else []
    argv += ["align", str(audio_path), str(transcript_path), "-o", str(box.out)]
    argv += ["--format", formats, *extra]
    code = main(argv)
    captured = capsys.readouterr()
    assert captured.out == ""
    return code, captured.err


def _one_error(err: str, *, quiet: bool = True) -> str:
    """The one error line of ``err``; with -q it must be all there is."""
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    errors = [ln for ln in lines if ln.startswith(ERROR_PREFIX)]
    assert len(errors) == 1, err
    if quiet:
        assert lines == errors, err
    return errors[0]


def _expect_rejected(code: int, err: str, box: Sandbox, *needles: str) -> str:
    """Exit 2, one error line naming ``needles``, nothing written anywhere."""
    assert code == EXIT_BAD_INPUT, err
    line = _one_error(err)
    for needle in needles:
        assert needle in line, line
    box.assert_contained(set())
    return line


def _load(box: Sandbox, stem: str) -> Result:
    return Result.from_dict(json.loads((box.out / f"{stem}.json").read_text(encoding="utf-8")))


def _expect_written(box: Sandbox, transcript_path: Path, formats: tuple[str, ...]) -> Result:
    """The outputs exist (and nothing else), hold every turn, and keep the model's rules."""
    stem = transcript_path.stem
    box.assert_contained({f"{stem}.{ext}" for ext in formats})
    result = _load(box, stem)
    parsed = read_transcript(transcript_path)
    assert [t.speaker for t in result.turns] == [t.speaker for t in parsed.turns]
    assert [[w.text for w in t.words] for t in result.turns] == [
        list(t.tokens) for t in parsed.turns
    ]
    duration = result.audio.duration
    for turn in result.turns:
        if turn.status == "not_found":
            assert turn.start is None and all(w.start is None for w in turn.words)
            continue
        assert turn.start is not None and turn.end is not None
        assert 0.0 <= turn.start <= turn.end <= duration + 1e-6
        starts = [w.start for w in turn.words if w.start is not None]
        assert starts == sorted(starts)
    return result


def _expect_poor_fit(code: int, err: str, box: Sandbox, transcript_path: Path) -> Result:
    """Exit 3, one error line, and the outputs written anyway."""
    assert code == EXIT_POOR_FIT, err
    assert "does not fit the audio" in _one_error(err)
    result = _expect_written(box, transcript_path, ("json", "srt"))
    assert result.quality is not None and result.quality.coverage < 0.1
    return result


# -- audio makers --------------------------------------------------------------------------


def _write_flac(path: Path, samples: np.ndarray) -> Path:
    """16 kHz mono FLAC from float samples in [-1, 1]; shape: (n,)."""
    pcm = np.round(np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("flac", rate=SAMPLE_RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _chords(seconds: float) -> np.ndarray:
    """Synthesized music: a C, F and G major triad with an envelope, no voice."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    out = np.zeros_like(t)
    for k, root in enumerate([261.63, 349.23, 392.0, 261.63]):
        part = (t >= k * seconds / 4) & (t < (k + 1) * seconds / 4)
        env = np.exp(-2.0 * (t[part] - k * seconds / 4))
        for ratio in (1.0, 1.26, 1.5, 2.0):
            out[part] += 0.08 * env * np.sin(2 * np.pi * root * ratio * t[part])
    return out.astype(np.float32)


def _video_only(path: Path) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(5):
            image = np.full((32, 32, 3), i * 40, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _random_bytes(n: int) -> bytes:
    return np.random.default_rng(7).integers(0, 256, n, dtype=np.uint8).tobytes()


def _corrupted(data: bytes, flips: int) -> bytes:
    """``data`` with ``flips`` random bytes past the header overwritten."""
    rng = np.random.default_rng(1)
    out = bytearray(data)
    for i in rng.integers(2000, len(out), flips):
        out[i] = int(rng.integers(0, 256))
    return bytes(out)


# -- audio that cannot be read: exit 2, before the model loads -------------------------------

UNREADABLE_AUDIO: dict[str, tuple[Callable[[Sandbox], Path], str]] = {
    "zero_bytes": (lambda b: b.file("a.flac", b""), "file is empty (0 bytes)"),
    "header_only": (lambda b: b.file("a.flac", JFK_AUDIO.read_bytes()[:200]), "not a decodable"),
    "random_bytes": (lambda b: b.file("a.flac", _random_bytes(50_000)), "a.flac"),
    "text_file": (lambda b: b.file("a.mp3", JFK_TRANSCRIPT * 50), "not a decodable"),
    "folder": (lambda b: b.file("a.flac/x", b"x").parent, "is a directory"),
    "missing": (lambda b: b.inp / "nope.flac", "file not found"),
    "video_without_audio": (lambda b: _video_only(b.inp / "a.mp4"), "no audio stream"),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE_AUDIO))
def test_unreadable_audio_is_rejected_before_the_model_loads(
    case: str, box: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make, reason = UNREADABLE_AUDIO[case]
    audio_path = make(box)
    transcript = box.transcript()
    _no_engine(monkeypatch)
    code, err = _align(capsys, box, audio_path, transcript)
    line = _expect_rejected(code, err, box, reason)
    assert line.startswith(f"{ERROR_PREFIX}cannot read audio '{audio_path}'")


# -- audio that decodes only in part: exit 0, the lost part reported -------------------------


def test_truncated_audio_aligns_what_is_left(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    data = JFK_AUDIO.read_bytes()
    audio_path = box.file("cut.flac", data[: len(data) // 2])  # about 5.5 of 11 s
    transcript = box.transcript()
    code, err = _align(capsys, box, audio_path, transcript, *FAST)
    assert code == EXIT_OK, err
    assert "Traceback" not in err
    result = _expect_written(box, transcript, ("json", "srt"))
    (turn,) = result.turns
    heard = [w for w in turn.words if w.status in ("matched", "substituted")]
    assert heard and all(w.end is not None and w.end <= 6.0 for w in heard)
    assert [w.text for w in heard[:3]] == ["And", "so,", "my"]


def test_corrupt_packets_are_skipped_not_fatal(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    audio_path = box.file("damaged.flac", _corrupted(JFK_AUDIO.read_bytes(), 300))
    transcript = box.transcript()
    code, err = _align(capsys, box, audio_path, transcript, *FAST)
    assert code == EXIT_OK, err
    assert "Traceback" not in err
    result = _expect_written(box, transcript, ("json", "srt"))
    assert result.quality is not None and result.quality.coverage >= 0.5


# -- audio with no matching speech: exit 3, outputs written ----------------------------------

NOTHING_TO_HEAR: dict[str, Callable[[Sandbox], Path]] = {
    "silence": lambda b: _write_flac(b.inp / "silence.flac", np.zeros(5 * SAMPLE_RATE)),
    "click": lambda b: _write_flac(
        b.inp / "click.flac", np.r_[np.zeros(400), np.full(10, 0.9), np.zeros(390)]
    ),
    "one_sample": lambda b: _write_flac(b.inp / "one.flac", np.zeros(1)),
    "music_only": lambda b: _write_flac(b.inp / "chords.flac", _chords(6.0)),
    "german_speech": lambda b: Path(shutil.copy(GERMAN_AUDIO, b.inp / "german.flac")),
}


@pytest.mark.parametrize("case", sorted(NOTHING_TO_HEAR))
def test_audio_without_the_transcripts_words_exits_3_with_outputs(
    case: str, box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    audio_path = NOTHING_TO_HEAR[case](box)
    transcript = box.transcript()
    code, err = _align(capsys, box, audio_path, transcript, *FAST)
    result = _expect_poor_fit(code, err, box, transcript)
    if case in ("silence", "click", "one_sample"):  # nothing to hear, nothing placed
        assert [t.status for t in result.turns] == ["not_found"]
        assert any(m.kind == "not_in_audio" and m.turn == 0 for m in result.mismatches)
    # Over music or German, tiny.en makes English up ("see you in the next video"): a
    # stray "you" may land, but the run still says the transcript does not fit.


def test_silence_with_the_default_refinement(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    audio_path = _write_flac(box.inp / "silence.flac", np.zeros(5 * SAMPLE_RATE))
    transcript = box.transcript()
    code, err = _align(capsys, box, audio_path, transcript, formats="json,srt")
    _expect_poor_fit(code, err, box, transcript)


def test_min_coverage_zero_accepts_silence(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    audio_path = _write_flac(box.inp / "silence.flac", np.zeros(2 * SAMPLE_RATE))
    transcript = box.transcript()
    code, err = _align(capsys, box, audio_path, transcript, *FAST, "--min-coverage", "0")
    assert code == EXIT_OK and err == ""
    _expect_written(box, transcript, ("json", "srt"))


@pytest.mark.parametrize("value", ["1.5", "-0.1", "nan"])
def test_bad_min_coverage_is_a_usage_error(
    value: str, box: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_engine(monkeypatch)
    code, err = _align(capsys, box, JFK_AUDIO, box.transcript(), "--min-coverage", value)
    _expect_rejected(code, err, box, "--min-coverage")


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [("--engine-workers", "0", "workers"), ("--refine-workers", "0", "refine_workers"),
     ("--threads", "0", "cpu_threads")],
)  # fmt: skip
def test_bad_worker_counts_are_usage_errors(
    flag: str,
    value: str,
    says: str,
    box: Sandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_engine(monkeypatch)
    code, err = _align(capsys, box, JFK_AUDIO, box.transcript(), flag, value)
    _expect_rejected(code, err, box, says)


# -- transcripts that cannot be read: exit 2, before the model loads -------------------------

UNREADABLE_TRANSCRIPTS: dict[str, tuple[Callable[[Sandbox], Path], str]] = {
    "zero_bytes": (lambda b: b.file("t.txt", b""), "has no words"),
    "blank_lines": (lambda b: b.file("t.txt", " \n\r\n\t\n"), "has no words"),
    "labels_only": (lambda b: b.file("t.txt", "Alice:\n\nBob:\n"), "has no words"),
    "punctuation_only": (lambda b: b.file("t.txt", "Alice: ...\nBob: -- !\n"), "has no words"),
    "binary": (lambda b: b.file("t.txt", bytes(range(256)) * 20), "not a text file"),
    "random_bytes": (lambda b: b.file("t.txt", _random_bytes(5000)), "not a text file"),
    "audio_as_transcript": (
        lambda b: Path(shutil.copy(JFK_AUDIO, b.inp / "t.flac")),
        "not a text file",
    ),
    "latin1": (lambda b: b.file("t.txt", f"José: {JFK_TEXT}\n".encode("latin-1")), "UTF-8"),
    "utf16_without_bom": (
        lambda b: b.file("t.txt", JFK_TRANSCRIPT.encode("utf-16-le")),
        "byte-order mark",
    ),
    "folder": (lambda b: b.file("t.txt/x", b"x").parent, "is a directory"),
    "missing": (lambda b: b.inp / "nope.txt", "file not found"),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE_TRANSCRIPTS))
def test_unreadable_transcript_is_rejected_before_the_model_loads(
    case: str, box: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make, reason = UNREADABLE_TRANSCRIPTS[case]
    transcript = make(box)
    _no_engine(monkeypatch)
    code, err = _align(capsys, box, JFK_AUDIO, transcript)
    line = _expect_rejected(code, err, box, reason)
    assert f"'{transcript}'" in line


# -- encodings and line endings: exit 0, the same result as plain UTF-8 -----------------------

ENCODED: dict[str, Callable[[str], bytes]] = {
    "utf8_bom": lambda s: codecs.BOM_UTF8 + s.encode("utf-8"),
    "utf16_le_bom": lambda s: s.encode("utf-16"),  # Python writes a BOM, little-endian here
    "utf16_be_bom": lambda s: codecs.BOM_UTF16_BE + s.encode("utf-16-be"),
    "crlf": lambda s: s.replace("\n", "\r\n").encode("utf-8"),
    "cr": lambda s: s.replace("\n", "\r").encode("utf-8"),
    "mixed_line_ends": lambda s: s.replace("\n\n", "\r\n\n", 1).replace(".\n", ".\r").encode(),
    "utf16_crlf": lambda s: s.replace("\n", "\r\n").encode("utf-16"),
}
TWO_TURNS = (
    "Episode 1\n\nA: And so, my fellow Americans, ask not what your country can do for you,"
    "\n\nB: ask what you can do for your country.\n"
)


@pytest.fixture(scope="module")
def plain_reference(tmp_path_factory: pytest.TempPathFactory) -> Result:
    """The two-turn transcript in plain UTF-8, aligned once."""
    folder = tmp_path_factory.mktemp("reference")
    transcript = folder / "two.txt"
    transcript.write_text(TWO_TURNS, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline, "load_engine", _load_shared_engine)
        code = main(
            ["-q", "align", str(JFK_AUDIO), str(transcript), "-o", str(folder / "out"), *FAST]
        )
    assert code == EXIT_OK
    return Result.from_dict(json.loads((folder / "out" / "two.json").read_text()))


@pytest.mark.parametrize("case", sorted(ENCODED))
def test_encodings_and_line_endings_change_nothing(
    case: str, box: Sandbox, capsys: pytest.CaptureFixture[str], plain_reference: Result
) -> None:
    transcript = box.file("two.txt", ENCODED[case](TWO_TURNS))
    code, err = _align(capsys, box, JFK_AUDIO, transcript, *FAST)
    assert code == EXIT_OK and err == ""
    result = _expect_written(box, transcript, ("json", "srt"))
    assert result.transcript.front_matter == "Episode 1"
    assert [(t.speaker, t.text, t.start, t.end) for t in result.turns] == [
        (t.speaker, t.text, t.start, t.end) for t in plain_reference.turns
    ]
    assert [w for t in result.turns for w in t.words] == [
        w for t in plain_reference.turns for w in t.words
    ]
    srt = (box.out / "two.srt").read_bytes()
    assert b"\r" not in srt.replace(b"\r\n", b"") and not srt.startswith(codecs.BOM_UTF8)


# -- transcripts that do not fit: exit 3, outputs written ------------------------------------

_JFK_WORDS = JFK_TEXT.replace(",", "").replace(".", "").split()
MISFITS: dict[str, str] = {
    "unrelated": UNRELATED_TRANSCRIPT,
    "german_text": f"Sprecher:\n\n{GERMAN_TEXT}\n",
    # 5000 turns: the clip's 22 words lead, then the same words again and again.
    "5000_one_word_turns": "".join(
        f"S{i % 3}: {_JFK_WORDS[i % len(_JFK_WORDS)]}\n" for i in range(5000)
    ),
    "one_100k_word_line": "ask not " * 50_000 + "\n",
}


@pytest.mark.parametrize("case", sorted(MISFITS))
def test_transcript_that_does_not_fit_exits_3_with_outputs(
    case: str, box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    transcript = box.transcript(MISFITS[case])
    code, err = _align(capsys, box, JFK_AUDIO, transcript, *FAST)
    _expect_poor_fit(code, err, box, transcript)


def test_thousands_of_tiny_turns_keep_their_order(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    transcript = box.transcript(MISFITS["5000_one_word_turns"])
    code, err = _align(capsys, box, JFK_AUDIO, transcript, *FAST)
    result = _expect_poor_fit(code, err, box, transcript)
    assert len(result.turns) == 5000
    aligned = [t for t in result.turns if t.status == "aligned"]
    assert 15 <= len(aligned) <= 30  # the clip says 22 words; the other turns are not in it
    assert [t.index for t in aligned] == sorted(t.index for t in aligned)
    starts = [t.start for t in aligned]
    assert starts == sorted(starts)  # type: ignore[type-var]


def test_german_text_on_german_audio_is_a_poor_fit_for_the_english_model(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """tiny.en cannot hear German: it makes English up, and the run says so with 3."""
    transcript = box.transcript(f"Sprecher:\n\n{GERMAN_TEXT}\n")
    code, err = _align(capsys, box, GERMAN_AUDIO, transcript, *FAST)
    result = _expect_poor_fit(code, err, box, transcript)
    assert any(m.kind == "not_in_transcript" for m in result.mismatches)


# -- odd labels: exit 0, parsed sensibly, no word lost ----------------------------------------

ODD_LABELS: dict[str, tuple[str, list[str]]] = {
    "diarizer_ids": (
        "SPEAKER_00: And so, my fellow Americans, ask not what your country can do for you,\n"
        "SPEAKER_01: ask what you can do for your country.\n",
        ["SPEAKER_00", "SPEAKER_01"],
    ),
    "titles_apostrophes_hyphens": (
        "Dr. O'Neil-Smith: And so, my fellow Americans, ask not what your country can do for"
        " you,\nMs. Lee Jr.: ask what you can do for your country.\n",
        ["Dr. O'Neil-Smith", "Ms. Lee Jr."],
    ),
    "space_before_colon": (f"JFK : {JFK_TEXT}\n", ["JFK"]),
    "question_answer": (
        "Q: And so, my fellow Americans, ask not what your country can do for you,\n"
        "A: ask what you can do for your country.\n",
        ["Q", "A"],
    ),
    "cyrillic_and_fullwidth_colon": (
        "Иван： And so, my fellow Americans, ask not what your country can do for you,\n"
        "Ана: ask what you can do for your country.\n",
        ["Иван", "Ана"],
    ),
    "emoji_in_text": (f"Kennedy: {JFK_TEXT} 🇺🇸🎤\n", ["Kennedy"]),
    # The name is the speaker, the role is kept beside it (issue 17).
    "name_with_role": (f"John (Host): {JFK_TEXT}\n", ["John"]),
    "markdown_bold": (f"**Kennedy:** {JFK_TEXT}\n", ["Kennedy"]),
    # Not a label shape the parser knows: the line stays text, its words are kept.
    "lower_case_name": (f"kennedy: {JFK_TEXT}\n", ["Speaker 1"]),
}


@pytest.mark.parametrize("case", sorted(ODD_LABELS))
def test_odd_labels_are_parsed_sensibly(
    case: str, box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    text, speakers = ODD_LABELS[case]
    transcript = box.transcript(text)
    code, err = _align(capsys, box, JFK_AUDIO, transcript, *FAST)
    assert code == EXIT_OK and err == "", err
    result = _expect_written(box, transcript, ("json", "srt"))
    assert [t.speaker for t in result.turns] == speakers
    assert result.transcript.front_matter == ""
    words = " ".join(w.text for t in result.turns for w in t.words)
    for word in JFK_TEXT.split():
        assert word in words  # no word of the speech went to a label or was dropped
    assert all(t.status == "aligned" for t in result.turns)


# -- paths -----------------------------------------------------------------------------------


def test_paths_with_spaces_and_non_ascii(box: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    (box.inp / "my folder").mkdir()
    audio_path = Path(shutil.copy(JFK_AUDIO, box.inp / "my folder" / "épisode 1.flac"))
    transcript = box.file("my folder/épisode 1 – 日本.txt", JFK_TRANSCRIPT)
    box.out = box.root / "sortie ü" / "ça va"
    code, err = _align(capsys, box, audio_path, transcript, *FAST, formats="json,srt,vtt,html")
    assert code == EXIT_OK and err == ""
    result = _expect_written(box, transcript, ("json", "srt", "vtt", "html"))
    assert result.audio.path == str(audio_path)
    assert result.turns[0].status == "aligned"


@pytest.mark.parametrize("where", ["under_a_file", "is_a_file", "is_dev_null"])
def test_unwritable_output_folder_fails_before_the_model_loads(
    where: str, box: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests run as root, where chmod stops nothing; a path through a file stops everyone."""
    blocker = box.file("blocker", b"a file")
    box.out = {
        "under_a_file": blocker / "out",
        "is_a_file": blocker,
        "is_dev_null": Path(os.devnull),
    }[where]
    transcript = box.transcript()
    _no_engine(monkeypatch)
    box.mark()
    code = main(["-q", "align", str(JFK_AUDIO), str(transcript), "-o", str(box.out)])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert "is not a folder" in _one_error(err)
    assert box.changed() == set()


def test_output_that_would_overwrite_an_input_is_refused(
    box: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    transcript = box.transcript(name="talk.srt")
    box.out = box.inp
    _no_engine(monkeypatch)
    code, err = _align(capsys, box, JFK_AUDIO, transcript)
    _expect_rejected(code, err, box, "would overwrite the input")


def test_output_name_taken_by_a_folder(
    box: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (box.out / "talk.srt").mkdir(parents=True)
    transcript = box.transcript()
    code, err = _align(capsys, box, JFK_AUDIO, transcript, *FAST)
    _expect_rejected(code, err, box, "talk.srt", "a folder has this name")


# -- failures while writing and Ctrl-C: no lost work ------------------------------------------


def _previous_outputs(box: Sandbox, transcript: Path) -> Snapshot:
    """Write outputs once, successfully, and return their snapshot."""
    code = main(["-q", "align", str(JFK_AUDIO), str(transcript), "-o", str(box.out), *FAST])
    assert code == EXIT_OK
    return _snapshot(box.out)


def _failing_writer(exc: BaseException) -> WriterSpec:
    def write(result: Result, fp: TextIO, opts: WriterOptions) -> None:
        fp.write("1\n00:00:00,000 --> 00:00:01,000\nhalf a cue")
        fp.flush()
        raise exc

    return WriterSpec(write, ".srt")


@pytest.mark.parametrize(
    ("exc", "code_wanted", "message"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), EXIT_BAD_INPUT, "No space left"),
        (KeyboardInterrupt(), EXIT_INTERRUPTED, "turnalign: interrupted"),
    ],
    ids=["disk_full", "ctrl_c"],
)
def test_failure_while_writing_keeps_the_previous_outputs(
    exc: BaseException,
    code_wanted: int,
    message: str,
    box: Sandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    transcript = box.transcript()
    previous = _previous_outputs(box, transcript)
    assert set(previous) == {"talk.json", "talk.srt"}
    monkeypatch.setitem(WRITERS, "srt", _failing_writer(exc))
    transcript.write_text(JFK_TRANSCRIPT.replace("President Kennedy", "JFK"), encoding="utf-8")
    code, err = _align(capsys, box, JFK_AUDIO, transcript, *FAST)
    assert code == code_wanted
    assert "Traceback" not in err and message in err
    assert len(err.strip().splitlines()) == 1
    assert box.changed() == set()  # json was staged first, yet it is not replaced either
    assert _snapshot(box.out) == previous


def test_ctrl_c_while_transcribing_leaves_nothing(
    box: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> Iterator[Any]:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "transcribe_file", interrupted)
    code, err = _align(capsys, box, JFK_AUDIO, box.transcript())
    assert code == EXIT_INTERRUPTED
    assert err.strip() == "turnalign: interrupted"
    box.assert_contained(set())


# -- as a subprocess: what really reaches the terminal ----------------------------------------


def _run(box: Sandbox, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOME": str(box.root / "home"),
        "XDG_CACHE_HOME": str(box.root / "home" / ".cache"),
        "TMPDIR": str(box.root / "tmp"),
    }
    box.mark()
    return subprocess.run(
        [sys.executable, "-m", "align", *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=box.root / "cwd",
        env=env,
    )


def test_subprocess_silence_exits_3_with_one_line(box: Sandbox) -> None:
    audio_path = _write_flac(box.inp / "silence.flac", np.zeros(3 * SAMPLE_RATE))
    transcript = box.transcript()
    proc = _run(box, "-q", "align", str(audio_path), str(transcript), "-o", str(box.out), *FAST)
    assert proc.returncode == EXIT_POOR_FIT, proc.stderr
    assert proc.stdout == ""
    _one_error(proc.stderr)
    _expect_written(box, transcript, ("json", "srt"))


def test_subprocess_binary_transcript_exits_2_with_one_line(box: Sandbox) -> None:
    transcript = box.file("t.txt", bytes(range(256)) * 4)
    proc = _run(box, "align", str(JFK_AUDIO), str(transcript), "-o", str(box.out))
    assert proc.returncode == EXIT_BAD_INPUT
    assert proc.stdout == ""
    assert "not a text file" in _one_error(proc.stderr)
    box.assert_contained(set())


def test_subprocess_damaged_audio_warns_without_a_traceback(box: Sandbox) -> None:
    data = JFK_AUDIO.read_bytes()
    audio_path = box.file("cut.flac", data[: len(data) // 2])
    transcript = box.transcript()
    proc = _run(box, "-q", "align", str(audio_path), str(transcript), "-o", str(box.out), *FAST)
    assert proc.returncode == EXIT_OK, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines and all(ln.startswith("WARNING audio.decode: ") for ln in lines), lines
    assert "undecodable packet" in lines[0]
    _expect_written(box, transcript, ("json", "srt"))


def test_subprocess_debug_shows_the_traceback(box: Sandbox) -> None:
    transcript = box.transcript()
    proc = _run(box, "--debug", "align", str(box.inp / "nope.flac"), str(transcript))
    assert proc.returncode != EXIT_OK
    assert "Traceback" in proc.stderr and "AudioDecodeError" in proc.stderr
    box.assert_contained(set())
