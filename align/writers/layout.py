"""Cue building and line breaking, shared by the SRT, VTT and ASS writers.

Pure functions from a ``Result`` to ``Cue`` objects; no I/O and no subtitle library, so
that the three subtitle formats cannot drift apart (whisper's writers each re-derive
their cues from a result dict; see STYLE.md §6).

A turn becomes one cue, or several when it is too long to read: the words are cut at
word boundaries, preferring the end of a sentence, then a comma, over a bare word gap.
A cue runs from its first timed word's start to its last timed word's end; words the
audio lacks (``not_found``) ride along in the cue of their neighbours; a turn with a span
but no timed word at all is spread over its span by character count. Turns that were
not found produce no cue. Cues from overlapping turns (crosstalk) are then trimmed so
that the cue list is monotonic and never overlaps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from align.model import Result, Turn, Word
from align.writers.options import SubtitleOptions

SENTENCE_ENDS = (".", "?", "!", "…", "。", "？", "！")
CLAUSE_ENDS = (",", ";", ":", "—", "–", "，", "、", "；", "：")
# Quotes and brackets after the punctuation still end the sentence: `"Stop."` / `(yes.)`.
_CLOSERS = "\"'”’»)]"

# Cutting a turn into cues: each cue costs 1 plus its fill squared (fill: the larger share
# of the character and time budgets it uses), so cues stay few and even. Ending a cue at a
# clause or sentence earns a bonus: cues that follow the sentences beat fewer, fuller cues
# cut mid-phrase. A cue shorter than _SHORT_CUE_S cannot be read, so it pays a penalty
# that outweighs the bonus ("Yes." is not cut off on its own just because it has a full stop).
_CUE_BREAK_BONUS = (0.0, 0.3, 0.6)
_SHORT_CUE_S = 0.7
_SHORT_CUE_PENALTY = 0.8

# Evening out two lines by d characters each way costs 2*d**2 in the line breaker, so a
# break after a comma may leave the lines up to 2*8 characters apart, after a sentence 2*11.
_PUNCTUATION_SLACK_CHARS = 8
_BREAK_BONUS = (0.0, 2.0 * _PUNCTUATION_SLACK_CHARS**2, 4.0 * _PUNCTUATION_SLACK_CHARS**2)
# A speaker label alone on its line reads like a script, not a subtitle: the same weight
# against it, unless the first word cannot share its line.
_LABEL_BREAK = -1
_LABEL_BREAK_BONUS = -_BREAK_BONUS[1]

# When crosstalk makes two cues overlap, the earlier cue is cut short, but never below
# this, so that it can still be read; the later cue then starts after it instead.
MIN_TRIMMED_CUE_S = 0.3


@dataclass(frozen=True, slots=True)
class Cue:
    """One subtitle on screen: ``start_s``/``end_s`` in seconds, already broken ``lines``.

    ``lines[0]`` starts with the speaker label ("Speaker 1: ") when the options asked for
    one; ``speaker`` is the turn's speaker either way.
    """

    start_s: float
    end_s: float
    speaker: str
    lines: tuple[str, ...]


def build_cues(result: Result, opts: SubtitleOptions) -> tuple[Cue, ...]:
    """Lay out the aligned turns of ``result`` as subtitle cues.

    Args:
        result: the aligned transcript.
        opts: line width, line count, cue length and speaker labelling.

    Returns:
        Cues sorted by time, each ``start_s <= end_s <= next.start_s - opts.min_gap_s``
        (up to the audio's end), every line at most ``opts.max_chars_per_line`` long.
    """
    cues: list[Cue] = []
    for turn in result.turns:
        cues.extend(_turn_cues(turn, opts))
    return tuple(_separate(cues, opts.min_gap_s, result.audio.duration))


def break_lines(words: Sequence[str], max_chars: int, label: str = "") -> tuple[str, ...]:
    """Break words into as few lines as fit ``max_chars``, balanced, cut after punctuation.

    Among the ways to fill the fewest lines, the one with the most even line lengths wins,
    unless a break after a sentence end or a comma costs little evenness. A word longer
    than ``max_chars`` (a URL, an unspaced CJK run) is cut into pieces.

    Args:
        words: words without whitespace, in order.
        max_chars: longest line, in characters.
        label: a speaker label ("Speaker 1:") to lead the first line, kept off a line of
            its own where the first word fits beside it.

    Returns:
        The lines, each at most ``max_chars`` long; ``()`` when there are no words.
    """
    pieces, ranks = _pieces([label, *words] if label else list(words), max_chars, bool(label))
    n_lines = len(_fill(pieces, max_chars))
    if n_lines <= 1:
        return tuple(_fill(pieces, max_chars))
    # Dynamic programme over (lines used, pieces placed): minimise the sum of squared line
    # lengths (even lines), less a bonus for each line that ends at punctuation.
    m = len(pieces)
    cost = [[math.inf] * (m + 1) for _ in range(n_lines + 1)]
    back = [[0] * (m + 1) for _ in range(n_lines + 1)]
    cost[0][0] = 0.0
    for k in range(1, n_lines + 1):
        for j in range(1, m + 1):
            rank = ranks[j - 1] if j < m else 0
            bonus = _LABEL_BREAK_BONUS if rank == _LABEL_BREAK else _BREAK_BONUS[rank]
            length = -1
            for i in range(j - 1, -1, -1):
                length += len(pieces[i]) + 1
                if length > max_chars:
                    break
                c = cost[k - 1][i] + length**2 - bonus
                if c < cost[k][j]:
                    cost[k][j], back[k][j] = c, i
    lines: list[str] = []
    j = m
    for k in range(n_lines, 0, -1):
        i = back[k][j]
        lines.append(" ".join(pieces[i:j]))
        j = i
    return tuple(reversed(lines))


# -- one turn ------------------------------------------------------------------------------
def _turn_cues(turn: Turn, opts: SubtitleOptions) -> list[Cue]:
    if turn.start is None or turn.end is None:
        return []
    label = f"{turn.speaker}:" if opts.speaker_prefix and turn.speaker else ""
    words = turn.words if any(w.timed for w in turn.words) else _spread(turn, turn.start, turn.end)
    cues = []
    for group, start, end in _group_words(words, label, opts):
        lines = break_lines([w.text for w in group], opts.max_chars_per_line, label)
        cues.append(Cue(start, end, turn.speaker, lines))
    return cues


def _spread(turn: Turn, start: float, end: float) -> tuple[Word, ...]:
    """Give the words of a turn that has a span but no word times a share of it by length.

    Only for laying out cues: a long turn must still be split into readable cues.
    """
    texts = [w.text for w in turn.words] or turn.text.split()
    total = sum(len(t) for t in texts) or 1
    words = []
    offset = 0
    for text in texts:
        t0 = start + (end - start) * offset / total
        offset += len(text)
        words.append(Word(text, t0, start + (end - start) * offset / total, "interpolated"))
    return tuple(words)


_Group = tuple[list[Word], float, float]  # words, start_s, end_s


def _group_words(words: Sequence[Word], label: str, opts: SubtitleOptions) -> list[_Group]:
    """Cut a turn's words into timed groups that each fit one cue.

    A dynamic programme over cut points (see ``_CUE_BREAK_BONUS``), so that a long turn
    is cut at sentences where it can be and evenly where it cannot, never leaving a
    two-word orphan as greedy filling does.
    """
    n = len(words)
    cost = [0.0] + [math.inf] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        bonus = _CUE_BREAK_BONUS[_break_rank(words[j - 1].text)] if j < n else 0.0
        # Grow the cue words[i:j] leftwards, keeping its length and span up to date.
        chars = len(label) if label else -1
        first_start: float | None = None
        last_end: float | None = None
        for i in range(j - 1, -1, -1):
            word = words[i]
            chars += len(word.text) + 1
            if word.start is not None and word.end is not None:
                first_start = word.start
                last_end = word.end if last_end is None else last_end
            duration = 0.0 if first_start is None or last_end is None else last_end - first_start
            fill = _fill_of(words[i:j], chars, duration, label, opts)
            if fill is None:
                if i < j - 1:
                    break  # a longer cue cannot fit either
                fill = 1.0  # a word too long for any cue gets one of its own
            short = _SHORT_CUE_PENALTY if duration < _SHORT_CUE_S else 0.0
            c = cost[i] + 1.0 + fill**2 + short - bonus
            if c < cost[j]:
                cost[j], back[j] = c, i
    groups: list[list[Word]] = []
    j = n
    while j > 0:
        groups.append(list(words[back[j] : j]))
        j = back[j]
    return _place_untimed(groups[::-1], label, opts)


def _place_untimed(groups: list[list[Word]], label: str, opts: SubtitleOptions) -> list[_Group]:
    """Time the groups; a group without a timed word joins a neighbour or borrows time.

    Untimed words ride along in a neighbouring cue where they fit. A longer run (a
    duplicated phrase the audio lacks) keeps cues of its own, timed by the gap beside it,
    or, where that is too short, by a share of its neighbour's span by character count.
    """
    merged: list[list[Word]] = []
    for group in groups:
        if not any(w.timed for w in group) and merged and _fits(merged[-1] + group, label, opts):
            merged[-1] = merged[-1] + group
        elif merged and not any(w.timed for w in merged[-1]) and any(w.timed for w in group):
            # An untimed group before this one: ride along here if it fits.
            joined = merged[-1] + group
            merged[-1:] = [joined] if _fits(joined, label, opts) else [merged[-1], group]
        else:
            merged.append(group)
    out: list[_Group] = []
    i = 0
    while i < len(merged):
        if any(w.timed for w in merged[i]):
            out.append((merged[i], *_span(merged[i])))
            i += 1
            continue
        j = i
        while j < len(merged) and not any(w.timed for w in merged[j]):
            j += 1
        run = merged[i:j]
        following = merged[j] if j < len(merged) else None
        if out:
            prev_words, prev_start, prev_end = out[-1]
            next_start = _span(following)[0] if following else prev_end
            if next_start - prev_end >= MIN_TRIMMED_CUE_S * len(run):
                out.extend(_share(prev_end, next_start, run))
            else:
                out[-1:] = _share(prev_start, max(prev_end, next_start), [prev_words, *run])
        else:
            # A run at the turn's start: share the following group's span.
            assert following is not None  # the turn has at least one timed word
            start, end = _span(following)
            out.extend(_share(start, end, [*run, following]))
            j += 1
        i = j
    return out


def _share(start_s: float, end_s: float, groups: list[list[Word]]) -> list[_Group]:
    """Split ``[start_s, end_s]`` among consecutive groups by their character counts."""
    sizes = [sum(len(w.text) + 1 for w in g) for g in groups]
    total = sum(sizes)
    out: list[_Group] = []
    done = 0
    for group, size in zip(groups, sizes, strict=True):
        t0 = start_s + (end_s - start_s) * done / total
        done += size
        out.append((group, t0, start_s + (end_s - start_s) * done / total))
    return out


def _fits(group: Sequence[Word], label: str, opts: SubtitleOptions) -> bool:
    return _fill_ratio(group, label, opts) is not None


def _fill_ratio(group: Sequence[Word], label: str, opts: SubtitleOptions) -> float | None:
    """How full one cue of ``group`` is (0-1, in characters or time), ``None`` if it won't fit."""
    chars = len(label) + sum(len(w.text) + 1 for w in group) - (0 if label else 1)
    return _fill_of(group, chars, _duration(group), label, opts)


def _fill_of(
    group: Sequence[Word], chars: int, duration: float, label: str, opts: SubtitleOptions
) -> float | None:
    """``_fill_ratio`` given the cue's length on one line and its duration."""
    if duration > opts.max_cue_s:
        return None
    width = opts.max_chars_per_line
    budget = opts.max_lines * width
    if chars > budget:
        return None
    if chars > width:  # more than one line: the exact check, since lines break at words
        tokens = [label, *(w.text for w in group)] if label else [w.text for w in group]
        pieces, _ = _pieces(tokens, width, bool(label))
        if len(_fill(pieces, width)) > opts.max_lines:
            return None
    return max(chars / budget, duration / opts.max_cue_s)


def _break_rank(word: str) -> int:
    core = word.rstrip(_CLOSERS)
    if core.endswith(SENTENCE_ENDS):
        return 2
    if core.endswith(CLAUSE_ENDS):
        return 1
    return 0


def _span(group: Sequence[Word]) -> tuple[float, float]:
    timed = [w for w in group if w.start is not None and w.end is not None]
    return timed[0].start, timed[-1].end  # type: ignore[return-value]


def _duration(group: Sequence[Word]) -> float:
    timed = [w for w in group if w.timed]
    if not timed:
        return 0.0
    start, end = _span(timed)
    return end - start


# -- lines ---------------------------------------------------------------------------------
def _pieces(tokens: Sequence[str], width: int, labelled: bool) -> tuple[list[str], list[int]]:
    """Cut tokens to at most ``width`` characters; with each piece, the rank of a break after it.

    The rank is ``_break_rank`` of the token for its last piece, ``_LABEL_BREAK`` after a
    leading label, 0 inside a cut token.
    """
    pieces: list[str] = []
    ranks: list[int] = []
    for n, tok in enumerate(tokens):
        cuts = [tok[i : i + width] for i in range(0, len(tok), width)]
        pieces.extend(cuts)
        ranks.extend([0] * (len(cuts) - 1))
        if cuts:
            ranks.append(_LABEL_BREAK if labelled and n == 0 else _break_rank(tok))
    return pieces, ranks


def _fill(pieces: Sequence[str], width: int) -> list[str]:
    """Greedy line filling; every piece must already be at most ``width`` long."""
    lines: list[str] = []
    line = ""
    for piece in pieces:
        if not line:
            line = piece
        elif len(line) + 1 + len(piece) <= width:
            line = f"{line} {piece}"
        else:
            lines.append(line)
            line = piece
    if line:
        lines.append(line)
    return lines


# -- whole file ----------------------------------------------------------------------------
def _separate(cues: list[Cue], min_gap_s: float, duration_s: float) -> list[Cue]:
    """Sort cues and trim them so that none overlaps the next or runs past the audio."""
    out: list[Cue] = []
    # Stable sort: cues with the same times keep transcript order.
    for cue in sorted(cues, key=lambda c: (c.start_s, c.end_s)):
        if out:
            prev = out[-1]
            limit = cue.start_s - min_gap_s
            if prev.end_s > limit:
                if limit - prev.start_s >= MIN_TRIMMED_CUE_S:
                    out[-1] = replace(prev, end_s=limit)
                else:
                    kept_end = min(prev.end_s, prev.start_s + MIN_TRIMMED_CUE_S)
                    out[-1] = replace(prev, end_s=kept_end)
                    start = kept_end + min_gap_s
                    end = max(cue.end_s, start + MIN_TRIMMED_CUE_S)
                    cue = replace(cue, start_s=start, end_s=end)
        out.append(cue)
    clamped = []
    for cue in out:
        end = min(cue.end_s, duration_s)
        clamped.append(replace(cue, start_s=min(cue.start_s, end), end_s=end))
    return clamped


__all__ = ["Cue", "break_lines", "build_cues"]
