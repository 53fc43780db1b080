"""Who an insight's headline speaks for: the participants whose own words mean what it says.

A group of similar parts is not a claim. The headline is the group's most central telling sentence (by
sentence embeddings, each participant counted once through their nearest sentence), and the count
claims a participant only when one of their own sentences is as close to the headline as sentences
about different experiences almost never are: the similarity floor is the 99th percentile of the
similarities between the codebook's examples of different journey stages (sentences written about
different experiences, never the study's own). The rest of the group is related, not counted.

Meaning alone is too loose for a count: MiniLM reads "I went to my own bank's website" and "I called my bank's
mortgage team directly" as one (cosine 0.68), and "The first filter subscription charge arrived" as what someone
means who says "the filter subscription confused me" (0.70). So a headline told with a feeling speaks only for the
participants who felt it (one of the emotions coded in its sentence), and a headline that tells what happened
without a feeling speaks only for those whose close sentence tells the same happening (shares one of its verbs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from research.codebook import Codebook

FALSE_MATCH = 0.01  # share of different-stage example pairs as close as the floor: a claim the floor lets through by chance
TELLING_WORDS = 6  # a headline tells an experience: "Disappointing." and "The move was fine." are central but say nothing
QUESTION = re.compile(r"[^.!?]*\?")


def telling(text: str) -> bool:
    """Whether a text tells an experience: `TELLING_WORDS` words or more besides any question in it. A customer's
    question to the interviewer ("Do you need me to sign anything for the voucher? No? Okay, lovely.") tells none."""
    return len(QUESTION.sub(" ", text).split()) >= TELLING_WORDS


@dataclass(frozen=True)
class Claim:
    """The headline's part (an index into the candidates) and the participants it speaks for."""

    headline: int
    claimed: frozenset[str]
    related: frozenset[str]


def similarity_floor(codebook: Codebook, model: str) -> float | None:
    """The similarity two sentences about different experiences reach only `FALSE_MATCH` of the time, from the
    codebook's examples of its ordered (stage) group; None when the codebook has fewer than two stages with examples.
    Computed from the codebook alone, so kept on disk (`research.computed`) and not embedded again on every build."""
    group = next((g for g in codebook.groups if g.ordered), None)
    examples = [(code.id, text) for code in group.codes for text in code.examples] if group else []
    if len({key for key, _ in examples}) < 2:
        return None
    return _kept_floor(tuple(examples), model)


@lru_cache(maxsize=8)
def _kept_floor(examples: tuple[tuple[str, str], ...], model: str) -> float:
    """The floor read from disk once per process: reading it back hashes its arguments and reads the libraries' versions,
    0.1 CPU-s on every map build."""
    from research.computed import kept, source_hash, versions

    return kept(_floor, [key for key, _ in examples], [text for _, text in examples], model, FALSE_MATCH,
                versions("sentence-transformers", "torch", "numpy"), source_hash(__file__))


def _floor(labels: list[str], texts: list[str], model: str, false_match: float, _versions: tuple, _source: str) -> float:
    from research.embeddings import embed

    vectors = embed(texts, model)
    keys = np.array(labels)
    different = (vectors @ vectors.T)[keys[:, None] != keys[None, :]]
    return float(np.quantile(different, 1 - false_match))


@dataclass(frozen=True)
class Said:
    """One sentence of one participant, as a claim reads it: its meaning (a unit vector), which way it was felt (-1, 0,
    +1, with its answer), the emotions it names that way, and the verbs that tell what happened in it."""

    participant: str
    text: str
    vector: np.ndarray
    felt: int = 0
    emotions: frozenset[str] = frozenset()
    verbs: frozenset[str] = frozenset()


LIGHT_VERBS = frozenset({"be", "have", "do", "get", "say", "tell", "think", "know", "keep", "seem", "let", "want", "need", "try", "start", "feel"})
"""Verbs that tell no happening of their own ("The adviser said …", "I think …"): never the verb a claim is matched on.
Unlike the 5 W's light verbs (`research.fivews`), "go" and "make" count here: "I went to my own bank's website" is what
someone did."""


COMPLEMENTS = frozenset({"dobj", "attr", "acomp"})
CONTENT = frozenset({"NOUN", "PROPN"})  # a thing had or been; how it was (an adjective) is the feeling, read apart


ATTRIBUTE = "="  # marks what a light verb says something has or is ("=rating"), apart from the verbs of what happened


def verbs_of(docs: list) -> list[frozenset[str]]:
    """Each parsed sentence's predicates: its content verb lemmas ("I called my bank's mortgage team" → {"call"}), and
    where a light verb carries a clause, the thing it says something has or is, marked `ATTRIBUTE` ("The Aeropure had
    the best filter rating" → {"=rating"}; "There was a long wait" → {"=wait"})."""
    return [frozenset(_predicates(doc)) for doc in docs]


def _predicates(doc) -> list[str]:
    out = []
    for t in doc:
        lemma = t.lemma_.lower()
        if t.pos_ == "VERB" and lemma not in LIGHT_VERBS:
            out.append(lemma)
        elif t.pos_ in ("VERB", "AUX") and lemma in LIGHT_VERBS:
            out += [ATTRIBUTE + c.lemma_.lower() for c in t.children if c.dep_ in COMPLEMENTS and c.pos_ in CONTENT]
    return out


def _attribute_only(verbs: frozenset[str]) -> bool:
    """A sentence that says what something has or is, and no happening ("The Aeropure had the best filter rating")."""
    return bool(verbs) and all(v.startswith(ATTRIBUTE) for v in verbs)


def claim(said: list[Said], candidates: list[int], floor: float) -> Claim:
    """The candidate sentence that most other participants' nearest sentences reach at `floor` (ties: the most central, by
    the mean of those nearest similarities; then the earlier candidate), and whom it speaks for.

    A sentence says what a candidate says when it is as close as `floor`, not felt the other way (sentence embeddings
    read "the funds were sent late" and "the money arrived on time" as the same, cosine 0.65), and, where the candidate
    names no feeling, shares one of its verbs. A candidate that names a feeling speaks only for participants who felt
    one of its emotions in the group and, where it only says what something has or is ("The Aeropure had the best
    filter rating", trust), for sentences that say the same of it: trusting a supplier's recommendation is not that."""
    texts = [s.text for s in said]
    heads = [i for i in candidates if telling(texts[i])] or candidates
    vectors = np.stack([s.vector for s in said])
    similarity = vectors[heads] @ vectors.T  # each candidate against every sentence
    felt = np.array([s.felt for s in said])
    similarity = np.where(felt[None, :] * felt[heads][:, None] < 0, -1.0, similarity)
    people = sorted({s.participant for s in said})
    owner = np.array([people.index(s.participant) for s in said])
    felt_by = [frozenset().union(*(s.emotions for s in said if s.participant == p)) for p in people]
    for row, i in enumerate(heads):
        head = said[i]
        if head.emotions:
            similarity[row, [not head.emotions & felt_by[n] for n in owner]] = -1.0
        if head.emotions and _attribute_only(head.verbs):  # felt about what something has: only who says it has that
            similarity[row, [not head.verbs & s.verbs for s in said]] = -1.0
        elif not head.emotions and head.verbs:
            similarity[row, [not head.verbs & s.verbs for s in said]] = -1.0
    nearest = np.full((len(heads), len(people)), -1.0)  # each participant's closest sentence to each candidate
    for n in range(len(people)):
        nearest[:, n] = similarity[:, owner == n].max(axis=1)
    nearest[np.arange(len(heads)), owner[heads]] = 1.0  # a candidate speaks for its own speaker
    reached = (nearest >= floor).sum(axis=1)
    others = (nearest.sum(axis=1) - 1.0) / max(len(people) - 1, 1)  # mean nearest similarity of the other participants
    best = max(range(len(heads)), key=lambda k: (int(reached[k]), float(others[k]), -k))
    claimed = frozenset(p for n, p in enumerate(people) if nearest[best, n] >= floor)
    return Claim(heads[best], claimed, frozenset(people) - claimed)
