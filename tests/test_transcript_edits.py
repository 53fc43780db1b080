"""Correcting a transcript from the review app: words fixed on the anonymized text reach the vault's
raw text, the anonymized text is derived again through the anonymizer (a typed name is caught), an
utterance splits or gives words to another speaker, speakers merge, a role change keeps the
participant, every correction has a history, and the app runs it all in a worker."""

from __future__ import annotations

import json
import re

import pytest

from research.errors import ResearchError
from research.review import change_role
from research.search import search
from research.transcript_edits import correct_text, history, merge_speakers, reassign_words, speakers, voice_sample

NAME = "Margaret Okafor"
RAW = [
    ("S1", "interviewer", "How did the setup go?"),
    ("S2", "customer", "Margaret here, the wifi would not pear with the router. Thanks for asking."),
    ("S1", "interviewer", "And then?"),
    ("S3", "customer", "I called support and they fixed it."),
]


@pytest.fixture
def correction_study(tmp_path):
    """One interview whose raw words are in the vault and whose anonymized words come from the real anonymizer."""
    from research.coding.stage import study_codebook, sync_codes
    from research.store import now, set_stage
    from research.study import Study
    from research.transcript_edits import _anonymize

    study = Study.create(tmp_path / "edits", "edits")
    db = study.db
    sync_codes(db, study_codebook(study)[0])
    interview = db["interviews"].insert({"code": "INT-001", "title": "Setup call", "sha256": "1" * 64, "duration": 60.0, "added_at": now()}).last_pk
    db["participants"].insert({"interview_id": interview, "slot": "customer", "label": "Participant 1", "persona": "Buyer", "segment": "Household"})
    study.vault.save_person(interview, "customer", NAME)
    raws, clock = [], 0.0
    for idx, (speaker, role, text) in enumerate(RAW):
        words = []
        for token in text.split():
            words.append({"start": clock, "end": clock + 0.4, "text": " " + token, "probability": 0.2 if token == "pear" else 0.93, "speaker": speaker})
            clock += 0.5
        raws.append({"interview_id": interview, "idx": idx, "speaker": speaker, "role": role, "start": words[0]["start"], "end": words[-1]["end"], "text": text, "words": json.dumps(words)})
        clock += 1.0
    study.vault.db["raw_utterances"].insert_all(raws, pk=("interview_id", "idx"))
    for raw, anon in zip(raws, _anonymize(study, raws)):
        db["utterances"].insert({"interview_id": interview, "idx": raw["idx"], "speaker": anon.speaker, "role": anon.role, "start": anon.start, "end": anon.end, "text": anon.text, "words": json.dumps(anon.words)})
    for stage in ("transcribe", "speakers", "anonymize"):
        set_stage(db, interview, stage, "done")
    return study


def rows(study) -> list[dict]:
    return list(study.db.query("SELECT * FROM utterances ORDER BY idx"))


def raw_rows(study) -> list[dict]:
    return study.vault.raw_utterances(1)


def test_a_corrected_word_reaches_the_vault_and_the_anonymized_text_is_derived_again(correction_study):
    study = correction_study
    customer = rows(study)[1]
    rest = " here, the wifi would not pear with the router. Thanks for asking."
    assert customer["text"].endswith(rest) and re.fullmatch(r"\[PERSON_\d+\]|Participant \d+", customer["text"].removesuffix(rest)), customer["text"]
    pseudonym = customer["text"].split(",")[0]  # the anonymizer's replacement for "Margaret here"'s name
    corrected = customer["text"].replace("pear", "pair")
    result = correct_text(study, customer["id"], corrected)
    after = rows(study)[1]
    assert after["id"] == customer["id"] and after["text"] == corrected and result.after == corrected
    raw = raw_rows(study)[1]
    assert raw["text"] == "Margaret here, the wifi would not pair with the router. Thanks for asking."  # the real name stays in the vault
    pair = next(w for w in json.loads(raw["words"]) if w["text"].strip() == "pair")
    assert pair["probability"] == 1.0 and 0 < pair["start"] < pair["end"]
    assert pseudonym in after["text"]
    assert [h["kind"] for h in history(study, "INT-001")] == ["text"] and history(study, "INT-001")[0]["text_before"] == customer["text"]
    assert NAME.split()[0] not in json.dumps(list(study.db.query("SELECT * FROM transcript_edits")))
    assert {h.utterance_id for h in search(study, "pair")} == {customer["id"]} and not search(study, "pear")


def test_a_name_typed_into_a_correction_is_anonymized(correction_study):
    study = correction_study
    customer = rows(study)[3]
    correct_text(study, customer["id"], customer["text"].replace("I called support", f"I called {NAME} at support"))
    after = rows(study)[3]
    assert "Okafor" not in after["text"] and "Margaret" not in after["text"]
    assert NAME in raw_rows(study)[3]["text"]
    assert "Okafor" not in json.dumps(list(study.db.query("SELECT * FROM transcript_edits")))
    with pytest.raises(ResearchError):
        correct_text(study, customer["id"], "   ")


def test_split_and_give_words_to_another_speaker(correction_study):
    study = correction_study
    customer = rows(study)[1]
    words = customer["text"].split()
    thanks = words.index("Thanks")
    reassign_words(study, customer["id"], thanks, len(words) - 1, "S1")  # "Thanks for asking." was the interviewer
    after = rows(study)
    assert [r["speaker"] for r in after] == ["S1", "S2", "S1", "S1", "S3"] and [r["idx"] for r in after] == list(range(5))
    assert after[2]["text"] == "Thanks for asking." and after[2]["role"] == "interviewer" and after[1]["text"].endswith("router.")
    assert [r["speaker"] for r in raw_rows(study)] == ["S1", "S2", "S1", "S1", "S3"] and raw_rows(study)[2]["text"] == "Thanks for asking."
    assert after[1]["id"] == customer["id"] and after[2]["start"] >= after[1]["end"]
    reassign_words(study, after[4]["id"], 2, 2)  # split "I called | support and they fixed it."
    assert [r["text"] for r in rows(study)[4:]] == ["I called", "support and they fixed it."]
    assert [h["kind"] for h in history(study, "INT-001")] == ["split", "reassign"]
    with pytest.raises(ResearchError):
        reassign_words(study, after[4]["id"], 0, 0)  # a split before the first word splits nothing
    with pytest.raises(ResearchError):
        reassign_words(study, after[4]["id"], 1, 1, "S9")


def test_merge_speakers_and_a_voice_sample(correction_study):
    study = correction_study
    found = speakers(study, "INT-001")
    assert found[0][:2] == ("S2", "customer") and {s for s, _, _ in found} == {"S1", "S2", "S3"}  # the most talkative first
    start, end = voice_sample(study, "INT-001", "S3")
    assert end > start and end - start <= 8
    moved = merge_speakers(study, "INT-001", "S2", "S3")
    assert moved == 1 and {r["speaker"] for r in rows(study)} == {"S1", "S2"} and rows(study)[3]["role"] == "customer"
    assert {r["speaker"] for r in raw_rows(study)} == {"S1", "S2"}
    with pytest.raises(ResearchError):
        merge_speakers(study, "INT-001", "S2", "S3")  # S3 is gone


def test_a_role_change_keeps_the_participant(correction_study):
    study = correction_study
    merge_speakers(study, "INT-001", "S2", "S3")
    change_role(study, "INT-001", "S2", "customer_b")
    participants = list(study.db.query("SELECT slot, label FROM participants"))
    assert participants == [{"slot": "customer_b", "label": "Participant 1"}]  # the same person, in the slot the voice now has
    assert {r["role"] for r in rows(study) if r["speaker"] == "S2"} == {"customer_b"}


async def test_the_app_edits_words_and_re_codes_in_a_worker_without_losing_keys(correction_study, monkeypatch):
    import threading

    import tui.screens.transcript as transcript_screen
    from tui.app import ResearchApp
    from tui.screens.transcript import TranscriptScreen

    release = threading.Event()  # the real re-code waits until the screen has been checked meanwhile, however fast it is
    real_recode = transcript_screen.recode_interview

    def recode_once_released(study, code):
        release.wait(120)
        return real_recode(study, code)

    monkeypatch.setattr(transcript_screen, "recode_interview", recode_once_released)
    study = correction_study
    db = study.db
    app = ResearchApp(study)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TranscriptScreen)
        customer = screen.utterances[1]
        assert customer.unsure and customer.text[slice(*customer.unsure[0])] == "pear"
        screen.highlight_utterance(customer.id)
        await pilot.press("e")
        await pilot.pause()
        field = app.screen.query_one("#text")
        field.text = field.text.replace("pear", "pair")
        await pilot.press("enter")
        await pilot.pause()
        assert screen.correcting and screen.query_one("#working").display
        await pilot.press("down")  # the screen still answers while the interview is re-coded
        await pilot.pause()
        assert screen.query_one("#utterances").highlighted == 2
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not screen.correcting and not screen.query_one("#working").display
        assert "pair" in db["utterances"].get(customer.id)["text"] and screen.utterances[1].unsure == []
        assert db.execute("SELECT COUNT(*) FROM codings WHERE utterance_id = ?", [customer.id]).fetchone()[0] > 0  # re-coded
        assert any("re-coded" in n.message for n in app._notifications) and app.map_is_stale
        await pilot.press("up", "up", "R")  # the interviewer's role dialog: a sample first, then customer_c
        await pilot.pause()
        seen = {n.identity for n in app._notifications}  # the notifications before the sample (`e` plays the utterance too)
        await pilot.press("space")
        await pilot.pause()
        sample = [n.message for n in app._notifications if n.identity not in seen]
        assert len(sample) == 1 and sample[0].startswith("No redacted audio for this interview (INT-001.opus)"), sample  # the fixture has no redacted audio
        options = app.screen.query_one("#choices")
        options.highlighted = next(n for n in range(options.option_count) if options.get_option_at_index(n).id == "role|customer_c")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert {r["role"] for r in db.query("SELECT role FROM utterances WHERE speaker = 'S1'")} == {"customer_c"}
        assert db.execute("SELECT COUNT(*) FROM participants").fetchone()[0] == 2  # Participant 1 and the new voice
