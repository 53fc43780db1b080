"""The parses headlines are cut from (`condense.best_sentence`), kept in study.db beside the utterance they come from.

A filtered map groups the cohort's parts anew, but most of its headline candidates are sentences an earlier
build (the whole map's, another filter's) parsed already. Each is kept as spaCy DocBin bytes, so a text is
parsed once per study: reading a Doc back costs about a thirtieth of parsing it, and only the rows of the
texts asked for are read. New texts are parsed in one batch per call and without NER, which headlines never
read (tags, dependencies and sentences are the same without it). A row holds its utterance's text hash:
parses of an earlier text are never read, and are replaced when the new text's are kept.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterable

from sqlite_utils import Database

from research.journey.condense import in_its_sentence
from research.journey.evidence import Utterance
from research.nlp import SPACY_MODEL, load_spacy
from research.store import is_read_only

TABLE = "headline_parses"
SKIPPED = ["ner"]
CHUNK = 500
RECENT = 20_000  # Docs kept in this process (the review app's filter changes), by their utterance's text hash and their text
_recent: OrderedDict[tuple[str, str], object] = OrderedDict()


class StoredParses:
    """`nlp.pipe` for the headline candidates of `utterances`: their answers, their parts in their sentences, and the
    parts as said (whose verbs a claim compares)."""

    def __init__(self, db: Database, utterances: Iterable[Utterance]):
        self.db = db
        self.owner: dict[str, int] = {}  # text -> the utterance whose row keeps its parse
        self.texts: dict[int, str] = {}
        for u in utterances:
            self.texts[u.id] = u.text
            for text in [u.text, *(in_its_sentence(p.text, u.text) for p in u.parts), *(p.text for p in u.parts)]:
                self.owner.setdefault(text, u.id)
        self.nlp = None
        self.pipeline = ""
        self.rows: dict[int, tuple[list[str], bytes]] | None = None  # utterance id -> its kept texts and their DocBin, read on the first call
        self.docs: dict[str, object] = {}  # text -> Doc, read or parsed
        self.read: set[int] = set()  # the rows whose Docs are in `docs`
        self.hashes: dict[int, str] = {}  # utterance id -> `_hash` of its text

    def pipe(self, texts: list[str]) -> list:
        """The Doc of each text, in order (what `best_sentence` reads from `nlp.pipe`)."""
        if self.rows is None:
            self.nlp = load_spacy()
            self.pipeline = _pipeline(self.nlp)
            self.rows = self._stored()
        for text in texts:
            if text not in self.docs and text in self.owner and self._key(text) in _recent:
                self.docs[text] = _recent[self._key(text)]
        for uid in {self.owner.get(text) for text in texts if text not in self.docs} & self.rows.keys():
            self._read(uid)
        missing = [text for text in dict.fromkeys(texts) if text not in self.docs]
        if missing:
            fresh = dict(zip(missing, self.nlp.pipe(missing, disable=SKIPPED)))
            self._keep(fresh)
        for text in texts:
            if text in self.owner:
                _recent[self._key(text)] = self.docs[text]
                _recent.move_to_end(self._key(text))
        while len(_recent) > RECENT:
            _recent.popitem(last=False)
        return [self.docs[text] for text in texts]

    def _stored(self) -> dict[int, tuple[list[str], bytes]]:
        if TABLE not in self.db.table_names():
            return {}
        rows = {}
        ids = list(self.texts)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            for row in self.db.query(f"SELECT utterance_id, text_hash, texts, docs FROM {TABLE} WHERE utterance_id IN ({','.join('?' * len(chunk))})", chunk):
                if row["text_hash"] == self._hash(self.texts[row["utterance_id"]]):
                    rows[row["utterance_id"]] = (json.loads(row["texts"]), row["docs"])
        return rows

    def _read(self, uid: int) -> None:
        from spacy.tokens import DocBin

        texts, blob = self.rows[uid]
        self.docs |= dict(zip(texts, DocBin().from_bytes(blob).get_docs(self.nlp.vocab)))
        self.read.add(uid)

    def _keep(self, fresh: dict[str, object]) -> None:
        """Add the new parses, and their utterances' rows with them (texts of no utterance here are not kept)."""
        from spacy.tokens import DocBin

        changed = {self.owner[text] for text in fresh if text in self.owner}
        for uid in changed & self.rows.keys() - self.read:
            self._read(uid)
        self.docs |= fresh
        by_owner: dict[int, dict[str, object]] = {uid: {} for uid in changed}
        for text, doc in self.docs.items():
            if self.owner.get(text) in changed:
                by_owner[self.owner[text]][text] = doc
        rows = [{"utterance_id": uid, "text_hash": self._hash(self.texts[uid]), "texts": json.dumps(list(docs)),
                 "docs": DocBin(docs=list(docs.values()), store_user_data=False).to_bytes()} for uid, docs in by_owner.items()]
        if rows and not is_read_only(self.db):  # a read-only study keeps them for this process only
            with self.db.atomic():
                self.db[TABLE].upsert_all(rows, pk="utterance_id")
        for row in rows:
            self.rows[row["utterance_id"]] = (json.loads(row["texts"]), row["docs"])
            self.read.add(row["utterance_id"])

    def _key(self, text: str) -> tuple[str, str]:
        uid = self.owner[text]
        if uid not in self.hashes:
            self.hashes[uid] = self._hash(self.texts[uid])
        return self.hashes[uid], text

    def _hash(self, text: str) -> str:
        """The utterance's text with the pipeline that parsed it: another spaCy or model version parses again."""
        return hashlib.sha256(f"{self.pipeline}\n{text}".encode()).hexdigest()[:16]


def _pipeline(nlp) -> str:
    import spacy

    return f"{SPACY_MODEL}:{nlp.meta.get('version')}:{spacy.__version__}:-{','.join(SKIPPED)}"
