"""Facts parsed from an utterance's text, computed once per text and kept in study.db.

A table holds (utterance_id, text_hash, <column>): the hash covers the extractor's version and the
text, so an edited transcript or a changed extractor parses again and nothing else does. A read-only study
keeps what is extracted for the caller only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from sqlite_utils import Database

from research.store import is_read_only, rows_in


def cached_per_text(db: Database, table: str, column: str, version: str, texts: dict[int, str],
                    extract: Callable[[dict[int, str]], dict[int, object]]) -> dict[int, object]:
    """{utterance id: fact} for `texts`, from `table` where the text is unchanged and from `extract` (one batch) for the rest."""
    found = kept_per_text(db, table, column, version, texts)
    missing = {key: text for key, text in texts.items() if key not in found}
    if missing:
        fresh = extract(missing)
        if is_read_only(db):
            return found | fresh
        with db.atomic():
            db[table].upsert_all(({"utterance_id": key, "text_hash": _hash(version, missing[key]), column: json.dumps(value)} for key, value in fresh.items()), pk="utterance_id")
        found |= fresh
    return found


def kept_per_text(db: Database, table: str, column: str, version: str, texts: dict[int, str]) -> dict[int, object]:
    """{utterance id: fact} of those `texts` whose fact `table` keeps for this very text and `version`; the rest are absent."""
    found: dict[int, object] = {}
    for row in rows_in(db, f"SELECT utterance_id, text_hash, {column} FROM {table} WHERE utterance_id IN ({{ids}})", texts):
        if _hash(version, texts[row["utterance_id"]]) == row["text_hash"]:
            found[row["utterance_id"]] = json.loads(row[column])
    return found


def _hash(version: str, text: str) -> str:
    return hashlib.sha256(f"{version}\n{text}".encode()).hexdigest()[:16]
