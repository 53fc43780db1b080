"""A researcher's decisions on codings: accept, reject, recode, memo. Each is saved at once."""

from __future__ import annotations

from sqlite_utils import Database

from research.errors import ResearchError
from research.store import now


def _coding(db: Database, coding_id: int) -> dict:
    rows = list(db.query("SELECT * FROM codings WHERE id = ?", [coding_id]))
    if not rows:
        raise ResearchError(f"no coding with id {coding_id}")
    return rows[0]


def decide(db: Database, coding_id: int, status: str, coder: str = "researcher") -> None:
    """Accept or reject a coding."""
    if status not in ("accepted", "rejected", "suggested"):
        raise ResearchError(f"unknown status '{status}'")
    _coding(db, coding_id)
    db["codings"].update(coding_id, {"status": status, "coder": coder, "updated_at": now()})


def add_coding(db: Database, utterance_id: int, code_key: str, coder: str = "researcher", memo: str | None = None) -> int:
    """Code an utterance by hand (accepted, source human); an existing coding of that code is accepted instead.
    In a single-choice group (the stage), the group's other codes on the utterance are dropped (suggestions)
    or rejected (earlier acceptances)."""
    code = next(db.query("SELECT group_id, single_choice FROM codes WHERE key = ?", [code_key]), None)
    if code is None:
        raise ResearchError(f"'{code_key}' is not a code of this study's codebook")
    if code["single_choice"]:  # one code per utterance in this group: the newest choice replaces the others
        others = [utterance_id, code["group_id"] + ":%", code_key]
        db.execute("DELETE FROM codings WHERE utterance_id = ? AND status = 'suggested' AND code_key LIKE ? AND code_key != ?", others)
        db.execute("UPDATE codings SET status = 'rejected', coder = ?, updated_at = ? WHERE utterance_id = ? AND status = 'accepted' AND code_key LIKE ? AND code_key != ?", [coder, now(), *others])
    existing = list(db.query("SELECT id FROM codings WHERE utterance_id = ? AND code_key = ?", [utterance_id, code_key]))
    if existing:
        db["codings"].update(existing[0]["id"], {"status": "accepted", "coder": coder, "updated_at": now()} | ({"memo": memo} if memo else {}))
        return existing[0]["id"]
    stamp = now()
    return db["codings"].insert({"utterance_id": utterance_id, "code_key": code_key, "source": "human", "confidence": 1.0, "status": "accepted", "coder": coder, "memo": memo, "created_at": stamp, "updated_at": stamp}).last_pk


def recode(db: Database, coding_id: int, code_key: str, coder: str = "researcher") -> int:
    """Reject a coding and code its utterance with another code instead; returns the new coding's id."""
    coding = _coding(db, coding_id)
    with db.atomic():
        decide(db, coding_id, "rejected", coder)
        return add_coding(db, coding["utterance_id"], code_key, coder)


def set_memo(db: Database, coding_id: int, memo: str) -> None:
    _coding(db, coding_id)
    db["codings"].update(coding_id, {"memo": memo.strip() or None, "updated_at": now()})


def bulk_accept(db: Database, minimum_confidence: float, code_key_prefix: str = "", coder: str = "researcher") -> int:
    """Accept every suggestion at or above a confidence (optionally of one group, e.g. 'stage:'); returns how many."""
    cursor = db.execute(
        "UPDATE codings SET status = 'accepted', coder = ?, updated_at = ? WHERE status = 'suggested' AND confidence >= ? AND code_key LIKE ?",
        [coder, now(), minimum_confidence, code_key_prefix + "%"],
    )
    db.conn.commit()
    return cursor.rowcount
