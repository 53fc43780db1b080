"""What a map reads from a headline candidate's parse, kept in study.db beside the utterance it comes from.

A map's headlines and claims read three things from a parse of a part (or a whole answer): its sentences and
clauses that may head an insight (`condense.candidates_of`, each with the headline cut from it) and its verbs
(`claims.verbs_of`). A filtered map groups the cohort's parts anew, but most of its candidates were read by an
earlier build (the whole map's, another filter's). Each text's reading is kept as JSON in its utterance's row,
so a text is parsed once per study and a filter change reads a few short strings back instead of spaCy Docs.
New texts are parsed in one batch per call and without NER, which neither reads (tags, dependencies and
sentences are the same without it). A row holds its utterance's text hash, which covers the pipeline and the
source of the code that reads a parse: readings of an earlier text or by earlier code are never read, and are
replaced (the earlier text with them) when the new ones are kept.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database

from research.journey import claims, condense
from research.journey.condense import Candidate, candidates_of, in_its_sentence
from research.journey.evidence import Utterance
from research.nlp import SPACY_MODEL, load_spacy, model_version
from research.store import is_read_only, rows_in

TABLE = "headline_readings"
SKIPPED = ["ner"]
RECENT = 50_000  # readings kept in this process (the review app's filter changes), by their utterance's text hash and their text
_recent: OrderedDict[tuple[str, str], Reading] = OrderedDict()


@dataclass(frozen=True)
class Reading:
    """A text's headline candidates and its content verbs."""

    candidates: tuple[Candidate, ...]
    verbs: frozenset[str]

    @classmethod
    def of(cls, doc) -> Reading:
        return cls(tuple(candidates_of(doc)), claims.verbs_of([doc])[0])

    def to_json(self) -> list:
        return [[[c.text, c.tokens, c.headline] for c in self.candidates], sorted(self.verbs)]

    @classmethod
    def from_json(cls, data: list) -> Reading:
        return cls(tuple(Candidate(*c) for c in data[0]), frozenset(data[1]))


def parsed_now(texts: list[str]) -> list[Reading]:
    """Readings of texts parsed now by spaCy's whole pipeline (what a build that keeps nothing reads)."""
    return [Reading.of(doc) for doc in load_spacy().pipe(texts)]


class StoredReadings:
    """The readings of the headline candidates of `utterances`: their answers, their parts in their sentences, and the
    parts as said (whose verbs a claim compares)."""

    def __init__(self, db: Database, utterances: Iterable[Utterance]):
        self.db = db
        self.owner: dict[str, int] = {}  # text -> the utterance whose row keeps its reading
        self.texts: dict[int, str] = {}
        for u in utterances:
            self.texts[u.id] = u.text
            for text in [u.text, *(in_its_sentence(p.text, u.text) for p in u.parts), *(p.text for p in u.parts)]:
                self.owner.setdefault(text, u.id)
        self.version = ""
        self.rows: dict[int, dict[str, list]] | None = None  # utterance id -> {text: reading as JSON}, read on the first call
        self.readings: dict[str, Reading] = {}  # text -> its reading, read or parsed
        self.hashes: dict[int, str] = {}  # utterance id -> `_hash` of its text

    def of(self, texts: list[str]) -> list[Reading]:
        """The reading of each text, in order."""
        if self.rows is None:
            self.version = _version()
            self.rows = self._stored()
        for text in texts:
            if text in self.readings:
                continue
            if text in self.owner and self._key(text) in _recent:
                self.readings[text] = _recent[self._key(text)]
            elif text in self.rows.get(self.owner.get(text), {}):
                self.readings[text] = Reading.from_json(self.rows[self.owner[text]][text])
        missing = [text for text in dict.fromkeys(texts) if text not in self.readings]
        if missing:
            self._keep(dict(zip(missing, (Reading.of(doc) for doc in load_spacy().pipe(missing, disable=SKIPPED)))))
        for text in texts:
            if text in self.owner:
                _recent[self._key(text)] = self.readings[text]
                _recent.move_to_end(self._key(text))
        while len(_recent) > RECENT:
            _recent.popitem(last=False)
        return [self.readings[text] for text in texts]

    def _stored(self) -> dict[int, dict[str, list]]:
        if TABLE not in self.db.table_names():
            return {}
        rows = {}
        for row in rows_in(self.db, f"SELECT utterance_id, text_hash, readings FROM {TABLE} WHERE utterance_id IN ({{ids}})", self.texts):
            if row["text_hash"] == self._hash(self.texts[row["utterance_id"]]):
                rows[row["utterance_id"]] = json.loads(row["readings"])
        return rows

    def _keep(self, fresh: dict[str, Reading]) -> None:
        """Add the new readings, and their utterances' rows with them (texts of no utterance here are not kept)."""
        self.readings |= fresh
        changed: dict[int, dict[str, list]] = {}
        for text, reading in fresh.items():
            if text in self.owner:
                uid = self.owner[text]
                changed.setdefault(uid, dict(self.rows.get(uid, {})))[text] = reading.to_json()
        if changed and not is_read_only(self.db):  # a read-only study keeps them for this process only
            with self.db.atomic():
                self.db[TABLE].upsert_all(({"utterance_id": uid, "text_hash": self._hash(self.texts[uid]), "readings": json.dumps(kept)}
                                           for uid, kept in changed.items()), pk="utterance_id")
        self.rows |= changed

    def _key(self, text: str) -> tuple[str, str]:
        uid = self.owner[text]
        if uid not in self.hashes:
            self.hashes[uid] = self._hash(self.texts[uid])
        return self.hashes[uid], text

    def _hash(self, text: str) -> str:
        """The utterance's text with the pipeline and code that read it: another spaCy, model or reading reads again."""
        return hashlib.sha256(f"{self.version}\n{text}".encode()).hexdigest()[:16]


def _version() -> str:
    import spacy

    from research.computed import source_hash

    code = ",".join(source_hash(module.__file__) for module in (condense, claims))
    return f"{SPACY_MODEL}:{model_version()}:{spacy.__version__}:-{','.join(SKIPPED)}:{code}:{source_hash(__file__)}"
