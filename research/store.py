"""The study database: anonymized data only, schema kept as named migrations.

study.db never holds raw transcript text, participant names or company names: those
live in the vault (see `research.vault`). Utterances arrive here only after the
anonymization stage has processed them.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

STAGES = ("transcribe", "speakers", "anonymize", "code")

migrations = Migrations("research.study")


@migrations(name="0001_initial")
def _initial(db: Database) -> None:
    db["interviews"].create(
        {
            "id": int,
            "code": str,
            "title": str,
            "sha256": str,
            "audio_format": str,
            "duration": float,
            "channels": int,
            "sample_rate": int,
            "has_video": int,
            "language": str,
            "company": str,
            "industry": str,
            "region": str,
            "product": str,
            "interview_date": str,
            "added_at": str,
        },
        pk="id",
        not_null={"code", "sha256", "added_at"},
    )
    db["interviews"].create_index(["sha256"], unique=True)
    db["interviews"].create_index(["code"], unique=True)
    db["participants"].create(
        {
            "id": int,
            "interview_id": int,
            "slot": str,
            "label": str,
            "role": str,
            "participation": str,
            "persona": str,
            "segment": str,
        },
        pk="id",
        foreign_keys=[("interview_id", "interviews", "id")],
        not_null={"interview_id", "slot", "label"},
    )
    db["participants"].create_index(["interview_id", "slot"], unique=True)
    db["stage_status"].create(
        {
            "interview_id": int,
            "stage": str,
            "status": str,
            "note": str,
            "params_hash": str,
            "updated_at": str,
        },
        pk=("interview_id", "stage"),
        foreign_keys=[("interview_id", "interviews", "id")],
    )
    db["runs"].create(
        {
            "id": int,
            "stage": str,
            "interview_id": int,
            "params": str,
            "params_hash": str,
            "status": str,
            "error": str,
            "audio_seconds": float,
            "wall_seconds": float,
            "started_at": str,
            "finished_at": str,
        },
        pk="id",
        foreign_keys=[("interview_id", "interviews", "id")],
    )
    db["utterances"].create(
        {
            "id": int,
            "interview_id": int,
            "idx": int,
            "speaker": str,
            "role": str,
            "start": float,
            "end": float,
            "text": str,
            "words": str,
        },
        pk="id",
        foreign_keys=[("interview_id", "interviews", "id")],
        not_null={"interview_id", "idx", "text"},
    )
    db["utterances"].create_index(["interview_id", "idx"], unique=True)
    db["utterances"].enable_fts(["text"], create_triggers=True, tokenize="porter")


@migrations(name="0002_speaker_roles")
def _speaker_roles(db: Database) -> None:
    db["speaker_roles"].create(
        {"interview_id": int, "speaker": str, "role": str, "source": str},
        pk=("interview_id", "speaker"),
        foreign_keys=[("interview_id", "interviews", "id")],
    )


@migrations(name="0003_coding")
def _coding(db: Database) -> None:
    db["codes"].create(
        {"key": str, "group_id": str, "code_id": str, "name": str, "group_name": str, "definition": str, "color": str, "valence": float, "position": int},
        pk="key",
    )
    db.execute(
        """CREATE TABLE codings (
            id INTEGER PRIMARY KEY,
            utterance_id INTEGER NOT NULL REFERENCES utterances(id) ON DELETE CASCADE,
            code_key TEXT NOT NULL,
            source TEXT NOT NULL,        -- rule, model, learned, human
            confidence REAL,
            status TEXT NOT NULL,        -- suggested, accepted, rejected
            coder TEXT,
            memo TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (utterance_id, code_key)
        )"""
    )
    db["codings"].create_index(["code_key"])
    db["codings"].create_index(["status"])
    db.execute(
        """CREATE TABLE utterance_embeddings (
            utterance_id INTEGER PRIMARY KEY REFERENCES utterances(id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            vector BLOB NOT NULL
        )"""
    )
    db["learned_models"].create(
        {"code_key": str, "coef": bytes, "intercept": float, "positives": int, "negatives": int, "trained_at": str},
        pk="code_key",
    )


@migrations(name="0004_themes_map")
def _themes_map(db: Database) -> None:
    db["themes"].create(
        {"id": int, "label": str, "words": str, "size": int, "stage": str, "stage_share": float, "participants": int, "quotes": str, "created_at": str},
        pk="id",
    )
    db.execute(
        """CREATE TABLE theme_members (
            theme_id INTEGER NOT NULL REFERENCES themes(id) ON DELETE CASCADE,
            utterance_id INTEGER NOT NULL REFERENCES utterances(id) ON DELETE CASCADE,
            outlier INTEGER NOT NULL,    -- 1: BERTopic left it unassigned and it was reassigned by similarity
            PRIMARY KEY (theme_id, utterance_id)
        )"""
    )
    db["maps"].create({"filters": str, "built_at": str, "data": str}, pk="filters")


@migrations(name="0005_utterance_facts")
def _utterance_facts(db: Database) -> None:
    db.execute(
        """CREATE TABLE utterance_facts (
            utterance_id INTEGER PRIMARY KEY REFERENCES utterances(id) ON DELETE CASCADE,
            text_hash TEXT NOT NULL,
            five_ws TEXT NOT NULL
        )"""
    )


@migrations(name="0006_code_kind")
def _code_kind(db: Database) -> None:
    db["codes"].add_column("single_choice", int)  # 1: at most one code of its group per utterance (the stage)


@migrations(name="0007_journey_insight_edits")
def _journey_insight_edits(db: Database) -> None:
    db["insight_edits"].create(
        {"id": int, "action": str, "stage": str, "utterance_ids": str, "text": str, "quote_id": int, "target_ids": str, "created_at": str},
        pk="id",
        not_null={"action", "stage", "utterance_ids", "created_at"},
    )


@migrations(name="0008_coding_scope")
def _coding_scope(db: Database) -> None:
    db.execute(
        """CREATE TABLE utterance_scope (
            utterance_id INTEGER PRIMARY KEY REFERENCES utterances(id) ON DELETE CASCADE,
            scope TEXT NOT NULL CHECK (scope IN ('journey', 'logistics', 'weak')),
            confidence REAL             -- of the stage (journey, weak) or of being outside the journey (logistics)
        )"""
    )


@migrations(name="0009_themes_edits")
def _themes_edits(db: Database) -> None:
    db["themes"].add_column("journey", int, not_null_default=1)  # 0: a theme of talk outside the journey (shown apart)
    db["themes"].add_column("hidden", int, not_null_default=0)  # 1: the analyst hid it
    db["theme_edits"].create(
        {"id": int, "kind": str, "members": str, "other_members": str, "value": str, "utterance_id": int, "created_at": str},
        pk="id",
        not_null={"kind", "members", "created_at"},
    )


def params_hash(params: dict) -> str:
    """A short, stable digest of what a stage's output depends on."""
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def open_database(path: Path | str, schema: Migrations = migrations) -> Database:
    """Open a SQLite file in WAL mode and apply pending migrations of its schema (the study's, or the vault's).

    A study that can't be written (a read-only folder or file) opens read-only, so `research status`
    and exports still read it; anything that writes then fails with one line saying it is read-only.
    """
    try:
        db = connect(path)
        if not schema.pending(db):
            return db
        schema.apply(db)
        return db
    except sqlite3.OperationalError as error:
        if str(path) == ":memory:" or not Path(path).is_file() or not _cannot_write(error):
            raise
    db = connect_read_only(path)
    if schema.pending(db):
        raise sqlite3.OperationalError("attempt to write a readonly database (its schema needs updating)")
    return db


def is_read_only(db: Database) -> bool:
    """Whether `db` can't be written: opened read-only, or its file or folder (where the WAL goes) is read-only."""
    if db.execute("PRAGMA query_only").fetchone()[0]:
        return True
    file = db.execute("PRAGMA database_list").fetchone()[2]
    return bool(file) and not (os.access(file, os.W_OK) and os.access(os.path.dirname(file), os.W_OK))


IN_CHUNK = 500  # values bound per `IN (...)`: under SQLite's limit on a statement's parameters (999 before 3.32)


def rows_in(db: Database, sql: str, values: Sequence, params: Sequence = ()) -> Iterator[dict]:
    """The rows of `sql` for all of `values`, whose `{ids}` stands for the `?` marks of `IN ({ids})`.

    Asked IN_CHUNK values at a time, so a study-sized list stays under SQLite's limit on parameters; `params` are
    bound before the values in every chunk. Each chunk is its own query: an ORDER BY or GROUP BY holds within a chunk."""
    values = list(values)
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        yield from db.query(sql.replace("{ids}", ",".join("?" * len(chunk))), [*params, *chunk])


def _cannot_write(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "readonly" in text or "unable to open database file" in text


def connect_read_only(path: Path | str) -> Database:
    """A read-only connection to a study whose folder or file can't be written (no WAL index can be made,
    so the file is opened as immutable: nobody can change it while it is read-only)."""
    connection = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro&immutable=1", uri=True, timeout=30, check_same_thread=False)
    connection.execute("PRAGMA query_only = ON")  # what is_read_only reads
    return Database(connection)


class StudyDatabase(Database):
    """A writable study's connection: `atomic()` takes the write lock when it begins (BEGIN IMMEDIATE).

    With a deferred BEGIN, a transaction that read first (sqlite_utils' `update` reads the row) and then wrote while
    another connection of the study was writing (the review app's workers: a memo being saved, the map being stored)
    failed at once with "database is locked": SQLite does not wait for a reader to become a writer. Taking the lock
    first, it waits up to the connection's timeout for the other writer instead."""

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()  # as sqlite_utils' own atomic(): a no-op when the error already ended the transaction
            raise


def connect(path: Path | str) -> Database:
    connection = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    db = StudyDatabase(connection)
    if str(path) != ":memory:":
        db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    db.supports_on_conflict  # noqa: B018 - probe once now, never inside a transaction or with a cursor open
    return db


def set_stage(db: Database, interview_id: int, stage: str, status: str, note: str | None = None, params_hash: str | None = None, upstream_hash: str | None = None) -> None:
    """`upstream_hash`: the params_hash of the stage this one was built from (None for transcribe, which has none)."""
    db["stage_status"].upsert(
        {"interview_id": interview_id, "stage": stage, "status": status, "note": note, "params_hash": params_hash, "upstream_hash": upstream_hash, "updated_at": now()},
        pk=("interview_id", "stage"),
    )


def stage_statuses(db: Database, stage: str) -> dict[int, dict]:
    return {row["interview_id"]: row for row in db["stage_status"].rows_where("stage = ?", [stage])}


def record_run(db: Database, stage: str, interview_id: int | None, params: dict, params_hash: str, status: str, error: str | None, started_at: str, audio_seconds: float | None, wall_seconds: float) -> None:
    db["runs"].insert(
        {
            "stage": stage,
            "interview_id": interview_id,
            "params": json.dumps(params, sort_keys=True),
            "params_hash": params_hash,
            "status": status,
            "error": error,
            "audio_seconds": audio_seconds,
            "wall_seconds": round(wall_seconds, 3),
            "started_at": started_at,
            "finished_at": now(),
        }
    )


def role_overrides(db: Database, interview_id: int) -> dict[str, str]:
    """Roles the user set by hand for an interview's speakers."""
    return {row["speaker"]: row["role"] for row in db["speaker_roles"].rows_where("interview_id = ? AND source = 'user'", [interview_id])}


def save_roles(db: Database, interview_id: int, roles: dict[str, str], source: str = "auto") -> None:
    """Store speaker roles; automatic roles never replace the user's."""
    kept = role_overrides(db, interview_id) if source == "auto" else {}
    with db.atomic():
        for speaker, role in roles.items():
            if speaker not in kept:
                db["speaker_roles"].upsert({"interview_id": interview_id, "speaker": speaker, "role": role, "source": source}, pk=("interview_id", "speaker"))


@migrations(name="0010_speakers_enrolment")
def _speakers_enrolment(db: Database) -> None:
    db["voiceprints"].create(
        {"role": str, "method": str, "embedding": bytes, "source": str, "seconds": float, "created_at": str},
        pk=("role", "method"),
    )


@migrations(name="0011_decisions_log_and_utterance_memos")  # the decision log (undo, bulk flags) and memos on utterances
def _decisions_log(db: Database) -> None:
    db.execute(
        """CREATE TABLE decision_log (
            id INTEGER PRIMARY KEY,
            batch INTEGER NOT NULL,      -- one user action; a bulk accept is one batch of many rows
            action TEXT NOT NULL,        -- accept, reject, reopen, add, recode, bulk-accept
            scope TEXT,                  -- a bulk accept's scope: study, interview:INT-001, code:stage:onboarding
            coding_id INTEGER NOT NULL,
            utterance_id INTEGER NOT NULL,
            code_key TEXT NOT NULL,
            before TEXT,                 -- the coding row as JSON before the change; NULL: the change created it
            after_status TEXT,           -- NULL: the change removed it
            coder TEXT NOT NULL,
            created_at TEXT NOT NULL,
            undone_at TEXT
        )"""
    )
    db["decision_log"].create_index(["batch"])
    db["decision_log"].create_index(["coding_id"])
    db.execute(
        """CREATE TABLE utterance_memos (
            utterance_id INTEGER PRIMARY KEY REFERENCES utterances(id) ON DELETE CASCADE,
            memo TEXT NOT NULL,
            coder TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )


@migrations(name="0012_review_transcript_edits")
def _review_transcript_edits(db: Database) -> None:
    """The history of a researcher's corrections to transcripts (anonymized text only; the raw text is in the vault)."""
    db["transcript_edits"].create(
        {"id": int, "interview_id": int, "utterance_ids": str, "kind": str, "text_before": str, "text_after": str, "created_at": str},
        pk="id",
        foreign_keys=[("interview_id", "interviews", "id")],
        not_null={"interview_id", "kind", "created_at"},
    )


@migrations(name="0013_utterance_acts")
def _utterance_acts(db: Database) -> None:
    """Acts of advocacy read from each utterance's text, parsed once per text (research.journey.advocacy)."""
    db.execute(
        """CREATE TABLE utterance_acts (
            utterance_id INTEGER PRIMARY KEY REFERENCES utterances(id) ON DELETE CASCADE,
            text_hash TEXT NOT NULL,
            reading TEXT NOT NULL
        )"""
    )


@migrations(name="0014_imports_source_type")  # transcripts, tracks and feedback brought in
def _imports_source_type(db: Database) -> None:
    db["interviews"].add_column("source_type", str, not_null_default="interview")  # interview, survey or ticket
    db["interviews"].add_column("source_format", str, not_null_default="audio")  # audio, tracks, vtt, srt, docx, txt, ... csv, xlsx, json
    db["interviews"].add_column("source_meta", str)  # JSON: the feedback's metadata columns (NPS score, channel ...)


@migrations(name="0015_utterance_sentences")
def _utterance_sentences(db: Database) -> None:
    """An answer's parts (sentences and clauses), each with its emotion codes and embedding, read once per text (research.coding.sentences)."""
    db.execute(
        """CREATE TABLE utterance_sentences (
            utterance_id INTEGER PRIMARY KEY REFERENCES utterances(id) ON DELETE CASCADE,
            text_hash TEXT NOT NULL,
            parts TEXT NOT NULL
        )"""
    )


@migrations(name="0016_memos_saved_before_redaction")
def _memos_saved_before_redaction(db: Database) -> None:
    """Mark every memo written before memos were redacted on saving (codings, utterances, and the codings'
    copies in the decision log that undo restores): a migration can't load the PII detector, so
    `research.coding.old_memos` redacts the marked ones, once each, the next time a command that has the
    detector opens the study. A marked row that is deleted takes its mark with it; a decision logged on a
    marked coding before the pass (`research bulk-accept`) marks its copy, and a log copy that undo writes
    back into a coding before the pass marks that coding again."""
    db.execute(
        """CREATE TABLE memos_saved_before_redaction (
            source TEXT NOT NULL CHECK (source IN ('coding', 'utterance', 'decision')),
            row_id INTEGER NOT NULL,     -- codings.id, utterance_memos.utterance_id or decision_log.id
            PRIMARY KEY (source, row_id)
        )"""
    )
    db.execute("INSERT INTO memos_saved_before_redaction SELECT 'coding', id FROM codings WHERE TRIM(COALESCE(memo, '')) != ''")
    db.execute("INSERT INTO memos_saved_before_redaction SELECT 'utterance', utterance_id FROM utterance_memos WHERE TRIM(memo) != ''")
    db.execute("INSERT INTO memos_saved_before_redaction SELECT 'decision', id FROM decision_log WHERE TRIM(COALESCE(json_extract(before, '$.memo'), '')) != ''")
    db.execute("CREATE TRIGGER coding_memo_mark_gone AFTER DELETE ON codings BEGIN DELETE FROM memos_saved_before_redaction WHERE source = 'coding' AND row_id = OLD.id; END")
    db.execute("CREATE TRIGGER utterance_memo_mark_gone AFTER DELETE ON utterance_memos BEGIN DELETE FROM memos_saved_before_redaction WHERE source = 'utterance' AND row_id = OLD.utterance_id; END")
    restored_raw = """EXISTS (SELECT 1 FROM memos_saved_before_redaction m JOIN decision_log d ON d.id = m.row_id
                              WHERE m.source = 'decision' AND d.coding_id = NEW.id AND json_extract(d.before, '$.memo') = NEW.memo)"""
    for event in ("INSERT", "UPDATE OF memo"):
        db.execute(f"""CREATE TRIGGER coding_memo_restored_{event.split()[0].lower()} AFTER {event} ON codings WHEN NEW.memo IS NOT NULL AND {restored_raw}
                       BEGIN INSERT OR IGNORE INTO memos_saved_before_redaction VALUES ('coding', NEW.id); END""")
    db.execute("""CREATE TRIGGER decision_copies_marked_memo AFTER INSERT ON decision_log
                  WHEN json_extract(NEW.before, '$.memo') IS NOT NULL
                   AND EXISTS (SELECT 1 FROM memos_saved_before_redaction WHERE source = 'coding' AND row_id = NEW.coding_id)
                  BEGIN INSERT OR IGNORE INTO memos_saved_before_redaction VALUES ('decision', NEW.id); END""")


@migrations(name="0017_memo_log")
def _memo_log(db: Database) -> None:
    """Every memo edit (on a coding or on an utterance), with the memo before and after (both as saved:
    redacted), so undo takes back the last memo edit as it takes back the last decision."""
    db.execute(
        """CREATE TABLE memo_log (
            id INTEGER PRIMARY KEY,
            utterance_id INTEGER NOT NULL,
            coding_id INTEGER,           -- NULL: the utterance's own memo
            before TEXT,                 -- the memo before the edit; NULL: there was none
            after TEXT,                  -- NULL: the edit removed the memo
            after_batch INTEGER NOT NULL, -- the newest decision_log batch when it was written: orders memo edits among decisions
            before_withheld INTEGER NOT NULL DEFAULT 0, -- 1: the memo before was an older version's, not yet redacted: not kept here, so never restored
            coder TEXT NOT NULL,
            created_at TEXT NOT NULL,
            undone_at TEXT
        )"""
    )


@migrations(name="0018_stage_upstream")
def _stage_upstream(db: Database) -> None:
    """The upstream stage's params_hash each stage was built from, so `research status` can tell a stage built from an
    older transcript (after `research transcribe --force --model ...`) from one that is up to date. NULL: not recorded."""
    db["stage_status"].add_column("upstream_hash", str)


@migrations(name="0019_headline_parses")
def _headline_parses(db: Database) -> None:
    """The spaCy parses a map's headlines were cut from, kept per utterance as DocBin bytes (dropped by 0021)."""
    db.execute(
        """CREATE TABLE headline_parses (
            utterance_id INTEGER PRIMARY KEY REFERENCES utterances(id) ON DELETE CASCADE,
            text_hash TEXT NOT NULL,
            texts TEXT NOT NULL,         -- JSON: the texts parsed, in the order of the Docs
            docs BLOB NOT NULL
        )"""
    )


@migrations(name="0020_pattern_hits")
def _pattern_hits(db: Database) -> None:
    """Which codes' patterns occur in a text, by the hash of the text and the patterns (research.journey.pattern_hits)."""
    db.execute("CREATE TABLE pattern_hits (text_hash TEXT PRIMARY KEY, codes TEXT NOT NULL)")


@migrations(name="0021_headline_readings")
def _headline_readings(db: Database) -> None:
    """What a map reads from its headline candidates' parses (research.journey.readings), JSON per utterance, in place of
    the parses themselves (DocBin bytes, a filter change's largest cost to read back)."""
    db.execute("DROP TABLE IF EXISTS headline_parses")
    db.execute(
        """CREATE TABLE headline_readings (
            utterance_id INTEGER PRIMARY KEY REFERENCES utterances(id) ON DELETE CASCADE,
            text_hash TEXT NOT NULL,
            readings TEXT NOT NULL       -- JSON: {text: [[[candidate text, tokens, headline], ...], [verbs]]}
        )"""
    )
