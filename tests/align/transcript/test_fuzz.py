"""Property tests of the transcript parser: it fails only with project errors in any layout,
and it never loses, merges or invents a turn of a well-formed labelled transcript."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from align.errors import EmptyTranscriptError, TranscriptParseError
from align.transcript import (
    TRANSCRIPT_FORMATS,
    TranscriptFormat,
    parse_transcript,
    read_transcript,
    render_transcript,
)

FUZZ = settings(max_examples=150, deadline=None)
# The layouts ``_write`` writes; every layout is fuzzed with arbitrary text below.
LABELLED: tuple[TranscriptFormat, ...] = ("speaker_block", "speaker_inline", "timestamped", "plain")


@given(text=st.text(), fmt=st.sampled_from((None, *TRANSCRIPT_FORMATS)))
@FUZZ
def test_any_text_fails_only_with_project_errors(text: str, fmt: TranscriptFormat | None) -> None:
    try:
        t = parse_transcript(text, fmt)
    except (EmptyTranscriptError, TranscriptParseError):
        return
    assert t.turns
    assert all(turn.tokens == tuple(turn.text.split()) for turn in t.turns)


_LINE_PIECES = st.lists(
    st.sampled_from(
        ["Alice:", "Speaker 2:", "[00:01:02]", "00:01", "(1:02)", "Bob", "x", "?", " "]
    ),
    max_size=6,
)


@given(lines=st.lists(st.one_of(_LINE_PIECES.map(" ".join), st.text(max_size=20)), max_size=12))
@FUZZ
def test_label_like_text_fails_only_with_project_errors(lines: list[str]) -> None:
    with contextlib.suppress(EmptyTranscriptError, TranscriptParseError):
        parse_transcript("\n".join(lines))


@given(data=st.binary(max_size=200))
@settings(FUZZ, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_bytes_fail_only_with_project_errors(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(data)
    with contextlib.suppress(EmptyTranscriptError, TranscriptParseError):
        read_transcript(path)


@dataclass(frozen=True)
class _Turn:
    speaker: str
    paragraphs: tuple[tuple[str, ...], ...]  # paragraphs of lines of text
    time_s: float

    @property
    def tokens(self) -> tuple[str, ...]:
        return tuple(" ".join(" ".join(p) for p in self.paragraphs).split())


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéøABCXYZ0123456789", min_size=1, max_size=8)
_TOKEN = st.builds(lambda w, p: w + p, _WORD, st.sampled_from(["", "", ",", ".", "?", "!", "'s"]))
_LINE = st.lists(_TOKEN, min_size=1, max_size=6).map(" ".join)
_NAME_WORD = st.from_regex(r"[A-Z][a-z]{1,6}\.?|[0-9]{1,2}|[A-Z]{2,5}", fullmatch=True)
_SPEAKER = st.one_of(
    st.integers(1, 12).map(lambda n: f"Speaker {n}"),
    st.lists(_NAME_WORD, min_size=1, max_size=3).map(" ".join).filter(lambda s: s[0].isalpha()),
)
_TURN = st.builds(
    _Turn,
    _SPEAKER,
    st.lists(st.lists(_LINE, min_size=1, max_size=2).map(tuple), min_size=1, max_size=3).map(tuple),
    st.integers(0, 3 * 3600 * 10).map(lambda tenths: tenths / 10),
)
_FRONT = st.lists(_LINE.map(str.lower), max_size=1)


def _stamp(time_s: float) -> str:
    tenths = round(time_s * 10)
    return f"{tenths // 36000:02d}:{tenths // 600 % 60:02d}:{tenths // 10 % 60:02d}.{tenths % 10}"


def _write(fmt: TranscriptFormat, turns: list[_Turn], front: list[str], variant: int) -> str:
    blocks = list(front) if fmt != "plain" else []
    for turn in turns:
        body = "\n\n".join("\n".join(p) for p in turn.paragraphs)
        if fmt == "speaker_block":
            blocks.append(f"{turn.speaker}:\n\n{body}")
        elif fmt == "speaker_inline":
            blocks.append(f"{turn.speaker}: {body}")
        elif fmt == "timestamped":
            stamp = _stamp(turn.time_s)
            label = [f"[{stamp}] {turn.speaker}: ", f"{stamp} {turn.speaker}:\n", f"{stamp} - "]
            blocks.append(
                label[variant % 3] + body if variant % 3 < 2 else f"{stamp} {turn.speaker}\n{body}"
            )
        else:
            blocks.append("\n".join(turn.paragraphs[0]))
    # plain paragraphs need a blank line between them; labelled turns may sit back to back
    return ("\n\n" if variant % 2 or fmt == "plain" else "\n").join(blocks) + "\n"


@given(
    turns=st.lists(_TURN, min_size=1, max_size=8),
    front=_FRONT,
    fmt=st.sampled_from(LABELLED),
    variant=st.integers(0, 5),
)
@FUZZ
def test_generated_transcripts_keep_every_turn(
    turns: list[_Turn], front: list[str], fmt: TranscriptFormat, variant: int
) -> None:
    if fmt == "plain":
        turns = [_Turn("Speaker 1", t.paragraphs[:1], t.time_s) for t in turns]
    text = _write(fmt, turns, front, variant)
    for forced in (None, fmt):
        t = parse_transcript(text, forced)
        assert t.format == fmt, text
        assert t.front_matter == ("\n".join(front) if fmt != "plain" else "")
        assert [(x.speaker, x.tokens) for x in t.turns] == [(y.speaker, y.tokens) for y in turns]
        if fmt == "timestamped":
            assert [x.original_time_s for x in t.turns] == [y.time_s for y in turns]


@given(
    turns=st.lists(_TURN, min_size=1, max_size=8),
    fmt=st.sampled_from(LABELLED),
    new=st.data(),
)
@FUZZ
def test_render_round_trips(turns: list[_Turn], fmt: TranscriptFormat, new: st.DataObject) -> None:
    if fmt == "plain":
        turns = [_Turn("Speaker 1", t.paragraphs[:1], t.time_s) for t in turns]
    t = parse_transcript(_write(fmt, turns, ["a title"], 1))
    n = len(t.turns)
    # plain paragraphs hold no blank line, or they would read back as two turns
    paragraph = (
        _LINE if fmt == "plain" else st.lists(_LINE, min_size=1, max_size=3).map("\n\n".join)
    )
    texts = new.draw(st.lists(st.one_of(st.none(), paragraph), min_size=n, max_size=n))
    tenths = st.integers(0, 10 * 3600 * 10).map(lambda k: k / 10)
    times = new.draw(st.lists(st.one_of(st.none(), tenths), min_size=n, max_size=n))
    kept = [i for i, text in enumerate(texts) if text is not None]
    if not kept:
        return
    back = parse_transcript(render_transcript(t, texts, times))
    assert back.format == fmt
    assert back.front_matter == t.front_matter
    assert [x.speaker for x in back.turns] == [t.turns[i].speaker for i in kept]
    assert [x.text for x in back.turns] == [texts[i] for i in kept]
    assert [x.original_time_s for x in back.turns] == [times[i] for i in kept]


@pytest.mark.parametrize("fmt", LABELLED)
def test_writer_of_this_module_writes_each_format(fmt: TranscriptFormat) -> None:
    turns = [_Turn("Ann Lee", (("hello there",),), 1.5), _Turn("Bo", (("hi",),), 3.0)]
    if fmt == "plain":
        turns = [_Turn("Speaker 1", t.paragraphs, t.time_s) for t in turns]
    assert parse_transcript(_write(fmt, turns, [], 0)).format == fmt
