"""Turn a CTranslate2 Whisper model into an openai-whisper checkpoint, offline.

The bundled models (``tiny.en``, ``base``) ship only in CTranslate2 format, and
openai-whisper can only load its own ``{"dims", "model_state_dict"}`` checkpoints,
which it would otherwise download. CTranslate2 exposes no API to read weights back,
so ``align.engines.ct2_file`` parses ``model.bin`` itself.

The conversion is cached as ``cache_dir()/models/<name>-openai.pt`` and redone only
when the source ``model.bin`` (size, mtime) or this converter changes.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import logging
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from align.engines.ct2_file import Ct2Model, read_ct2_model
from align.engines.models import cache_dir
from align.errors import ModelNotFoundError

log = logging.getLogger(__name__)

# Bump when the produced checkpoint changes, so stale caches are rebuilt.
CONVERTER_VERSION = 1
# The encoder's positional table is a fixed sinusoid in Whisper; CTranslate2 stores it
# rounded to the model's dtype. When the stored table matches the formula within this
# (float16 rounding is ~5e-4 on values in [-1, 1]) we store the exact float32 values.
_SINUSOID_MATCH_TOL = 2e-3


def _float_weight(variables: dict[str, np.ndarray], name: str) -> np.ndarray:
    """A weight as floats; int8/int16 weights are divided by their stored scale."""
    value = variables[name]
    if value.dtype.kind == "f":
        return value
    if name + "_zero" in variables:  # AWQ-style int4 with zero points
        raise ValueError(f"weight {name}: zero-point quantization is not supported")
    scale = variables.get(name + "_scale")
    if scale is None:
        raise ValueError(f"quantized ({value.dtype}) weight {name} has no scale")
    scale = scale.astype(np.float32)
    # int8: one scale per output row; int16: one scalar for the whole weight.
    scale = scale.reshape(scale.shape + (1,) * (value.ndim - scale.ndim))
    dequantized: np.ndarray = value.astype(np.float32) / scale
    return dequantized


def sinusoids(length: int, channels: int, max_timescale: float = 10000.0) -> np.ndarray:
    """Whisper's encoder positional table, shape (length, channels), float32.

    Computed with torch in float32 exactly as ``whisper.model.sinusoids`` does, so the
    converted model holds the very buffer openai-whisper would build itself.
    """
    import torch

    log_timescale_increment = np.log(max_timescale) / (channels // 2 - 1)
    inv_timescales = torch.exp(-log_timescale_increment * torch.arange(channels // 2))
    scaled_time = torch.arange(length)[:, np.newaxis] * inv_timescales[np.newaxis, :]
    table = torch.cat([torch.sin(scaled_time), torch.cos(scaled_time)], dim=1)
    return np.asarray(table.numpy(), dtype=np.float32)


def _count_layers(variables: dict[str, np.ndarray], prefix: str) -> int:
    n = 0
    while f"{prefix}/layer_{n}/ffn/linear_0/weight" in variables:
        n += 1
    return n


def _scalar(variables: dict[str, np.ndarray], name: str) -> int:
    return int(variables[name].reshape(()))


def alignment_heads_dump(heads: list[list[int]], n_layer: int, n_head: int) -> bytes:
    """Encode ``[[layer, head], ...]`` the way ``Whisper.set_alignment_heads`` reads it."""
    mask = np.zeros((n_layer, n_head), dtype=bool)
    for layer, head in heads:
        if not (0 <= layer < n_layer and 0 <= head < n_head):
            raise ValueError(f"alignment head ({layer}, {head}) outside {n_layer}x{n_head}")
        mask[layer, head] = True
    return base64.b85encode(gzip.compress(mask.tobytes()))


def ct2_to_openai(model: Ct2Model, config: dict[str, Any]) -> dict[str, Any]:
    """Map a parsed CTranslate2 Whisper model onto openai-whisper's checkpoint.

    Args:
        model: from ``read_ct2_model``.
        config: the model folder's ``config.json`` (for ``alignment_heads``).

    Returns:
        ``{"dims": {...}, "model_state_dict": {name: torch.Tensor},
        "alignment_heads": bytes}``: what ``whisper.load_model`` reads, plus the
        alignment heads for ``Whisper.set_alignment_heads``.

    Raises:
        ModelNotFoundError: the model is not a Whisper model this converter understands.
    """
    if model.spec_name != "WhisperSpec":
        raise ModelNotFoundError(model.source, f"spec {model.spec_name!r} is not WhisperSpec")
    try:
        builder = _StateBuilder(model.variables)
        dims = builder.build()
        heads = config.get("alignment_heads") or [
            [layer, head]  # Whisper's own default: every head of the last half of the layers
            for layer in range(dims["n_text_layer"] // 2, dims["n_text_layer"])
            for head in range(dims["n_text_head"])
        ]
        dump = alignment_heads_dump(heads, dims["n_text_layer"], dims["n_text_head"])
    except KeyError as e:
        raise ModelNotFoundError(model.source, f"{e.args[0]} is missing") from e
    except (TypeError, ValueError) as e:
        raise ModelNotFoundError(model.source, str(e)) from e
    return {"dims": dims, "model_state_dict": builder.state, "alignment_heads": dump}


class _StateBuilder:
    """Fills openai-whisper's state dict from CTranslate2 variables, one module at a time."""

    def __init__(self, variables: dict[str, np.ndarray]) -> None:
        import torch

        self._v = variables
        floats = [a for a in variables.values() if a.dtype.kind == "f"]
        # A float16 model stays float16 on disk (half the size, nothing lost); Whisper
        # casts on load. Anything else (float32, int8 rescaled, bfloat16) goes float32.
        half = all(a.dtype == np.float16 for a in floats)
        self._dtype = torch.float16 if half else torch.float32
        self.state: dict[str, Any] = {}

    def put(self, name: str, value: np.ndarray, *, exact: bool = False) -> None:
        import torch

        tensor = torch.from_numpy(np.array(value))  # copy: the parsed buffer is read-only
        self.state[name] = tensor.to(torch.float32 if exact else self._dtype)

    def linear(self, dst: str, src: str) -> None:
        self.put(f"{dst}.weight", _float_weight(self._v, f"{src}/weight"))
        self.put(f"{dst}.bias", self._v[f"{src}/bias"])

    def layer_norm(self, dst: str, src: str) -> None:
        self.put(f"{dst}.weight", self._v[f"{src}/gamma"])
        self.put(f"{dst}.bias", self._v[f"{src}/beta"])

    def attention(self, dst: str, src: str, *, cross: bool) -> None:
        # Self-attention fuses q,k,v into linear_0; cross-attention keeps q in linear_0 and
        # fuses k,v into linear_1. Whisper's key projection has no bias (CT2 stores zeros).
        if cross:
            self.linear(f"{dst}.query", f"{src}/linear_0")
            (wk, wv), (_, bv) = self._split(f"{src}/linear_1", 2)
            out = f"{src}/linear_2"
        else:
            (wq, wk, wv), (bq, _, bv) = self._split(f"{src}/linear_0", 3)
            self.put(f"{dst}.query.weight", wq)
            self.put(f"{dst}.query.bias", bq)
            out = f"{src}/linear_1"
        self.put(f"{dst}.key.weight", wk)
        self.put(f"{dst}.value.weight", wv)
        self.put(f"{dst}.value.bias", bv)
        self.linear(f"{dst}.out", out)
        self.layer_norm(f"{dst}_ln", f"{src}/layer_norm")

    def mlp(self, dst: str, src: str) -> None:
        self.linear(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
        self.linear(f"{dst}.mlp.2", f"{src}/ffn/linear_1")
        self.layer_norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")

    def _split(self, src: str, parts: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        weights = np.split(_float_weight(self._v, f"{src}/weight"), parts, axis=0)
        biases = np.split(self._v[f"{src}/bias"], parts, axis=0)
        return weights, biases

    def build(self) -> dict[str, int]:
        """Fill ``state``; return the model dimensions (``ModelDimensions`` fields)."""
        v = self._v
        tok = _float_weight(v, "decoder/embeddings/weight")  # shape: (n_vocab, n_text_state)
        proj = v.get("decoder/projection/weight")
        # Whisper computes logits with the token embedding; an untied head cannot be kept.
        if proj is not None and proj is not v["decoder/embeddings/weight"]:
            proj_f = _float_weight(v, "decoder/projection/weight")
            if proj_f.shape != tok.shape or not np.allclose(proj_f, tok):
                raise ValueError("output projection is not tied to the token embedding")
        conv1 = _float_weight(v, "encoder/conv1/weight")  # shape: (n_audio_state, n_mels, 3)
        audio_pos = v["encoder/position_encodings/encodings"]  # shape: (n_audio_ctx, n_state)
        text_pos = v["decoder/position_encodings/encodings"]  # shape: (n_text_ctx, n_state)
        dims = {
            "n_mels": int(conv1.shape[1]),
            "n_audio_ctx": int(audio_pos.shape[0]),
            "n_audio_state": int(conv1.shape[0]),
            "n_audio_head": _scalar(v, "encoder/num_heads"),
            "n_audio_layer": _count_layers(v, "encoder"),
            "n_vocab": int(tok.shape[0]),
            "n_text_ctx": int(text_pos.shape[0]),
            "n_text_state": int(tok.shape[1]),
            "n_text_head": _scalar(v, "decoder/num_heads"),
            "n_text_layer": _count_layers(v, "decoder"),
        }
        self.linear("encoder.conv1", "encoder/conv1")
        self.linear("encoder.conv2", "encoder/conv2")
        exact = sinusoids(*audio_pos.shape)
        if np.abs(audio_pos.astype(np.float32) - exact).max() <= _SINUSOID_MATCH_TOL:
            self.put("encoder.positional_embedding", exact, exact=True)
        else:  # a fine-tune with its own table: keep it
            self.put("encoder.positional_embedding", audio_pos)
        for i in range(dims["n_audio_layer"]):
            src = f"encoder/layer_{i}"
            self.attention(f"encoder.blocks.{i}.attn", f"{src}/self_attention", cross=False)
            self.mlp(f"encoder.blocks.{i}", src)
        self.layer_norm("encoder.ln_post", "encoder/layer_norm")
        self.put("decoder.token_embedding.weight", tok)
        self.put("decoder.positional_embedding", text_pos)
        for i in range(dims["n_text_layer"]):
            src = f"decoder/layer_{i}"
            self.attention(f"decoder.blocks.{i}.attn", f"{src}/self_attention", cross=False)
            self.attention(f"decoder.blocks.{i}.cross_attn", f"{src}/attention", cross=True)
            self.mlp(f"decoder.blocks.{i}", src)
        self.layer_norm("decoder.ln", "decoder/layer_norm")
        return dims


def _source_key(model_bin: Path) -> str:
    st = model_bin.stat()
    return f"v{CONVERTER_VERSION}:{st.st_size}:{st.st_mtime_ns}"


def checkpoint_path(name: str, model_dir: Path) -> Path:
    """Where the converted checkpoint of ``name`` (from ``model_dir``) is cached."""
    if Path(name).expanduser().is_dir():  # a user's folder: name it by folder and path hash
        digest = hashlib.sha1(str(model_dir.resolve()).encode()).hexdigest()[:10]
        name = f"{model_dir.resolve().name}-{digest}"
    return cache_dir() / "models" / f"{name}-openai.pt"


def load_converted(name: str, model_dir: Path) -> dict[str, Any]:
    """The openai-whisper checkpoint for a CTranslate2 model folder, converting once.

    Args:
        name: the model name (``tiny.en``, ``base`` or a folder path) used for the cache file.
        model_dir: the CTranslate2 folder holding ``model.bin`` and ``config.json``.

    Returns:
        The checkpoint dict (see ``ct2_to_openai``), tensors on the CPU.

    Raises:
        ModelNotFoundError: the model cannot be read or converted.
    """
    import torch

    model_bin = model_dir / "model.bin"
    if not model_bin.is_file():
        raise ModelNotFoundError(name, f"no model.bin in {model_dir}")
    key = _source_key(model_bin)
    target = checkpoint_path(name, model_dir)
    if target.is_file():
        try:
            cached = torch.load(target, map_location="cpu", weights_only=True)
            if isinstance(cached, dict) and cached.get("source_key") == key:
                return cached
            log.info("cached %s is stale; converting again", target)
        except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as e:
            log.warning("ignoring unreadable cache %s: %s", target, e)
    log.info("converting %s to an openai-whisper checkpoint at %s", model_dir, target)
    try:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        config = {}
    except (OSError, ValueError) as e:
        raise ModelNotFoundError(name, f"cannot read config.json: {e}") from e
    checkpoint = ct2_to_openai(read_ct2_model(model_bin), config)
    checkpoint["source_key"] = key
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temporary file and rename, so a killed run never leaves half a file.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "wb") as out:
                torch.save(checkpoint, out)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as e:  # read-only cache: still usable, just not cached
        log.warning("cannot cache converted model at %s: %s", target, e)
    return checkpoint
