"""Word (.docx) exports: Teams, Otter, Rev, Descript and others write transcripts as Word files.

A .docx is read with python-docx into text, one line per paragraph (a line break inside a
paragraph starts a new line), tables as ``| cell | cell |`` rows under a header rule, so
that a table of times, speakers and text reads as ``markdown_table``. The text then goes
through the same detectors as a .txt file. A file that is a zip but no Word document (or
not even a zip) is a ``TranscriptParseError``, with python-docx's reason.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from align.errors import TranscriptParseError

ZIP_MAGIC = b"PK\x03\x04"


def docx_text(path: Path) -> str:
    """The text of a Word document, paragraphs and table rows in document order.

    Raises:
        TranscriptParseError: the file is not a Word document.
    """
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, OSError) as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise TranscriptParseError(path, f"not a Word document ({reason})") from e
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.extend(_paragraph_text(child).split("\n"))
        elif tag == "tbl":
            lines.extend(_table_lines(child))
    return "\n".join(lines)


def _paragraph_text(p: object) -> str:
    from docx.text.paragraph import Paragraph

    return Paragraph(p, None).text  # type: ignore[arg-type]


def _table_lines(tbl: object) -> list[str]:
    from docx.table import Table

    table = Table(tbl, None)  # type: ignore[arg-type]
    rows = [[" ".join(c.text.split()) for c in row.cells] for row in table.rows]
    if not rows:
        return []
    out = ["", "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return [*out, ""]


__all__ = ["ZIP_MAGIC", "docx_text"]
