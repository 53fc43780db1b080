"""Who said what in an imported transcript or a feedback response: the file says it, no voices needed.

Speakers are numbered S1, S2 ... by first appearance of their names; a turn the file left unnamed
continues the speaker before it. A file without timings has no pauses to split a speaker's talk at, so
each of its turns (a paragraph) is an utterance of its own; a timed file's turns join as audio does.
A speaker whose name is a participant's in the metadata sheet takes that participant's slot (customer,
customer_b ...); a feedback response has one speaker, the customer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from research.study import Study
from research.transcribe.types import Word
from research.vault import entity_key

FEEDBACK_SOURCES = ("survey", "ticket")


@dataclass(frozen=True)
class ImportedTurns:
    groups: list[list[tuple[Word, str]]]  # each word with its speaker id (S1, S2 ...); utterances never span two groups
    roles: dict[str, str] = field(default_factory=dict)  # roles known without guessing
    expects_interviewer: bool = True


def imported_turns(study: Study, interview_id: int) -> ImportedTurns | None:
    """The speaker-labelled words of an imported transcript or a response; None when the audio must tell (not imported, or no names and a recording)."""
    vault = study.vault
    names = vault.imported_speakers(interview_id)
    if names is None:
        return None
    source_type = study.db["interviews"].get(interview_id)["source_type"]
    segments = vault.raw_segments(interview_id)
    if source_type in FEEDBACK_SOURCES:
        return ImportedTurns([[(w, "S1") for w in s.words] for s in segments], {"S1": "customer"}, expects_interviewer=False)  # one answer, one utterance
    if not any(names) and vault.source_path(interview_id) is not None:
        return None
    ids: dict[str, str] = {}
    turns, current = [], "S1"
    for name, segment in zip(names, segments):
        if name:
            current = ids.setdefault(entity_key(name), f"S{len(ids) + 1}")
        turns.append([(w, current) for w in segment.words])
    timed = any(segment.end > 0 for segment in segments)
    groups = [[pair for turn in turns for pair in turn]] if timed else [turn for turn in turns if turn]
    return ImportedTurns(groups, _sheet_roles(study, interview_id, ids))


def _sheet_roles(study: Study, interview_id: int, ids: dict[str, str]) -> dict[str, str]:
    """{speaker id: slot} for speakers the metadata sheet names as participants."""
    rows = study.vault.db.query("SELECT slot, participant_name FROM people WHERE interview_id = ? AND slot NOT LIKE 'speaker:%'", [interview_id])
    return {ids[key]: row["slot"] for row in rows if (key := entity_key(row["participant_name"])) in ids}
