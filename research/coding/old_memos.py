"""Memos saved before memos were redacted on saving: their PII replaced once, in batches.

Migration 0016 marks them (`memos_saved_before_redaction`: codings, utterance memos, and the codings'
copies in the decision log that undo restores). `redact_old_memos` replaces the PII in the marked
texts as a memo saved today would have it, and drops each mark in the same transaction as its text, so
an interrupted pass resumes where it stopped and no memo is redacted twice; the pages the raw texts
leave are zeroed and the write-ahead log checkpointed. The raw texts are kept nowhere: the vault's
pseudonym key already tells the study's owner who a placeholder stands for (and a purged vault, whose
placeholders carry no number, has nothing left to keep them in).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlite_utils import Database

from research.study import Study

if TYPE_CHECKING:
    from research.coding.memos import MemoRedactor

MARKS = "memos_saved_before_redaction"
BATCH = 200  # marked rows per detector call and per transaction


@dataclass(frozen=True)
class OldMemos:
    """What a pass changed: memos now in the study, and earlier versions of memos kept for undo."""

    memos: int = 0
    log_copies: int = 0

    @property
    def line(self) -> str | None:
        """One line for the user, or None when no text needed changing."""
        if not (self.memos or self.log_copies):
            return None
        copies = f" (and in {self.log_copies} earlier version{'s' if self.log_copies != 1 else ''} kept for undo)" if self.log_copies else ""
        return f"Replaced PII in {self.memos} memo{'s' if self.memos != 1 else ''} saved before redaction{copies}."


def pending(db: Database) -> int:
    """How many marked memo texts wait for the pass (0 on a study without the mark table, read-only and old)."""
    if not db[MARKS].exists():
        return 0
    return db.execute(f"SELECT COUNT(*) FROM {MARKS}").fetchone()[0]


def redact_old_memos(study: Study, redact: MemoRedactor | None = None, batch: int = BATCH) -> OldMemos:
    """Replace the PII in every marked memo text, `batch` rows per detector call and transaction; nothing
    (not even the detector) loads when none is marked."""
    from research.coding.memos import memo_redactor

    db = study.db
    memos = copies = 0
    secure = db.execute("PRAGMA secure_delete").fetchone()[0]
    db.execute("PRAGMA secure_delete = ON")  # the pages the raw texts leave are zeroed, not left free
    while marks := [(r[0], r[1]) for r in db.execute(f"SELECT source, row_id FROM {MARKS} ORDER BY source, row_id LIMIT ?", [batch])]:
        redact = redact or memo_redactor(study)
        texts = {mark: _text(db, *mark) for mark in marks}
        found = [mark for mark, text in texts.items() if text]
        clean = dict(zip(found, redact.many([texts[mark] for mark in found])))
        with db.atomic():
            for mark, text in clean.items():
                if text != texts[mark]:
                    _write(db, *mark, text)
                    copies += mark[0] == "decision"
                    memos += mark[0] != "decision"
            db.conn.executemany(f"DELETE FROM {MARKS} WHERE source = ? AND row_id = ?", marks)
    db.execute(f"PRAGMA secure_delete = {secure}")
    if memos or copies:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # nor do the write-ahead log's older copies of those pages stay
    return OldMemos(memos, copies)


def _text(db: Database, source: str, row_id: int) -> str | None:
    if source == "coding":
        row = db.execute("SELECT memo FROM codings WHERE id = ?", [row_id]).fetchone()
        return row[0] if row else None
    if source == "utterance":
        row = db.execute("SELECT memo FROM utterance_memos WHERE utterance_id = ?", [row_id]).fetchone()
        return row[0] if row else None
    row = db.execute("SELECT before FROM decision_log WHERE id = ?", [row_id]).fetchone()
    return json.loads(row[0]).get("memo") if row and row[0] else None


def _write(db: Database, source: str, row_id: int, text: str) -> None:
    if source == "coding":
        db.execute("UPDATE codings SET memo = ? WHERE id = ?", [text, row_id])
    elif source == "utterance":
        db.execute("UPDATE utterance_memos SET memo = ? WHERE utterance_id = ?", [text, row_id])
    else:
        before = json.loads(db.execute("SELECT before FROM decision_log WHERE id = ?", [row_id]).fetchone()[0])
        db.execute("UPDATE decision_log SET before = ? WHERE id = ?", [json.dumps(before | {"memo": text}), row_id])


def is_marked(db: Database, source: str, row_id: int) -> bool:
    """Whether this memo is an older version's, saved before memos were redacted (and not redacted yet)."""
    return db[MARKS].exists() and db.execute(f"SELECT 1 FROM {MARKS} WHERE source = ? AND row_id = ?", [source, row_id]).fetchone() is not None


def forget_mark(db: Database, source: str, row_id: int) -> None:
    """A memo saved anew replaces the old text: its mark goes with it."""
    if db[MARKS].exists():
        db.execute(f"DELETE FROM {MARKS} WHERE source = ? AND row_id = ?", [source, row_id])
