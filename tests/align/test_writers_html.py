"""The HTML review page, without a browser: self-contained, its JSON payload is the result,
user text cannot escape into markup, and the audio is linked or embedded as asked.

``tests/browser/test_review_page.py`` drives the same page in headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest

from align.errors import OutputError
from align.model import (
    AudioInfo,
    EngineInfo,
    Mismatch,
    Quality,
    Result,
    TranscriptInfo,
    Turn,
    Word,
)
from align.writers import WRITERS, WriterOptions, write_outputs
from align.writers import html as html_writer
from align.writers.html import _asset, audio_href, script_json, write_html

MALICIOUS = "</script><script>alert(1)</script>"
DATA_BLOCK = re.compile(
    r'<script type="application/json" id="turnalign-data">(.*?)</script>', re.DOTALL
)
# HTML elements that never have an end tag.
VOID = frozenset({"meta", "link", "input", "br", "img", "hr", "source", "track", "wbr"})


def _word(text: str, start: float | None, end: float | None, **kw: object) -> Word:
    status = kw.pop("status", "matched" if start is not None else "not_found")
    return Word(text, start, end, status, **kw)  # type: ignore[arg-type]


def _turn(index: int, speaker: str, words: tuple[Word, ...]) -> Turn:
    text = " ".join(w.text for w in words)
    timed = [w for w in words if w.start is not None]
    if not timed:
        return Turn(index, speaker, text, None, None, "not_found", words)
    return Turn(index, speaker, text, timed[0].start, timed[-1].end, "aligned", words, 0.8, 0.9)


def make_result(audio_path: str, speaker: str = "Speaker 1", duration_s: float = 11.0) -> Result:
    """Three turns: matched, substituted, low-confidence and interpolated words, a turn
    that was not heard, and speech heard between turns that no turn covers."""
    turns = (
        _turn(
            0,
            speaker,
            (
                _word("And", 0.0, 0.7, confidence=0.9),
                _word("so,", 0.7, 1.1, confidence=0.3),
                _word("my", 1.1, 1.4, status="substituted", heard="by", confidence=0.6),
            ),
        ),
        _turn(1, "Speaker 2", (_word("Never", None, None), _word("said.", None, None))),
        _turn(
            2,
            "Speaker 2",
            (
                _word("fellow", 3.0, 3.4, confidence=0.9),
                _word("Americans,", 3.4, 4.0, status="interpolated", confidence=0.0),
                _word("<b>&amp;</b>\u2028<!--", 4.0, 4.5, confidence=0.9),
            ),
        ),
    )
    return Result(
        audio=AudioInfo(audio_path, duration_s),
        transcript=TranscriptInfo("talk.txt", "speaker_block", "A talk"),
        engine=EngineInfo("faster-whisper", "tiny.en", "cpu", "int8", "en"),
        turns=turns,
        mismatches=(
            Mismatch("substitution", 0, "my", 1.1, 1.4, heard="by", word_start=2, word_count=1),
            Mismatch("not_in_audio", 1, "Never said.", None, None, word_start=0, word_count=2),
            Mismatch("not_in_transcript", None, "uh let me see", 1.8, 2.6),
        ),
        quality=Quality(
            coverage=0.7, confidence=0.8, score=0.75, turns_aligned=2, turns_not_found=1
        ),
    )


@pytest.fixture
def result(jfk_path: Path) -> Result:
    return make_result(str(jfk_path))


def _page(result: Result, opts: WriterOptions | None = None) -> str:
    """The page as text; by default the audio is linked from a page beside it."""
    if opts is None:
        opts = WriterOptions(html_embed_audio="never", output_dir=Path(result.audio.path).parent)
    buf = StringIO()
    write_html(result, buf, opts)
    return buf.getvalue()


def _payload(page: str) -> object:
    (block,) = DATA_BLOCK.findall(page)
    return json.loads(block)


class _Collector(HTMLParser):
    """Every start tag with its attributes, and a check that tags nest and close."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []
        self.errors: list[str] = []
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1:]}")
        else:
            self.open.pop()


def _parse(page: str) -> _Collector:
    parser = _Collector()
    parser.feed(page)
    parser.close()
    return parser


# -- self-contained and well-formed ---------------------------------------------------------


def test_page_is_self_contained(result: Result) -> None:
    page = _page(result)
    parsed = _parse(page)
    urls = [
        value
        for _, attrs in parsed.tags
        for name, value in attrs.items()
        if name in ("src", "href", "action", "poster", "data") and value
    ]
    assert urls == ["jfk.flac"]
    assert not re.search(r"https?:|//[a-z]", " ".join(urls))
    assert "http://" not in page and "https://" not in page
    assert "url(" not in _asset("review.css") and "@import" not in _asset("review.css")
    # Only the data block and the inline script: nothing loaded from elsewhere.
    scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
    assert scripts == [{"type": "application/json", "id": "turnalign-data"}, {}]
    assert not [tag for tag, _ in parsed.tags if tag in ("link", "iframe", "img", "object")]


def test_page_is_well_formed(result: Result) -> None:
    page = _page(result)
    parsed = _parse(page)
    assert page.startswith("<!DOCTYPE html>\n")
    assert parsed.doctype == "DOCTYPE html"
    assert parsed.errors == []
    assert parsed.open == []
    ids = [attrs["id"] for _, attrs in parsed.tags if "id" in attrs]
    assert len(ids) == len(set(ids))
    assert parsed.tags[0] == ("html", {"lang": "en"})
    assert ("meta", {"charset": "utf-8"}) in parsed.tags
    # Every control has an accessible name.
    for tag, attrs in parsed.tags:
        if tag == "button":
            assert attrs.get("type") == "button"
    assert (
        "main",
        {
            "id": "transcript",
            "aria-label": "Transcript",
            "data-low-confidence": "0.5",
            "lang": "en",
        },
    ) in parsed.tags


def test_inline_assets_cannot_close_their_element() -> None:
    assert "</" not in _asset("review.js")
    assert "</style" not in _asset("review.css").lower()


def test_csp_pins_the_inline_script_and_style(result: Result) -> None:
    page = _page(result)
    (csp,) = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    js = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)[-1]
    (css,) = re.findall(r"<style>(.*?)</style>", page, re.DOTALL)

    def sha(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert "default-src 'none'" in csp
    assert f"script-src 'sha256-{sha(js)}'" in csp
    assert f"style-src 'sha256-{sha(css)}'" in csp
    assert "unsafe-inline" not in csp


# -- the payload and escaping ------------------------------------------------------------


def test_payload_is_the_result(result: Result) -> None:
    payload = _payload(_page(result))
    assert payload == result.to_dict()
    assert isinstance(payload, dict)
    assert Result.from_dict(payload).to_dict() == result.to_dict()


def test_malicious_speaker_cannot_close_the_data_block(jfk_path: Path) -> None:
    result = make_result(str(jfk_path), speaker=MALICIOUS)
    page = _page(result)
    assert page.count("<script") == 2
    assert page.count("</script>") == 2
    assert "alert(1)" not in page.replace("\\u003c/script\\u003e\\u003cscript\\u003ealert(1)", "")
    payload = _payload(page)
    assert isinstance(payload, dict)
    assert payload["turns"][0]["speaker"] == MALICIOUS
    assert payload["turns"][2]["words"][2]["text"] == "<b>&amp;</b>\u2028<!--"


def test_script_json_escapes_every_markup_character() -> None:
    text = script_json({"a": "</script><!-- & \u2028\u2029 >"})
    assert not set(text) & set("<>&\u2028\u2029")
    assert json.loads(text) == {"a": "</script><!-- & \u2028\u2029 >"}


def test_title_and_heading_are_escaped(result: Result) -> None:
    name = "<img src=x onerror=alert(1)>&.txt"
    evil = replace(result, transcript=TranscriptInfo(f"talks/{name}", "plain", ""))
    page = _page(evil)
    assert "<img" not in page
    escaped = "&lt;img src=x onerror=alert(1)&gt;&amp;.txt"
    assert f"<title>{escaped} · turnalign review</title>" in page
    assert f"<h1>{escaped}</h1>" in page


def test_unusual_language_is_left_out(result: Result) -> None:
    odd = replace(result, engine=replace(result.engine, language='en" onload="x'))
    page = _page(odd)
    assert "onload" not in page.split('id="turnalign-data"')[0]
    assert 'data-low-confidence="0.5">' in page


# -- audio: linked or embedded ------------------------------------------------------------


def test_audio_is_linked_relative_to_the_output_folder(tmp_path: Path, jfk_path: Path) -> None:
    audio = tmp_path / "media" / "my talk #1: part?.flac"
    audio.parent.mkdir()
    audio.write_bytes(jfk_path.read_bytes())
    result = make_result(str(audio))
    opts = WriterOptions(html_embed_audio="never")
    (path,) = write_outputs(result, ["html"], tmp_path / "site" / "pages", "talk", opts)
    assert path == tmp_path / "site" / "pages" / "talk.html"
    src = re.findall(r'<audio id="player"[^>]* src="([^"]*)"', path.read_text("utf-8"))
    assert src == ["../../media/my%20talk%20%231%3A%20part%3F.flac"]


def test_audio_href_is_relative_to_the_current_folder_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert audio_href("audio/a.wav", None) == "audio/a.wav"
    assert audio_href(str(tmp_path / "a.wav"), tmp_path / "out") == "../a.wav"
    assert audio_href("javascript:alert(1).mp3", None) == "javascript%3Aalert%281%29.mp3"


def test_small_audio_is_embedded_by_default(result: Result, jfk_path: Path) -> None:
    page = _page(result, WriterOptions())
    (data,) = re.findall(r' src="data:audio/flac;base64,([^"]*)"', page)
    assert base64.b64decode(data) == jfk_path.read_bytes()


def test_large_audio_is_linked_in_auto_mode(
    result: Result, jfk_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(html_writer, "EMBED_AUDIO_MAX_BYTES", jfk_path.stat().st_size - 1)
    page = _page(result, WriterOptions(output_dir=jfk_path.parent))
    assert ' src="jfk.flac"' in page
    assert "data:audio" not in page
    always = _page(result, WriterOptions(html_embed_audio="always"))
    assert ' src="data:audio/flac;base64,' in always


def test_missing_audio_is_linked_in_auto_mode_and_fails_when_it_must_be_embedded(
    tmp_path: Path,
) -> None:
    result = make_result(str(tmp_path / "gone.wav"))
    page = _page(result, WriterOptions(output_dir=tmp_path))
    assert ' src="gone.wav"' in page
    with pytest.raises(FileNotFoundError, match="cannot read the audio to embed"):
        _page(result, WriterOptions(html_embed_audio="always"))
    with pytest.raises(OutputError, match=r"talk\.html.*cannot read the audio to embed.*gone\.wav"):
        write_outputs(result, ["html"], tmp_path, "talk", WriterOptions(html_embed_audio="always"))
    assert not list(tmp_path.iterdir())


def test_result_without_audio_path_has_no_source() -> None:
    page = _page(make_result(""), WriterOptions())
    assert re.search(r"<audio id=\"player\" controls preload=\"metadata\">", page)


def test_writer_options_reject_bad_embed_mode() -> None:
    with pytest.raises(ValueError, match="html_embed_audio"):
        WriterOptions(html_embed_audio="sometimes")  # type: ignore[arg-type]


def test_html_is_registered() -> None:
    assert WRITERS["html"].extension == ".html"
    assert WRITERS["html"].write is write_html


def test_long_result_stays_linear(jfk_path: Path) -> None:
    """A 3-hour transcript: 3,000 turns of 12 words; the page is a few MB, not more."""
    turns = []
    for i in range(3000):
        t0 = i * 3.6
        words = tuple(_word(f"w{i}.{k}", t0 + 0.3 * k, t0 + 0.3 * k + 0.25) for k in range(12))
        turns.append(_turn(i, f"Speaker {i % 3}", words))
    long = Result(
        AudioInfo(str(jfk_path), 10_800.0),
        TranscriptInfo("long.txt", "plain", ""),
        EngineInfo("faster-whisper", "tiny.en", "cpu", "int8", "en"),
        tuple(turns),
    )
    page = _page(long)
    assert len(page) < 12_000_000
    payload = _payload(page)
    assert isinstance(payload, dict)
    assert len(payload["turns"]) == 3000
