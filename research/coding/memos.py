"""Memos: a researcher's notes on an utterance or on one coding of it, for the review app and every export.

A coding's memo lives on the coding (`codings.memo`, set with `decisions.set_memo`); an utterance's
memo in `utterance_memos`. A researcher may type a participant's or company's real name into a memo,
so `name_redactor` gives the function that replaces every known name (the vault's, misheard spellings
too) with its study pseudonym, and every email address and phone number with a placeholder: apply it
before saving a memo, and exports apply it again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlite_utils import Database

from research.errors import ResearchError
from research.store import now
from research.study import Study


EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PHONE_REGIONS = ("GB", "DE", "IN")  # numbers written as dialled there; "US" is matched more leniently below


def contacts(text: str) -> list[tuple[int, int, str]]:
    """(start, end, EMAIL or PHONE) of each email address and phone number typed in `text` (phonenumbers'
    matcher: a possible US number, 555-123-4567 included, or a valid one of the other regions or with a +code)."""
    import phonenumbers

    found = [(m.start(), m.end(), "EMAIL") for m in EMAIL.finditer(text)]
    matches = list(phonenumbers.PhoneNumberMatcher(text, "US", leniency=phonenumbers.Leniency.POSSIBLE))
    for region in PHONE_REGIONS:
        matches += phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    found += [(m.start, m.end, "PHONE") for m in matches]
    return sorted(found, key=lambda span: (span[0], -span[1]))


def contact_redactor(study: Study) -> Callable[[str], str]:
    """text → text with each email address and phone number as a placeholder ([EMAIL_1], [PHONE_2]; the same one
    each time while the vault is there, else [EMAIL] and [PHONE])."""
    if study.config.vault_purged or not study.vault_dir.is_dir():
        def tag(kind: str, piece: str) -> str:
            return f"[{kind}]"
    else:
        from research.anonymize.pseudonyms import Pseudonymizer
        from research.vault import entity_key

        pseudonyms = Pseudonymizer(study.vault)

        def tag(kind: str, piece: str) -> str:
            return pseudonyms.replacement(kind, entity_key(piece))

    def redact(text: str) -> str:
        out, end = [], 0
        for start, stop, kind in contacts(text):
            if start >= end:
                out += [text[end:start], tag(kind, text[start:stop])]
                end = stop
        return "".join(out) + text[end:]

    return redact


def name_redactor(study: Study) -> Callable[[str], str]:
    """text → text with the study's known participant and company names as their pseudonyms ([Participant 3])
    and email addresses and phone numbers as placeholders; only the latter once the vault is purged."""
    contacts_out = contact_redactor(study)
    if study.config.vault_purged or not study.vault_dir.is_dir():
        return contacts_out
    from research.anonymize.known_names import KnownName, find_known_names
    from research.anonymize.pseudonyms import Pseudonymizer
    from research.vault import entity_key

    vault = study.vault
    names = [KnownName(name, kind) for name, kind in vault.known_names() if name]
    pseudonyms = Pseudonymizer(vault)

    def redact(text: str) -> str:
        out, end = [], 0
        for match in sorted(find_known_names(text, names), key=lambda m: (m.start, -m.end)):
            if match.start >= end:
                out += [text[end:match.start], pseudonyms.replacement(match.name.entity_type, entity_key(match.name.text))]
                end = match.end
        return contacts_out("".join(out) + text[end:])

    return redact


def set_utterance_memo(study: Study, utterance_id: int, memo: str, coder: str = "researcher") -> str:
    """A memo on an utterance, saved with known names as pseudonyms; empty text removes it. Returns the text saved."""
    db = study.db
    if not db.execute("SELECT 1 FROM utterances WHERE id = ?", [utterance_id]).fetchone():
        raise ResearchError(f"no utterance with id {utterance_id}")
    text = name_redactor(study)(memo.strip())
    with db.atomic():
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


def redacted(found: list[Memo], redact: Callable[[str], str]) -> list[Memo]:
    return [replace(memo, text=redact(memo.text)) for memo in found]


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
