"""`research speakers`: give every word a speaker, split utterances at speaker changes, label roles.

Roles come from evidence in the transcript: the interviewer asks the questions, usually
speaks first and talks less. Customers are numbered by first appearance (customer,
customer_b, ...) so they line up with the metadata sheet's `speaker` slots. A role the
user set by hand survives every re-run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from research.audio import decode, is_silent
from research.diarize import MAX_AUTO_SPEAKERS, Diarization, Method, default_method, diarize
from research.enrolment import recognise_interviewer, voice_digest
from research.errors import ResearchError
from research.importers.attribution import imported_turns
from research.stages import run_stage
from research.store import role_overrides, save_roles
from research.study import Study
from research.transcribe.types import Word

STAGE = "speakers"
PAUSE_SPLIT_SECONDS = 2.0
MIN_INTERVIEWER_QUESTIONS = 0.2  # below this share of questions, the interviewer label is a guess
CUSTOMER_SLOTS = ("customer", "customer_b", "customer_c", "customer_d", "customer_e")
_QUESTION_START = re.compile(r"^(how|what|why|when|where|who|which|could|can|would|do|did|does|is|are|have|has|tell)\b", re.IGNORECASE)


@dataclass(frozen=True)
class SpokenWord(Word):
    speaker: str = ""


@dataclass(frozen=True)
class Utterance:
    speaker: str
    start: float
    end: float
    text: str
    words: list[SpokenWord]


def assign_words(words: list[Word], diarization: Diarization) -> list[SpokenWord]:
    """Each word gets the speaker who talks longest while it is said (in overlap, the main voice); lone one-word flips inside a run are smoothed."""
    labels = [diarization.speaker_of(w.start, w.end) for w in words]
    for i in range(1, len(labels) - 1):
        if labels[i - 1] == labels[i + 1] != labels[i]:
            labels[i] = labels[i - 1]
    return [SpokenWord(w.start, w.end, w.text, w.probability, f"S{(label or 0) + 1}") for w, label in zip(words, labels)]


def utterances_from(words: list[SpokenWord]) -> list[Utterance]:
    """Consecutive words of one speaker, split again at long pauses."""
    groups: list[list[SpokenWord]] = []
    for word in words:
        if groups and groups[-1][-1].speaker == word.speaker and word.start - groups[-1][-1].end < PAUSE_SPLIT_SECONDS:
            groups[-1].append(word)
        else:
            groups.append([word])
    return [Utterance(g[0].speaker, g[0].start, g[-1].end, join_words(g), g) for g in groups]


def join_words(words: list[Word]) -> str:
    """The text of consecutive words, spaced as the engine spaced them."""
    return "".join(w.text for w in words).strip()


def question_rate(utterances: list[Utterance], speaker: str) -> float:
    """Share of a speaker's utterances that are questions."""
    own = [u for u in utterances if u.speaker == speaker]
    return sum(1 for u in own if u.text.rstrip().endswith("?") or _QUESTION_START.match(u.text)) / max(1, len(own))


def infer_roles(utterances: list[Utterance], interviewer: str | None = None) -> dict[str, str]:
    """interviewer: the enrolled voice when recognised, else the speaker with the most question-like talk; customers by first appearance."""
    speakers = list(dict.fromkeys(u.speaker for u in utterances))
    if not speakers:
        return {}
    talk = {s: sum(u.end - u.start for u in utterances if u.speaker == s) for s in speakers}
    total = sum(talk.values()) or 1.0

    def score(speaker: str) -> float:
        first = 0.3 if speaker == speakers[0] else 0.0
        return 2.0 * question_rate(utterances, speaker) + first - talk[speaker] / total

    roles = {}
    if interviewer not in speakers:
        interviewer = max(speakers, key=score) if len(speakers) > 1 else None
    customers = [s for s in speakers if s != interviewer]
    if interviewer:
        roles[interviewer] = "interviewer"
    for slot, speaker in zip(CUSTOMER_SLOTS, customers):
        roles[speaker] = slot
    return roles


SpeakerCount = int | Literal["auto", "meta"]


def run_speakers(study: Study, speakers: SpeakerCount = "meta", interview_codes: list[str] | None = None, force: bool = False, method: Method | None = None) -> dict[str, str]:
    """Separate speakers for every transcribed interview; returns {code: status or note}.

    `speakers`: a fixed number of voices, "auto" (estimated by clustering, one to six), or
    "meta": the interviewer plus one voice per participant row in the metadata sheet. An interview whose transcript, settings and enrolled interviewer
    voice are unchanged since its last run is skipped. `method`: the voice models (see
    `research.diarize`), by default the best installed.
    """
    method = method or default_method()
    study.vault  # noqa: B018 - a purged vault is refused here, before any interview is marked failed
    return run_stage(
        study,
        STAGE,
        "transcribe",
        lambda interview_id, transcript: {"voices": _voices(study, interview_id, speakers), "method": method, "interviewer_voice": voice_digest(study, method), "transcript": transcript},
        lambda interview_id, code, params: _separate(study, interview_id, code, tuple(params["voices"]), method),
        interview_codes,
        force,
    )


def _voices(study: Study, interview_id: int, speakers: SpeakerCount) -> tuple[int, int]:
    """(fewest, most) voices to look for."""
    if speakers == "auto":
        return 1, MAX_AUTO_SPEAKERS
    if speakers == "meta":
        expected = 1 + max(1, study.db["participants"].count_where("interview_id = ?", [interview_id]))
        return expected, expected
    return speakers, speakers


def _separate(study: Study, interview_id: int, code: str, voices: tuple[int, int], method: Method) -> str | None:
    vault = study.vault
    channels = vault.channels(interview_id)
    note, imported = None, None
    if channels:  # a call recording transcribed per channel: the channel is the speaker; turns may overlap
        utterances = sorted(
            (
                utterance
                for channel in channels
                for utterance in utterances_from([SpokenWord(w.start, w.end, w.text, w.probability, f"S{channel + 1}") for segment in vault.raw_segments(interview_id, channel) for w in segment.words])
            ),
            key=lambda u: u.start,
        )
        interviewer = None
    elif (imported := imported_turns(study, interview_id)) is not None:  # an imported transcript or a response: the file says who spoke
        utterances = [u for group in imported.groups for u in utterances_from([SpokenWord(w.start, w.end, w.text, w.probability, speaker) for w, speaker in group])]
        free = [u.speaker for u in utterances if u.speaker not in imported.roles]
        interviewer = max(free, key=lambda s: question_rate(utterances, s)) if imported.roles and free else None
    else:
        words = [w for segment in vault.raw_segments(interview_id) for w in segment.words]
        path = vault.source_path(interview_id)
        if path is None or not Path(path).is_file():
            raise ResearchError(f"{code}: the audio file is no longer where it was added")
        audio = decode(Path(path))
        if not words or is_silent(audio):
            vault.save_utterances(interview_id, [])
            return f"{code}: no speech to attribute"
        diarization = diarize(audio, *voices, method=method)
        if diarization.speakers < 2:
            note = f"{code}: only one voice found; every word is attributed to it"
        utterances = utterances_from(assign_words(words, diarization))
        interviewer = recognise_interviewer(study, diarization)
    if not utterances:
        vault.save_utterances(interview_id, [])
        return f"{code}: no speech to attribute"
    roles = infer_roles(utterances, interviewer) | (imported.roles if imported else {}) | role_overrides(study.db, interview_id)
    interviewers = [speaker for speaker, role in roles.items() if role == "interviewer"]
    if (not imported or imported.expects_interviewer) and (not interviewers or max(question_rate(utterances, s) for s in interviewers) < MIN_INTERVIEWER_QUESTIONS):
        note = f"{code}: no voice asks questions like an interviewer (one speaker?); check the roles with `research role`"
    study.vault.save_utterances(interview_id, [(u, roles.get(u.speaker, "customer")) for u in utterances])
    save_roles(study.db, interview_id, roles)
    return note


def apply_roles(study: Study, code: str, roles: dict[str, str]) -> None:
    """The user's roles for an interview's speakers: stored as overrides and applied at once."""
    valid = {"interviewer", *CUSTOMER_SLOTS}
    for role in roles.values():
        if role not in valid:
            raise ResearchError(f"unknown role '{role}' (use one of: {', '.join(sorted(valid))})")
    rows = list(study.db["interviews"].rows_where("code = ?", [code]))
    if not rows:
        raise ResearchError(f"no interview {code}")
    interview_id = rows[0]["id"]
    known = {u["speaker"] for u in study.vault.raw_utterances(interview_id)}
    unknown = set(roles) - known
    if unknown:
        raise ResearchError(f"{code} has no speaker {', '.join(sorted(unknown))} (speakers: {', '.join(sorted(known)) or 'none yet; run research speakers'})")
    save_roles(study.db, interview_id, roles, source="user")
    study.vault.set_roles(interview_id, roles)
