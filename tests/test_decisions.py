"""Decisions with undo (issue 17 item 3): the decision log, undo of the last decisions or the last bulk
accept, bulk accept with an explicit scope, memos on utterances, agreement that flags bulk-accepted
decisions, and two-coder kappa from a second coder's QDPX.

A small study is written straight into study.db (two interviews, stage and signal suggestions), so these
tests need no transcription; the QDPX a second coder returns is this study's own export after other decisions.
"""

from __future__ import annotations

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
    coding = db.execute("SELECT id FROM codings WHERE utterance_id = ? LIMIT 1", [utterance]).fetchone()[0]
    decide(db, coding, "accepted")
    set_memo(db, coding, "Okafor said the same to support")  # saved by another route, with the name
    export(small, ["qdpx"], tmp_path)
    with zipfile.ZipFile(tmp_path / "test.qdpx") as archive:
        project = archive.read("project.qde").decode()
    assert "Okafor" not in project and "Sarah" not in project and f"[{label}] said the same to support" in project
