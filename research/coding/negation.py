"""What a negation in a short text denies: a trouble ("It wasn't a hassle to switch", "Nothing went wrong", "I
didn't have to chase anyone"), or something the customer was due ("The parcel never arrived", "Nobody bothered to
ring me back", "I couldn't get through to anyone for two days").

The parse gives the core each negation denies: the negated word with its object or complement, without the
adverbials, clauses and prepositional phrases that carry the topic ("a hassle", "went wrong", "get through",
"ring me back"). Read alone by the emotion models, a trouble's core is felt negative and a due act's is not: a
negative feeling of the text then belongs to the trouble, and the negation takes it away (as VADER flips a negated
lexicon word, Hutto and Gilbert 2014, with the emotion models as the lexicon). Where the core alone misleads
("explain" reads as confusion), the whole text said without its negations ("The letter did explain the charge")
feeling clearly better than as said shows the negation denied something due. A text negative outside the
negation's scope stays a complaint ("it is loud, nothing like the advert").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from spacy.tokens import Doc

NEGATORS = {"not", "n't", "never", "nobody", "nothing", "none", "nowhere", "neither", "nor"}  # and "no" as a determiner, "without" as a preposition
STEMS = {"wo": "will", "ca": "can", "sha": "shall"}  # "won't", "can't", "shan't" as the tokenizer splits them
SCOPE_ENDS = {",", ";", ":", ".", "!", "?", "but", "and", "so", "because", "though", "although", "yet"}
COMPLEMENTS = {"dobj", "dative", "attr", "acomp", "oprd"}  # what completes a verb's meaning
PHRASE_PARTS = {"det", "amod", "compound", "nummod", "poss", "pobj", "prt", "dobj", "dative"}  # "a hard time", "worth the money"
OBLIGATION = {"have", "need"}  # "didn't have to", "didn't need to": nothing had to be done
AFFIRMED = {"nobody": "somebody", "nothing": "something", "none": "some", "nowhere": "somewhere", "neither": "either", "nor": "or",
            "no": "some", "without": "with", "anyone": "someone", "anybody": "somebody", "anything": "something", "any": "some", "anywhere": "somewhere"}
DROPPED = {"not", "n't", "never", "ever"}
AFFIRMED_GAIN = 0.2  # valence by which a text said without its negation must feel better for the negation to have denied what was due


@dataclass(frozen=True)
class Denial:
    core: str  # what a negation denies, at its core ("ring me back", "a hassle")
    lifted: bool  # an obligation lifted ("didn't have to chase anyone")


@dataclass(frozen=True)
class Negated:
    affirmed: str  # the text said without its negations ("Somebody bothered to ring me back")
    outside: str  # the text without the negations and their scopes


def negated(doc: Doc) -> Negated | None:
    """The text said without its negations, and what it says outside them; None when it negates nothing. Reads
    tags, not the parse (the rules' Docs may be unparsed)."""
    negators = [_negates(token) for token in doc]
    if not any(negators):
        return None
    affirmed, outside, in_scope = [], [], False
    for token, negator in zip(doc, negators):
        in_scope = negator or (in_scope and token.lower_ not in SCOPE_ENDS)
        text = STEMS[token.lower_] if token.lower_ in STEMS and token.i + 1 < len(doc) and doc[token.i + 1].lower_ == "n't" else token.text
        affirmed.append(_affirmed(token, text))
        outside.append("" if in_scope else text)
    return Negated(_sentence(affirmed), _sentence(outside))


def denied(doc: Doc) -> list[Denial]:
    """What each negation of a parsed text denies, at its core: the word it negates with that word's object,
    particle or complement, without adverbials, clauses or prepositional phrases ("Nobody bothered to ring me back"
    denies "ring me back", "I couldn't get through to anyone for two days" "get through", "It wasn't a hassle to
    switch" "a hassle", "There were no hidden fees on the statement" "hidden fees"). A verb that only leads to
    another ("bothered to", "have to") gives way to it; a negated "have to" or "need to" lifts an obligation."""
    out = []
    for token in doc:
        if not _negates(token) or token.lower_ == "nor":
            continue
        head, lifted = _denied_head(token), False
        if head is None:
            continue
        while head.pos_ in ("VERB", "AUX") and not _complements(head) and (follow := _leads_to(head)) is not None:
            lifted |= head.lemma_ in OBLIGATION
            head = follow
        if head.pos_ in ("VERB", "AUX"):
            copula = head.lemma_ == "be" and _complements(head)
            core = ([] if copula else [head, *(t for t in head.children if t.dep_ == "prt")]) + [t for child in _complements(head) for t in _phrase(child)]
        else:
            core = _phrase(head)
        text = " ".join(t.text for t in sorted(core, key=lambda t: t.i) if not _negates(t))
        out.append(Denial(text, lifted))
    return out


def denies_trouble(core: np.ndarray, lifted: bool, gain: float, negative: np.ndarray, positive: np.ndarray, felt: float) -> bool:
    """Whether a denial is of a trouble: an obligation lifted, or its core read alone (`core` per code) is felt
    negative (a negative code reaches `felt` and beats every positive one), unless the whole text said without its
    negations feels clearly better than as said (`gain`, in valence, above AFFIRMED_GAIN: "The letter didn't
    explain the charge", where "explain" alone reads as confusion)."""
    worst = core[negative].max(initial=0.0)
    return lifted or bool(worst >= felt and worst > core[positive].max(initial=0.0) and gain <= AFFIRMED_GAIN)


def without_negated(confidence: np.ndarray, troubles: np.ndarray, outside: np.ndarray, negative: np.ndarray, felt: float, asserted: np.ndarray) -> np.ndarray:
    """`confidence` (texts, codes) of negated texts with their negative codes cleared where the negation denies a
    trouble (`troubles`, see `denies_trouble`) and what they say outside the negations is not felt negative
    (`outside`: no negative code reaches `felt`). A code `asserted` by a keyword that holds the negation itself
    ("don't know", "no idea": the codebook says what the negation means) stays."""
    out = confidence.copy()
    cleared = (troubles & ~(outside[:, negative] >= felt).any(axis=1))[:, None] & negative[None, :] & ~asserted
    out[cleared] = 0.0
    return out


def says_negation(phrase: str) -> bool:
    """Whether a phrase holds a negation ("don't know", "cannot tell", "no idea", "without any fuss")."""
    words = re.findall(r"[a-z]+(?:'t)?", phrase.lower())
    return any(word in NEGATORS | {"no", "without", "cannot"} or word.endswith("n't") for word in words)


def _negates(token) -> bool:
    lower = token.lower_
    return lower in NEGATORS or (lower == "no" and token.tag_ == "DT") or (lower == "without" and token.pos_ == "ADP")


def _denied_head(token):
    """The word a negator negates: "no trouble", "No one answered" (the answering), "Nothing went wrong" (the going
    wrong), "Not once has it let us down" (the letting down), "without any fuss"; None when it negates nothing."""
    if token.lower_ == "without":
        return next((child for child in token.children if child.dep_ in ("pobj", "pcomp")), None)
    head = token.head
    if token.dep_ in ("nsubj", "nsubjpass") or (token.lower_ == "no" and head.dep_ in ("nsubj", "nsubjpass")):
        head = head.head if token.lower_ == "no" else head
    while head.head.i != head.i and (head.dep_ == "aux" or (head.dep_ in ("advmod", "amod", "npadvmod") and head.pos_ in ("ADV", "ADJ"))):
        head = head.head
    return head


def _phrase(token) -> list:
    """A word with its determiners, modifiers, objects and particles, without clauses or adverbials."""
    return [token, *(t for child in token.children if child.dep_ in PHRASE_PARTS for t in _phrase(child))]


def _complements(verb) -> list:
    return [child for child in verb.children if child.dep_ in COMPLEMENTS]


def _leads_to(verb):
    return next((child for child in verb.children if child.dep_ == "xcomp" and child.pos_ in ("VERB", "AUX")), None)


def _affirmed(token, text: str) -> str:
    """A word as the text would say it without its negations: "nobody" → "somebody", "any" → "some"; a negator dropped."""
    lower = token.lower_
    if lower in DROPPED:
        return ""
    if lower in AFFIRMED and (lower not in ("no", "without") or _negates(token)):
        word = AFFIRMED[lower]
        return word.capitalize() if text[:1].isupper() else word
    return text


def _sentence(words: list[str]) -> str:
    """Words joined as a sentence is written; empty when no word is left."""
    text = re.sub(r" (?=[,;:.!?]|n't\b|')", "", " ".join(word for word in words if word)).strip(" ,;:")
    text = re.sub(r"[,;:]+(?=[.!?]?$)", "", text)
    return text[:1].upper() + text[1:] if any(c.isalnum() for c in text) else ""
