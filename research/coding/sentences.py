"""An answer's parts: its sentences, with clauses that have their own subject split off, each embedded and
emotion-coded on its own.

"Setup was easy. It paired with the studio Wi-Fi straight away. But on the high setting it is loud" feels
two ways about two things. The map groups parts, not whole answers, so an insight's evidence feels the
insight's way about the insight's subject. Parts are read at coding time by the coding engine's emotion
group, once per text, and kept in study.db (`utterance_sentences`).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlite_utils import Database

from research.codebook import Codebook
from research.journey.condense import _clauses
from research.nlp import parse
from research.text_facts import cached_per_text, kept_per_text

if TYPE_CHECKING:
    from research.coding.engine import CodingEngine

VERSION = "2"  # 2: denied troubles and plain states read as the engine's ENGINE_VERSION 12 reads them. Bump with ENGINE_VERSION: coding reads only the parts of interviews it codes, and an engine change makes the next `research code` recode them all
TABLE, COLUMN = "utterance_sentences", "parts"
MIN_WORDS = 3  # a shorter piece ("Yes, really") says nothing of its own, and stays with the part before it
SPEECH = {"say", "tell", "write", "claim", "mention", "post", "text", "email"}
FIRST_PERSON = {"i", "we"}
EDGE_DEPS = {"cc", "mark", "prep"}  # "…, but" and "… before" left at a piece's end when its clause is split off


@dataclass(frozen=True)
class StoredPart:
    text: str
    codes: tuple[str, ...]  # emotion codes felt in this part
    vector: np.ndarray  # unit sentence embedding (float32)


def version(codebook: Codebook) -> str:
    """The cache key's version: this reader's and the codebook's emotion group's (a changed codebook reads again)."""
    group = next((g for g in codebook.groups if g.at_least_one and g.kind == "multi"), None)
    return f"{VERSION}:{hashlib.sha256(repr(group).encode()).hexdigest()[:12]}"


def split_parts(doc) -> list[str]:
    """The parts of a parsed answer, in order: each sentence, with its subject-bearing clauses split off, each
    ending as a sentence does (the emotion model reads "Setup was easy." and "Setup was easy" differently).
    A clause shorter than MIN_WORDS is not split off ("The savings pots were lovely while they lasted." stays
    whole, with its "while"), and a piece left shorter stays with the part before it."""
    pieces: list[str] = []
    for sentence in doc.sents:
        clauses = [clause for clause in _clauses(sentence) if len([t for t in clause if not t.is_punct]) >= MIN_WORDS]
        inner = {t.i for clause in clauses for t in clause}
        for tokens in [[t for t in sentence if t.i not in inner], *([t for t in clause] for clause in clauses)]:
            while tokens and tokens[0].is_punct:
                tokens = tokens[1:]
            while tokens and (tokens[-1].dep_ in EDGE_DEPS or tokens[-1].is_punct):
                tokens = tokens[:-1]
            if not tokens:
                continue
            text = "".join(t.text_with_ws for t in tokens[:-1]) + tokens[-1].text
            stop = sentence[-1].text if sentence[-1].is_punct and tokens[-1].i == sentence[-1].i - 1 and sentence[-1].text in ".!?" else ""
            if pieces and len([t for t in tokens if not t.is_punct]) < MIN_WORDS:
                pieces[-1] = f"{pieces[-1]} {text}{stop}"
            else:
                pieces.append(text + stop)
    return [p if p.endswith((".", "!", "?")) else p + "." for p in pieces]


def reports_others(doc) -> bool:
    """Whether a part tells what someone else said ("A friend said she had one and loved it."): the feeling in
    it is theirs, not the speaker's."""
    return any(sentence.root.lemma_ in SPEECH and any(c.dep_ == "ccomp" for c in sentence.root.children)
               and any(c.dep_.startswith("nsubj") and c.lower_ not in FIRST_PERSON for c in sentence.root.children) for sentence in doc.sents)


def read_parts(texts: dict[int, str], engine: CodingEngine) -> dict[int, list[dict]]:
    """{utterance id: its parts as stored}: each part's text, emotion codes and embedding (float16, base64)."""
    unique = list(dict.fromkeys(texts.values()))
    split = {text: split_parts(doc) for text, doc in zip(unique, parse(unique))}
    answer_of = {p: text for text, parts in reversed(split.items()) for p in parts}  # a part told in two answers: the first's
    flat = list(dict.fromkeys(p for parts in split.values() for p in parts))
    vectors, codes = engine.feelings(flat, [answer_of[p] for p in flat])  # it parses the parts for their rules; parse() below gets those Docs back
    codes = [[] if reports_others(doc) else c for doc, c in zip(parse(flat), codes)]
    read = {p: {"text": p, "codes": c, "vector": base64.b64encode(v.astype(np.float16).tobytes()).decode()} for p, v, c in zip(flat, vectors, codes)}
    return {key: [read[p] for p in split[text]] for key, text in texts.items()}


def stored_parts(db: Database, codebook: Codebook, texts: dict[int, str], engine: CodingEngine) -> None:
    """Read and keep the parts of `texts` whose text (or the codebook's emotions) changed since they were last read."""
    cached_per_text(db, TABLE, COLUMN, version(codebook), texts, lambda missing: read_parts(missing, engine))


def load_parts(db: Database, codebook: Codebook, texts: dict[int, str]) -> dict[int, list[StoredPart]]:
    """{utterance id: parts} for those `texts` whose parts were read for this very text; the rest are absent."""
    return {uid: [StoredPart(p["text"], tuple(p["codes"]), np.frombuffer(base64.b64decode(p["vector"]), dtype=np.float16).astype(np.float32)) for p in parts]
            for uid, parts in kept_per_text(db, TABLE, COLUMN, version(codebook), texts).items()}
