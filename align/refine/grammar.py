"""The words a forced alignment is told, and the bookkeeping of its straight-line grammar.

``align.refine.forced`` builds a grammar that runs through the tokens in order; an optional
token (or a group of them, a phrase spoken whole or not at all) may be jumped over. Which
state each jump lands on (``skip_targets``), and which token each word the decoder found
is (``place_found``), are pure bookkeeping: no audio, no pocketsphinx.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AlignToken:
    """One word to align: its written form, and whether the aligner may leave it out.

    Consecutive optional tokens with the same ``group`` are left out together or not at all
    (a phrase is either spoken or not; ``align.refine.verify``). Consecutive tokens with the
    same ``inner`` may be left out together as well, inside a group or among required
    tokens: a phrase written twice in a turn the engine did not hear ("I probably sound
    quite different than I probably sound quite different than"), which the audio may
    hold once. An ``inner`` run that starts where its group starts is not skippable alone.
    """

    text: str
    optional: bool = False
    group: int | None = None
    inner: int | None = None


def skip_targets(tokens: Sequence[AlignToken]) -> list[int | None]:
    """For each token, where leaving it out jumps to: the next position for an optional
    token, past its group for the first of a group, past its ``inner`` run for the first
    of one, ``None`` when it cannot be left out (a required token, or one inside a group
    or run)."""
    out: list[int | None] = []
    for k, t in enumerate(tokens):
        prev = tokens[k - 1] if k > 0 else None
        if not t.optional:
            skip = None
        elif t.group is None:
            skip = k + 1
        elif prev is not None and prev.optional and prev.group == t.group:
            skip = None  # inside a group: skipped with its first token only
        else:
            skip = _run_end(tokens, k, lambda u: (u.optional, u.group))
        if skip is None and t.inner is not None and (prev is None or prev.inner != t.inner):
            skip = _run_end(tokens, k, lambda u: u.inner)
        out.append(skip)
    return out


def _run_end(tokens: Sequence[AlignToken], k: int, key: Callable[[AlignToken], object]) -> int:
    """The position after the run of tokens from ``k`` on with the same ``key``."""
    end = k + 1
    while end < len(tokens) and key(tokens[end]) == key(tokens[k]):
        end += 1
    return end


def place_found(
    names: Sequence[str], skips: Sequence[int | None], found: Sequence[str]
) -> list[int] | None:
    """Map the decoder's words back to grammar positions.

    ``found`` is ``names`` with some left out, as ``skips`` allows (see ``skip_targets``);
    where a word repeats ("words words words") several mappings exist, and any gives the
    same times. Returns the position of each found word, or ``None`` if ``found`` does not
    fit.
    """
    n, m = len(names), len(found)
    # fits[i][k]: found[i:] can go on names[k:], leaving out only what skips allows.
    fits = [[False] * (n + 1) for _ in range(m + 1)]
    fits[m][n] = True
    for i in range(m, -1, -1):
        for k in range(n - 1, -1, -1):
            take = i < m and names[k] == found[i] and fits[i + 1][k + 1]
            skip = skips[k]
            fits[i][k] = take or (skip is not None and fits[i][skip])
    if not fits[0][0]:
        return None
    out: list[int] = []
    i = k = 0
    while i < m:
        if names[k] == found[i] and fits[i + 1][k + 1]:
            out.append(k)
            i += 1
            k += 1
        else:
            skip = skips[k]
            assert skip is not None  # fits[i][k] holds and taking does not: skipping does
            k = skip
    return out


__all__ = ["AlignToken", "place_found", "skip_targets"]
