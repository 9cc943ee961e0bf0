"""The JSON writer: ``Result.to_dict()`` as is, the "turnalign/1" contract."""

from __future__ import annotations

import json
from typing import TextIO

from align.model import Result
from align.writers.options import WriterOptions


def write_json(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """Write the "turnalign/1" JSON form; ``Result.from_dict`` reads it back."""
    json.dump(result.to_dict(), fp, ensure_ascii=False, indent=2)
    fp.write("\n")


__all__ = ["write_json"]
