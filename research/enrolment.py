"""The interviewer's voice, enrolled once per study and recognised in every interview.

The same researcher usually runs every interview. `research speakers --enrol INT-001:S1`
(a speaker of a separated interview) or `--enrol clip.wav` (a recording of the
researcher alone) stores one voice embedding in study.db: numbers, never audio. In each
interview, the voice most like it (cosine similarity above a threshold) is the
interviewer, whoever asks the questions.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from research.audio import decode
from research.diarize import Diarization, Method, default_method, voice
from research.errors import ResearchError
from research.store import now
from research.study import Study

ROLE = "interviewer"
SAME_VOICE = {"campplus": 0.5, "ge2e": 0.8}  # cosine similarity from which two voices are taken to be one person


def enrol(study: Study, source: str) -> str:
    """Enrol the interviewer from `CODE:SPEAKER` or an audio file; returns what was enrolled, for the user."""
    method = default_method()
    if Path(source).is_file():
        audio = decode(Path(source))
        spans, origin = [(0.0, len(audio) / 16_000)], "a clip"
    else:
        code, _, speaker = source.partition(":")
        if not speaker:
            raise ResearchError(f"enrol what? '{source}' is neither an audio file nor CODE:SPEAKER (e.g. INT-001:S1)")
        audio, spans = _speaker_speech(study, code, speaker)
        origin = f"{code}:{speaker}"
    embedding = voice(audio, spans, method)
    seconds = round(sum(b - a for a, b in spans), 1)
    study.db["voiceprints"].upsert(
        {"role": ROLE, "method": method, "embedding": embedding.astype(np.float32).tobytes(), "source": origin, "seconds": seconds, "created_at": now()},
        pk=("role", "method"),
    )
    return f"enrolled the interviewer's voice from {origin} ({seconds:.0f} s of speech)"


def _speaker_speech(study: Study, code: str, speaker: str) -> tuple[np.ndarray, list[tuple[float, float]]]:
    rows = list(study.db["interviews"].rows_where("code = ?", [code]))
    if not rows:
        raise ResearchError(f"no interview {code}")
    interview_id = rows[0]["id"]
    utterances = [u for u in study.vault.raw_utterances(interview_id) if u["speaker"] == speaker]
    if not utterances:
        known = sorted({u["speaker"] for u in study.vault.raw_utterances(interview_id)})
        raise ResearchError(f"{code} has no speaker {speaker} (speakers: {', '.join(known) or 'none yet; run research speakers'})")
    path = study.vault.source_path(interview_id)
    if path is None or not Path(path).is_file():
        raise ResearchError(f"{code}: the audio file is no longer where it was added")
    spans = [(w["start"], w["end"]) for u in utterances for w in json.loads(u["words"])]
    return decode(Path(path)), _merged(spans)


def _merged(spans: list[tuple[float, float]], gap: float = 0.3) -> list[tuple[float, float]]:
    """Word spans joined where they are less than `gap` apart."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start - merged[-1][1] < gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def interviewer_voice(study: Study, method: Method) -> np.ndarray | None:
    row = next(study.db["voiceprints"].rows_where("role = ? AND method = ?", [ROLE, method]), None) if "voiceprints" in study.db.table_names() else None
    return np.frombuffer(row["embedding"], dtype=np.float32) if row else None


def voice_digest(study: Study, method: Method) -> str | None:
    """A short digest of the enrolled voice, so that a new enrolment re-labels every interview."""
    enrolled = interviewer_voice(study, method)
    return hashlib.sha256(enrolled.tobytes()).hexdigest()[:12] if enrolled is not None else None


def recognise_interviewer(study: Study, diarization: Diarization) -> str | None:
    """The speaker label (S1, S2 ...) whose voice matches the enrolled interviewer; None when none does."""
    enrolled = interviewer_voice(study, diarization.method)
    if enrolled is None or not diarization.speakers:
        return None
    similarity = diarization.voices @ enrolled
    best = int(np.argmax(similarity))
    return f"S{best + 1}" if similarity[best] >= SAME_VOICE[diarization.method] else None
