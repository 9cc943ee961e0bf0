"""The ``align`` and ``audio`` under test are this checkout's.

Both import names are generic: a user's own ``audio.py`` (or an ``align/`` folder) earlier on
``sys.path`` would shadow ours without a word. These tests fail when that happens to the test
run itself, and show that the check catches a stray module.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import align
import audio

ROOT = Path(__file__).resolve().parents[1]
"""The checkout: the folder that holds this project's pyproject.toml."""

_PRINT_FILES = "import align, audio; print(align.__file__); print(audio.__file__)"


def _is_ours(name: str, module_file: str | None) -> bool:
    """Whether ``module_file`` (a module's ``__file__``) is package ``name`` of this checkout."""
    if module_file is None:  # a namespace package: not ours, which has an __init__.py
        return False
    return Path(module_file).resolve() == ROOT / name / "__init__.py"


def test_the_checkout_is_this_project() -> None:
    pyproject = ROOT / "pyproject.toml"
    assert pyproject.is_file()
    assert 'name = "turnalign"' in pyproject.read_text(encoding="utf-8")


def test_align_and_audio_resolve_inside_the_checkout() -> None:
    for module in (align, audio):
        assert _is_ours(module.__name__, module.__file__), (
            f"{module.__name__} is imported from {module.__file__}, not from {ROOT}: "
            "something on sys.path shadows it"
        )


def test_a_fresh_interpreter_elsewhere_imports_ours(tmp_path: Path) -> None:
    """From another folder, with nothing of ours on the path but what is installed."""
    out = subprocess.run(
        [sys.executable, "-c", _PRINT_FILES], cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    align_file, audio_file = out.stdout.splitlines()
    assert _is_ours("align", align_file) and _is_ours("audio", audio_file), out.stdout


def test_a_stray_audio_module_is_caught(tmp_path: Path) -> None:
    (tmp_path / "audio.py").write_text("SAMPLE_RATE = 8000\n", encoding="utf-8")
    out = subprocess.run(  # python -c puts the current folder first on sys.path
        [sys.executable, "-c", _PRINT_FILES], cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    align_file, audio_file = out.stdout.splitlines()
    assert _is_ours("align", align_file)
    assert not _is_ours("audio", audio_file), "the stray audio.py shadows ours, and is caught"
