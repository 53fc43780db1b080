"""What a negation in a short text applies to, told by reading the text without it.

"It wasn't a hassle to switch", "Nothing went wrong", "I didn't have to chase anyone" say that something
negative did not happen; "The parcel never arrived", "The staff weren't much help" complain by negating
something expected. Read affirmed ("It was a hassle to switch", "Something went wrong", "The parcel
arrived"), the first kind is felt negative and the second is not: a negative feeling that the affirmed text
carries belongs to what was negated, and the negation takes it away (as VADER flips a negated lexicon word,
Hutto and Gilbert 2014, with the emotion model as the lexicon). Unless the text is negative outside the
negation's scope too: "it is loud, nothing like the advert" stays a complaint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from spacy.tokens import Doc

DROPPED = {"not", "n't", "never"}
SWAPS = {"nobody": "somebody", "nothing": "something", "none": "some", "nowhere": "somewhere", "without": "with", "neither": "either", "nor": "or"}
STEMS = {"wo": "will", "ca": "can", "sha": "shall"}  # "won't", "can't", "shan't" as the tokenizer splits them
SCOPE_ENDS = {",", ";", ":", ".", "!", "?", "but", "and", "so", "because", "though", "although", "yet"}


@dataclass(frozen=True)
class Negated:
    affirmed: str  # the text with its negators dropped and negative words turned positive
    outside: str  # the text without the negations' scopes (each from its negator to its clause's end)


def negated(doc: Doc) -> Negated | None:
    """The text affirmed, and what it says outside its negations; None when it negates nothing. Reads tags, not
    the parse (the rules' Docs may be unparsed)."""
    roles = [_role(token) for token in doc]
    if not any(roles):
        return None
    affirmed, outside, in_scope = [], [], False
    for token, role in zip(doc, roles):
        in_scope = bool(role) or (in_scope and token.lower_ not in SCOPE_ENDS)
        text = STEMS[token.lower_] if token.lower_ in STEMS and token.i + 1 < len(doc) and doc[token.i + 1].lower_ == "n't" else token.text
        if not in_scope:
            outside.append(text)
        if role != "drop":
            affirmed.append(SWAPS[token.lower_] if role == "swap" else text)
    return Negated(_sentence(affirmed), _sentence(outside))


def without_negated(confidence: np.ndarray, affirmed: np.ndarray, outside: np.ndarray, negative: np.ndarray, felt: float) -> np.ndarray:
    """`confidence` (texts, codes) of negated texts with their negative codes cleared where the text affirmed is
    felt negative (a negative code of `affirmed` reaches `felt`) and the text outside the negations is not."""
    out = confidence.copy()
    cleared = (affirmed[:, negative] >= felt).any(axis=1) & ~(outside[:, negative] >= felt).any(axis=1)
    out[np.ix_(cleared, negative)] = 0.0
    return out


def _role(token) -> str | None:
    """'drop' for a negator ("not", "n't", "never", the determiner "no"), 'swap' for a negative word with a
    positive twin ("nobody", "without"), else None."""
    lower = token.lower_
    if lower in DROPPED or (lower == "no" and token.tag_ == "DT"):
        return "drop"
    if lower in SWAPS and (lower != "without" or token.pos_ == "ADP"):
        return "swap"
    return None


def _sentence(words: list[str]) -> str:
    """Words joined as a sentence is written; empty when no word is left."""
    text = re.sub(r" (?=[,;:.!?]|n't\b|')", "", " ".join(words)).strip(" ,;:")
    text = re.sub(r"[,;:]+(?=[.!?]?$)", "", text)
    return text[:1].upper() + text[1:] if any(c.isalnum() for c in text) else ""
