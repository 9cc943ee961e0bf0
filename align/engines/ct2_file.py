"""Read a CTranslate2 Whisper ``model.bin`` back into arrays (CTranslate2 has no API for it).

The layout is the one written by ``ctranslate2.specs.model_spec.ModelSpec._serialize``
(all integers little-endian)::

    u32 binary_version (4..6)        str spec_name ("WhisperSpec")    u32 spec_revision
    u32 n_variables, then per variable:
        str name   u8 rank   u32 dim * rank   u8 dtype_id   u32 n_bytes   n_bytes raw data
    u32 n_aliases, then per alias:   str alias   str target
    (str = u16 length incl. NUL, UTF-8 bytes, NUL)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from align.errors import ModelNotFoundError

_SUPPORTED_BINARY_VERSIONS = range(4, 7)
# Order of ctranslate2's DataType enum (include/ctranslate2/types.h).
_DTYPES: tuple[str, ...] = ("float32", "int8", "int16", "int32", "float16", "bfloat16")


@dataclass(frozen=True, slots=True)
class Ct2Model:
    """The parsed contents of a CTranslate2 ``model.bin``.

    ``variables`` maps a CTranslate2 name (``encoder/layer_0/ffn/linear_0/weight``) to
    its raw array (int8 weights not yet rescaled); aliases are resolved into it.
    """

    source: str
    spec_name: str
    spec_revision: int
    binary_version: int
    variables: dict[str, np.ndarray]


class _Reader:
    """Reads ``model.bin`` fields in order; weights are views into the file's bytes."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self.pos = 0

    def unpack(self, fmt: str) -> int:
        (value,) = struct.unpack_from("<" + fmt, self._data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return int(value)

    def string(self) -> str:
        n_bytes = self.unpack("H")  # includes the trailing NUL
        raw = bytes(self._data[self.pos : self.pos + n_bytes])
        self.pos += n_bytes
        return raw.rstrip(b"\0").decode("utf-8")

    def take(self, n_bytes: int) -> memoryview:
        if self.pos + n_bytes > len(self._data):
            raise ValueError(f"truncated at byte {self.pos} (needs {n_bytes} more)")
        raw = self._data[self.pos : self.pos + n_bytes]  # a view: no copy of the weights
        self.pos += n_bytes
        return raw


def _to_array(raw: memoryview, dtype_name: str, shape: tuple[int, ...]) -> np.ndarray:
    if dtype_name == "bfloat16":  # numpy has no bfloat16: widen the top 16 bits
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).reshape(shape)
    return np.frombuffer(raw, dtype=np.dtype(dtype_name).newbyteorder("<")).reshape(shape)


def read_ct2_model(path: Path) -> Ct2Model:
    """Parse a CTranslate2 ``model.bin``.

    Args:
        path: the ``model.bin`` file.

    Returns:
        The spec name, revision and every variable (aliases resolved).

    Raises:
        ModelNotFoundError: the file is missing, truncated or of an unknown version.
    """
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ModelNotFoundError(str(path), f"cannot read: {e.strerror}") from e
    reader = _Reader(data)
    try:
        version = reader.unpack("I")
        if version not in _SUPPORTED_BINARY_VERSIONS:
            raise ModelNotFoundError(
                str(path),
                f"CTranslate2 binary version {version} is not supported "
                f"(need {_SUPPORTED_BINARY_VERSIONS.start}-{_SUPPORTED_BINARY_VERSIONS.stop - 1})",
            )
        spec_name = reader.string()
        revision = reader.unpack("I")
        variables: dict[str, np.ndarray] = {}
        for _ in range(reader.unpack("I")):
            name = reader.string()
            rank = reader.unpack("B")
            shape = tuple(reader.unpack("I") for _ in range(rank))
            dtype_id = reader.unpack("B")
            if dtype_id >= len(_DTYPES):
                raise ValueError(f"variable {name}: unknown dtype id {dtype_id}")
            n_bytes = reader.unpack("I")
            variables[name] = _to_array(reader.take(n_bytes), _DTYPES[dtype_id], shape)
        for _ in range(reader.unpack("I")):
            alias = reader.string()
            target = reader.string()
            variables[alias] = variables[target]
            # Aliasing runs before quantization, so only the target carries a scale.
            if target + "_scale" in variables:
                variables.setdefault(alias + "_scale", variables[target + "_scale"])
    except (struct.error, ValueError, KeyError) as e:
        raise ModelNotFoundError(str(path), f"not a valid CTranslate2 model.bin: {e}") from e
    return Ct2Model(str(path), spec_name, revision, version, variables)


__all__ = ["Ct2Model", "read_ct2_model"]
