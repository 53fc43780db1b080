"""The 5 W's of an utterance with spaCy: who, what, when, where and why.

- who: people and roles mentioned ("the store manager", "my daughter"), never a pseudonym placeholder;
- what: the activities (main verbs, as lemmas);
- when: time expressions (spaCy DATE and TIME entities: "last summer", "a week later");
- where: places and venues (GPE, LOC, FAC entities and place nouns such as "store" or "website");
- why: reasons, the clauses after "because", "since", "so that", "as".
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field

from sqlite_utils import Database

from research.nlp import load_spacy

EXTRACTOR_VERSION = "2"  # part of the cache key: a change to the extraction re-parses stored utterances

ROLE_NOUNS = {
    "manager", "owner", "doctor", "pediatrician", "nurse", "agent", "rep", "representative", "salesperson", "clerk", "engineer", "technician",
    "inspector", "supplier", "accountant", "colleague", "friend", "neighbour", "neighbor", "sister", "brother", "daughter", "son", "husband",
    "wife", "partner", "mother", "father", "mom", "dad", "kid", "child", "staff", "member", "patient", "customer", "team", "boss", "director",
    "courier", "driver", "support", "assistant", "receptionist", "family", "parent", "cfo", "ceo", "board", "procurement", "it",
}
PLACE_NOUNS = {"store", "shop", "website", "site", "office", "home", "room", "studio", "clinic", "kitchen", "warehouse", "conference", "forum", "group", "page", "app"}
LIGHT_VERBS = {"be", "have", "do", "get", "go", "say", "tell", "know", "think", "make", "let", "want", "need", "can", "will", "would", "could", "should", "mean", "guess", "like"}
CAUSE_MARKERS = {"because", "since", "as", "cause"}
PLACEHOLDER = re.compile(r"\[[^\]]*\]|\[[^\]]*$|^[^\[]*\]")  # "[Company 1]" and pieces of one cut by a clause


@dataclass
class FiveWs:
    who: list[str] = field(default_factory=list)
    what: list[str] = field(default_factory=list)
    when: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)


def extract_five_ws(texts: dict[int, str]) -> dict[int, FiveWs]:
    """{id: FiveWs} for each text, parsed in one batch."""
    nlp = load_spacy()
    out = {}
    for key, doc in zip(texts, nlp.pipe(texts.values(), batch_size=256)):
        ws = FiveWs()
        for ent in doc.ents:
            text = ent.text.strip().lower()
            if "[" in text or "]" in text:
                continue
            if ent.label_ in ("DATE", "TIME"):
                ws.when.append(text)
            elif ent.label_ in ("GPE", "LOC", "FAC"):
                ws.where.append(text)
        for chunk in doc.noun_chunks:
            root = chunk.root.lemma_.lower()
            if "[" in chunk.text:
                continue
            if root in ROLE_NOUNS:
                ws.who.append(" ".join(t.lower_ for t in chunk if t.pos_ not in ("DET", "PRON") or t.lower_ in ("my", "our", "her", "his")).strip())
            elif root in PLACE_NOUNS:
                ws.where.append(root)
        ws.what = [t.lemma_.lower() for t in doc if t.pos_ == "VERB" and t.lemma_.lower() not in LIGHT_VERBS]
        for token in doc:
            if token.lower_ in CAUSE_MARKERS and token.dep_ == "mark":
                ws.why.append(_clause(doc, token))
            elif token.lower_ == "so" and token.dep_ in ("cc", "advmod", "mark") and token.head.pos_ == "VERB" and token.head.i > token.i:
                ws.why.append(_clause(doc, token))
        out[key] = FiveWs(*[sorted(set(filter(None, values))) for values in (ws.who, ws.what, ws.when, ws.where, ws.why)])
    return out


def _clause(doc, marker) -> str:
    """The clause a marker ("because", "so") opens, up to the end of its verb's phrase, without placeholders."""
    span = doc[marker.i : max(marker.head.right_edge.i, marker.i) + 1].text
    return " ".join(PLACEHOLDER.sub(" ", span).split()).strip(" ,.;").lower()


def stored_five_ws(db: Database, texts: dict[int, str]) -> dict[int, FiveWs]:
    """The 5 W's of utterances by id, parsed once per text and kept in study.db (`utterance_facts`)."""
    hashes = {key: hashlib.sha256(f"{EXTRACTOR_VERSION}\n{text}".encode()).hexdigest()[:16] for key, text in texts.items()}
    found: dict[int, FiveWs] = {}
    ids = list(texts)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in db.query(f"SELECT utterance_id, text_hash, five_ws FROM utterance_facts WHERE utterance_id IN ({','.join('?' * len(chunk))})", chunk):
            if hashes[row["utterance_id"]] == row["text_hash"]:
                found[row["utterance_id"]] = FiveWs(**json.loads(row["five_ws"]))
    missing = {key: texts[key] for key in ids if key not in found}
    if missing:
        fresh = extract_five_ws(missing)
        with db.atomic():
            db["utterance_facts"].upsert_all(({"utterance_id": key, "text_hash": hashes[key], "five_ws": json.dumps(asdict(ws))} for key, ws in fresh.items()), pk="utterance_id")
        found |= fresh
    return found
