"""Which of some codes' patterns occur in each text, kept in study.db by the text's hash (no text is stored).

Every map build, whatever its filter, asks the same answers' parts whether a problem signal's patterns occur
(`evidence.mark_problem_statements`) and which touchpoints' (`opportunities.touchpoints_hurt`): each text is
tagged and matched once per codebook, set of codes and spaCy version, and read back after that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection

from sqlite_utils import Database

from research.codebook import Codebook
from research.nlp import SPACY_MODEL, load_spacy, model_version
from research.store import is_read_only, rows_in

TABLE = "pattern_hits"


def pattern_hits(db: Database | None, codebook: Codebook, keys: Collection[str], texts: list[str]) -> dict[str, set[str]]:
    """{text: the codes among `keys` whose patterns occur in it}, matched on lemmas (parser and NER off); with
    `db` None nothing is kept."""
    import spacy

    nlp = load_spacy()
    chosen = sorted(keys)
    version = json.dumps([SPACY_MODEL, model_version(), spacy.__version__, [[k, repr(codebook.codes[k][1].patterns)] for k in chosen if k in codebook.codes]])
    hashes = {text: hashlib.sha256(f"{version}\n{text}".encode()).hexdigest()[:16] for text in dict.fromkeys(texts)}
    found = kept_hits(db, list(hashes.values())) if db is not None else {}
    missing = [text for text, key in hashes.items() if key not in found]
    if missing:
        from research.coding.rules import RuleMatcher

        with nlp.select_pipes(disable=[name for name in ("parser", "ner") if name in nlp.pipe_names]):
            rules = RuleMatcher(codebook, nlp, keys=chosen)
            fresh = {hashes[text]: sorted({nlp.vocab.strings[match] for match, _, _ in rules.matcher(doc)}) for text, doc in zip(missing, nlp.pipe(missing, batch_size=256))}
        if db is not None:
            keep_hits(db, fresh)
        found |= fresh
    return {text: set(found[key]) for text, key in hashes.items()}


def kept_hits(db: Database, hashes: list[str]) -> dict[str, list[str]]:
    """{text hash: what was kept for it} of the hashes kept in the study (`pain_kinds` keeps its readings here too)."""
    if TABLE not in db.table_names():
        return {}
    return {row["text_hash"]: json.loads(row["codes"]) for row in rows_in(db, f"SELECT text_hash, codes FROM {TABLE} WHERE text_hash IN ({{ids}})", hashes)}


def keep_hits(db: Database, fresh: dict[str, list[str]]) -> None:
    """Keep {text hash: what was found in it} in the study, unless it is opened read-only."""
    if not is_read_only(db):
        with db.atomic():
            db[TABLE].upsert_all(({"text_hash": key, "codes": json.dumps(codes)} for key, codes in fresh.items()), pk="text_hash")
