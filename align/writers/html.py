"""The HTML writer: one self-contained page to review an alignment by ear.

The page holds an audio player, every turn with its speaker and time, and every word;
clicking a turn or word plays from there, the word being spoken is highlighted, and the
places where transcript and audio disagree are marked. It loads nothing from the network:
the script and style are inline (``review.js``/``review.css`` beside this module, read as
package data) and a Content-Security-Policy meta tag forbids everything else.

Transcripts are untrusted input. The result goes into the page only as JSON inside a
``<script type="application/json">`` block, with ``<``, ``>`` and ``&`` escaped so that no
text can close the block; the script puts it on screen through ``textContent``, never as
markup. The few strings written into the markup itself are HTML-escaped, and the inline
script and style are pinned by their hashes in the policy, so injected markup could not
run a script even if escaping failed.

The audio is linked by a path relative to the page (``WriterOptions.output_dir``), or
embedded as a ``data:`` URI when it is small (``WriterOptions.html_embed_audio``).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import os
import re
import urllib.parse
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from align.model import Result
from align.writers.options import WriterOptions

logger = logging.getLogger(__name__)

# "auto" embeds audio up to this size: base64 adds a third, and a page of ~27 MB still
# opens in a second or two, while hour-long recordings (50-500 MB) would not.
EMBED_AUDIO_MAX_BYTES = 20_000_000
# Words the engine heard with less confidence than this are marked on the page.
LOW_CONFIDENCE = 0.5
# Base64 turns 3 bytes into 4 characters; read a multiple of 3 so chunks join cleanly.
_EMBED_CHUNK_BYTES = 3 * 256 * 1024

# By extension: mimetypes' answer for these differs between platforms (audio/x-flac, ...).
_AUDIO_MIME = {
    ".aac": "audio/aac",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".mp3": "audio/mpeg",
    ".mp4": "video/mp4",
    ".oga": "audio/ogg",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".wav": "audio/wav",
    ".webm": "audio/webm",
}
_DEFAULT_MIME = "application/octet-stream"

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# A language tag as engines report it ("en", "pt-BR"); anything else is left out.
_LANG_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
# Characters that must not appear raw inside a <script> data block. U+2028/2029 are
# valid in JSON but break older JavaScript parsers; they are escaped for good measure.
_SCRIPT_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def write_html(result: Result, fp: TextIO, opts: WriterOptions) -> None:
    """Write a self-contained HTML page to review ``result`` against its audio.

    The audio is ``result.audio.path``: embedded as a ``data:`` URI when
    ``opts.html_embed_audio`` is "always", or "auto" and the file is at most
    ``EMBED_AUDIO_MAX_BYTES``; otherwise linked by its path relative to
    ``opts.output_dir`` (the current folder when ``None``).

    Args:
        result: the alignment to review.
        fp: the stream the page is written to (UTF-8).
        opts: ``html_embed_audio`` and ``output_dir`` are read.

    Raises:
        OSError: the audio must be embedded ("always") but cannot be read.
    """
    css = _asset("review.css")
    js = _asset("review.js")
    audio_path = result.audio.path
    embed = bool(audio_path) and _should_embed(Path(audio_path), opts)
    lang = result.engine.language
    name = Path(result.transcript.path or audio_path or "transcript").name
    fields: dict[str, str | Callable[[], None]] = {
        "csp": _csp(js, css),
        "title": html.escape(f"{name} · turnalign review"),
        "heading": html.escape(name),
        "css": css,
        "js": js,
        "data": script_json(result.to_dict()),
        "low_confidence": str(LOW_CONFIDENCE),
        "content_lang": f' lang="{lang}"' if _LANG_TAG.fullmatch(lang) else "",
        "audio_src": "",
    }
    if embed:
        fields["audio_src"] = lambda: _write_data_uri(Path(audio_path), fp)
    elif audio_path:
        fields["audio_src"] = f' src="{html.escape(audio_href(audio_path, opts.output_dir))}"'
    # One pass over the template: substituted text is never scanned for placeholders.
    for i, part in enumerate(_PLACEHOLDER.split(_asset("review.html"))):
        if i % 2 == 0:
            fp.write(part)
            continue
        value = fields[part]
        if isinstance(value, str):
            fp.write(value)
        else:
            value()


def audio_href(audio_path: str, output_dir: Path | None) -> str:
    """The URL of ``audio_path`` relative to a page in ``output_dir``, percent-encoded.

    Relative paths are taken from the current folder, as ``open`` would. Where no relative
    path exists (another drive on Windows) this is an absolute ``file:`` URL.
    """
    target = os.path.abspath(audio_path)
    base = os.path.abspath(output_dir if output_dir is not None else os.curdir)
    try:
        rel = os.path.relpath(target, base)
    except ValueError:
        return Path(target).as_uri()
    # Quoting ":" too keeps a file named "javascript:x.mp3" from reading as a scheme.
    return urllib.parse.quote(rel.replace(os.sep, "/"), safe="/")


def script_json(data: Any) -> str:
    """``data`` as JSON that is safe inside ``<script type="application/json">``.

    ``JSON.parse`` reads it back unchanged: the escapes only ever occur inside strings,
    since JSON has no ``<``, ``>`` or ``&`` outside them.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.translate(_SCRIPT_ESCAPES)


def _should_embed(audio: Path, opts: WriterOptions) -> bool:
    if opts.html_embed_audio == "never":
        return False
    if opts.html_embed_audio == "always":
        return True
    try:
        size = audio.stat().st_size
    except OSError as e:
        logger.info("linking the audio, not embedding it: cannot read %s (%s)", audio, e)
        return False
    return size <= EMBED_AUDIO_MAX_BYTES


def _write_data_uri(audio: Path, fp: TextIO) -> None:
    """Write ` src="data:<mime>;base64,..."`, streaming the file in bounded chunks."""
    mime = _AUDIO_MIME.get(audio.suffix.lower(), _DEFAULT_MIME)
    with _open_audio(audio) as f:
        fp.write(f' src="data:{mime};base64,')
        while chunk := f.read(_EMBED_CHUNK_BYTES):
            fp.write(base64.b64encode(chunk).decode("ascii"))
        fp.write('"')


def _open_audio(audio: Path) -> BinaryIO:
    try:
        return open(audio, "rb")
    except OSError as e:
        # write_outputs reports strerror against the page's path; name the audio in it.
        raise type(e)(e.errno, f"cannot read the audio to embed, {audio}: {e.strerror}") from e


def _csp(js: str, css: str) -> str:
    """A policy that runs only this page's own script and style and loads no resources.

    ``media-src`` allows the linked audio (same origin, or ``file:`` when the page is
    opened from disk) and embedded ``data:`` audio.
    """
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src '{_sha256(js)}'",
            f"style-src '{_sha256(css)}'",
            "media-src 'self' file: data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


@cache
def _asset(name: str) -> str:
    """A file shipped beside this module (package data)."""
    return resources.files("align.writers").joinpath(name).read_text(encoding="utf-8")


__all__ = ["EMBED_AUDIO_MAX_BYTES", "LOW_CONFIDENCE", "audio_href", "script_json", "write_html"]
