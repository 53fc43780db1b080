"""The 5 W's of an utterance with spaCy: who, what, when, where and why.

- who: people and roles mentioned, as phrases ("the store manager", "their daughter"), never a pseudonym placeholder;
- what: the activities, as a verb with its object ("pair the purifier with their Wi-Fi"): the object a noun
  chunk whose head is a content noun, so "have a" or "get a few" is no activity;
- when: points in time (spaCy DATE and TIME entities: "last summer", "a week later"), never a bare duration
  ("ten minutes", "a whole evening": how long, not when);
- where: places, venues and channels: a place name (GPE, LOC, FAC entity) that reads as one (after a
  preposition of place, or a GPE without an article: "in Ohio", "Denver"; spaCy also labels "the wildfire
  smoke" a place), or a place noun after a preposition of place ("in the waiting room", "on their website");
- why: reasons, whole clauses after "because", "since", "so that", "as" ("because of their allergies").

First-person words become third-person ("my daughter" → "their daughter"), so phrases from different
participants count together.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from sqlite_utils import Database

from research.nlp import parse
from research.text_facts import cached_per_text

EXTRACTOR_VERSION = "8"  # part of the cache key: a change to the extraction re-parses stored utterances

ROLE_NOUNS = {
    "manager", "owner", "doctor", "pediatrician", "nurse", "agent", "rep", "representative", "salesperson", "clerk", "engineer", "technician",
    "inspector", "supplier", "accountant", "colleague", "friend", "neighbour", "neighbor", "sister", "brother", "daughter", "son", "husband",
    "wife", "partner", "mother", "father", "mom", "dad", "kid", "child", "staff", "member", "patient", "customer", "team", "boss", "director",
    "courier", "driver", "support", "assistant", "receptionist", "family", "parent", "cfo", "ceo", "board", "procurement", "it",
}
PLACE_NOUNS = {  # kinds of place, venue and channel (general knowledge, not one study's words)
    "store", "shop", "showroom", "mall", "market", "supermarket", "pharmacy", "branch", "outlet", "counter", "desk", "bank", "restaurant", "cafe", "hotel",
    "office", "home", "house", "apartment", "flat", "room", "kitchen", "garage", "studio", "clinic", "hospital", "school", "campus", "warehouse", "factory",
    "site", "building", "city", "town", "country", "area", "neighbourhood", "neighborhood", "conference", "event", "fair", "expo",
    "website", "page", "app", "platform", "portal", "marketplace", "forum", "group", "feed", "chat", "phone", "email",
}
PLACE_PREPOSITIONS = {"in", "at", "on", "from", "to", "into", "onto", "near", "inside", "outside", "through", "via", "across", "around", "by", "within"}
TIME_UNITS = {"second", "minute", "hour", "day", "week", "fortnight", "month", "year", "decade", "century", "morning", "afternoon", "evening", "night", "weekend"}
PERIOD_NOUNS = TIME_UNITS | {"age", "ages", "era", "period", "epoch", "times"}  # "the Middle Ages" is a time, though spaCy may call it a place
AMOUNT_WORDS = {"a", "an", "one", "whole", "full", "entire", "few", "several", "couple", "of", "about", "almost", "nearly", "over", "around", "like"}
LIGHT_VERBS = {"be", "have", "do", "get", "go", "say", "tell", "know", "think", "make", "let", "want", "need", "can", "will", "would", "could", "should", "mean", "guess", "like"}
CAUSE_MARKERS = {"because", "since", "as", "cause"}
POSSESSIVE = {"my": "their", "our": "their", "mine": "theirs", "ours": "theirs", "me": "them", "us": "them", "myself": "themselves", "i": "they", "we": "they"}
PRONOUN_OBJECTS = {"it", "that", "this", "them", "something", "anything", "everything", "one", "what", "which", "me", "us", "you", "him", "her"}
VAGUE_NOUNS = {"lot", "bit", "kind", "sort", "type", "couple", "bunch", "number", "thing", "stuff", "way", "part", "piece", "load", "lots"}  # say what only with "of ..."
CHUNK_DEPS = {"det", "poss", "compound", "amod", "nmod", "nummod", "quantmod", "predet", "case", "npadvmod"}  # a noun chunk's words before its head
MAX_PHRASE = 8  # words in a verb phrase's object
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
    out = {}
    for key, doc in zip(texts, parse(list(texts.values()))):  # coding has parsed most of them already
        ws = FiveWs()
        for ent in doc.ents:
            text = _text(list(ent))  # names keep their capitals: "October", "LinkedIn"
            if "[" in text or "]" in text or _in_placeholder(ent.root):
                continue
            if ent.label_ in ("DATE", "TIME") and not _duration(ent):
                ws.when.append(text)
            elif ent.label_ in ("GPE", "LOC", "FAC") and ent.root.lower_ not in PERIOD_NOUNS and (_of_place(ent.root) or ent.label_ == "GPE" and ent[0].pos_ != "DET"):
                ws.where.append(text)
        for chunk in doc.noun_chunks:
            root = chunk.root.lemma_.lower()
            if "[" in chunk.text:
                continue
            if root in ROLE_NOUNS and chunk.root.pos_ in ("NOUN", "PROPN"):
                ws.who.append(" ".join(POSSESSIVE.get(t.lower_, t.lower_) for t in chunk if t.pos_ not in ("DET", "PRON") or t.lower_ in ("my", "our", "her", "his", "the")).strip())
        ws.where += [_place_phrase(t) for t in doc if t.lemma_.lower() in PLACE_NOUNS and t.ent_type_ not in ("GPE", "LOC", "FAC") and _of_place(t) and not _in_placeholder(t)]
        ws.what = [phrase for t in doc if t.pos_ == "VERB" and (phrase := verb_phrase(t))]
        for token in doc:
            if token.lower_ in CAUSE_MARKERS and token.dep_ == "mark" or token.lower_ == "because" and token.dep_ in ("prep", "mark", "advmod"):
                ws.why.append(_clause(doc, token))
            elif token.lower_ == "so" and token.dep_ in ("cc", "advmod", "mark") and token.head.pos_ == "VERB" and token.head.i > token.i:
                ws.why.append(_clause(doc, token))
        out[key] = FiveWs(*[sorted(set(filter(None, values))) for values in (ws.who, ws.what, ws.when, ws.where, ws.why)])
    return out


def _of_place(token) -> bool:
    """Whether a word is the object of a preposition of place ("in the waiting room", "on LinkedIn"), whatever its
    tag ("at a trade fair" tags "fair" an adjective)."""
    return token.dep_ == "pobj" and token.head.lower_ in PLACE_PREPOSITIONS


def _place_phrase(head) -> str:
    """A place noun with the nouns written before it that name its kind ("waiting room", "Facebook group"), no articles or possessives."""
    start = head.i
    while start > 0 and head.doc[start - 1].dep_ == "compound" and not _in_placeholder(head.doc[start - 1]) and "]" not in head.doc[start - 1].text:
        start -= 1
    words = [t.text if t.pos_ == "PROPN" else t.lower_ for t in head.doc[start : head.i]]
    return " ".join(words + [head.lemma_.lower()])


def _duration(ent) -> bool:
    """A bare stretch of time ("ten minutes", "a whole evening", "six months"): how long, not when; "a week later",
    "the night" and "last summer" are points in time."""
    rest = [t for t in ent if t.i != ent.root.i]
    return ent.root.lemma_.lower() in TIME_UNITS and all(t.like_num or t.lower_ in AMOUNT_WORDS for t in rest)


def verb_phrase(verb) -> str | None:
    """"pair the purifier with their Wi-Fi": a content verb's lemma, its particle, its object and its first
    prepositional object, each a noun chunk with a content head; None without such an object ("come up",
    "have a", "look into it"), for "be" (a state: "there was a lot of noise") and for placeholders."""
    lemma = verb.lemma_.lower()
    if lemma == "be" or _done_by_others(verb):
        return None
    particle = [c for c in verb.children if c.dep_ == "prt"]
    objects = [phrase for c in verb.children if c.dep_ in ("dobj", "attr", "dative") and (phrase := _object_phrase(c))]
    preps = [(c.lower_, phrase) for c in verb.children if c.dep_ == "prep"
             for g in c.children if g.dep_ == "pobj" and g.ent_type_ not in ("DATE", "TIME") and (phrase := _object_phrase(g))]
    if not (objects or preps):
        return None
    parts = [lemma] + [p.lower_ for p in particle] + objects[:1] + list(preps[0] if preps else ())
    if any("[" in p or "]" in p for p in parts):
        return None
    return " ".join(parts)


def _object_phrase(head) -> str | None:
    """The noun chunk `head` heads when the head is a content noun ("a forum post", "their Wi-Fi"); a vague
    noun says what only with its of-phrase ("a lot of noise"); None for pronouns, stop words and fragments."""
    letters = "".join(ch for ch in head.lower_ if ch.isalpha())
    if head.pos_ not in ("NOUN", "PROPN") or len(letters) < 2 or head.vocab[letters].is_stop or head.lower_ in PRONOUN_OBJECTS or _in_placeholder(head):
        return None  # "a." read as a noun is still the article; "[PHONE_1]" is no object
    if head.lemma_.lower() in VAGUE_NOUNS:
        of = next((g for c in head.children if c.dep_ == "prep" and c.lower_ == "of" for g in c.children if g.dep_ == "pobj"), None)
        inner = _object_phrase(of) if of is not None else None
        return f"{_phrase(head)} of {inner}" if inner else None
    return _phrase(head)


def _in_placeholder(token) -> bool:
    """Whether a token is part of a pseudonym placeholder ("[EMAIL_2]" parses as "[", "EMAIL_2", "]")."""
    return any(m.start() <= token.idx < m.end() for m in re.finditer(r"\[[^\]]*\]", token.doc.text))


def _done_by_others(verb) -> bool:
    """A verb whose subject is another person ("the courier left the boxes", "she swapped it"): what
    someone else did, not the customer's activity or the product's."""
    for subject in (c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")):
        if subject.lower_ in ("he", "she", "they", "someone", "somebody", "nobody", "everyone", "you") or subject.lemma_.lower() in ROLE_NOUNS or subject.ent_type_ == "PERSON":
            return True
    return False


def _phrase(head) -> str:
    """A noun's chunk: the words right before it that modify it (no clauses, fillers or punctuation) and itself,
    in the third person; a word written joined to the head ("Wi-Fi": "Wi", "-", "Fi") stays whole."""
    tokens = [head]
    for t in reversed(head.doc[head.left_edge.i : head.i]):
        inside = t.head.i in {k.i for k in tokens}
        modifies = t.dep_ in CHUNK_DEPS or t.dep_ == "advmod" and t.head.pos_ == "ADJ"  # "the really long wait"
        if t.text != "-" and (t.pos_ in ("PUNCT", "INTJ", "X", "SPACE") or not (inside and modifies)):
            break
        tokens.insert(0, t)
    following = [t for t in head.subtree if t.i > head.i]
    joined = ("compound", "amod", "nmod", "appos", "npadvmod", "nummod", "punct")
    while following and following[0].i == tokens[-1].i + 1 and (not tokens[-1].whitespace_ or following[0].dep_ in joined and following[0].text != ","):
        tokens.append(following.pop(0))
    return _text(tokens[-MAX_PHRASE:])


def _text(tokens) -> str:
    """Tokens as written (their own spacing, one space where words between them were left out), lower-cased
    except names, first person made third."""
    out = []
    for n, t in enumerate(tokens):
        word = POSSESSIVE.get(t.lower_, t.text if t.pos_ == "PROPN" or t.text[:1].isupper() and t.i != t.sent.start else t.lower_)
        adjacent = n + 1 < len(tokens) and tokens[n + 1].i == t.i + 1
        out.append(word + (t.whitespace_ if adjacent or n + 1 == len(tokens) else " "))
    return "".join(out).strip()


def _clause(doc, marker) -> str:
    """The whole clause a marker ("because", "so") opens, to the end of its phrase or its sentence, without placeholders."""
    end = max(marker.head.right_edge.i, marker.right_edge.i, marker.i)
    if end - marker.i < 3:
        end = marker.sent.end - 1
    return " ".join(PLACEHOLDER.sub(" ", _text(doc[marker.i : end + 1])).split()).strip(" ,.;")


def stored_five_ws(db: Database, texts: dict[int, str]) -> dict[int, FiveWs]:
    """The 5 W's of utterances by id, parsed once per text and kept in study.db (`utterance_facts`)."""
    stored = cached_per_text(db, "utterance_facts", "five_ws", EXTRACTOR_VERSION, texts, lambda missing: {k: asdict(ws) for k, ws in extract_five_ws(missing).items()})
    return {key: FiveWs(**value) for key, value in stored.items()}
