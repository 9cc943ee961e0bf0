"""Write the example's word-level reference: ``examples/michaelandsickmichael.words.TextGrid``.

    python scripts/example_words.py [--out examples/michaelandsickmichael.words.TextGrid]

The example is MFA's ``acoustic_corpus.wav`` and ``cold_corpus.wav`` end to end (one per
channel of MFA's ``michaelandsickmichael.wav``). MFA ships a word alignment of each
(``tests/data/*.TextGrid``); this joins them, the second shifted by the first recording's
length, into ``<speaker> - words`` tiers, and gives each of the example's utterances (its own
TextGrid's tiers) the span of the words inside it. Sick Michael's first utterance opens at
the join, 1.24 s before his first word, so its turn starts there: at that word.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from praatio import textgrid
from praatio.data_classes.interval_tier import IntervalTier

import audio

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
EXAMPLE = ROOT / "examples" / "michaelandsickmichael.TextGrid"
# The example's speakers and the MFA recordings they read, in the order they are joined.
RECORDINGS = (("michael", "acoustic_corpus"), ("sickmichael", "cold_corpus"))


def build() -> textgrid.Textgrid:
    """The utterance tiers spanned by their words, and a words tier per speaker."""
    utterances = textgrid.openTextgrid(str(EXAMPLE), includeEmptyIntervals=False)
    end_s = utterances.maxTimestamp
    out = textgrid.Textgrid()
    words_tiers, offset_s = [], 0.0
    for speaker, name in RECORDINGS:
        mfa = textgrid.openTextgrid(str(DATA / f"{name}.TextGrid"), includeEmptyIntervals=False)
        words = [(round(s + offset_s, 5), round(e + offset_s, 5), label)
                 for s, e, label in mfa.getTier("words").entries]  # fmt: skip
        if name != RECORDINGS[-1][1]:  # the next recording starts where this one ends
            offset_s += audio.load(DATA / f"{name}.wav").duration_s
        spans = []
        for start, end, label in utterances.getTier(speaker).entries:
            inside = [w for w in words if start <= (w[0] + w[1]) / 2 <= end]
            spans.append((inside[0][0], inside[-1][1], label))
        out.addTier(IntervalTier(speaker, spans, 0, end_s))
        words_tiers.append(IntervalTier(f"{speaker} - words", words, 0, end_s))
    for tier in words_tiers:
        out.addTier(tier)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=EXAMPLE.with_suffix(".words.TextGrid"))
    args = parser.parse_args()
    build().save(str(args.out), format="long_textgrid", includeBlankSpaces=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
