"""A researcher's decisions on codings: accept, reject, recode, add, bulk accept, memo.

Each is saved at once, and every change of a coding's status goes into the decision log
(`research.coding.decision_log`) with coder, time and, for a bulk accept, its scope, so it can be undone;
a memo edit goes into the memo log beside it, so undo takes it back too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from research.coding import decision_log as log
from research.coding.old_memos import forget_mark, is_marked
from research.errors import ResearchError
from research.store import now


def _coding(db: Database, coding_id: int) -> dict:
    row = log.coding_row(db, coding_id)
    if row is None:
        raise ResearchError(f"no coding with id {coding_id}")
    return row


def _set(batch: log.Batch, coding_id: int, values: dict) -> None:
    """Change one coding and log the change."""
    before = _coding(batch.db, coding_id)
    batch.db["codings"].update(coding_id, values)
    log.record(batch, before, log.coding_row(batch.db, coding_id))


ACTIONS = {"accepted": "accept", "rejected": "reject", "suggested": "reopen"}


def decide(db: Database, coding_id: int, status: str, coder: str = "researcher") -> None:
    """Accept or reject a coding (or reopen it as a suggestion)."""
    if status not in ACTIONS:
        raise ResearchError(f"unknown status '{status}'")
    _coding(db, coding_id)
    with db.atomic():
        _set(log.start(db, ACTIONS[status], coder), coding_id, {"status": status, "coder": coder, "updated_at": now()})


def add_coding(db: Database, utterance_id: int, code_key: str, coder: str = "researcher", memo: str | None = None) -> int:
    """Code an utterance by hand (accepted, source human); an existing coding of that code is accepted instead.
    In a single-choice group (the stage), the group's other codes on the utterance are dropped (suggestions)
    or rejected (earlier acceptances)."""
    with db.atomic():
        return _add(log.start(db, "add", coder), utterance_id, code_key, memo)


def _add(batch: log.Batch, utterance_id: int, code_key: str, memo: str | None = None) -> int:
    db, coder = batch.db, batch.coder
    code = next(db.query("SELECT group_id, single_choice FROM codes WHERE key = ?", [code_key]), None)
    if code is None:
        raise ResearchError(f"'{code_key}' is not a code of this study's codebook")
    if code["single_choice"]:  # one code per utterance in this group: the newest choice replaces the others
        for other in db.query("SELECT * FROM codings WHERE utterance_id = ? AND code_key LIKE ? AND code_key != ? AND status IN ('suggested', 'accepted')",
                              [utterance_id, code["group_id"] + ":%", code_key]):
            if other["status"] == "suggested":
                db.execute("DELETE FROM codings WHERE id = ?", [other["id"]])
                log.record(batch, other, None)
            else:
                _set(batch, other["id"], {"status": "rejected", "coder": coder, "updated_at": now()})
    existing = next(db.query("SELECT id FROM codings WHERE utterance_id = ? AND code_key = ?", [utterance_id, code_key]), None)
    if existing:
        _set(batch, existing["id"], {"status": "accepted", "coder": coder, "updated_at": now()} | ({"memo": memo} if memo else {}))
        return existing["id"]
    stamp = now()
    coding_id = db["codings"].insert({"utterance_id": utterance_id, "code_key": code_key, "source": "human", "confidence": 1.0, "status": "accepted", "coder": coder, "memo": memo,
                                      "created_at": stamp, "updated_at": stamp}).last_pk
    log.record(batch, None, log.coding_row(db, coding_id))
    return coding_id


def recode(db: Database, coding_id: int, code_key: str, coder: str = "researcher") -> int:
    """Reject a coding and code its utterance with another code instead; returns the new coding's id. One decision to undo."""
    coding = _coding(db, coding_id)
    with db.atomic():
        batch = log.start(db, "recode", coder)
        _set(batch, coding_id, {"status": "rejected", "coder": coder, "updated_at": now()})
        return _add(batch, coding["utterance_id"], code_key)


def set_memo(db: Database, coding_id: int, memo: str, coder: str = "researcher") -> None:
    """A memo on a coding (empty text removes it), logged so undo can take it back; the caller has
    replaced its PII (`memos.memo_redactor`)."""
    before = _coding(db, coding_id)
    unredacted = is_marked(db, "coding", coding_id)
    with db.atomic():
        db["codings"].update(coding_id, {"memo": memo.strip() or None, "updated_at": now()})
        forget_mark(db, "coding", coding_id)
        log.record_memo(db, before["utterance_id"], coding_id, before["memo"], memo.strip(), coder, unredacted)


@dataclass(frozen=True)
class Scope:
    """What a bulk accept covers: the whole study, one interview (`INT-001`), or one code (`stage:onboarding`)
    or code group (`stage:`)."""

    kind: str  # study, interview, code
    value: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("study", "interview", "code"):
            raise ResearchError(f"unknown scope '{self.kind}': use study, interview:CODE or code:GROUP:CODE")
        if (self.kind == "study") != (not self.value):
            raise ResearchError("a study scope takes no value; interview and code scopes name one (interview:INT-001, code:stage:onboarding)")

    @classmethod
    def parse(cls, text: str) -> Scope:
        """`study`, `interview:INT-001`, `code:stage:onboarding` or `code:stage:` (a whole group)."""
        kind, _, value = text.strip().partition(":")
        return cls(kind.lower(), value.strip())

    def __str__(self) -> str:
        return self.kind if self.kind == "study" else f"{self.kind}:{self.value}"

    @property
    def words(self) -> str:
        """How the scope reads in a sentence: 'the whole study', 'interview INT-001', 'code stage:onboarding', 'code group stage'."""
        if self.kind == "study":
            return "the whole study"
        return f"code group {self.value[:-1]}" if self.value.endswith(":") else f"{self.kind} {self.value}"

    def where(self, db: Database) -> tuple[str, list]:
        """The SQL condition (on codings c joined to utterances u) and its parameters; an unknown interview or code is an error."""
        if self.kind == "interview":
            found = next(db.query("SELECT id FROM interviews WHERE code = ?", [self.value]), None)
            if found is None:
                raise ResearchError(f"no interview {self.value}")
            return "u.interview_id = ?", [found["id"]]
        if self.kind == "code":
            if self.value.endswith(":"):
                if not db.execute("SELECT 1 FROM codes WHERE group_id = ?", [self.value[:-1]]).fetchone():
                    raise ResearchError(f"no code group '{self.value[:-1]}' in this study's codebook")
                return "c.code_key LIKE ?", [self.value + "%"]
            if not db.execute("SELECT 1 FROM codes WHERE key = ?", [self.value]).fetchone():
                raise ResearchError(f"'{self.value}' is not a code of this study's codebook")
            return "c.code_key = ?", [self.value]
        return "1", []


def _open_in_scope(db: Database, minimum_confidence: float, scope: Scope) -> list[dict]:
    condition, parameters = scope.where(db)
    return list(db.query(
        f"SELECT c.* FROM codings c JOIN utterances u ON u.id = c.utterance_id WHERE c.status = 'suggested' AND c.confidence >= ? AND {condition} ORDER BY c.id",
        [minimum_confidence, *parameters],
    ))


def bulk_candidates(db: Database, minimum_confidence: float, scope: Scope) -> int:
    """How many open suggestions a bulk accept with this confidence and scope would accept (for the question before it)."""
    return len(_open_in_scope(db, minimum_confidence, scope))


def bulk_accept(db: Database, minimum_confidence: float, scope: Scope, coder: str = "researcher") -> int:
    """Accept every open suggestion in `scope` at or above a confidence, as one decision to undo; returns how many."""
    if not 0 <= minimum_confidence <= 1:
        raise ResearchError(f"a confidence is between 0 and 1, not {minimum_confidence}")
    with db.atomic():
        batch = log.start(db, "bulk-accept", coder, str(scope))
        rows = _open_in_scope(db, minimum_confidence, scope)
        for row in rows:
            _set(batch, row["id"], {"status": "accepted", "coder": coder, "updated_at": now()})
    return len(rows)
