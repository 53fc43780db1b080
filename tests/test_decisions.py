"""Decisions with undo (issue 17 item 3): the decision log, undo of the last decisions or the last bulk
accept, bulk accept with an explicit scope, memos on utterances, agreement that flags bulk-accepted
decisions, and two-coder kappa from a second coder's QDPX.

A small study is written straight into study.db (two interviews, stage and signal suggestions), so these
tests need no transcription; the QDPX a second coder returns is this study's own export after other decisions.
"""

from __future__ import annotations

import re
import shutil

import pytest
from click.testing import CliRunner

from research.cli import cli
from research.coding import decision_log
from research.coding.decisions import Scope, add_coding, bulk_accept, bulk_candidates, decide, recode
from research.errors import ResearchError

STAGES = ["stage:discovery", "stage:decision", "stage:adoption", "stage:retention", "stage:advocacy"]


@pytest.fixture
def small(study):
    """Two interviews of one interviewer question and five customer answers each; every answer has a stage
    suggestion (confidence 0.55–0.95) and every other one a pain-point suggestion."""
    from research import codebook as codebooks
    from research.coding.stage import sync_codes
    from research.store import now

    db = study.db
    sync_codes(db, codebooks.load(codebooks.resolve("cx-journey")))
    for n in (1, 2):
        interview = db["interviews"].insert({"code": f"INT-00{n}", "title": f"Interview {n}", "sha256": f"sha{n}", "added_at": now()}).last_pk
        db["participants"].insert({"interview_id": interview, "slot": "customer", "label": f"Participant {n}", "role": "customer"})
        db["utterances"].insert({"interview_id": interview, "idx": 0, "speaker": "S1", "role": "interviewer", "start": 0.0, "end": 2.0, "text": "How did it go?"})
        for i in range(1, 6):
            utterance = db["utterances"].insert({"interview_id": interview, "idx": i, "speaker": "S2", "role": "customer", "start": 3.0 * i, "end": 3.0 * i + 2,
                                                 "text": f"Answer {i} of interview {n}: the app would not pair."}).last_pk
            rows = [(STAGES[(i + n) % 5], 0.45 + 0.1 * i)] + ([("signal:pain-point", 0.95)] if i % 2 else [])
            for key, confidence in rows:
                db["codings"].insert({"utterance_id": utterance, "code_key": key, "source": "model", "confidence": round(confidence, 2), "status": "suggested",
                                      "created_at": now(), "updated_at": now()})
    db.conn.commit()
    return study


def statuses(db) -> dict[tuple[int, str], str]:
    return {(r["utterance_id"], r["code_key"]): r["status"] for r in db.query("SELECT utterance_id, code_key, status FROM codings")}


def test_bulk_accept_takes_an_explicit_scope_and_one_undo_takes_it_back(small):
    db = small.db
    before = statuses(db)
    assert bulk_candidates(db, 0.6, Scope("interview", "INT-001")) == 7  # four stages at 0.65-0.95 and three pain points
    assert bulk_accept(db, 0.6, Scope.parse("interview:INT-001")) == 7
    after = statuses(db)
    assert all(after[key] == "suggested" for key in before if key[0] > 6)  # the other interview is untouched
    assert sum(status == "accepted" for status in after.values()) == 7
    assert bulk_accept(db, 0.0, Scope("code", "signal:pain-point")) == 3  # the pain points still open, in interview 2
    result = decision_log.undo(db)
    assert (result.restored, result.actions) == (3, ["bulk-accept"]) and statuses(db) == after
    result = decision_log.undo(db)
    assert result.restored == 7 and statuses(db) == before
    assert result.line == "Undid 1 decision (bulk-accept): 7 codings restored."
    assert decision_log.undo(db).line == "Nothing to undo."


def test_a_study_scope_is_the_whole_study_and_bad_scopes_are_one_line(small):
    db = small.db
    assert bulk_candidates(db, 0.0, Scope("study")) == db["codings"].count
    assert bulk_candidates(db, 0.0, Scope.parse("code:stage:")) == 10
    for bad, message in (("interview:INT-404", "no interview INT-404"), ("code:stage:nope", "not a code"), ("code:nogroup:", "no code group"), ("everything", "unknown scope"),
                         ("study:INT-001", "takes no value")):
        with pytest.raises(ResearchError, match=message):
            bulk_candidates(db, 0.5, Scope.parse(bad))
    with pytest.raises(ResearchError, match="between 0 and 1"):
        bulk_accept(db, 1.5, Scope("study"))


def test_undo_restores_single_decisions_recodes_and_hand_codes_newest_first(small):
    db = small.db
    before = {r["id"]: dict(r) for r in db.query("SELECT * FROM codings")}
    stage = [r for r in before.values() if r["code_key"].startswith("stage:")]
    decide(db, stage[0]["id"], "accepted")
    decide(db, stage[1]["id"], "rejected")
    other = next(k for k in STAGES if k != stage[2]["code_key"])
    new_id = recode(db, stage[2]["id"], other)
    added = add_coding(db, stage[3]["utterance_id"], next(k for k in STAGES if k != stage[3]["code_key"]))  # drops the stage suggestion there (single choice)
    assert db["codings"].get(new_id)["status"] == "accepted" and db["codings"].get(added)["coder"] == "researcher"
    assert stage[3]["id"] not in {r["id"] for r in db.query("SELECT id FROM codings")}
    log = decision_log.history(db)
    assert [row.action for row in log][:2] == ["add", "add"] and {row.action for row in log} == {"accept", "reject", "recode", "add"}
    assert all(row.coder == "researcher" and row.created_at for row in log)

    result = decision_log.undo(db, 2)  # the hand code, then the recode
    assert result.actions == ["add", "recode"]
    rows = {r["id"]: dict(r) for r in db.query("SELECT * FROM codings")}
    assert added not in rows and new_id not in rows
    assert rows[stage[3]["id"]] == before[stage[3]["id"]]  # the dropped suggestion is back, as it was
    assert rows[stage[2]["id"]] == before[stage[2]["id"]]
    decision_log.undo(db, 5)
    assert {i: dict(r) for i, r in ((r["id"], r) for r in db.query("SELECT * FROM codings"))} == before


def test_undo_takes_back_memo_edits_in_turn_with_decisions(small):
    """A memo edit is undone like a decision, newest first: the memo before it comes back (as saved, redacted),
    a new memo goes, and a memo changed again since by another route is kept and said so."""
    from research.coding.decisions import set_memo
    from research.coding.memos import set_utterance_memo, utterance_memos

    db = small.db
    first, second = [r["id"] for r in db.query("SELECT id FROM codings WHERE code_key LIKE 'stage:%' ORDER BY id LIMIT 2")]
    utterance = db["codings"].get(first)["utterance_id"]
    memo_of = lambda coding: db["codings"].get(coding)["memo"]  # noqa: E731
    decide(db, first, "accepted")
    set_memo(db, first, "Onboarding, not adoption")
    set_memo(db, first, "Adoption after all")
    set_utterance_memo(small, utterance, "Call Sarah Okafor back")
    saved = utterance_memos(db)[utterance]
    assert "Okafor" not in saved
    decide(db, second, "rejected")

    assert decision_log.undo(db).actions == ["reject"] and db["codings"].get(second)["status"] == "suggested"
    result = decision_log.undo(db)
    assert result.line == "Undid the memo edit: the memo is removed (there was none before)." and result.memos == [(utterance, None, "removed")]
    assert utterance_memos(db) == {}
    assert decision_log.undo(db).line == "Undid the memo edit: the memo before it is back." and memo_of(first) == "Onboarding, not adoption"
    db.execute("UPDATE codings SET memo = 'changed by another route' WHERE id = ?", [first])
    assert decision_log.undo(db).line == "Undid nothing of the last memo edit: that memo was changed again since, so it was kept."
    assert memo_of(first) == "changed by another route"
    assert decision_log.undo(db).actions == ["accept"] and db["codings"].get(first)["status"] == "suggested"
    assert decision_log.undo(db).line == "Nothing to undo."

    set_utterance_memo(small, utterance, saved)
    set_utterance_memo(small, utterance, "Second look: fine")
    result = decision_log.undo(db, 2)  # the CLI's `research undo -n 2`
    assert result.line == "Undid 2 memo edits: 1 earlier memo back, 1 removed." and utterance_memos(db) == {}


def test_undo_keeps_a_coding_that_was_decided_again_after_the_bulk_accept(small):
    db = small.db
    bulk_accept(db, 0.0, Scope("study"))
    changed = next(db.query("SELECT id FROM codings WHERE code_key LIKE 'stage:%' LIMIT 1"))["id"]
    decide(db, changed, "rejected")  # the researcher overrules one of them
    result = decision_log.undo_last_bulk(db)
    assert result.kept == 1 and result.restored == db["codings"].count - 1
    assert db["codings"].get(changed)["status"] == "rejected"
    assert {r["status"] for r in db.query("SELECT status FROM codings WHERE id != ?", [changed])} == {"suggested"}
    assert "1 changed again since were kept" in result.line


def test_agreement_flags_bulk_accepted_decisions_and_gives_kappa_without_them(small):
    from research.coding.agreement import agreement
    from research.coding.stage import study_codebook

    db = small.db
    book = study_codebook(small)[0]
    bulk_accept(db, 0.0, Scope("interview", "INT-001"))
    stage = {row.group: row for row in agreement(db, book)}["Journey stage"]
    assert (stage.utterances, stage.bulk, stage.observed, stage.rubber_stamped) == (5, 5, 1.0, True)
    assert stage.kappa == 1.0 and stage.kappa_without_bulk is None  # rubber-stamping alone gives a perfect kappa
    for row in db.query("SELECT c.id, c.code_key FROM codings c JOIN utterances u ON u.id = c.utterance_id WHERE u.interview_id = 2 AND c.code_key LIKE 'stage:%' ORDER BY c.id"):
        if row["code_key"] in ("stage:discovery", "stage:decision"):
            recode(db, row["id"], "stage:retention")  # the researcher disagrees with the machine here
        else:
            decide(db, row["id"], "accepted")
    stage = {row.group: row for row in agreement(db, book)}["Journey stage"]
    assert (stage.utterances, stage.bulk) == (10, 5)
    assert stage.kappa_without_bulk is not None and stage.kappa_without_bulk < stage.kappa < 1
    result = CliRunner().invoke(cli, ["--study", str(small.root), "agreement"])
    assert result.exit_code == 0, result.output
    assert "kappa w/o bulk" in result.output and "bulk: of those utterances, how many you decided by bulk accept" in result.output
    assert "! kappa rests on bulk-accepted decisions in Journey stage" in result.output


def test_two_coder_kappa_from_a_second_coders_qdpx(small, tmp_path):
    """The second coder's project is this study exported after their own decisions (as a QDPX edited in another tool would be)."""
    from research.coding.agreement import coder_agreement
    from research.coding.second_coder import read_second_coder
    from research.coding.stage import study_codebook
    from research.export.run import export
    from research.study import Study

    small.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copytree(small.root, tmp_path / "maria")
    maria = Study.open(tmp_path / "maria")
    bulk_accept(maria.db, 0.0, Scope("study"), coder="maria")  # she agrees with every suggestion
    export(maria, ["qdpx"], tmp_path / "from-maria")
    qdpx = tmp_path / "from-maria" / "test.qdpx"

    db = small.db
    book = study_codebook(small)[0]
    for row in db.query("SELECT id, code_key FROM codings WHERE code_key LIKE 'stage:%' ORDER BY id"):
        decide(db, row["id"], "accepted")
    second = read_second_coder(small, book, qdpx)
    assert sorted(second.interviews) == ["INT-001", "INT-002"] and len(second.units) == 10 and len(second.codings) == 16
    stage = {row.group: row for row in coder_agreement(db, book, second.codings, second.units)}["Journey stage"]
    assert (stage.utterances, stage.kappa, stage.observed) == (10, 1.0, 1.0)

    first_two = [r["id"] for r in db.query("SELECT c.id FROM codings c JOIN utterances u ON u.id = c.utterance_id WHERE c.code_key LIKE 'stage:%' ORDER BY u.id LIMIT 2")]
    for coding_id in first_two:  # now the researcher disagrees with Maria on two of ten stages
        current = db["codings"].get(coding_id)["code_key"]
        recode(db, coding_id, "stage:advocacy" if current != "stage:advocacy" else "stage:discovery")
    stage = {row.group: row for row in coder_agreement(db, book, second.codings, second.units)}["Journey stage"]
    assert stage.observed == pytest.approx(0.8) and stage.kappa is not None and stage.kappa < 1
    signal = {row.group: row for row in coder_agreement(db, book, second.codings, second.units)}["Journey signal"]
    assert signal.observed < 1  # Maria coded the pain points; the researcher has not accepted them

    result = CliRunner().invoke(cli, ["--study", str(small.root), "agreement", "--with", str(qdpx)])
    assert result.exit_code == 0, result.output
    assert "against test.qdpx: 2 interviews, 10 customer utterances, 16 of their codings matched" in result.output
    unrelated = tmp_path / "unrelated.qdpx"
    unrelated.write_bytes(b"not a zip")
    result = CliRunner().invoke(cli, ["--study", str(small.root), "agreement", "--with", str(unrelated)])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "not a readable REFI-QDA project" in result.output


def test_cli_bulk_accept_undo_decisions_and_memo(small):
    root = ["--study", str(small.root)]
    runner = CliRunner()
    result = runner.invoke(cli, [*root, "bulk-accept", "--scope", "interview:INT-002", "--min-confidence", "0.8", "--dry-run"])
    expected = bulk_candidates(small.db, 0.8, Scope("interview", "INT-002"))
    assert result.exit_code == 0 and f"Would accept {expected} open suggestions with confidence ≥ 0.80 in interview INT-002." in result.output
    result = runner.invoke(cli, [*root, "bulk-accept", "--scope", "interview:INT-002", "--min-confidence", "0.8"])
    assert result.exit_code == 0 and f"Accepted {expected} open suggestions" in result.output
    result = runner.invoke(cli, [*root, "decisions"])
    assert result.exit_code == 0 and "bulk-accept" in result.output and "interview:INT-002" in result.output
    result = runner.invoke(cli, [*root, "undo"])
    assert result.exit_code == 0 and f"Undid 1 decision (bulk-accept): {expected} codings restored." in result.output
    assert small.db.execute("SELECT COUNT(*) FROM codings WHERE status = 'accepted'").fetchone()[0] == 0
    result = runner.invoke(cli, [*root, "bulk-accept", "--scope", "interview:INT-404"])
    assert result.exit_code == 1 and result.output.strip() == "Error: no interview INT-404"
    utterance = small.db.execute("SELECT id FROM utterances WHERE role = 'customer' LIMIT 1").fetchone()[0]
    result = runner.invoke(cli, [*root, "memo", str(utterance), "Contradicts the pricing answer"])
    assert result.exit_code == 0
    from research.coding.memos import utterance_memos

    assert utterance_memos(small.db, "INT-001") == {utterance: "Contradicts the pricing answer"}
    runner.invoke(cli, [*root, "memo", str(utterance), " "])
    assert utterance_memos(small.db) == {}
    result = runner.invoke(cli, [*root, "undo"])  # the memo's removal, taken back
    assert result.exit_code == 0 and "Undid the memo edit: the memo before it is back." in result.output
    assert utterance_memos(small.db) == {utterance: "Contradicts the pricing answer"}
    result = runner.invoke(cli, [*root, "memo", "99999", "x"])
    assert result.exit_code == 1 and "no utterance with id 99999" in result.output


def test_memos_and_suggestions_in_the_qdpx_are_notes_linked_to_their_selections(small, tmp_path, shared_data):
    import zipfile

    from lxml import etree

    from research.coding.decisions import set_memo
    from research.coding.memos import set_utterance_memo
    from research.export.run import export

    db = small.db
    NS = "{urn:QDA-XML:project:1.0}"
    stage = list(db.query("SELECT id, utterance_id FROM codings WHERE code_key LIKE 'stage:%' ORDER BY id"))
    decide(db, stage[0]["id"], "accepted")
    set_memo(db, stage[0]["id"], "Onboarding, not adoption: <she> had not paid yet")
    decide(db, stage[1]["id"], "rejected")
    set_memo(db, stage[1]["id"], "a rejected coding's memo stays out")
    set_utterance_memo(small, stage[2]["utterance_id"], "Sarcastic [PERSON_6]")
    schema = etree.XMLSchema(etree.parse(str(shared_data / "refi-qda" / "Project.xsd")))

    def project(flag: bool) -> etree._Element:
        export(small, ["qdpx"], tmp_path / str(flag), qdpx_suggestions=flag)
        with zipfile.ZipFile(tmp_path / str(flag) / "test.qdpx") as archive:
            root = etree.fromstring(archive.read("project.qde"))
        assert schema.validate(etree.ElementTree(root)), schema.error_log
        return root

    root = project(False)
    assert len(list(root.iter(f"{NS}Coding"))) == 1  # accepted codings only, by default
    notes = {n.get("guid"): n.findtext(f"{NS}PlainTextContent") for n in root.iter(f"{NS}Note")}
    assert sorted(notes.values()) == ["Onboarding, not adoption: <she> had not paid yet", "Sarcastic [PERSON_6]"]
    for selection in root.iter(f"{NS}PlainTextSelection"):
        refs = [r.get("targetGUID") for r in selection.findall(f"{NS}NoteRef")]
        assert refs and all(ref in notes for ref in refs)  # every selection here carries a memo, and every NoteRef resolves
    coded = next(s for s in root.iter(f"{NS}PlainTextSelection") if s.find(f"{NS}Coding") is not None)
    assert notes[coded.find(f"{NS}NoteRef").get("targetGUID")].startswith("Onboarding")

    root = project(True)
    suggested = db.execute("SELECT COUNT(*) FROM codings WHERE status = 'suggested'").fetchone()[0]
    assert len(list(root.iter(f"{NS}Coding"))) == 1 + suggested
    confidence = [n.findtext(f"{NS}PlainTextContent") for n in root.iter(f"{NS}Note") if n.get("name").startswith("Suggestion")]
    assert len(confidence) == suggested and all(text.startswith("Not reviewed: suggested by the model coder with confidence 0.") for text in confidence)


def test_a_real_name_typed_into_a_memo_never_reaches_study_db_or_the_qdpx(small, tmp_path):
    import zipfile

    from research.coding.decisions import set_memo
    from research.coding.memos import utterance_memos
    from research.export.run import export

    db = small.db
    label = small.vault.pseudonym("PARTICIPANT", "Sarah Okafor", "Participant")  # as `research add` does with the metadata sheet
    small.vault.save_person(1, "customer", "Sarah Okafor")
    utterance = db.execute("SELECT id FROM utterances WHERE role = 'customer' ORDER BY id LIMIT 1").fetchone()[0]
    result = CliRunner().invoke(cli, ["--study", str(small.root), "memo", str(utterance), "Sarah Okafor sounded unsure; ask Sarah again"])
    assert result.exit_code == 0 and "PII replaced by placeholders" in result.output
    stored = utterance_memos(db)[utterance]
    assert "Sarah" not in stored and "Okafor" not in stored and stored.startswith(f"[{label}] sounded unsure")
    CliRunner().invoke(cli, ["--study", str(small.root), "memo", str(utterance), "Call Sarah Okafor at 555-201-3344"])
    assert re.fullmatch(rf"Call \[{label}\] at \[PHONE[_0-9]*\]", utterance_memos(db)[utterance])  # was "[Participant 2] at [ID_1]"
    CliRunner().invoke(cli, ["--study", str(small.root), "memo", str(utterance), "Sarah Okafor sounded unsure; ask Sarah again"])
    coding = db.execute("SELECT id FROM codings WHERE utterance_id = ? LIMIT 1", [utterance]).fetchone()[0]
    decide(db, coding, "accepted")
    set_memo(db, coding, "Okafor said the same to support")  # saved by another route, with the name
    export(small, ["qdpx"], tmp_path)
    with zipfile.ZipFile(tmp_path / "test.qdpx") as archive:
        project = archive.read("project.qde").decode()
    assert "Okafor" not in project and "Sarah" not in project and f"[{label}] said the same to support" in project


def _as_before_memo_redaction(study) -> None:
    """Take the study's schema back to before migration 0016, as a study last opened by an older version is."""
    db = study.db
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%memos_saved_before_redaction%'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    db.execute("DROP TABLE memos_saved_before_redaction")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = '0016_memos_saved_before_redaction'")
    db.conn.commit()


def _raw_memos_of_an_older_version(small) -> dict[str, int]:
    """Memos saved as the older version saved them (raw), on codings, on an utterance and, through a decision
    taken after the memo, in the decision log; plus one already redacted, which must stay as it is."""
    from research.store import now

    _as_before_memo_redaction(small)
    small.vault.pseudonym("PARTICIPANT", "Sarah Okafor", "Participant")
    small.vault.save_person(1, "customer", "Sarah Okafor")
    db = small.db
    codings = [r[0] for r in db.execute("SELECT id FROM codings ORDER BY id LIMIT 3")]
    db.execute("UPDATE codings SET memo = ? WHERE id = ?", ["Sarah Okafor sounded unsure; mail sarah.okafor@example.com", codings[0]])
    db.execute("UPDATE codings SET memo = ? WHERE id = ?", ["Ask [PERSON_4] about [EMAIL_1] again", codings[1]])
    db.conn.commit()
    decide(db, codings[0], "accepted")  # the log keeps the coding, raw memo and all, for undo
    utterance = db.execute("SELECT utterance_id FROM codings WHERE id = ?", [codings[2]]).fetchone()[0]
    db["utterance_memos"].insert({"utterance_id": utterance, "memo": "Call Okafor back on 415-555-0134", "coder": "researcher", "updated_at": now()})
    db.conn.commit()
    return {"named": codings[0], "redacted": codings[1], "utterance": utterance}


def db_text(study, query: str) -> str:
    return " ".join(str(row[0]) for row in study.db.execute(query))


def _raw_in_study_db(study) -> list[str]:
    data = b"".join(path.read_bytes() for path in study.root.glob("study.db*"))
    return [word for word in ("Okafor", "example.com", "415-555-0134") if word.encode() in data]


def test_memos_saved_before_redaction_lose_their_pii_once_when_a_command_next_opens_the_study(small):
    """Migration 0016 marks the older version's raw memos (a migration can't load the detector); the next
    `research export` (or review, code, run, memo) replaces their PII in codings, utterance memos and the
    decision log's copies, says so in one line, leaves an already redacted memo identical, and does nothing
    the second time."""
    from research.coding.old_memos import pending
    from research.study import Study

    rows = _raw_memos_of_an_older_version(small)
    reopened = Study.open(small.root)  # applies migration 0016
    assert pending(reopened.db) == 4  # two coding memos, the utterance memo, the log's copy
    root = ["--study", str(small.root)]
    result = CliRunner().invoke(cli, [*root, "export", "--format", "qdpx"])
    import traceback; traceback.print_exception(*result.exc_info)
    assert result.exit_code == 0, result.output
    assert "Replaced PII in 2 memos saved before redaction (and in 1 earlier version kept for undo)." in result.output
    db = Study.open(small.root).db
    label = small.vault.pseudonym("PARTICIPANT", "Sarah Okafor", "Participant")
    named = db.execute("SELECT memo FROM codings WHERE id = ?", [rows["named"]]).fetchone()[0]
    assert named.startswith(f"[{label}] sounded unsure; mail [EMAIL_") and "Okafor" not in named
    assert db.execute("SELECT memo FROM codings WHERE id = ?", [rows["redacted"]]).fetchone()[0] == "Ask [PERSON_4] about [EMAIL_1] again"
    assert "Okafor" not in db.execute("SELECT memo FROM utterance_memos").fetchone()[0]
    assert pending(db) == 0 and _raw_in_study_db(small) == []
    before = list(db.query("SELECT memo FROM codings WHERE memo IS NOT NULL ORDER BY id")) + list(db.query("SELECT before FROM decision_log"))
    again = CliRunner().invoke(cli, [*root, "export", "--format", "qdpx"])
    assert again.exit_code == 0 and "Replaced PII" not in again.output
    assert list(db.query("SELECT memo FROM codings WHERE memo IS NOT NULL ORDER BY id")) + list(db.query("SELECT before FROM decision_log")) == before
    assert decision_log.undo(db).restored == 1  # undo puts back the log's copy: redacted too
    assert "Okafor" not in db.execute("SELECT memo FROM codings WHERE id = ?", [rows["named"]]).fetchone()[0]


def test_an_interrupted_pass_resumes_and_a_raw_memo_undo_puts_back_is_marked_again(small, monkeypatch):
    from research.coding import old_memos
    from research.coding.decisions import set_memo
    from research.study import Study

    rows = _raw_memos_of_an_older_version(small)
    study = Study.open(small.root)
    set_memo(study.db, rows["named"], "Re-saved by the new version (already redacted)")  # its mark goes: the new text is not redacted again
    assert old_memos.pending(study.db) == 3
    undone = decision_log.undo(study.db)  # that memo edit first: the raw memo before it was never logged, so it is not brought back
    assert undone.memos[0][2] == "withheld" and "not brought back" in undone.line
    assert old_memos.pending(study.db) == 3 and "Okafor" not in db_text(study, "SELECT before FROM memo_log")
    assert decision_log.undo(study.db).restored == 1  # the accept is undone: the log's raw copy comes back into the coding...
    assert old_memos.pending(study.db) == 4  # ...and is marked again
    calls = []
    real = old_memos._write

    def interrupted(db, source, row_id, text):  # the process dies while writing the second changed text (the log's copy)
        calls.append(source)
        if len(calls) > 1:
            raise KeyboardInterrupt
        real(db, source, row_id, text)

    monkeypatch.setattr(old_memos, "_write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        old_memos.redact_old_memos(study, batch=1)
    assert calls == ["coding", "decision"]  # one row per batch: the named coding, the placeholder one (unchanged), then the log's copy
    assert old_memos.pending(study.db) == 2  # the two codings are done and their marks gone; the log copy's batch rolled back, mark and all
    assert "Okafor" in db_text(study, "SELECT before FROM decision_log") and "Okafor" not in db_text(study, "SELECT memo FROM codings")
    monkeypatch.setattr(old_memos, "_write", real)
    done = old_memos.redact_old_memos(study)
    assert old_memos.pending(study.db) == 0 and (done.memos, done.log_copies) == (1, 1)  # left: the log's copy and the utterance memo (sources go in name order)
    assert "Okafor" not in db_text(study, "SELECT before FROM decision_log")
    assert _raw_in_study_db(small) == []


def test_an_export_redacts_every_memo_in_one_detector_call_and_codings_csv_too(small, tmp_path, monkeypatch):
    """One detector call for all the memos of an export (the map's memos, codings.csv and the QDPX notes),
    and codings.csv carries a memo's placeholders, never the name typed into it."""
    import csv
    import zipfile

    from research.anonymize.detect import PiiDetector
    from research.coding.decisions import set_memo
    from research.coding.memos import set_utterance_memo
    from research.export.run import export

    db = small.db
    small.vault.pseudonym("PARTICIPANT", "Sarah Okafor", "Participant")
    small.vault.save_person(1, "customer", "Sarah Okafor")
    codings = [r[0] for r in db.execute("SELECT id FROM codings ORDER BY id LIMIT 3")]
    for n, coding in enumerate(codings):
        decide(db, coding, "accepted")
        set_memo(db, coding, f"Okafor said it {n + 1} times")  # saved raw by a route that does not redact
    set_utterance_memo(small, db.execute("SELECT utterance_id FROM codings WHERE id = ?", [codings[0]]).fetchone()[0], "Check pricing")
    texts = []
    detect = PiiDetector.detect
    monkeypatch.setattr(PiiDetector, "detect", lambda self, batch, propagate=True: texts.append(list(batch)) or detect(self, batch, propagate))
    export(small, ["csv", "qdpx"], tmp_path)  # the map's memos are redacted for any map format
    assert len(texts) == 1 and sorted(texts[0]) == ["Check pricing", *(f"Okafor said it {n} times" for n in (1, 2, 3))]
    with open(tmp_path / "codings.csv", newline="") as handle:
        memos = [row["memo"] for row in csv.DictReader(handle) if row["memo"]]
    assert len(memos) == 3 and all(m.startswith("[Participant") and "Okafor" not in m for m in memos)
    with zipfile.ZipFile(tmp_path / "test.qdpx") as archive:
        assert "Okafor" not in archive.read("project.qde").decode()


def test_a_read_only_study_keeps_its_marked_memos_says_so_and_still_exports_them_redacted(small, tmp_path):
    """A study whose marked memos wait for the pass but can't be written (the pass needs to write) still exports,
    with the memos redacted on the way out, and says in one line why study.db still holds them."""
    import zipfile

    from research.coding import old_memos
    from research.study import Study
    from tests.test_faults import read_only

    _raw_memos_of_an_older_version(small)
    db = Study.open(small.root).db  # migration 0016 marks them; then the folder turns read-only before any pass
    assert old_memos.pending(db) == 4
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    small.db.conn.close()
    out = tmp_path / "out"
    with read_only(small.root, small.root / "study.db"):
        result = CliRunner().invoke(cli, ["--study", str(small.root), "export", "--format", "qdpx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "4 memo texts saved before redaction keep their PII in study.db until it can be written; exports replace it." in result.output
    assert f"Wrote 1 file to {out}" in result.output
    with zipfile.ZipFile(out / "test.qdpx") as archive:
        project = archive.read("project.qde").decode()
    assert "Okafor" not in project and "[EMAIL_" in project
    assert old_memos.pending(Study.open(small.root).db) == 4  # writable again: the next command redacts them


def test_a_decision_on_a_marked_memo_before_the_pass_has_its_log_copy_redacted_too(small):
    """`research bulk-accept` runs no pass: a coding whose memo waits for one is logged with that memo, and the
    pass (the next review, export ...) redacts that copy with the rest."""
    from research.coding import old_memos
    from research.study import Study

    rows = _raw_memos_of_an_older_version(small)
    study = Study.open(small.root)
    assert old_memos.pending(study.db) == 4
    decide(study.db, rows["named"], "rejected")  # a new log row copies the coding, raw memo and all
    assert old_memos.pending(study.db) == 5
    assert old_memos.redact_old_memos(study).log_copies == 2
    assert "Okafor" not in db_text(study, "SELECT before FROM decision_log") and _raw_in_study_db(small) == []


def test_a_decision_waits_for_another_connection_that_is_writing(tmp_path):
    """The review app saves memos and stores maps from worker threads, each on its own connection. A memo saved while
    another connection was writing failed at once with "database is locked" (a deferred transaction that read the row
    can't become a writer), and the app ended with a traceback; now the write lock is taken first and it waits."""
    import threading

    from research.coding.decisions import set_memo
    from research.study import Study
    from tests.fault_study import add, make_study

    study = make_study(tmp_path / "study")
    coding = add(study, "INT-001", 1, "stage:discovery", "suggested")
    study.db.conn.commit()
    other = Study.open(study.root)
    other.db.conn.execute("BEGIN IMMEDIATE")
    other.db.execute("UPDATE interviews SET title = title")
    committed = threading.Timer(0.5, other.db.conn.commit)
    committed.start()
    set_memo(study.db, coding, "contradicts the pricing answer")
    committed.join()
    decide(study.db, coding, "accepted")
    assert study.db["codings"].get(coding)["memo"] == "contradicts the pricing answer" and study.db["codings"].get(coding)["status"] == "accepted"
