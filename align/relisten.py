"""Re-listening: a second, prompted hearing of stretches the first pass skipped.

Whisper sometimes skips speech inside a window (a run of transcript words with room in
the audio but nothing heard, or whole turns between aligned neighbours). Those stretches
are transcribed again with the transcript's text as the prompt; words that copy other text
or loop are no evidence (``align.text.copies``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import numpy as np
from numpy.typing import NDArray

import audio
from align.engines.base import Engine, Heard, HeardWord
from align.errors import AudioDecodeError
from align.options import AlignOptions
from align.text.copies import CopyCheck
from align.timing import TimedTranscript
from align.transcript import Transcript
from audio import SAMPLE_RATE

log = logging.getLogger(__name__)

# Context either side of a skipped stretch, so the engine hears whole words.
_RERUN_CONTEXT_S = 1.0
# A gap this long between aligned turns is no skip; the transcript may not fit the audio.
_RERUN_MAX_S = 60.0
# A not-found turn is re-listened to only when the gap holds most of its typical duration.
_RERUN_ROOM_RATIO = 0.6
# Never re-listen to more than this share of the file (a wrong transcript would ask for all).
_RERUN_BUDGET_SHARE = 0.25


def rerun_gaps(
    transcript: Transcript,
    heard: Heard,
    timed: TimedTranscript,
    audio_path: audio.AudioSource,
    duration_s: float,
    engine: Engine,
    opts: AlignOptions,
    reread: Callable[[float, float], np.ndarray] | None,
) -> Heard | None:
    """Re-listen, with the transcript text as prompt, where the engine skipped speech.

    Two signs of a skip: a run of interpolated words (the transcript has words there and
    the audio has room, but nothing was heard), and a whole turn not found although the
    gap between its aligned neighbours could hold it. Only words heard inside the gap
    replace what was there, so the neighbours' words stay as they were.

    Returns the merged heard words, or ``None`` when nothing was re-run.
    """
    gaps = _skipped_stretches(timed, duration_s, opts)
    if not gaps:
        return None
    log.info("re-listening to %d stretch(es) the engine skipped", len(gaps))
    words = list(heard.words)
    gaps.sort()
    spans = [
        (max(0.0, lo - _RERUN_CONTEXT_S), min(duration_s, hi + _RERUN_CONTEXT_S))
        for lo, hi, _ in gaps
    ]
    audio_spans = (
        (reread(a, b) for a, b in spans) if reread else read_spans(audio_path, spans)
    )  # one ordered pass over the file, however many stretches
    check = CopyCheck([(w.text, w.start) for w in heard.words],
                      (tok for t in transcript.turns for tok in t.tokens))  # fmt: skip
    for (lo, hi, text), (start_s, _), samples in zip(gaps, spans, audio_spans):
        inside = _heard_inside(engine, samples, start_s, lo, hi, text, check)
        if not inside:
            continue
        words = [w for w in words if not lo <= (w.start + w.end) / 2 <= hi]
        words.extend(inside)
        words.sort(key=lambda w: (w.start, w.end))
    return Heard(tuple(words), heard.language)


def _heard_inside(
    engine: Engine,
    samples: np.ndarray,
    start_s: float,
    lo: float,
    hi: float,
    text: str,
    check: CopyCheck,
) -> list[HeardWord]:
    """The words heard in ``[lo, hi]`` on re-listening, prompted with ``text``. Words that
    copy other text or loop (tiny.en printing a neighbour's words, issue 15) are no evidence:
    the stretch is heard again without the prompt, and left as it was if that copies too."""
    for prompt in (text, None):
        part = engine.transcribe(samples, offset_s=start_s, prompt=prompt)
        inside = [w for w in part.words if lo <= (w.start + w.end) / 2 <= hi]
        copied = check.copies([w.text for w in inside], text.split(), lo, hi)
        if not copied:
            return inside
        log.info("re-heard %.1f-%.1fs copies other text (%s)%s", lo, hi,
                 " ".join(copied[0]), "; again without the prompt" if prompt else "")  # fmt: skip
    return []


def _skipped_stretches(
    timed: TimedTranscript, duration_s: float, opts: AlignOptions
) -> list[tuple[float, float, str]]:
    """(start_s, end_s, transcript text) of the stretches worth re-listening to."""
    out: list[tuple[float, float, str]] = []
    turns = timed.turns
    for i, turn in enumerate(turns):
        if turn.status == "aligned":
            run: list[int] = []
            for k, w in enumerate([*turn.words, None]):
                if w is not None and w.status == "interpolated":
                    run.append(k)
                    continue
                if len(run) >= opts.rerun_min_words:
                    a, b = turn.words[run[0]], turn.words[run[-1]]
                    if (
                        a.start is not None
                        and b.end is not None
                        and b.end - a.start >= opts.rerun_min_s
                    ):
                        out.append((a.start, b.end, " ".join(turn.words[q].text for q in run)))
                run = []
            continue
        # A run of turns not found between aligned neighbours, with room for it: a skip,
        # not an edited-out stretch (those leave no room). Whisper can skip several turns
        # at once (issue 9: four in a row in the 3-hour benchmark), so take the whole run.
        if i > 0 and turns[i - 1].status != "aligned":
            continue  # inside a run, handled at its first turn
        j = i
        while j < len(turns) and turns[j].status != "aligned":
            j += 1
        lo = turns[i - 1].end if i > 0 else 0.0
        hi = turns[j].start if j < len(turns) else duration_s
        if lo is None or hi is None:
            continue
        expected_s = sum(len(t.text) for t in turns[i:j]) * opts.timing.seconds_per_char
        room = hi - lo
        if opts.rerun_min_s <= room <= _RERUN_MAX_S and room >= _RERUN_ROOM_RATIO * expected_s:
            out.append((lo, hi, " ".join(w for t in turns[i:j] for w in t.text.split())))
    budget = _RERUN_BUDGET_SHARE * duration_s
    kept, used = [], 0.0
    for lo, hi, text in out:
        if used + (hi - lo) > budget:
            break
        kept.append((lo, hi, text))
        used += hi - lo
    return kept


def read_spans(
    path: audio.AudioSource, spans: list[tuple[float, float]]
) -> Iterator[NDArray[np.float32]]:
    """Yield the samples of each (start_s, end_s) span, in one pass over the file.

    Spans must be sorted by start; they may overlap.
    """
    bounds = [(int(a * SAMPLE_RATE), int(b * SAMPLE_RATE)) for a, b in spans]
    try:
        cursor = audio.open_reader(path)
        for k, (a, b) in enumerate(bounds):
            yield cursor.read_samples(a, b).copy()
            if k + 1 < len(bounds):
                cursor.release_samples(bounds[k + 1][0])
    except audio.AudioError as e:
        raise AudioDecodeError(e.path, e.reason) from e


__all__ = ["read_spans", "rerun_gaps"]
