"""The Python API: the README's example runs as written, and the library's defaults are the
CLI's."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import align
from align.cli.parser import build_parser
from align.errors import AlignmentFailedError, UsageError
from align.options import AlignOptions

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "examples" / "michaelandsickmichael"


def _readme_python_block() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the README's Python section holds one example"
    return blocks[0]


def test_readme_python_example_runs_as_written(tmp_path: Path) -> None:
    (tmp_path / "examples").symlink_to(REPO_ROOT / "examples")
    proc = subprocess.run(
        [sys.executable, "-c", _readme_python_block()],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads((tmp_path / "out" / "michaelandsickmichael.json").read_text("utf-8"))
    assert doc["schema"] == "turnalign/1" and doc["refine"] == "full"
    assert (tmp_path / "out" / "michaelandsickmichael.srt").is_file()
    speakers = [line.split()[0] for line in proc.stdout.splitlines()[:7]]
    assert speakers == ["Michael"] * 3 + ["Sick"] * 4  # "Sick Michael" prints two words
    assert "coverage=" in proc.stdout  # the second run's quality


def test_import_align_is_light() -> None:
    heavy = "('numpy', 'av', 'faster_whisper', 'align')"
    code = f"import sys, align; print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['align']"


def test_library_defaults_are_the_cli_defaults() -> None:
    args = build_parser().parse_args(["align", "a.flac", "a.txt"])
    from align.cli.commands import align_options

    cli = align_options(args)
    assert AlignOptions().refine == cli.refine == "full"
    assert AlignOptions() == cli  # every other field too
    assert AlignOptions().min_coverage == args.min_coverage


def test_coverage_check_is_a_library_option(tmp_path: Path) -> None:
    """A transcript of another recording fails the check; the result is kept on the error."""
    wrong = align.parse_transcript("Speaker 1: the quick brown fox jumps over the lazy dog " * 8)
    audio_path = REPO_ROOT / "tests" / "data" / "jfk.flac"
    opts = AlignOptions(refine="none", min_coverage=0.5)
    engine = align.load_engine(opts)
    with pytest.raises(AlignmentFailedError) as info:
        align.align_file(audio_path, wrong, opts, engine=engine)
    assert info.value.result is not None and info.value.result.quality.coverage < 0.5
    kept = align.align_file(
        audio_path, wrong, AlignOptions(refine="none", min_coverage=None), engine=engine
    )
    assert kept.quality is not None and kept.quality.coverage < 0.5
    with pytest.raises(UsageError, match="sample_rate"):
        align.align_file(audio_path, wrong, opts, engine=engine, sample_rate=16000)
