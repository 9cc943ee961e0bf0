"""The HTML review page driven in headless Chromium: clicks seek the audio, the word under
the playhead is highlighted, keyboard shortcuts work and user text stays text.

Needs Debian's ``chromium`` and ``chromium-driver`` (apt) and ``selenium`` (pip). Without
them these tests skip with the reason, unless ``TURNALIGN_REQUIRE_BROWSER=1`` (set in CI),
where a missing browser is an error. The pages are served by a local HTTP server on
127.0.0.1 (``conftest.py``), the audio file beside them; Chromium gets no network.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from align.cli import main
from align.model import AudioInfo, EngineInfo, Mismatch, Result, TranscriptInfo, Turn, Word
from align.writers import WriterOptions, write_outputs

CHROMIUM = os.environ.get("TURNALIGN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = (
    os.environ.get("TURNALIGN_CHROMEDRIVER")
    or shutil.which("chromedriver")
    or "/usr/bin/chromedriver"
)
# No network, no background services: without these Chromium keeps dialling out and
# logging refused connections.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--autoplay-policy=no-user-gesture-required",
    "--window-size=1280,900",
)
TRANSCRIPT = (
    "President Kennedy:\n\nAnd so, my fellow Americans, ask not what your country can do "
    "for you, ask what you can do for your country.\n"
)
MALICIOUS = "</script><script>alert(1)</script>"
INJECTED_WORD = '<img src=x onerror="window.__pwned=1">'
# The player's clock moves on between the click and the read-back.
SEEK_TOLERANCE_S = 0.3
WAIT_S = 20


def _missing() -> str | None:
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (.venv/bin/pip install selenium)"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            return f"{path} not found (apt-get install -y {package})"
    return None


_REASON = _missing()
if _REASON is not None:
    if os.environ.get("TURNALIGN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required but cannot run: {_REASON}", pytrace=False)
    pytest.skip(f"browser tests need Chromium: {_REASON}", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver import Chrome  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.slow  # aligns real audio with Whisper once per module


# -- pages ------------------------------------------------------------------------------


def _turn(index: int, speaker: str, words: tuple[Word, ...]) -> Turn:
    timed = [w for w in words if w.start is not None]
    text = " ".join(w.text for w in words)
    if not timed:
        return Turn(index, speaker, text, None, None, "not_found", words)
    return Turn(index, speaker, text, timed[0].start, timed[-1].end, "aligned", words, 0.8, 1.0)


def _review_result(real: Result) -> Result:
    """The real JFK alignment cut into turns, with every kind of mismatch planted.

    0 "And so, my fellow Americans," / 1 a turn that was never said / 2 "ask not what
    your country can do for you," with "what" heard as "watt" / the second "ask", heard
    but in no turn / 3 "what you can do for your country."
    """
    words = real.turns[0].words
    assert [w.text for w in words[13:16]] == ["you,", "ask", "what"], words
    middle = list(words[5:14])
    what = middle[2]
    middle[2] = replace(what, status="substituted", heard="watt", confidence=0.4)
    never = tuple(Word(t, None, None, "not_found") for t in "This was never said.".split())
    ask = words[14]
    assert ask.start is not None and ask.end is not None
    turns = (
        _turn(0, "President Kennedy", words[:5]),
        _turn(1, "Narrator", never),
        _turn(2, "President Kennedy", tuple(middle)),
        _turn(3, "President Kennedy", words[15:]),
    )
    return real.with_turns(
        turns,
        mismatches=(
            Mismatch(
                "not_in_audio",
                1,
                "This was never said.",
                None,
                None,
                word_start=0,
                word_count=4,
                reason="repeated phrase",
            ),
            Mismatch(
                "substitution",
                2,
                what.text,
                what.start,
                what.end,
                heard="watt",
                word_start=2,
                word_count=1,
            ),
            Mismatch("not_in_transcript", None, ask.text, ask.start, ask.end),
        ),
    )


def _evil_result(real: Result) -> Result:
    words = real.turns[0].words
    first = replace(words[0], text=INJECTED_WORD)
    turn = _turn(0, MALICIOUS, (first, *words[1:]))
    return real.with_turns((turn,), mismatches=())


def _long_result(audio: Path) -> Result:
    """A 3-hour transcript: 3,000 turns of 12 words, 3.6 s apart (the audio is 11 s)."""
    turns = []
    for i in range(3000):
        t0 = i * 3.6
        words = tuple(
            Word(f"w{i}.{k}", round(t0 + 0.3 * k, 3), round(t0 + 0.3 * k + 0.25, 3), "matched", 0.9)
            for k in range(12)
        )
        turns.append(_turn(i, f"Speaker {i % 3}", words))
    return Result(
        AudioInfo(str(audio), 10_800.0),
        TranscriptInfo("long.txt", "plain", ""),
        EngineInfo("faster-whisper", "tiny.en", "cpu", "int8", "en"),
        tuple(turns),
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, jfk_path: Path) -> dict[str, Any]:
    """Pages under one folder: ``cli/jfk.html`` straight from the CLI (audio embedded) and,
    under ``review/``, pages that link ``../audio/jfk.flac``."""
    root = tmp_path_factory.mktemp("site")
    transcript = root / "jfk.txt"
    transcript.write_text(TRANSCRIPT, encoding="utf-8")
    rc = main(
        [
            "-q",
            "align",
            str(jfk_path),
            str(transcript),
            "-o",
            str(root / "cli"),
            "--format",
            "json,html",
            "--refine",
            "none",
        ]
    )
    assert rc == 0
    real = Result.from_dict(json.loads((root / "cli" / "jfk.json").read_text()))
    audio = root / "audio" / "jfk.flac"
    audio.parent.mkdir()
    shutil.copyfile(jfk_path, audio)
    real = replace(real, audio=replace(real.audio, path=str(audio)))
    linked = WriterOptions(html_embed_audio="never")
    pages = {"real": real, "review": _review_result(real), "evil": _evil_result(real)}
    for stem, result in pages.items():
        write_outputs(result, ["html"], root / "review", stem, linked)
    write_outputs(_long_result(audio), ["html"], root / "review", "long", linked)
    return {"root": root, **pages}


@pytest.fixture(scope="module")
def server(site: dict[str, Any], serve: Callable[[Path], str]) -> str:
    """The base URL of ``site`` served over HTTP (see conftest.py)."""
    return serve(site["root"])


@pytest.fixture(scope="module")
def browser() -> Iterator[Chrome]:
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in CHROMIUM_ARGS:
        opts.add_argument(arg)
    profile = tempfile.mkdtemp(prefix="turnalign-chromium-")
    opts.add_argument(f"--user-data-dir={profile}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(WAIT_S)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _open(browser: Chrome, url: str) -> None:
    """Drop the log of earlier pages, load a page, and wait for its audio's metadata."""
    browser.get_log("browser")
    browser.get(url)
    WebDriverWait(browser, WAIT_S).until(
        lambda d: d.execute_script(
            "const a = document.getElementById('player');"
            "return a.readyState >= 1 || a.error !== null;"
        )
    )
    browser.execute_script("const a = document.getElementById('player'); a.muted = true;")


def _js(browser: Chrome, script: str, *args: Any) -> Any:
    return browser.execute_script(
        f"const audio = document.getElementById('player'); {script}", *args
    )


def _errors(browser: Chrome) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def _word_index(result: Result, turn: int, word: int) -> int:
    return sum(len(t.words) for t in result.turns[:turn]) + word


def _pause(browser: Chrome) -> None:
    _js(browser, "audio.pause();")


# -- tests ------------------------------------------------------------------------------


def test_page_loads_its_audio_and_renders_everything(
    browser: Chrome, server: str, site: dict[str, Any]
) -> None:
    _open(browser, f"{server}/review/review.html")
    result: Result = site["review"]
    state = _js(
        browser,
        """const root = document.getElementById('transcript');
        return {ready: audio.readyState, error: audio.error && audio.error.message,
                duration: audio.duration, src: audio.getAttribute('src'),
                turns: root.querySelectorAll('.turn').length,
                words: root.querySelectorAll('.w').length,
                notice: document.getElementById('notice').hidden,
                summary: document.getElementById('summary').textContent};""",
    )
    assert state["error"] is None
    assert state["src"] == "../audio/jfk.flac"
    assert state["duration"] == pytest.approx(11.0, abs=0.1)
    assert state["turns"] == len(result.turns)
    assert state["words"] == sum(len(t.words) for t in result.turns)
    assert state["notice"] is True
    assert "4 turns" in state["summary"] and "1 heard, not in transcript" in state["summary"]
    assert _errors(browser) == []


def test_clicking_a_turn_plays_from_its_start(
    browser: Chrome, server: str, site: dict[str, Any]
) -> None:
    _open(browser, f"{server}/review/review.html")
    result: Result = site["review"]
    _js(browser, "audio.currentTime = 9.5;")
    browser.find_element(By.CSS_SELECTOR, "#turn-3 button.time").click()
    t = _js(browser, "return audio.currentTime;")
    assert t == pytest.approx(result.turns[2].start, abs=SEEK_TOLERANCE_S)
    WebDriverWait(browser, WAIT_S).until(lambda d: not _js(d, "return audio.paused;"))
    _pause(browser)
    # Clicking the turn's body (not on a word) does the same.
    _js(browser, "audio.currentTime = 0.2;")
    browser.find_element(By.CSS_SELECTOR, "#turn-4 .speaker").click()
    t = _js(browser, "return audio.currentTime;")
    assert t == pytest.approx(result.turns[3].start, abs=SEEK_TOLERANCE_S)
    _pause(browser)
    assert _errors(browser) == []


def test_clicking_a_word_plays_from_that_word(
    browser: Chrome, server: str, site: dict[str, Any]
) -> None:
    _open(browser, f"{server}/review/review.html")
    result: Result = site["review"]
    for turn, word in ((2, 4), (0, 3), (3, 6)):
        i = _word_index(result, turn, word)
        browser.find_element(By.CSS_SELECTOR, f'#transcript [data-w="{i}"]').click()
        t = _js(browser, "return audio.currentTime;")
        _pause(browser)
        assert t == pytest.approx(result.turns[turn].words[word].start, abs=SEEK_TOLERANCE_S)


def test_highlight_is_the_word_under_the_playhead(
    browser: Chrome, server: str, site: dict[str, Any]
) -> None:
    _open(browser, f"{server}/review/review.html")
    result: Result = site["review"]
    probes = []  # (time, index of the word whose span holds it)
    for ti, turn in enumerate(result.turns):
        for wi, w in enumerate(turn.words):
            if w.start is not None and w.end is not None and w.end - w.start > 0.05:
                probes.append(((w.start + w.end) / 2, _word_index(result, ti, wi)))
    assert len(probes) > 10
    got = _js(
        browser,
        """const out = [];
        for (const [t] of arguments[0]) {
          audio.currentTime = t;
          audio.dispatchEvent(new Event('timeupdate'));
          const now = document.querySelectorAll('#transcript .w.now');
          out.push(now.length === 1 ? Number(now[0].dataset.w) : -now.length - 1);
        }
        return out;""",
        probes,
    )
    assert got == [i for _, i in probes]
    # The turn being spoken is marked too.
    playing = _js(browser, "return [...document.querySelectorAll('.turn.playing')].map(e => e.id);")
    assert playing == ["turn-4"]


def test_playback_moves_the_highlight(browser: Chrome, server: str) -> None:
    _open(browser, f"{server}/review/real.html")
    samples = browser.execute_async_script(
        """const done = arguments[arguments.length - 1];
        const audio = document.getElementById('player');
        const samples = [];
        audio.currentTime = 0.5;
        audio.play().then(() => {
          const timer = setInterval(() => {
            const now = document.querySelector('#transcript .w.now');
            samples.push([audio.currentTime, now ? Number(now.dataset.w) : -1]);
            if (audio.currentTime > 3.5 || samples.length > 100) {
              clearInterval(timer);
              audio.addEventListener('pause', () => setTimeout(() => {
                const last = document.querySelector('#transcript .w.now');
                samples.push([audio.currentTime, last ? Number(last.dataset.w) : -1]);
                done(samples);
              }, 50), {once: true});
              audio.pause();
            }
          }, 100);
        }, (e) => done(String(e)));"""
    )
    assert isinstance(samples, list), samples
    words = _js(
        browser,
        "return JSON.parse(document.getElementById('turnalign-data').textContent).turns[0].words;",
    )
    seen = {i for _, i in samples if i >= 0}
    assert len(seen) >= 3, samples  # the highlight moved on as the audio played
    t, i = samples[-1]  # paused: the highlight must match the playhead exactly
    inside = [k for k, w in enumerate(words) if w["start"] <= t < w["end"]]
    assert [i] == inside or (not inside and i == -1), (t, i, words)


def test_keyboard_shortcuts(browser: Chrome, server: str, site: dict[str, Any]) -> None:
    _open(browser, f"{server}/review/review.html")
    result: Result = site["review"]
    starts = [t.start for t in result.turns]
    body = browser.find_element(By.TAG_NAME, "body")

    def now() -> float:
        return float(_js(browser, "return audio.currentTime;"))

    def focused() -> str:
        return str(
            _js(browser, "const t = document.activeElement.closest('.turn');return t ? t.id : '';")
        )

    _js(browser, "audio.currentTime = 0.3;")
    body.send_keys("j")  # next turn; turn 2 was never heard and is skipped
    assert now() == pytest.approx(starts[2], abs=0.01)
    assert focused() == "turn-3"
    browser.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    assert now() == pytest.approx(starts[3], abs=0.01)
    assert focused() == "turn-4"
    browser.switch_to.active_element.send_keys("k")
    assert now() == pytest.approx(starts[2], abs=0.01)
    browser.switch_to.active_element.send_keys(Keys.ARROW_UP)
    assert now() == pytest.approx(starts[0], abs=0.01)
    assert focused() == "turn-1"

    _js(browser, "audio.currentTime = 2.0;")
    browser.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    assert now() == pytest.approx(7.0, abs=0.01)
    browser.switch_to.active_element.send_keys(Keys.ARROW_LEFT)
    assert now() == pytest.approx(2.0, abs=0.01)

    # Space toggles playback even while a turn's button has focus, without "clicking" it.
    assert _js(browser, "return audio.paused;") is True
    browser.switch_to.active_element.send_keys(Keys.SPACE)
    WebDriverWait(browser, WAIT_S).until(lambda d: not _js(d, "return audio.paused;"))
    browser.switch_to.active_element.send_keys(Keys.SPACE)
    WebDriverWait(browser, WAIT_S).until(lambda d: _js(d, "return audio.paused;"))
    assert now() >= 2.0  # not sent back to the focused turn's start (0.0)

    # n / p step through mismatches and low-confidence words in reading order.
    issues = ", ".join(
        f"#transcript {sel}"
        for sel in (".turn.missing", "del.w", ".w.s", ".w.i", ".w.low", "aside.heard")
    )

    def issue() -> int:
        return int(
            _js(
                browser,
                "return [...document.querySelectorAll(arguments[0])]"
                ".indexOf(document.activeElement);",
                issues,
            )
        )

    browser.switch_to.active_element.send_keys("n")
    first = issue()
    assert first >= 0
    browser.switch_to.active_element.send_keys("n")
    assert issue() == first + 1
    browser.switch_to.active_element.send_keys("p")
    assert issue() == first

    body.send_keys("?")
    assert _js(browser, "return document.getElementById('help').open;") is True
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    WebDriverWait(browser, WAIT_S).until(
        lambda d: d.execute_script("return !document.getElementById('help').open;")
    )
    assert _errors(browser) == []


def test_mismatches_and_low_confidence_are_marked(
    browser: Chrome, server: str, site: dict[str, Any]
) -> None:
    _open(browser, f"{server}/review/review.html")
    result: Result = site["review"]
    marks = _js(
        browser,
        """const root = document.getElementById('transcript');
        const missing = root.querySelector('#turn-2');
        const heard = root.querySelector('aside.heard');
        const subst = root.querySelector('.w.s');
        return {
          missing: missing.classList.contains('missing'),
          struck: [...missing.querySelectorAll('del.w')].map(
              e => getComputedStyle(e).textDecorationLine),
          struckTitle: missing.querySelector('del.w').title,
          heardText: heard.querySelector('q').textContent,
          heardBetween: [heard.previousElementSibling.id, heard.nextElementSibling.id],
          substText: subst.textContent,
          substTitle: subst.title,
          low: [...root.querySelectorAll('.w.low')].map(e => Number(e.dataset.w)),
        };""",
    )
    assert marks["missing"] is True
    assert marks["struck"] == ["line-through"] * 4
    assert marks["struckTitle"] == "not in the audio (repeated phrase)"
    assert marks["heardText"] == "ask"
    assert marks["heardBetween"] == ["turn-3", "turn-4"]
    assert marks["substText"] == "what"
    assert "heard “watt”" in marks["substTitle"]
    expected_low = [
        _word_index(result, ti, wi)
        for ti, turn in enumerate(result.turns)
        for wi, w in enumerate(turn.words)
        if w.status != "not_found" and w.confidence < 0.5
    ]
    assert marks["low"] == expected_low
    # Clicking the heard span plays it.
    browser.find_element(By.CSS_SELECTOR, "aside.heard button").click()
    ask = next(m for m in result.mismatches if m.kind == "not_in_transcript")
    assert _js(browser, "return audio.currentTime;") == pytest.approx(ask.start, abs=0.3)
    _pause(browser)


def test_user_text_stays_text(browser: Chrome, server: str) -> None:
    _open(browser, f"{server}/review/evil.html")
    shown = _js(
        browser,
        """return {speaker: document.querySelector('.speaker').textContent,
                   word: document.querySelector('#transcript [data-w="0"]').textContent,
                   pwned: window.__pwned === undefined ? null : window.__pwned,
                   images: document.images.length,
                   scripts: document.scripts.length};""",
    )
    assert shown == {
        "speaker": MALICIOUS,
        "word": INJECTED_WORD,
        "pwned": None,
        "images": 0,
        "scripts": 2,
    }
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018


def test_pages_open_from_disk(browser: Chrome, site: dict[str, Any]) -> None:
    """file:// pages: the CLI's page with the audio embedded, and a linked one."""
    root: Path = site["root"]
    for page, embedded in (
        (root / "cli" / "jfk.html", True),
        (root / "review" / "real.html", False),
    ):
        _open(browser, page.as_uri())
        state = _js(
            browser,
            """return {error: audio.error && audio.error.message,
            duration: audio.duration, data: audio.src.startsWith('data:audio/flac;base64,'),
            words: document.querySelectorAll('#transcript .w').length};""",
        )
        assert state == {
            "error": None,
            "duration": pytest.approx(11.0, abs=0.1),
            "data": embedded,
            "words": 22,
        }
        assert _errors(browser) == []


def test_three_hour_transcript(browser: Chrome, server: str) -> None:
    _open(browser, f"{server}/review/long.html")
    state = _js(
        browser,
        """const nav = performance.getEntriesByType('navigation')[0];
        return {turns: document.querySelectorAll('#transcript .turn').length,
                words: document.querySelectorAll('#transcript .w').length,
                load_ms: nav.loadEventEnd - nav.startTime};""",
    )
    assert state["turns"] == 3000
    assert state["words"] == 36_000
    print(f"3-hour page (3,000 turns, 36,000 words): loaded in {state['load_ms']:.0f} ms")
    browser.find_element(By.TAG_NAME, "body").send_keys("j")
    assert _js(browser, "return document.activeElement.closest('.turn').id;") == "turn-2"
    got = _js(
        browser,
        """audio.currentTime = 5.0; audio.dispatchEvent(new Event('timeupdate'));
        return Number(document.querySelector('#transcript .w.now').dataset.w);""",
    )
    assert got == 16  # turn 1 (3.6 s), word 4: 4.8-5.05 s
    assert _errors(browser) == []


def test_screenshot(browser: Chrome, server: str, site: dict[str, Any], tmp_path: Path) -> None:
    _open(browser, f"{server}/review/review.html")
    result: Result = site["review"]
    w = result.turns[2].words[4]
    assert w.start is not None and w.end is not None
    _js(
        browser,
        "audio.currentTime = arguments[0]; audio.dispatchEvent(new Event('timeupdate'));",
        (w.start + w.end) / 2,
    )
    path = tmp_path / "review.png"
    assert browser.save_screenshot(str(path))
    shutil.copyfile(path, Path(tempfile.gettempdir()) / "review.png")
    print(f"screenshot: {path} (copied to {tempfile.gettempdir()}/review.png)")
