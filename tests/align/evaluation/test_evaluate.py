"""Tests for align.evaluation: reference readers, turn/word scoring and flag detection.

Results are built by hand from the benchmark truth file, so every expectation is derived
from that file rather than copied from the code's output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from align.errors import InputError, ReferenceParseError, UnknownFormatError, UsageError
from align.evaluation import (
    EvalOptions,
    EvalReport,
    Reference,
    evaluate,
    format_text,
    map_turns,
    read_reference,
    read_result,
)
from align.model import (
    AudioInfo,
    EngineInfo,
    Mismatch,
    Result,
    TranscriptInfo,
    Turn,
    TurnStatus,
    Word,
)

ENGINE = EngineInfo("test", "none", "cpu", "none", "en")


# -- helpers -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def truth_path(shared_dir: Path) -> Path:
    path = shared_dir / "bench" / "conv_dev.truth.json"
    if not path.is_file():
        pytest.skip(f"benchmark truth file missing: {path}")
    return path


@pytest.fixture(scope="module")
def truth(truth_path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(truth_path.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def ref(truth_path: Path) -> Reference:
    return read_reference(truth_path)


@pytest.fixture(scope="module")
def noisy_blocks(shared_dir: Path) -> list[tuple[str, list[str]]]:
    """(speaker, words) per turn of the noisy transcript, split on whitespace."""
    text = (shared_dir / "bench" / "conv_dev.noisy.txt").read_text(encoding="utf-8")
    parts = re.split(r"^(Speaker \d+):\s*$", text, flags=re.M)[1:]
    return [(parts[k], parts[k + 1].split()) for k in range(0, len(parts), 2)]


def _result(turns: list[Turn], duration_s: float, mismatches: tuple[Mismatch, ...] = ()) -> Result:
    return Result(
        audio=AudioInfo("conv_dev.flac", duration_s),
        transcript=TranscriptInfo("conv_dev.txt", "speaker_turns", ""),
        engine=ENGINE,
        turns=tuple(turns),
        mismatches=mismatches,
    )


def _result_from_truth(truth: dict[str, Any], shift_s: float = 0.0) -> Result:
    """A result whose turns and words are the truth's own, every time moved by ``shift_s``."""
    turns = []
    for t in truth["turns"]:
        ws = [w for w in truth["words"] if w["turn"] == t["index"]]
        words = tuple(
            Word(w["word"], w["start"] + shift_s, w["end"] + shift_s, "matched") for w in ws
        )
        text = " ".join(w["word"] for w in ws)
        start, end = t["start"] + shift_s, t["end"] + shift_s
        turns.append(Turn(t["index"], t["speaker"], text, start, end, "aligned", words))
    return _result(turns, truth["duration"] + shift_s)


def _noisy_result(
    truth: dict[str, Any],
    blocks: list[tuple[str, list[str]]],
    *,
    flags: str = "inserted",
    extra_timed: bool = False,
) -> Result:
    """The noisy transcript with truth turn times, untimed words, and flags per corruption.

    ``flags``: "inserted" (word range of the inserted copy), "original" (the copy before
    it), "text" (text only, no word range) or "none".
    """
    tmap = truth["noisy_turn_map"]
    row_of = {j: k for k, j in enumerate(tmap) if j is not None}
    turns = []
    for k, (speaker, toks) in enumerate(blocks):
        words = tuple(Word(tok, None, None, "not_found") for tok in toks)
        j = tmap[k]
        if j is not None:
            t = truth["turns"][j]
            span: tuple[float | None, float | None] = (t["start"], t["end"])
        elif extra_timed:  # the gap where the extra turn was written in
            span = (truth["turns"][tmap[k - 1]]["end"], truth["turns"][tmap[k + 1]]["start"])
        else:
            span = (None, None)
        status: TurnStatus = "not_found" if span[0] is None else "aligned"
        turns.append(Turn(k, speaker, " ".join(toks), span[0], span[1], status, words))
    mismatches = []
    for c in truth["noisy_corruptions"] if flags != "none" else []:
        if c["type"] == "duplicate":
            at = c["at_word"] - c["length"] if flags == "original" else c["at_word"]
            where: dict[str, Any] = {"word_start": at, "word_count": c["length"]}
            if flags == "text":
                where = {}
            mismatches.append(
                Mismatch("not_in_audio", row_of[c["turn"]], c["text"], None, None, **where)
            )
        elif c["type"] == "missing_turn":
            t = truth["turns"][c["turn"]]
            mismatches.append(Mismatch("not_in_transcript", None, t["text"], t["start"], t["end"]))
        elif c["type"] == "substitution":
            k = row_of[c["turn"]]
            mismatches.append(
                Mismatch("substitution", k, c["into"], None, None, c["text"], 0.5, c["at_word"], 1)
            )
    return _result(turns, truth["duration"], tuple(mismatches))


def _kind(report: EvalReport, kind: str) -> tuple[int, int]:
    (k,) = [k for k in report.detection.kinds if k.kind == kind]
    return k.injected, k.detected


def _injected(truth: dict[str, Any], kind: str) -> int:
    return sum(c["type"] == kind for c in truth["noisy_corruptions"])


# -- scoring a clean result ----------------------------------------------------------------
def test_perfect_result_scores_zero(truth: dict[str, Any], ref: Reference) -> None:
    report = evaluate(_result_from_truth(truth), ref)
    assert report.turn_map_method == "order"
    assert report.turn_map == tuple(range(len(truth["turns"])))
    t = report.turns
    assert t is not None
    assert (t.n_mapped, t.n_not_found, t.n_extra) == (len(truth["turns"]), 0, 0)
    for stats in (t.start, t.end):
        assert stats.median_s == 0 and stats.p95_s == 0 and stats.mean_s == 0
        assert all(w.share == 1.0 for w in stats.within)
    assert all(w.share == 1.0 for w in t.both_within)
    grades = {w.grade: w for w in report.words}
    for grade in ("gold", "silver"):
        n = sum(w["grade"] == grade for w in truth["words"])
        assert grades[grade].n_reference == grades[grade].n_matched == n
    for w in report.words:
        assert w.n_not_timed == 0 and w.n_slot_paired == 0
        for stats in (w.start, w.end, w.boundaries):
            assert stats.median_s == 0 and stats.max_s == 0
            assert all(x.share == 1.0 for x in stats.within)
    assert report.result_words == report.result_words_matched == len(truth["words"])
    assert not report.detection.applicable and report.detection.not_in_audio_false == 0


def test_shift_reports_the_shift(truth: dict[str, Any], ref: Reference) -> None:
    shift_s = 0.2
    report = evaluate(_result_from_truth(truth, shift_s), ref)
    t = report.turns
    assert t is not None
    for stats in (t.start, t.end):
        assert stats.median_s == pytest.approx(shift_s)
        assert stats.p95_s == pytest.approx(shift_s)
        assert [w.share for w in stats.within] == [0.0, 1.0, 1.0]  # 0.1 s, 0.25 s, 1 s
    for w in report.words:
        assert w.boundaries.median_s == pytest.approx(shift_s)
        assert [x.share for x in w.boundaries.within] == [0.0, 0.0, 0.0, 1.0]  # <= 250 ms only


def test_missing_times_count_as_misses(truth: dict[str, Any], ref: Reference) -> None:
    perfect = _result_from_truth(truth)
    first = perfect.turns[0]
    untimed = Turn(
        0,
        first.speaker,
        first.text,
        None,
        None,
        "not_found",
        tuple(Word(w.text, None, None, "not_found") for w in first.words),
    )
    report = evaluate(perfect.with_turns((untimed, *perfect.turns[1:])), ref)
    n_turns = len(truth["turns"])
    assert report.turns is not None and report.turns.n_not_found == 1
    assert report.turns.start.within[0].share == pytest.approx((n_turns - 1) / n_turns)
    (all_words,) = [w for w in report.words if w.grade == "all"]
    assert all_words.n_not_timed == len(first.words)
    assert all_words.start.median_s == 0


def test_edited_words_still_match(truth: dict[str, Any], ref: Reference) -> None:
    """Digits for number words and dropped fillers don't break the word pairing."""
    perfect = _result_from_truth(truth)
    fillers = {"um", "uh"}
    turns: list[Turn] = []
    n_dropped = n_digits = 0
    for turn in perfect.turns:
        words = []
        for w in turn.words:
            if w.text in fillers:
                n_dropped += 1
                continue
            if w.text == "three":
                n_digits += 1
                w = Word("3", w.start, w.end, "matched")
            words.append(Word(w.text.capitalize() + ",", w.start, w.end, "matched"))
        if not words:
            continue
        text = " ".join(w.text for w in words)
        start, end = words[0].start, words[-1].end
        turns.append(Turn(len(turns), turn.speaker, text, start, end, "aligned", tuple(words)))
    assert n_dropped and n_digits
    report = evaluate(perfect.with_turns(tuple(turns)), ref)
    (all_words,) = [w for w in report.words if w.grade == "all"]
    assert all_words.n_matched == len(truth["words"]) - n_dropped
    assert all_words.boundaries.max_s == 0


# -- flags on the noisy transcript ---------------------------------------------------------
def test_noisy_result_maps_and_detects_everything(
    truth: dict[str, Any], ref: Reference, noisy_blocks: list[tuple[str, list[str]]]
) -> None:
    result = _noisy_result(truth, noisy_blocks)
    for c in truth["noisy_corruptions"]:  # the data's word positions are the parser's
        if c["type"] == "duplicate":
            k = truth["noisy_turn_map"].index(c["turn"])
            inserted = noisy_blocks[k][1][c["at_word"] : c["at_word"] + c["length"]]
            assert len(inserted) == c["length"]
    report = evaluate(result, ref)
    assert report.turn_map_method == "noisy"
    assert report.turn_map == tuple(truth["noisy_turn_map"])
    d = report.detection
    assert d.applicable
    for kind in ("duplicate", "extra_turn", "missing_turn", "substitution"):
        assert _kind(report, kind) == (_injected(truth, kind), _injected(truth, kind))
    assert d.not_in_audio_flags == _injected(truth, "duplicate")
    assert d.not_in_audio_precision == 1.0 and d.not_in_audio_false == 0
    assert report.turns is not None
    assert report.turns.n_extra == truth["noisy_turn_map"].count(None)
    assert report.turns.extra_turns_timed == 0
    assert report.turns.n_reference_unmapped == _injected(truth, "missing_turn")


@pytest.mark.parametrize("flags", ["original", "text"])
def test_duplicate_flag_on_either_copy_or_by_text(
    truth: dict[str, Any],
    ref: Reference,
    noisy_blocks: list[tuple[str, list[str]]],
    flags: str,
) -> None:
    report = evaluate(_noisy_result(truth, noisy_blocks, flags=flags), ref)
    n_dup = _injected(truth, "duplicate")
    assert _kind(report, "duplicate") == (n_dup, n_dup)
    assert report.detection.not_in_audio_precision == 1.0


def test_extra_turn_timed_and_no_flags(
    truth: dict[str, Any], ref: Reference, noisy_blocks: list[tuple[str, list[str]]]
) -> None:
    report = evaluate(_noisy_result(truth, noisy_blocks, flags="none", extra_timed=True), ref)
    assert report.turns is not None and report.turns.extra_turns_timed == 1
    for kind in ("duplicate", "extra_turn", "missing_turn", "substitution"):
        assert _kind(report, kind) == (_injected(truth, kind), 0)
    (dup,) = [k for k in report.detection.kinds if k.kind == "duplicate"]
    assert len(dup.missed) == _injected(truth, "duplicate")
    assert report.detection.not_in_audio_precision is None
    assert "extra_turn" in format_text(report)


def test_false_flag_lowers_precision(
    truth: dict[str, Any], ref: Reference, noisy_blocks: list[tuple[str, list[str]]]
) -> None:
    result = _noisy_result(truth, noisy_blocks)
    false_flag = Mismatch("not_in_audio", 0, result.turns[0].words[0].text, None, None,
                          word_start=0, word_count=1)  # fmt: skip
    report = evaluate(
        result.with_turns(result.turns, mismatches=(*result.mismatches, false_flag)), ref
    )
    n_dup = _injected(truth, "duplicate")
    assert report.detection.not_in_audio_false == 1
    assert report.detection.not_in_audio_precision == pytest.approx(n_dup / (n_dup + 1))


def test_clean_result_counts_every_not_in_audio_flag_false(
    truth: dict[str, Any], ref: Reference
) -> None:
    perfect = _result_from_truth(truth)
    flag = Mismatch("not_in_audio", 3, perfect.turns[3].words[0].text, None, None, word_start=0,
                    word_count=1)  # fmt: skip
    report = evaluate(perfect.with_turns(perfect.turns, mismatches=(flag,)), ref)
    d = report.detection
    assert not d.applicable and d.kinds == ()
    assert (d.not_in_audio_flags, d.not_in_audio_false) == (1, 1)


def test_text_mapping_recovers_the_noisy_map(
    truth: dict[str, Any], ref: Reference, noisy_blocks: list[tuple[str, list[str]]]
) -> None:
    result = _noisy_result(truth, noisy_blocks)
    method, targets = map_turns(result, ref, EvalOptions(turn_map="text"))
    assert method == "text"
    assert targets == tuple(truth["noisy_turn_map"])


def test_mapping_usage_errors(truth: dict[str, Any], ref: Reference) -> None:
    perfect = _result_from_truth(truth)
    shorter = perfect.with_turns(perfect.turns[:-1])
    with pytest.raises(UsageError, match="equal turn counts"):
        evaluate(shorter, ref, EvalOptions(turn_map="order"))
    with pytest.raises(UsageError, match="noisy_turn_map"):
        evaluate(shorter, ref, EvalOptions(turn_map="noisy"))


@pytest.mark.parametrize(
    "bad",
    [
        {"turn_map": "bogus"},
        {"turn_tolerances_s": (0.5, 0.1)},
        {"word_tolerances_ms": ()},
        {"min_flag_cover": 1.5},
        {"min_turn_similarity": -1.0},
    ],
)
def test_bad_options_raise_usage_error(bad: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        EvalOptions(**bad)


def test_report_is_json_ready_and_printable(truth: dict[str, Any], ref: Reference) -> None:
    report = evaluate(_result_from_truth(truth, 0.2), ref)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["schema"] == "turnalign-eval/1"
    assert data["turns"]["start"]["median_s"] == pytest.approx(0.2)
    text = format_text(report)
    for needle in ("turn map: order", "gold boundaries", "silver start", "start+end"):
        assert needle in text


# -- readers -------------------------------------------------------------------------------
def test_truth_json_reader(truth: dict[str, Any], ref: Reference) -> None:
    assert ref.format == "truth_json"
    assert len(ref.turns) == len(truth["turns"]) and len(ref.words) == len(truth["words"])
    assert ref.turns[1].start_s == truth["turns"][1]["start"]
    assert ref.words[0].grade == truth["words"][0]["grade"]
    assert ref.noisy_turn_map == tuple(truth["noisy_turn_map"])
    assert [c.kind for c in ref.corruptions] == [c["type"] for c in truth["noisy_corruptions"]]


def test_ctm_reader_and_file_level_matching(tmp_path: Path) -> None:
    ctm = tmp_path / "ref.ctm"
    ctm.write_text(
        ";; comment\nutt1 1 0.50 0.30 hello 0.9\nutt1 1 0.80 0.25 world\nutt1 1 1.20 0.10 <sil>\n"
    )
    ref = read_reference(ctm)
    assert ref.format == "ctm" and ref.turns == ()
    assert [(w.text, w.start_s, w.end_s, w.turn, w.grade) for w in ref.words] == [
        ("hello", 0.5, 0.8, None, "gold"),
        ("world", 0.8, 1.05, None, "gold"),
    ]
    words = (Word("Hello,", 0.5, 0.8, "matched"), Word("world.", 0.8, 1.05, "matched"))
    result = _result([Turn(0, "A", "Hello, world.", 0.5, 1.05, "aligned", words)], 2.0)
    report = evaluate(result, ref)
    assert report.turns is None and report.turn_map_method == "none"
    assert report.words[0].n_matched == 2 and report.words[0].boundaries.max_s == pytest.approx(0)
    sniffed = tmp_path / "ref.txt"
    sniffed.write_text(ctm.read_text())
    assert read_reference(sniffed).format == "ctm"


def test_rttm_reader_and_time_mapping(tmp_path: Path, truth: dict[str, Any]) -> None:
    rttm = tmp_path / "ref.rttm"
    lines = [
        f"SPEAKER conv 1 {t['start']:.3f} {t['end'] - t['start']:.3f} <NA> <NA> "
        f"{t['speaker'].replace(' ', '_')} <NA> <NA>"
        for t in reversed(truth["turns"])
    ]
    rttm.write_text("\n".join(lines) + "\n")
    ref = read_reference(rttm)
    assert ref.format == "rttm" and ref.words == ()
    assert [t.start_s for t in ref.turns] == pytest.approx([t["start"] for t in truth["turns"]])
    assert ref.turns[0].speaker == truth["turns"][0]["speaker"].replace(" ", "_")
    perfect = _result_from_truth(truth)
    dropped = 5
    kept = [t for t in perfect.turns if t.index != dropped]
    fewer = perfect.with_turns(
        tuple(Turn(i, t.speaker, t.text, t.start, t.end, t.status, t.words)
              for i, t in enumerate(kept))
    )  # fmt: skip
    report = evaluate(fewer, ref)
    assert report.turn_map_method == "time"
    assert report.turn_map == tuple(j for j in range(len(truth["turns"])) if j != dropped)
    assert report.turns is not None and report.turns.start.max_s == pytest.approx(0, abs=1e-3)


def test_textgrid_reader_words_tier(shared_dir: Path) -> None:
    from praatio import textgrid

    path = shared_dir / "data/real/A_word_level/mfa_cold_corpus/cold_corpus.TextGrid"
    ref = read_reference(path)
    tier = textgrid.openTextgrid(str(path), includeEmptyIntervals=False).getTier("words")
    labelled = [e for e in tier.entries if e.label.strip()]
    assert ref.format == "textgrid" and ref.turns == ()  # the phones tier is not a turn
    assert [w.text for w in ref.words] == [e.label for e in labelled]
    assert ref.words[0].start_s == labelled[0].start and ref.words[0].grade == "gold"


def test_textgrid_reader_speaker_tiers(shared_dir: Path) -> None:
    from praatio import textgrid

    path = (
        shared_dir
        / "data/real/B_speaker_turns/mfa_michaelandsickmichael/michaelandsickmichael.TextGrid"
    )
    ref = read_reference(path, "textgrid")
    tg = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    expected = sorted(
        (e.start, name)
        for name in tg.tierNames
        for e in tg.getTier(name).entries
        if e.label.strip()
    )
    assert [(t.start_s, t.speaker) for t in ref.turns] == expected
    assert ref.words == ()


def test_words_json_reader_is_silver_with_speaker_turns(shared_dir: Path) -> None:
    folder = shared_dir / "data/real/D_derived_pocketsphinx"
    jfk = read_reference(folder / "jfk.words.json")
    data = json.loads((folder / "jfk.words.json").read_text())
    assert jfk.format == "words_json" and jfk.turns == ()
    assert len(jfk.words) == len(data["words"]) and {w.grade for w in jfk.words} == {"silver"}
    michael = read_reference(folder / "mfa_michaelandsickmichael.words.json")
    items = json.loads((folder / "mfa_michaelandsickmichael.words.json").read_text())["words"]
    items.sort(key=lambda w: (w["start"], w["end"]))
    runs = 1 + sum(a["speaker"] != b["speaker"] for a, b in zip(items, items[1:], strict=False))
    assert len(michael.turns) == runs
    assert all(w.turn is not None for w in michael.words)
    assert michael.words[0].turn == 0 and michael.turns[0].speaker == items[0]["speaker"]


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("bad.ctm", "utt 1 zero 0.3 hello\n", "auto"),
        ("short.ctm", "utt 1 0.5\n", "auto"),
        ("neg.ctm", "utt 1 0.5 -0.1 hello\n", "auto"),
        ("empty.rttm", "# nothing\n", "auto"),
        ("bad.TextGrid", "hello world\n", "auto"),
        ("bad.json", "{not json", "auto"),
        ("truth.json", '{"turns": [{"index": 0, "speaker": "A"}]}', "auto"),
        ("words.json", '[{"word": "a", "start": 2, "end": 1}]', "auto"),
        ("what.xyz", "just some prose\n", "auto"),
        ("latin1.ctm", b"utt 1 0.5 0.3 caf\xe9\n", "auto"),
        ("plain.txt", "hello\n", "rttm"),
    ],
)
def test_bad_reference_raises_clean_error(
    tmp_path: Path, name: str, content: str | bytes, fmt: Any
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(ReferenceParseError, match="reference"):
        read_reference(path, fmt)


def test_missing_reference_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ReferenceParseError, match="no such file"):
        read_reference(tmp_path / "nope.ctm")
    with pytest.raises(UnknownFormatError):
        read_reference(tmp_path / "nope.ctm", "srt")  # type: ignore[arg-type]


def test_read_result_round_trip_and_errors(tmp_path: Path, truth: dict[str, Any]) -> None:
    good = tmp_path / "result.json"
    good.write_text(json.dumps(_result_from_truth(truth).to_dict()))
    assert len(read_result(good).turns) == len(truth["turns"])
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "something else"}')
    with pytest.raises(InputError, match="turnalign/1"):
        read_result(bad)


def test_textgrid_words_fall_into_speaker_turns(tmp_path: Path) -> None:
    from praatio import textgrid
    from praatio.data_classes.interval_tier import IntervalTier

    tg = textgrid.Textgrid()
    words = [(0.0, 0.5, "hi"), (0.5, 1.0, "there"), (2.0, 2.5, "bye")]
    tg.addTier(IntervalTier("words", words, 0, 3))
    tg.addTier(IntervalTier("phones", [(0.0, 0.2, "HH")], 0, 3))
    tg.addTier(IntervalTier("Alice", [(0.0, 1.0, "hi there")], 0, 3))
    tg.addTier(IntervalTier("Bob", [(2.0, 2.6, "bye")], 0, 3))
    path = tmp_path / "two.TextGrid"
    tg.save(str(path), format="short_textgrid", includeBlankSpaces=True)
    ref = read_reference(path)
    assert [(t.speaker, t.text) for t in ref.turns] == [("Alice", "hi there"), ("Bob", "bye")]
    assert [(w.text, w.turn) for w in ref.words] == [("hi", 0), ("there", 0), ("bye", 1)]


def test_duplicate_flag_straddling_both_copies(
    truth: dict[str, Any], ref: Reference, noisy_blocks: list[tuple[str, list[str]]]
) -> None:
    """An aligner may keep the end of one copy and the start of the other."""
    result = _noisy_result(truth, noisy_blocks, flags="none")
    (c,) = [c for c in truth["noisy_corruptions"] if c["type"] == "duplicate"][:1]
    k = truth["noisy_turn_map"].index(c["turn"])
    half = c["length"] // 2  # under half of either copy (for odd lengths), but enough in all
    flag = Mismatch(
        "not_in_audio", k, "", None, None, word_start=c["at_word"] - half, word_count=2 * half
    )
    report = evaluate(result.with_turns(result.turns, mismatches=(flag,)), ref)
    assert _kind(report, "duplicate") == (_injected(truth, "duplicate"), 1)
    assert report.detection.not_in_audio_precision == 1.0


def test_empty_result(truth: dict[str, Any], ref: Reference) -> None:
    report = evaluate(_result([], truth["duration"]), ref)
    assert report.turn_map_method == "none" and report.turn_map == ()
    assert report.turns is not None and report.turns.n_reference_unmapped == len(truth["turns"])
    assert all(w.n_matched == 0 for w in report.words)
    assert "turns: 0 of 0 mapped" in format_text(report)
