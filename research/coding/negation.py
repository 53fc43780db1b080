"""What a negation in a short text applies to, told by reading what it denies.

"It wasn't a hassle to switch", "Nothing went wrong", "I didn't have to chase anyone" say that something
negative did not happen; "The parcel never arrived", "The staff weren't much help" complain by denying
something expected. Read alone, what the first kind denies ("a hassle to switch", "went wrong") is felt
negative and what the second denies ("arrived", "much help") is not: a negative feeling of the text that
the denied words carry on their own belongs to them, and the negation takes it away (as VADER flips a negated
lexicon word, Hutto and Gilbert 2014, with the emotion model as the lexicon). Unless the text is negative
outside the negation's scope too: "it is loud, nothing like the advert" stays a complaint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from spacy.tokens import Doc

NEGATORS = {"not", "n't", "never", "nobody", "nothing", "none", "nowhere", "neither", "nor"}  # and "no" as a determiner, "without" as a preposition
STEMS = {"wo": "will", "ca": "can", "sha": "shall"}  # "won't", "can't", "shan't" as the tokenizer splits them
SCOPE_ENDS = {",", ";", ":", ".", "!", "?", "but", "and", "so", "because", "though", "although", "yet"}


@dataclass(frozen=True)
class Negated:
    denied: str  # the words in the negations' scopes, each from after its negator to its clause's end
    outside: str  # the text without the negations and their scopes


def negated(doc: Doc) -> Negated | None:
    """What the text denies and what it says outside its negations; None when it negates nothing. Reads tags,
    not the parse (the rules' Docs may be unparsed)."""
    negators = [_negates(token) for token in doc]
    if not any(negators):
        return None
    denied, outside, in_scope = [], [], False
    for token, negator in zip(doc, negators):
        in_scope = negator or (in_scope and token.lower_ not in SCOPE_ENDS)
        text = STEMS[token.lower_] if token.lower_ in STEMS and token.i + 1 < len(doc) and doc[token.i + 1].lower_ == "n't" else token.text
        (denied if in_scope else outside).append("" if negator else text)
    return Negated(_sentence(denied), _sentence(outside))


def without_negated(confidence: np.ndarray, denied: np.ndarray, outside: np.ndarray, negative: np.ndarray, positive: np.ndarray, felt: float, asserted: np.ndarray) -> np.ndarray:
    """`confidence` (texts, codes) of negated texts with their negative codes cleared where what they deny is
    felt negative on its own (`denied`: a negative code reaches `felt` and beats every positive one) and what
    they say outside the negations is not (`outside`: no negative code reaches `felt`). A code `asserted` by a
    keyword that holds the negation itself ("don't know", "no idea": the codebook says what the negation means)
    stays."""
    out = confidence.copy()
    denies_negative = (denied[:, negative].max(axis=1) >= felt) & (denied[:, negative].max(axis=1) > denied[:, positive].max(axis=1, initial=0.0))
    cleared = (denies_negative & ~(outside[:, negative] >= felt).any(axis=1))[:, None] & negative[None, :] & ~asserted
    out[cleared] = 0.0
    return out


def says_negation(phrase: str) -> bool:
    """Whether a phrase holds a negation ("don't know", "cannot tell", "no idea", "without any fuss")."""
    words = re.findall(r"[a-z]+(?:'t)?", phrase.lower())
    return any(word in NEGATORS | {"no", "without", "cannot"} or word.endswith("n't") for word in words)


def _negates(token) -> bool:
    lower = token.lower_
    return lower in NEGATORS or (lower == "no" and token.tag_ == "DT") or (lower == "without" and token.pos_ == "ADP")


def _sentence(words: list[str]) -> str:
    """Words joined as a sentence is written; empty when no word is left."""
    text = re.sub(r" (?=[,;:.!?]|n't\b|')", "", " ".join(word for word in words if word)).strip(" ,;:")
    text = re.sub(r"[,;:]+(?=[.!?]?$)", "", text)
    return text[:1].upper() + text[1:] if any(c.isalnum() for c in text) else ""
