"""The decision log: every change a researcher makes to a coding (accept, reject, recode, add, bulk
accept), with coder, time and scope, kept in study.db so it can be undone and audited; and the memo log,
every memo edit with the memo before and after, so that undo takes back a memo edit too.

A user action is one batch: a bulk accept of 40 suggestions is one batch of 40 rows, and undoing it
undoes all 40. A row keeps the coding as it was before (JSON), so undo restores exactly that. A coding
that someone changed again after the batch is left as it is, and reported, never silently overwritten.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from sqlite_utils import Database

from research.store import now


@dataclass
class Batch:
    """One user action being recorded; pass it to `record` for every coding the action changes."""

    db: Database
    id: int
    action: str
    coder: str
    scope: str | None = None


def start(db: Database, action: str, coder: str, scope: str | None = None) -> Batch:
    """A new batch id for one user action."""
    latest = db.execute("SELECT COALESCE(MAX(batch), 0) FROM decision_log").fetchone()[0]
    return Batch(db, latest + 1, action, coder, scope)


def coding_row(db: Database, coding_id: int) -> dict | None:
    return next(db.query("SELECT * FROM codings WHERE id = ?", [coding_id]), None)


def record(batch: Batch, before: dict | None, after: dict | None) -> None:
    """Log one coding's change: `before` None when the action created it, `after` None when it removed it."""
    row = after or before
    assert row is not None
    batch.db["decision_log"].insert({
        "batch": batch.id, "action": batch.action, "scope": batch.scope, "coding_id": row["id"], "utterance_id": row["utterance_id"],
        "code_key": row["code_key"], "before": json.dumps(before) if before else None, "after_status": after["status"] if after else None,
        "coder": batch.coder, "created_at": now(),
    })


def record_memo(db: Database, utterance_id: int, coding_id: int | None, before: str | None, after: str | None, coder: str, before_unredacted: bool = False) -> None:
    """Log one memo edit (`coding_id` None: the utterance's own memo); both texts as saved, so redacted. A
    `before` an older version saved unredacted (`old_memos.is_marked`) is not kept, so undo never restores it."""
    if (before or None) == (after or None):
        return  # saved unchanged: nothing to undo
    latest = db.execute("SELECT COALESCE(MAX(batch), 0) FROM decision_log").fetchone()[0]
    db["memo_log"].insert({"utterance_id": utterance_id, "coding_id": coding_id, "before": None if before_unredacted else before or None, "after": after or None,
                           "after_batch": latest, "before_withheld": int(before_unredacted and bool(before)), "coder": coder, "created_at": now()})


@dataclass
class UndoResult:
    batches: list[int] = field(default_factory=list)  # the batches undone, newest first
    actions: list[str] = field(default_factory=list)  # their actions, e.g. ["bulk-accept"]
    put_back: list[tuple[int, int]] = field(default_factory=list)  # (utterance, coding) of each coding put back as it was, oldest change first (a removed one is gone)
    kept: int = 0  # codings changed again since, left as they are
    memos: list[tuple[int, int | None, str]] = field(default_factory=list)  # (utterance, coding or None, "back", "removed", "kept" or "withheld") per memo edit undone, newest first

    @property
    def restored(self) -> int:
        return len(self.put_back)

    @property
    def undone(self) -> bool:
        return bool(self.batches or self.memos)

    @property
    def line(self) -> str:
        if not self.undone:
            return "Nothing to undo."
        parts = []
        if self.batches:
            what = ", ".join(dict.fromkeys(self.actions))
            kept = f"; {self.kept} changed again since were kept" if self.kept else ""
            parts.append(f"Undid {len(self.batches)} decision{'s' if len(self.batches) != 1 else ''} ({what}): {self.restored} coding{'s' if self.restored != 1 else ''} restored{kept}.")
        if self.memos:
            parts.append(_memo_line([outcome for _, _, outcome in self.memos]))
        return " ".join(parts)


def _memo_line(outcomes: list[str]) -> str:
    if len(outcomes) == 1:
        return {"back": "Undid the memo edit: the memo before it is back.", "removed": "Undid the memo edit: the memo is removed (there was none before).",
                "kept": "Undid nothing of the last memo edit: that memo was changed again since, so it was kept.",
                "withheld": "Undid nothing of the last memo edit: the memo before it was saved unredacted by an older version, so it is not brought back."}[outcomes[0]]
    counts = Counter(outcomes)
    kept = f"; {counts['kept']} changed again since were kept" if counts["kept"] else ""
    kept += f"; {counts['withheld']} unredacted older memos not brought back" if counts["withheld"] else ""
    return f"Undid {len(outcomes)} memo edits: {counts['back']} earlier memo{'s' if counts['back'] != 1 else ''} back, {counts['removed']} removed{kept}."


def undo(db: Database, count: int = 1) -> UndoResult:
    """Undo the last `count` changes not yet undone, newest first: decisions (user actions) and memo edits."""
    result = UndoResult()
    for _ in range(max(count, 0)):
        batch = db.execute("SELECT MAX(batch) FROM decision_log WHERE undone_at IS NULL").fetchone()[0]
        memo = next(db.query("SELECT * FROM memo_log WHERE undone_at IS NULL ORDER BY id DESC LIMIT 1"), None)
        if memo is not None and (batch is None or memo["after_batch"] >= batch):  # written after that decision
            result.memos.append(_undo_memo(db, memo))
        elif batch is not None:
            done = _undo_batches(db, [batch])
            result.batches += done.batches
            result.actions += done.actions
            result.put_back = done.put_back + result.put_back
            result.kept += done.kept
        else:
            break
    return result


def _undo_memo(db: Database, row: dict) -> tuple[int, int | None, str]:
    """Put a memo back as it was before a logged edit, unless it has been changed since (then it is kept)."""
    if row["before_withheld"]:
        db.execute("UPDATE memo_log SET undone_at = ? WHERE id = ?", [now(), row["id"]])
        return row["utterance_id"], row["coding_id"], "withheld"
    with db.atomic():
        if row["coding_id"] is None:
            current = db.execute("SELECT memo FROM utterance_memos WHERE utterance_id = ?", [row["utterance_id"]]).fetchone()
        else:
            current = db.execute("SELECT memo FROM codings WHERE id = ?", [row["coding_id"]]).fetchone()
        unchanged = (current[0] if current else None) == row["after"] and (current is not None or row["coding_id"] is None)
        if unchanged:
            if row["coding_id"] is not None:
                db.execute("UPDATE codings SET memo = ?, updated_at = ? WHERE id = ?", [row["before"], now(), row["coding_id"]])
            elif row["before"] is None:
                db.execute("DELETE FROM utterance_memos WHERE utterance_id = ?", [row["utterance_id"]])
            else:
                db["utterance_memos"].upsert({"utterance_id": row["utterance_id"], "memo": row["before"], "coder": row["coder"], "updated_at": now()}, pk="utterance_id")
        db.execute("UPDATE memo_log SET undone_at = ? WHERE id = ?", [now(), row["id"]])
    outcome = "kept" if not unchanged else "back" if row["before"] is not None else "removed"
    return row["utterance_id"], row["coding_id"], outcome


def undo_last_bulk(db: Database) -> UndoResult:
    """Undo the newest bulk accept not yet undone (later single decisions stay)."""
    found = db.execute("SELECT MAX(batch) FROM decision_log WHERE undone_at IS NULL AND action = 'bulk-accept'").fetchone()[0]
    return _undo_batches(db, [found] if found else [])


def _undo_batches(db: Database, batches: list[int]) -> UndoResult:
    result = UndoResult()
    with db.atomic():
        for batch in batches:
            rows = list(db.query("SELECT * FROM decision_log WHERE batch = ? AND undone_at IS NULL ORDER BY id DESC", [batch]))
            for row in rows:
                if _restore(db, row):
                    result.put_back.insert(0, (row["utterance_id"], row["coding_id"]))
                else:
                    result.kept += 1
            db.execute("UPDATE decision_log SET undone_at = ? WHERE batch = ?", [now(), batch])
            result.batches.append(batch)
            result.actions.append(rows[0]["action"] if rows else "?")
    return result


def _restore(db: Database, row: dict) -> bool:
    """Put one coding back as it was before the logged change; False when it has changed since."""
    current = coding_row(db, row["coding_id"])
    unchanged = current is None if row["after_status"] is None else current is not None and current["status"] == row["after_status"]
    if not unchanged:
        return False
    if row["before"] is None:
        db.execute("DELETE FROM codings WHERE id = ?", [row["coding_id"]])
        return True
    before = json.loads(row["before"])
    if current is None:
        clash = next(db.query("SELECT id, status FROM codings WHERE utterance_id = ? AND code_key = ?", [before["utterance_id"], before["code_key"]]), None)
        if clash and clash["status"] != "suggested":
            return False
        if clash:
            db.execute("DELETE FROM codings WHERE id = ?", [clash["id"]])
        db["codings"].insert(before)
    else:
        db["codings"].update(row["coding_id"], {k: v for k, v in before.items() if k != "id"})
    return True


def bulk_accepted(db: Database) -> set[int]:
    """Ids of the codings whose standing decision (the newest not undone) is a bulk accept."""
    return {r["coding_id"] for r in db.query(
        "SELECT coding_id, action FROM decision_log d WHERE undone_at IS NULL AND id = "
        "(SELECT MAX(id) FROM decision_log WHERE coding_id = d.coding_id AND undone_at IS NULL)"
    ) if r["action"] == "bulk-accept"}


@dataclass(frozen=True)
class LoggedDecision:
    batch: int
    action: str
    scope: str | None
    code_key: str
    utterance_id: int
    after_status: str | None
    coder: str
    created_at: str
    undone: bool


def history(db: Database, limit: int = 50) -> list[LoggedDecision]:
    """The newest logged changes first (one line per coding changed)."""
    return [LoggedDecision(r["batch"], r["action"], r["scope"], r["code_key"], r["utterance_id"], r["after_status"], r["coder"], r["created_at"], r["undone_at"] is not None)
            for r in db.query("SELECT * FROM decision_log ORDER BY id DESC LIMIT ?", [limit])]
