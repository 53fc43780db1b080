"""What may name a theme: a 2-5 word phrase from the speakers' own parse, never the filler of conversational speech.

Candidates come from spaCy's dependency parse of each theme's utterances: noun phrases without their
determiners ("our office Wi-Fi" -> "office Wi-Fi"), a noun with its prepositional object ("yearly cost of
filters") and events told as a gerund with their object ("would not pair with our Wi-Fi" -> "pairing with
Wi-Fi"). Each candidate is embedded once (the packaged MiniLM) and scored KeyBERT-style: how close it lies to
its theme's centre, how much closer than to any other theme's, and how many of the theme's utterances say it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# Words that carry talk, not content, in any interview: hedges, fillers, back-channels, discourse
# markers and light verbs. A general list for spoken English, never fitted to one data set.
SPOKEN_FILLER = frozenset("""
    actually ah alright anyway anyways basically bit bunch certainly definitely did does doing don done
    eh er erm exactly fine gonna gotta guess guys hey hmm honestly huh just kind kinda know knew knowing
    like literally lot lots maybe mean means meant mhm mm mmm need needed oh okay ok people pretty
    probably quite really right said say saying says sort sorta stuff sure thing things think thinking
    thought totally uh um ve wanna want wanted way yeah yep yes
    going got get gets getting go goes gone went
""".split())

STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | SPOKEN_FILLER
TOKEN_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z-]+\b"  # words of two letters or more, hyphens kept ("wi-fi")
LIGHT_VERBS = frozenset("be have do make take give let put keep seem feel try use come look tell ask call start".split())  # say little as an event
PREPOSITIONS = frozenset("of for with on to about from in into at".split())
MODIFIERS = frozenset({"compound", "amod", "nmod"})

MAX_LABEL_WORDS = 5
SAME_MEANING = 0.75  # cosine at which two phrases count as saying the same thing
BREVITY = 0.05  # score given up per word
SPECIFICITY = 1.0  # weight of "closer to this theme than to any other" beside closeness to the theme's centre


@lru_cache(maxsize=1)
def phrase_nlp():
    """The packaged spaCy parser that keeps hyphenated words whole, so "wi-fi" is one noun."""
    import spacy

    from research.nlp import SPACY_MODEL
    from spacy.util import compile_infix_regex

    nlp = spacy.load(SPACY_MODEL, exclude=["ner"])
    nlp.tokenizer.infix_finditer = compile_infix_regex([p for p in nlp.Defaults.infixes if not re.search(p, "wi-fi")]).finditer
    return nlp


@dataclass
class Candidate:
    """One phrase, keyed by its lemmas, with the spellings speakers used and the utterances that say it."""

    forms: Counter = field(default_factory=Counter)
    said_in: set[int] = field(default_factory=set)

    @property
    def text(self) -> str:
        return max(self.forms.items(), key=lambda kv: (kv[1], -len(kv[0]), kv[0]))[0]


def label_themes(texts: list[list[str]], vectors: list[np.ndarray], taken: set[str] = frozenset()) -> list[str]:
    """A distinct 2-5 word label for each theme (its utterances' texts and unit embeddings), biggest themes first."""
    from research.embeddings import embed

    centres = np.stack([_unit(v.mean(axis=0)) for v in vectors])
    docs = parse([text for theme in texts for text in theme])
    per_theme = [phrases_of(theme, docs) for theme in texts]
    every = sorted({c.text for found in per_theme for c in found.values()})
    embedded = dict(zip(every, embed(every))) if every else {}
    taken, labels = {t.lower() for t in taken}, [""] * len(texts)
    for t in sorted(range(len(texts)), key=lambda t: -len(texts[t])):
        found = list(per_theme[t].values())
        matrix = np.stack([embedded[c.text] for c in found]) if found else np.zeros((0, 1))
        others = np.delete(centres, t, axis=0)
        scores = [_score(found[k].text, matrix[k], _support(found, matrix, k), centres[t], others) for k in range(len(found))]
        options = [found[k].text for k in sorted(range(len(found)), key=lambda k: (-scores[k], found[k].text))] + [_fallback(texts[t], vectors[t], centres[t])]
        labels[t] = _sentence_case(next((o for o in options if o.lower() not in taken), options[0]))
        taken.add(labels[t].lower())
    return labels


def _support(found: list[Candidate], matrix: np.ndarray, k: int) -> int:
    """How many of the theme's utterances say the phrase or one that means the same ("pairing with Wi-Fi", "Wi-Fi setup")."""
    alike = np.flatnonzero(matrix @ matrix[k] >= SAME_MEANING)
    return len(set().union(*(found[j].said_in for j in alike)))


def _score(text: str, vector: np.ndarray, support: int, centre: np.ndarray, others: np.ndarray) -> float:
    """KeyBERT-style closeness to the theme, plus how much closer than to the nearest other theme, times support;
    a shorter phrase wins a near tie ("public speaking" over "act of public speaking")."""
    near = float(vector @ centre)
    specific = near - (float(np.max(others @ vector)) if len(others) else 0.0)
    return max(near + SPECIFICITY * specific, 0.0) * support / (1 + BREVITY * len(text.split()))


def phrases_of(texts: list[str], docs: dict | None = None) -> dict[tuple, Candidate]:
    """{lemma key: Candidate} of the 2-5 word phrases in `texts`, from their parses (`docs`: parsed already, by text)."""
    docs = docs if docs is not None else parse(texts)
    found: dict[tuple, Candidate] = defaultdict(Candidate)
    gerunds = {t.lemma_.lower(): t.lower_ for text in texts for t in docs[text] if t.tag_ == "VBG"}  # as the speakers spell them
    for index, text in enumerate(texts):
        doc = docs[text]
        for key, phrase in _doc_phrases(doc, gerunds):
            if 2 <= len(phrase.split()) <= MAX_LABEL_WORDS:
                found[key].forms[phrase] += 1
                found[key].said_in.add(index)
    return dict(found)


def parse(texts: list[str]) -> dict:
    """{text: spaCy Doc}, each distinct text parsed once."""
    distinct = list(dict.fromkeys(texts))
    return dict(zip(distinct, phrase_nlp().pipe(distinct, batch_size=256)))


def _doc_phrases(doc, gerunds: dict[str, str]):
    """(key, text) for each noun phrase (and the shorter ones it ends with), noun with prepositional object and event."""
    for token in doc:
        if token.pos_ in ("NOUN", "PROPN") and token.dep_ not in MODIFIERS:
            words = _noun_phrase(token)
            for start in range(len(words)):  # "filter subscription invoice", "subscription invoice"
                yield tuple(_lemma(w) for w in words[start:]), _spelled(words[start:])
            for prep in (c for c in token.children if c.dep_ == "prep" and c.lower_ in PREPOSITIONS):
                yield from _with_object(words, prep)
        elif token.pos_ == "VERB" and token.lemma_.lower() not in LIGHT_VERBS | STOP_WORDS and _is_word(token) and not _passive(token):
            verb = " ".join([gerunds.get(token.lemma_.lower()) or gerund(token.lemma_.lower())] + [c.lower_ for c in token.children if c.dep_ == "prt"])
            for child in token.children:
                if child.dep_ == "dobj" and child.pos_ in ("NOUN", "PROPN"):
                    obj = _noun_phrase(child)
                    if obj:
                        yield ("event", token.lemma_.lower(), *(_lemma(w) for w in obj)), f"{verb} {_spelled(obj)}"
                elif child.dep_ == "prep" and child.lower_ in PREPOSITIONS:
                    obj = next((_noun_phrase(p) for p in child.children if p.dep_ == "pobj" and p.pos_ in ("NOUN", "PROPN")), [])
                    if obj:
                        yield ("event", token.lemma_.lower(), child.lower_, *(_lemma(w) for w in obj)), f"{verb} {child.lower_} {_spelled(obj)}"


def _passive(verb) -> bool:
    """"was certified for medical offices" tells no act of the speaker's: no event phrase."""
    return verb.tag_ == "VBN" or any(c.dep_ in ("auxpass", "nsubjpass") for c in verb.children)


def _with_object(words: list, prep):
    obj = next((_noun_phrase(p) for p in prep.children if p.dep_ == "pobj" and p.pos_ in ("NOUN", "PROPN")), [])
    if words and obj:
        yield (*(_lemma(w) for w in words), prep.lower_, *(_lemma(w) for w in obj)), f"{_spelled(words)} {prep.lower_} {_spelled(obj)}"


def _noun_phrase(head) -> list:
    """The head noun with the contiguous content modifiers right before it (no determiners, possessives or numbers)."""
    words = [head] if _is_word(head) else []
    for child in sorted((c for c in head.children if c.i < head.i), key=lambda c: -c.i):
        if child.i != (words[0].i if words else head.i) - 1 or child.dep_ not in MODIFIERS or not _is_word(child):
            break
        if child.pos_ not in ("NOUN", "PROPN", "ADJ", "VERB"):
            break
        words.insert(0, child)
    return words


def _is_word(token) -> bool:
    text = token.lower_
    return re.fullmatch(TOKEN_PATTERN, text) is not None and text not in STOP_WORDS and token.lemma_.lower() not in STOP_WORDS


def _lemma(token) -> str:
    return token.lemma_.lower() if token.pos_ == "NOUN" else token.lower_


def _spelled(tokens: list) -> str:
    return " ".join(t.text for t in tokens)


def gerund(verb: str) -> str:
    """The -ing form of a verb's lemma: "pair" -> "pairing", "charge" -> "charging", "ship" -> "shipping", "reset" -> "resetting"."""
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")) and len(verb) > 2:
        return verb[:-1] + "ing"
    stem = re.sub(r"^(re|un|up|out|over|under|mis|pre|for|be)(?=[^aeiou]*[aeiou][bdgmnprt]$)", "", verb)  # "reset" -> "set"
    if re.fullmatch(r"[^aeiou]*[aeiou][bdgmnprt]", stem):
        return verb + verb[-1] + "ing"
    return verb + "ing"


def _fallback(texts: list[str], vectors: np.ndarray, centre: np.ndarray) -> str:
    """When the theme's talk holds no phrase ("Thanks so much for having me"): the opening words of its most
    central utterance's first clause, without filler ("Thanks for having me")."""
    doc = phrase_nlp()(texts[int(np.argmax(vectors @ centre))])
    words = []
    for token in doc:
        if token.is_punct and words:
            break
        if token.pos_ not in ("INTJ", "ADV", "PUNCT", "SPACE") and token.lower_ not in SPOKEN_FILLER:
            words.append(token.text)
    return " ".join(words[:MAX_LABEL_WORDS]) if len(words) >= 2 else "Unnamed theme"


def spoken_words(words: list[str], texts: list[str]) -> list[str]:
    """The c-TF-IDF terms that speakers actually said as written (n-grams bridge removed stop words)."""
    return [w for w in words if " " not in w or any(_pattern(w).search(text) for text in texts)]


def _pattern(phrase: str) -> re.Pattern:
    return re.compile(r"\b" + r"[\s,]+".join(re.escape(w) for w in phrase.split()) + r"\b", re.IGNORECASE)


def _sentence_case(label: str) -> str:
    return label[:1].upper() + label[1:] if label[:1].islower() else label


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / (np.linalg.norm(vector) or 1.0)
