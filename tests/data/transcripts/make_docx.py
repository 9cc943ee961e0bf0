"""Write teams.docx and rev.docx: Word exports in the layouts of Microsoft Teams and Rev.

Run from the repository root: ``.venv/bin/python tests/data/transcripts/make_docx.py``.
Each paragraph of the text below becomes one Word paragraph, as the services write them;
a line break inside a Teams turn becomes a paragraph of its own, as in Teams' export.
"""

from __future__ import annotations

from pathlib import Path

import docx

HERE = Path(__file__).resolve().parent

TEAMS = """\
Budget review-20240115_140512-Meeting Transcript
15 January 2024, 02:05pm
18m 27s
Anna Kowalski started transcription
Anna Kowalski   0:03
Can everyone see my screen?
Brian O'Neill   0:07
Yes.
We can see it.
Anna Kowalski   0:12
Good. Travel costs went down this quarter.
Anna Kowalski stopped transcription"""

REV = """\
Podcast interview, take 2

Amelia Stone (00:00:01):
So tell me how the festival started.

Ravi Menon (00:00:05):
It was four friends and a borrowed tent. [laughs]

(00:00:21):
The second year, two hundred people came.

Amelia Stone (00:00:30):
And now?"""


def write(path: Path, text: str) -> None:
    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    document.core_properties.author = "turnalign tests"
    document.save(str(path))


if __name__ == "__main__":
    write(HERE / "teams.docx", TEAMS)
    write(HERE / "rev.docx", REV)
