"""Reference (truth) files for evaluation, read into one ``Reference``; and result JSON.

Refinement and matching work need one set of numbers to move (e.g. "gold word boundaries
median <= 25 ms, >= 85 % within 50 ms"), and the benchmark's truth file also lists the
errors injected into its noisy transcript, so we can check that the aligner flags them.
Reference files of five formats are read into one ``Reference``; ``evaluate`` compares a
``Result`` with it and returns a frozen ``EvalReport`` (``to_dict`` for JSON,
``format_text`` for a terminal). The scorer keeps its own small text normalization on
purpose: sharing ``align.text.normalize`` would let the matcher's mistakes grade themselves.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from align.errors import ReferenceParseError, ResultParseError, UnknownFormatError
from align.model import Result

RefGrade = Literal["gold", "silver"]
ReferenceFormat = Literal["auto", "truth_json", "textgrid", "ctm", "rttm", "words_json"]
REFERENCE_FORMATS: tuple[str, ...] = get_args(ReferenceFormat)

# Labels that aligners write for silence or noise rather than a word.
_SILENCE_LABELS = frozenset({"", "sil", "sp", "<sil>", "<eps>", "#"})
# Tiers holding sub-word units; never turns (MFA writes "phones" and "<speaker> - phones").
_PHONE_TIERS = frozenset({"phones", "phone", "phonemes", "phoneme", "segments"})
# Overlapping speech rarely stacks more turns than this at one instant.
_MAX_OVERLAPPING_TURNS = 8


def _parse_error(path: str | Path, reason: str, line: int | None = None) -> ReferenceParseError:
    return ReferenceParseError(path, reason, line)


# -- reference model ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RefTurn:
    """One reference speaker turn; times in seconds; ``text`` is empty for RTTM."""

    index: int
    speaker: str
    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True, slots=True)
class RefWord:
    """One reference word; ``turn`` is a ``RefTurn.index`` or ``None`` when unknown."""

    text: str
    start_s: float
    end_s: float
    turn: int | None
    grade: RefGrade


@dataclass(frozen=True, slots=True)
class Corruption:
    """One error injected into the benchmark's noisy transcript (``noisy_corruptions``).

    ``turn``/``after_turn`` are reference turn indices; ``at_word`` indexes the words of
    that turn in the corrupted transcript; ``word_count`` is a duplicate's length (or the
    number of fillers removed); ``into`` is what a digit or substitution wrote instead.
    """

    kind: str
    turn: int | None = None
    text: str = ""
    at_word: int | None = None
    word_count: int = 0
    into: str | None = None
    after_turn: int | None = None


@dataclass(frozen=True, slots=True)
class Reference:
    """What a result is scored against: turns and/or words, plus the benchmark's extras."""

    path: str
    format: str
    turns: tuple[RefTurn, ...]
    words: tuple[RefWord, ...]
    corruptions: tuple[Corruption, ...] = ()
    noisy_turn_map: tuple[int | None, ...] | None = None


@dataclass(frozen=True, slots=True)
class _RawWord:
    text: str
    start_s: float
    end_s: float
    speaker: str | None
    grade: RefGrade


# -- readers -------------------------------------------------------------------------------
def read_reference(path: str | Path, fmt: ReferenceFormat = "auto") -> Reference:
    """Read a reference file into a ``Reference``.

    Args:
        path: truth JSON, TextGrid, CTM, RTTM or a ``{word,start,end[,speaker]}`` JSON list.
        fmt: the format, or "auto" to tell it from the file name and content.

    Raises:
        UnknownFormatError: ``fmt`` is not a known format.
        ReferenceParseError: the file is missing or not a valid reference of that format.
    """
    if fmt not in REFERENCE_FORMATS:
        raise UnknownFormatError(fmt, REFERENCE_FORMATS)
    p = Path(path)
    if not p.is_file():
        raise _parse_error(p, "no such file")
    if fmt == "textgrid" or (fmt == "auto" and p.suffix.lower() == ".textgrid"):
        return _read_textgrid(p)
    text = _read_text(p)
    if fmt == "auto":
        fmt = _sniff_format(p, text)
        if fmt == "textgrid":
            return _read_textgrid(p)
    if fmt in ("truth_json", "words_json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise _parse_error(p, f"invalid JSON: {e.msg}", e.lineno) from e
        if fmt == "truth_json":
            return _read_truth_json(p, data)
        return _read_words_json(p, data)
    if fmt == "ctm":
        return _read_ctm(p, text)
    return _read_rttm(p, text)


def _read_text(p: Path) -> str:
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise _parse_error(p, f"cannot open: {e.strerror or e}") from e
    try:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            return raw.decode("utf-16")
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _parse_error(p, "not UTF-8 or UTF-16 text") from e


def _sniff_format(p: Path, text: str) -> ReferenceFormat:
    suffix = p.suffix.lower()
    if suffix in (".ctm", ".rttm"):
        return "ctm" if suffix == ".ctm" else "rttm"
    head = text.lstrip()[:4096]
    if suffix == ".json" or head.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise _parse_error(p, f"invalid JSON: {e.msg}", e.lineno) from e
        return "truth_json" if isinstance(data, dict) and "turns" in data else "words_json"
    if "ooTextFile" in head:
        return "textgrid"
    lines = (ln.split() for ln in head.splitlines() if ln.strip() and not ln.startswith(";;"))
    first = next(lines, [])
    if first and first[0] == "SPEAKER":
        return "rttm"
    if len(first) >= 5 and _is_float(first[2]) and _is_float(first[3]):
        return "ctm"
    raise _parse_error(p, f"cannot tell the format; pass one of {', '.join(REFERENCE_FORMATS[1:])}")


def _is_float(s: str) -> bool:
    try:
        return math.isfinite(float(s))
    except ValueError:
        return False


def _span(
    p: Path,
    start: Any,
    end: Any,
    where: str,
    line: int | None = None,
    *,
    end_is_duration: bool = False,
) -> tuple[float, float]:
    try:
        s, e = float(start), float(end)
        e = s + e if end_is_duration else e
    except (TypeError, ValueError) as err:
        reason = f"{where}: times must be numbers, got {start!r}, {end!r}"
        raise _parse_error(p, reason, line) from err
    if not (math.isfinite(s) and math.isfinite(e)) or s < 0 or e < s:
        raise _parse_error(p, f"{where}: need 0 <= start <= end, got {s}, {e}", line)
    return s, e


def _get(p: Path, obj: Any, key: str, where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise _parse_error(p, f"{where}: missing '{key}'")
    return obj[key]


def _opt_int(p: Path, obj: dict[str, Any], key: str, where: str) -> int | None:
    value = obj.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise _parse_error(p, f"{where}: '{key}' must be an integer or null, got {value!r}")
    return value


def _read_truth_json(p: Path, data: Any) -> Reference:
    if not isinstance(data, dict) or not isinstance(data.get("turns"), list):
        raise _parse_error(p, "truth JSON needs a 'turns' list")
    turns = []
    for i, t in enumerate(data["turns"]):
        where = f"turns[{i}]"
        if _get(p, t, "index", where) != i:
            raise _parse_error(p, f"{where}: carries index {t['index']!r}")
        s, e = _span(p, _get(p, t, "start", where), _get(p, t, "end", where), where)
        turns.append(RefTurn(i, str(_get(p, t, "speaker", where)), s, e, str(t.get("text", ""))))
    words = []
    for j, w in enumerate(data.get("words") or []):
        where = f"words[{j}]"
        s, e = _span(p, _get(p, w, "start", where), _get(p, w, "end", where), where)
        turn, grade = _opt_int(p, w, "turn", where), w.get("grade", "gold")
        if turn is not None and not 0 <= turn < len(turns):
            raise _parse_error(p, f"{where}: turn {turn} is not one of the {len(turns)} turns")
        if grade not in ("gold", "silver"):
            raise _parse_error(p, f"{where}: grade must be 'gold' or 'silver', got {grade!r}")
        words.append(RefWord(str(_get(p, w, "word", where)), s, e, turn, grade))
    corruptions = []
    for k, c in enumerate(data.get("noisy_corruptions") or []):
        where = f"noisy_corruptions[{k}]"
        into = c.get("into") if isinstance(c, dict) else None
        corruptions.append(
            Corruption(
                kind=str(_get(p, c, "type", where)),
                turn=_opt_int(p, c, "turn", where),
                text=str(c.get("text") or ""),
                at_word=_opt_int(p, c, "at_word", where),
                word_count=_opt_int(p, c, "length", where) or _opt_int(p, c, "count", where) or 0,
                into=None if into is None else str(into),
                after_turn=_opt_int(p, c, "after_turn", where),
            )
        )
    noisy_map = data.get("noisy_turn_map")
    if noisy_map is not None:
        ok = isinstance(noisy_map, list) and all(
            x is None or (isinstance(x, int) and 0 <= x < len(turns)) for x in noisy_map
        )
        if not ok:
            raise _parse_error(p, "noisy_turn_map must list reference turn indices or null")
        noisy_map = tuple(noisy_map)
    return Reference(
        str(p), "truth_json", tuple(turns), tuple(words), tuple(corruptions), noisy_map
    )


def _read_words_json(p: Path, data: Any) -> Reference:
    items = data.get("words") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise _parse_error(p, "words JSON must be a list of {word,start,end} or {'words': [...]}")
    raw = []
    for j, w in enumerate(items):
        where = f"words[{j}]"
        s, e = _span(p, _get(p, w, "start", where), _get(p, w, "end", where), where)
        grade = w.get("grade", "silver")
        if grade not in ("gold", "silver"):
            raise _parse_error(p, f"{where}: grade must be 'gold' or 'silver', got {grade!r}")
        spk = w.get("speaker")
        raw.append(
            _RawWord(str(_get(p, w, "word", where)), s, e, None if spk is None else str(spk), grade)
        )
    return _build(p, "words_json", [], raw)


def _read_ctm(p: Path, text: str) -> Reference:
    raw = []
    for n, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith((";;", "#")):
            continue
        if len(fields) < 5:
            raise _parse_error(p, "CTM lines need 'utt chan start dur word [conf]'", n)
        s, e = _span(p, fields[2], fields[3], "CTM start/duration", n, end_is_duration=True)
        if fields[4].lower() not in _SILENCE_LABELS:
            raw.append(_RawWord(fields[4], s, e, None, "gold"))
    if not raw:
        raise _parse_error(p, "CTM holds no words")
    return _build(p, "ctm", [], raw)


def _read_rttm(p: Path, text: str) -> Reference:
    spans = []
    for n, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0] != "SPEAKER":
            continue
        if len(fields) < 8:
            raise _parse_error(
                p, "RTTM SPEAKER lines need 'SPEAKER file chan start dur - - spk'", n
            )
        s, e = _span(p, fields[3], fields[4], "RTTM start/duration", n, end_is_duration=True)
        spans.append((s, e, fields[7], ""))
    if not spans:
        raise _parse_error(p, "RTTM holds no SPEAKER lines")
    return _build(p, "rttm", spans, [])


def _read_textgrid(p: Path) -> Reference:
    """Read a ``words`` tier into words and other interval tiers into turns (tier = speaker)."""
    from praatio import textgrid
    from praatio.data_classes.interval_tier import IntervalTier
    from praatio.utilities.errors import PraatioException

    try:
        tg = textgrid.openTextgrid(str(p), includeEmptyIntervals=False)
    except (PraatioException, ValueError, IndexError, KeyError, UnicodeError) as e:
        raise _parse_error(p, f"not a readable TextGrid ({type(e).__name__}: {e})") from e
    spans: list[tuple[float, float, str, str]] = []
    raw: list[_RawWord] = []
    for name in tg.tierNames:
        tier = tg.getTier(name)
        low = name.strip().lower()
        if not isinstance(tier, IntervalTier) or low in _PHONE_TIERS or low.endswith(" - phones"):
            continue
        is_words = low in ("words", "word") or low.endswith(" - words")
        speaker = name.rsplit(" - ", 1)[0].strip() if low.endswith(" - words") else None
        for start, end, label in tier.entries:
            if label.strip().lower() in _SILENCE_LABELS:
                continue
            if is_words:
                raw.append(_RawWord(label.strip(), float(start), float(end), speaker, "gold"))
            else:
                spans.append((float(start), float(end), name, " ".join(label.split())))
    if not spans and not raw:
        raise _parse_error(p, "TextGrid has no labelled word or speaker intervals")
    return _build(p, "textgrid", spans, raw)


def _build(
    p: Path, fmt: str, spans: list[tuple[float, float, str, str]], raw: list[_RawWord]
) -> Reference:
    """Sort turns and words by time and give each word the turn it falls in."""
    raw = sorted(raw, key=lambda w: (w.start_s, w.end_s))
    if not spans and raw and all(w.speaker for w in raw):
        for w in raw:  # no turn tiers: each run of one speaker's words is a turn
            if spans and spans[-1][2] == w.speaker:
                s, _, spk, txt = spans[-1]
                spans[-1] = (s, max(spans[-1][1], w.end_s), spk, f"{txt} {w.text}")
            else:
                spans.append((w.start_s, w.end_s, str(w.speaker), w.text))
    spans.sort(key=lambda t: (t[0], t[1]))
    turns = tuple(RefTurn(i, spk, s, e, txt) for i, (s, e, spk, txt) in enumerate(spans))
    starts = [t.start_s for t in turns]
    words = []
    for w in raw:
        mid = (w.start_s + w.end_s) / 2
        last = bisect_right(starts, mid) - 1
        near = turns[max(0, last - _MAX_OVERLAPPING_TURNS + 1) : last + 1][::-1]
        inside = [t.index for t in near if t.start_s <= mid <= t.end_s]
        same = [i for i in inside if turns[i].speaker == w.speaker]
        turn = (same or inside)[0] if inside else None
        words.append(RefWord(w.text, w.start_s, w.end_s, turn, w.grade))
    return Reference(str(p), fmt, turns, tuple(words))


def read_result(path: str | Path) -> Result:
    """Read a "turnalign/1" result JSON; raises ``ResultParseError`` when it is not one."""
    p = Path(path)
    if not p.is_file():
        raise ResultParseError(p, "no such file")
    try:
        return Result.from_dict(json.loads(_read_text(p)))
    except json.JSONDecodeError as e:
        raise ResultParseError(p, f"invalid JSON: {e.msg}", e.lineno) from e
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ResultParseError(p, f"not a turnalign/1 result ({e})") from e
