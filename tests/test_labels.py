"""What the study calls a participant the metadata sheet does not name: a pseudonym, as for one it names.

Transcripts imported without a sheet were labelled by their database slot, and the map then said "Only INT-003
customer describes this at Decision" and cited "INT-003 · INT-003 customer" under every quote."""

from pathlib import Path

from research.importers.add import add_sources
from research.journey.evidence import participants_matching
from research.labels import name_unnamed, new_label
from research.metadata import MetadataSheet, ParticipantRow

TRANSCRIPTS = Path(__file__).parent / "fixtures" / "transcripts"


def _labels(study) -> list[str]:
    return [r["label"] for r in study.db.query("SELECT label FROM participants ORDER BY id")]


def test_an_unnamed_participant_gets_the_next_pseudonym_and_a_named_one_never_takes_it(study):
    add_sources(study, [TRANSCRIPTS / "notes-call.txt", TRANSCRIPTS / "zoom-call.vtt"])
    assert _labels(study) == ["Participant 1", "Participant 2"]
    add_sources(study, [TRANSCRIPTS / "teams-call.vtt"], MetadataSheet([ParticipantRow(file="teams-call.vtt", participant="Sarah Okafor")]))
    assert _labels(study) == ["Participant 1", "Participant 2", "Participant 3"]
    assert "Sarah Okafor" not in " ".join(_labels(study))
    assert set(participants_matching(study, {}).values()) == {"Participant 1", "Participant 2", "Participant 3"}


def test_a_slot_added_later_gets_the_next_pseudonym_even_with_the_vault_purged(study):
    """`research role` can give a voice a new customer slot; the label it gets reads as the others do."""
    add_sources(study, [TRANSCRIPTS / "notes-call.txt"])
    assert new_label(study, "INT-001", "customer_b") == "Participant 2"
    assert new_label(study, "INT-001", "customer_b") == "Participant 2"  # the same slot, the same pseudonym
    study.purge_vault()
    assert new_label(study, "INT-001", "customer_c") == "Participant 2"  # from study.db: the next number no label uses


def test_a_study_labelled_by_slot_before_is_renamed_once_in_order(study):
    add_sources(study, [TRANSCRIPTS / "notes-call.txt", TRANSCRIPTS / "zoom-call.vtt"])
    study.db.execute("UPDATE participants SET label = (SELECT code FROM interviews WHERE id = interview_id) || ' ' || slot")  # as made before
    study.vault.db.execute("DELETE FROM pseudonyms WHERE entity_type = 'PARTICIPANT'")
    assert _labels(study) == ["INT-001 customer", "INT-002 customer"]
    assert name_unnamed(study) == 2 and _labels(study) == ["Participant 1", "Participant 2"]
    assert name_unnamed(study) == 0 and _labels(study) == ["Participant 1", "Participant 2"]


def test_a_sheet_naming_a_participant_first_seen_unnamed_keeps_their_number(study, tmp_path):
    """Audio added without a sheet, then with one that names its participant: the label stays Participant 1."""
    import numpy as np

    from research.ingest import add_files
    from tests.audio_factory import write_audio

    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(16_000 * 2) / 16_000).astype(np.float32)
    audio = write_audio(tmp_path / "a.wav", tone)
    add_files(study, [audio])
    add_sources(study, [TRANSCRIPTS / "zoom-call.vtt"])
    assert _labels(study) == ["Participant 1", "Participant 2"]
    add_files(study, [audio], MetadataSheet([ParticipantRow(file="a.wav", participant="Sarah Okafor", persona="Home owner")]))
    assert _labels(study) == ["Participant 1", "Participant 2"]
    assert [r["persona"] for r in study.db.query("SELECT persona FROM participants ORDER BY id")] == ["Home owner", None]
    add_files(study, [write_audio(tmp_path / "b.wav", 0.5 * tone)], MetadataSheet([ParticipantRow(file="b.wav", participant="Sarah Okafor")]))
    assert _labels(study)[-1] == "Participant 1"  # the same person in another interview: the same pseudonym
