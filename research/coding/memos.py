"""Memos: a researcher's notes on an utterance or on one coding of it, for the review app and every export.

A coding's memo lives on the coding (`codings.memo`, set with `decisions.set_memo`); an utterance's
memo in `utterance_memos`. A researcher may type a real name, an email address or a phone number into
a memo, so `memo_redactor` gives the function that replaces them as the transcripts' were: apply it
before saving a memo, and exports apply it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlite_utils import Database

from research.coding.decision_log import record_memo
from research.coding.old_memos import forget_mark, is_marked
from research.errors import ResearchError
from research.store import now
from research.study import Study

if TYPE_CHECKING:
    from research.anonymize.detect import PiiDetector, PiiSpan
    from research.anonymize.pseudonyms import Pseudonymizer


class MemoRedactor:
    """Replaces the PII in memos as the study's transcripts' was (`research.anonymize.detect`, the study's
    anonymize settings): a participant's or company's real name, misheard spellings too, becomes its
    pseudonym ([Participant 3]); any other person, email address or phone number its placeholder
    ([PERSON_4], [EMAIL_1], [PHONE_2]), the same one each time. Once the vault is purged the placeholders
    carry no number ([PERSON]). Each memo is redacted on its own (a name in one is not looked for in
    another); `many` does a batch in one detector call and keeps the results, so a memo an export
    writes twice is detected once. Presidio loads on the first text (seconds): save memos off the UI thread."""

    def __init__(self, detector: PiiDetector, pseudonyms: Pseudonymizer | None):
        self.detector = detector
        self.pseudonyms = pseudonyms
        self._done: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        return self.many([text])[0]

    def many(self, texts: Sequence[str]) -> list[str]:
        """Each text with its PII replaced; the texts not seen before go to the detector in one call."""
        fresh = list(dict.fromkeys(text for text in texts if text.strip() and text not in self._done))
        if fresh:
            for text, spans in zip(fresh, self.detector.detect(fresh, propagate=False)):
                self._done[text] = self._replace(text, spans)
        return [self._done.get(text, text) for text in texts]

    def _replace(self, text: str, spans: list[PiiSpan]) -> str:
        out, end = [], 0
        for span in sorted(spans, key=lambda s: (s.start, -s.end)):
            if span.start >= end:
                out += [text[end : span.start], self.pseudonyms.replacement(span.entity_type, span.key) if self.pseudonyms else f"[{span.entity_type}]"]
                end = span.end
        return "".join(out) + text[end:]


def memo_redactor(study: Study) -> MemoRedactor:
    """The study's memo redactor: its known names and pseudonyms while the vault is open, bare placeholders after a purge."""
    from research.anonymize.detect import PiiDetector
    from research.anonymize.known_names import KnownName
    from research.anonymize.pseudonyms import Pseudonymizer

    settings = study.config.anonymize
    vault_open = not study.config.vault_purged and study.vault_dir.is_dir()
    known = [KnownName(name, kind) for name, kind in study.vault.known_names() if name] if vault_open else []
    detector = PiiDetector(known, settings.allow, settings.deny, settings.organizations, settings.places)
    return MemoRedactor(detector, Pseudonymizer(study.vault, settings.style) if vault_open else None)


def set_utterance_memo(study: Study, utterance_id: int, memo: str, coder: str = "researcher") -> str:
    """A memo on an utterance, saved with known names as pseudonyms (logged, so undo can take it back); empty text removes it. Returns the text saved."""
    db = study.db
    if not db.execute("SELECT 1 FROM utterances WHERE id = ?", [utterance_id]).fetchone():
        raise ResearchError(f"no utterance with id {utterance_id}")
    text = memo_redactor(study)(memo.strip())
    before = db.execute("SELECT memo FROM utterance_memos WHERE utterance_id = ?", [utterance_id]).fetchone()
    unredacted = is_marked(db, "utterance", utterance_id)
    with db.atomic():
        forget_mark(db, "utterance", utterance_id)
        record_memo(db, utterance_id, None, before[0] if before else None, text, coder, unredacted)
        if text:
            db["utterance_memos"].upsert({"utterance_id": utterance_id, "memo": text, "coder": coder, "updated_at": now()}, pk="utterance_id")
        else:
            db.execute("DELETE FROM utterance_memos WHERE utterance_id = ?", [utterance_id])
    return text


def utterance_memos(db: Database, interview_code: str | None = None) -> dict[int, str]:
    """{utterance id: memo}, for one interview or the whole study."""
    if interview_code is None:
        return {r["utterance_id"]: r["memo"] for r in db.query("SELECT utterance_id, memo FROM utterance_memos")}
    return {r["utterance_id"]: r["memo"] for r in db.query(
        "SELECT m.utterance_id, m.memo FROM utterance_memos m JOIN utterances u ON u.id = m.utterance_id JOIN interviews i ON i.id = u.interview_id WHERE i.code = ?",
        [interview_code])}


@dataclass(frozen=True)
class Memo:
    kind: str  # utterance or coding
    text: str
    interview: str
    utterance_id: int
    start: float
    quote: str  # the anonymized utterance
    coding_id: int | None = None
    code: str | None = None  # "Group › Code" of a coding's memo
    status: str | None = None  # the coding's status
    coder: str | None = None


def redacted(found: list[Memo], redact: MemoRedactor) -> list[Memo]:
    """The memos with their PII replaced, in one detector call."""
    return [replace(memo, text=text) for memo, text in zip(found, redact.many([memo.text for memo in found]))]


def memos(db: Database, interview_codes: set[str] | None = None, include_suggested: bool = True) -> list[Memo]:
    """Every memo in transcript order: an utterance's own memo first, then those on its codings (rejected codings' never)."""
    statuses = ("accepted", "suggested") if include_suggested else ("accepted",)
    rows = db.query(
        """SELECT 'utterance' AS kind, m.memo, i.code AS interview, u.id AS utterance_id, u.start, u.text, NULL AS coding_id, NULL AS code_name, NULL AS status, m.coder, i.id AS i, u.idx, 0 AS o
             FROM utterance_memos m JOIN utterances u ON u.id = m.utterance_id JOIN interviews i ON i.id = u.interview_id
           UNION ALL
           SELECT 'coding', c.memo, i.code, u.id, u.start, u.text, c.id, COALESCE(k.group_name || ' › ' || k.name, c.code_key), c.status, c.coder, i.id, u.idx, 1 + COALESCE(k.position, 0)
             FROM codings c JOIN utterances u ON u.id = c.utterance_id JOIN interviews i ON i.id = u.interview_id LEFT JOIN codes k ON k.key = c.code_key
            WHERE c.memo IS NOT NULL AND c.memo != '' AND c.status IN (?, ?)
           ORDER BY i, idx, o""",
        [statuses[0], statuses[-1]],
    )
    return [Memo(r["kind"], r["memo"], r["interview"], r["utterance_id"], r["start"] or 0.0, r["text"], r["coding_id"], r["code_name"], r["status"], r["coder"])
            for r in rows if interview_codes is None or r["interview"] in interview_codes]
