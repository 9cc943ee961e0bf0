"""The audio's verdict on every "not in audio": is a transcript word the engine did not hear
really missing from the recording?

Whisper's text is no proof that a word was not spoken: it drops fillers, disfluent repeats
("I I think") and backchannels ("Yeah."), and mishears speech in noise. So before a word,
phrase or turn is reported ``not_in_audio``, the forced aligner is asked. The candidate is
aligned into the room it would occupy, with a timed word or two on either side (so a
neighbour stretched over the candidate's audio gives it back), as an optional group: one
search scores "spoken" and "not spoken" against each other and keeps the better. (Scores of
two separate pocketsphinx searches do not compare: each is normalised by its own best state,
frame by frame; under a -30 dBFS noise floor even words Whisper heard scored better left
out.) What the aligner leaves out is still believed, never reported, when

- it is one or two words that cost next to nothing to force in (a reduced "a" or "who",
  60 ms of sound; duplicated phrases cost far more, most often no path at all);
- the audio between its timed neighbours holds speech for it that nothing else explains
  (by energy, or words Whisper heard there that match no transcript word);
- the room is too noisy for the aligner's "left out" to mean anything (a short candidate).

A whole turn's room reaches past the words of its neighbour that the engine's text paired
with it only weakly (in noise the matcher paired a lost turn's audio with the next turn's
duplicated phrase), and a phrase written twice in a row in the turn, or in those weak
words, may be left out on its own: the audio that holds it once gets the turn, and the copy
is reported as a ``repeated phrase``.

What the audio holds gets the aligner's times (evidence ``acoustic``; ``interpolated`` for
the noisy-room case). Candidates with no timed word between them share one room (a run of
turns Whisper skipped) and are decided in the same search.

This module reads the audio room by room; ``align.refine.rooms`` finds the candidates and
their rooms, ``align.refine.decide`` gives each room its verdict, and
``align.refine.retime`` builds the result from the verdicts.
"""

from __future__ import annotations

import logging

import audio
from align.errors import AudioDecodeError, EngineUnavailableError
from align.model import Result
from align.refine.decide import RoomAligner, context_snr_db, decide_room
from align.refine.forced import PocketsphinxAligner, load_aligner
from align.refine.retime import build_result
from align.refine.rooms import Candidate, VerifyOptions, VerifyState, find_candidates, group_rooms
from audio import SAMPLE_RATE, SpanSource, open_reader

log = logging.getLogger(__name__)

# The noise floor is measured over this much audio around a room (``align.refine.decide``).
_FLOOR_CONTEXT_S = 10.0


def verify_result(
    result: Result,
    audio_path: SpanSource,
    opts: VerifyOptions = VerifyOptions(),
    aligner: PocketsphinxAligner | None = None,
) -> Result:
    """Ask the audio about every ``not_in_audio`` report of ``result``.

    Candidates the audio holds get times (status ``interpolated``, evidence ``acoustic``;
    a whole turn becomes ``aligned``) and lose their report, and speech heard but not
    transcribed that they now explain loses its ``not_in_transcript`` report; the others
    stay reported, untimed.

    Raises:
        AudioDecodeError: the audio cannot be read.
    """
    candidates = find_candidates(result)
    if not candidates:
        return result
    if aligner is None:
        try:
            aligner = load_aligner(opts.forced)
        except EngineUnavailableError as e:
            log.warning("%s; not_in_audio reports are not checked against the audio", e)
            return result
    search = RoomAligner(aligner, opts)
    state = VerifyState(result)
    rooms = group_rooms(state, candidates, opts)
    accepted: list[Candidate] = []
    rejected: list[Candidate] = []
    try:
        cursor = open_reader(audio_path)
        for room in rooms:
            a, b = round(room.start_s * SAMPLE_RATE), round(room.end_s * SAMPLE_RATE)
            around = round(_FLOOR_CONTEXT_S * SAMPLE_RATE)
            wide = cursor.read_samples(max(0, a - around), b + around)
            samples = wide[a - max(0, a - around) :][: b - a].copy()
            cursor.release_samples(max(0, a - around))
            snr_db = context_snr_db(state, room, samples, wide)
            yes, no = decide_room(state, room, samples, search, opts, snr_db)
            accepted += yes
            rejected += no
    except audio.AudioError as e:
        raise AudioDecodeError(e.path, e.reason) from e
    log.info(
        "acoustic check: %d of %d not_in_audio report(s) are in the audio",
        len(accepted),
        len(candidates),
    )
    return build_result(state, accepted, rejected, opts)


__all__ = ["VerifyOptions", "verify_result"]
