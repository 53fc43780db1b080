"""The study folder: creation, discovery, schema migrations, WAL and the owner-only vault."""

import stat

import pytest
from click.testing import CliRunner

from research.cli import cli
from research.errors import ResearchError, StudyNotFoundError
from research.store import open_database
from research.study import Study


def test_init_creates_the_study_layout(tmp_path):
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "acme")])
    assert result.exit_code == 0, result.output
    root = tmp_path / "acme"
    for name in ("research.toml", "study.db", "vault/vault.db", "exports", "redacted-audio"):
        assert (root / name).exists(), name
    assert 'name = "acme"' in (root / "research.toml").read_text()


def test_vault_is_owner_only(study):
    assert stat.S_IMODE(study.vault_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(study.vault.path.stat().st_mode) == 0o600


def test_init_twice_is_an_error(study):
    with pytest.raises(ResearchError, match="already a study"):
        Study.create(study.root)


def test_find_walks_up_like_git(study):
    nested = study.root / "exports" / "deep"
    nested.mkdir()
    assert Study.find(nested).root == study.root


def test_find_outside_a_study_says_what_to_do(tmp_path):
    with pytest.raises(StudyNotFoundError, match="research init"):
        Study.find(tmp_path)


def test_study_option_and_environment_variable(study, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["--study", str(study.root), "status"]).exit_code == 0
    assert CliRunner().invoke(cli, ["status"], env={"RESEARCH_STUDY": str(study.root)}).exit_code == 0
    assert CliRunner().invoke(cli, ["status"]).exit_code == 1


def test_schema_is_applied_by_named_migrations_in_wal_mode(study):
    db = study.db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    applied = [m.name for m in __import__("research.store", fromlist=["migrations"]).migrations.applied(db)]
    assert applied == ["0001_initial", "0002_speaker_roles", "0003_coding", "0004_themes_map", "0005_utterance_facts", "0006_code_kind",
                       "0007_journey_insight_edits", "0008_coding_scope", "0009_themes_edits", "0010_speakers_enrolment",
                       "0011_decisions_log_and_utterance_memos", "0012_review_transcript_edits", "0013_utterance_acts", "0014_imports_source_type",
                       "0015_utterance_sentences", "0016_memos_saved_before_redaction", "0017_memo_log", "0018_stage_upstream",
                       "0019_headline_parses", "0020_pattern_hits", "0021_headline_readings"]
    tables = {"interviews", "participants", "utterances", "runs", "stage_status", "utterances_fts", "codes", "codings", "themes", "maps", "utterance_facts",
              "insight_edits", "utterance_scope", "theme_edits", "voiceprints", "decision_log", "utterance_memos", "transcript_edits", "utterance_acts",
              "utterance_sentences", "memos_saved_before_redaction", "memo_log", "headline_readings", "pattern_hits"}
    assert tables <= set(db.table_names())
    # reopening applies nothing twice
    assert open_database(study.db_path).execute("SELECT count(*) FROM _sqlite_migrations WHERE migration_set = 'research.study'").fetchone()[0] == 21


def test_utterances_are_searchable_with_fts(study):
    db = study.db
    db["interviews"].insert({"id": 1, "code": "INT-001", "sha256": "x", "added_at": "now"})
    db["utterances"].insert_all([{"interview_id": 1, "idx": 0, "text": "the filters arrived late"}, {"interview_id": 1, "idx": 1, "text": "billing was fine"}])
    hits = [row["text"] for row in db["utterances"].search("filter")]
    assert hits == ["the filters arrived late"]


def test_a_malformed_config_is_a_one_line_error(study):
    (study.root / "research.toml").write_text("name = 'x'\n[transcribe]\nbeam_size = 0\n")
    with pytest.raises(ResearchError, match="transcribe.beam_size"):
        Study.open(study.root)


def test_a_stage_prepares_and_works_one_group_at_a_time(study):
    # what prepare keeps in memory for a group (parsed Docs) must still be there when the group is worked
    from research.stages import run_stage
    from research.store import set_stage

    for n in (1, 2, 3):
        study.db["interviews"].insert({"id": n, "code": f"INT-00{n}", "sha256": str(n), "added_at": "now"})
        set_stage(study.db, n, "anonymize", "done", params_hash="h")
    calls = []
    results = run_stage(study, "code", "anonymize", lambda *_: {}, lambda i, code, params: calls.append(f"work {i}"),
                        prepare=lambda ids: calls.append(f"prepare {ids}"), groups=lambda ids: [ids[:1], ids[1:]])
    assert calls == ["prepare [1]", "work 1", "prepare [2, 3]", "work 2", "work 3"]
    assert results == {"INT-001": "done", "INT-002": "done", "INT-003": "done"}


def test_coding_groups_interviews_by_customer_speech(study):
    from research.coding.stage import prepare_groups

    db = study.db
    for n, lengths in enumerate([(40, 30), (50,), (90,), (10,)], start=1):
        db["interviews"].insert({"id": n, "code": f"INT-00{n}", "sha256": str(n), "added_at": "now"})
        db["utterances"].insert_all([{"interview_id": n, "idx": i, "role": "customer", "text": "x" * length} for i, length in enumerate(lengths)]
                                    + [{"interview_id": n, "idx": 9, "role": "interviewer", "text": "y" * 500}])  # questions don't count
    assert prepare_groups(db, [1, 2, 3, 4], limit=100) == [[1], [2], [3, 4]]  # 70 + 50 > 100; 50 + 90 > 100; 90 + 10 fits
    assert prepare_groups(db, [3, 1], limit=60) == [[3], [1]]  # an interview over the limit is a group of its own


def test_a_stage_built_from_a_transcript_redone_with_other_settings_is_stale_until_run_redoes_it(study):
    """After `research transcribe --force --model ...`, status kept speakers, anonymize and code ✓ though they were
    built from the old transcript."""
    from pathlib import Path

    from research.importers.add import add_sources
    from research.speakers import run_speakers
    from research.status import interview_statuses
    from research.store import set_stage, stage_statuses

    add_sources(study, [Path(__file__).parent / "fixtures" / "transcripts" / "teams-call.vtt"])
    assert run_speakers(study) == {"INT-001": "done"}
    speakers = stage_statuses(study.db, "speakers")[1]["params_hash"]
    set_stage(study.db, 1, "anonymize", "done", params_hash="a1", upstream_hash=speakers)  # as run_stage records it
    set_stage(study.db, 1, "code", "done", params_hash="c1")  # built by an older version: what it was built from is unknown
    assert interview_statuses(study)[0].stages == {"transcribe": "done", "speakers": "done", "anonymize": "done", "code": "done"}
    set_stage(study.db, 1, "transcribe", "done", params_hash="another-model")  # what TranscriptionBatch records for a new transcript
    assert interview_statuses(study)[0].stages == {"transcribe": "done", "speakers": "stale", "anonymize": "stale", "code": "stale"}
    assert "↻" in CliRunner().invoke(cli, ["--study", str(study.root), "status"]).output
    assert run_speakers(study) == {"INT-001": "done"}  # redone, as `research run` does, from the new transcript's hash
    assert stage_statuses(study.db, "speakers")[1]["upstream_hash"] == "another-model"
    assert interview_statuses(study)[0].stages == {"transcribe": "done", "speakers": "done", "anonymize": "stale", "code": "stale"}


def test_rows_in_asks_a_long_list_in_chunks_under_the_parameter_limit():
    import sqlite3

    from research.store import IN_CHUNK, connect, rows_in

    db = connect(":memory:")
    db.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)  # older SQLite's limit
    db["t"].insert_all(({"id": i, "kind": i % 3} for i in range(3000)), pk="id")
    ids = list(range(0, 3000, 2))  # 1,500 values: one IN of them all is over the limit
    with pytest.raises(sqlite3.OperationalError):
        db.execute(f"SELECT id FROM t WHERE id IN ({','.join('?' * len(ids))})", ids)
    assert len(ids) > 2 * IN_CHUNK
    rows = list(rows_in(db, "SELECT id FROM t WHERE kind = ? AND id IN ({ids}) ORDER BY id", ids, [1]))
    assert [r["id"] for r in rows] == [i for i in ids if i % 3 == 1]
    assert list(rows_in(db, "SELECT id FROM t WHERE id IN ({ids})", [])) == []
