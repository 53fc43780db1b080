"""What may name a theme: content words and noun phrases, never the filler of conversational speech."""

from __future__ import annotations

import re
from collections import Counter
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

# Noun phrases for PartOfSpeech: up to three modifiers (adjective, noun, participle) before a head
# noun or gerund, e.g. "Wi-Fi pairing failures", "filter subscription", "router pairing".
_MODIFIER = {"TAG": {"IN": ["JJ", "NN", "NNS", "NNP", "NNPS", "VBG", "VBN"]}}
_HEAD = {"TAG": {"IN": ["NN", "NNS", "NNP", "NNPS", "VBG"]}}
NOUN_PHRASES = [[_MODIFIER | {"OP": "{1,3}"}, _HEAD], [_HEAD]]

MAX_LABEL_WORDS = 5


def is_content(phrase: str) -> bool:
    words = phrase.lower().split()
    return bool(words) and not any(w in STOP_WORDS or len(w) < 2 for w in words)


@lru_cache(maxsize=1)
def phrase_nlp():
    """The packaged spaCy tagger that keeps hyphenated words whole, so "wi-fi" is one noun."""
    import spacy

    from research.nlp import SPACY_MODEL
    from spacy.util import compile_infix_regex

    nlp = spacy.load(SPACY_MODEL, exclude=["ner", "parser", "lemmatizer"])  # noun phrases need only the tagger
    nlp.tokenizer.infix_finditer = compile_infix_regex([p for p in nlp.Defaults.infixes if not re.search(p, "wi-fi")]).finditer
    return nlp


def choose_label(phrases: list[str], words: list[str], texts: list[str], centre: np.ndarray, vectors: dict[str, np.ndarray], taken: set[str] = frozenset()) -> str:
    """A 2-5 word phrase naming a theme, in the speakers' own spelling, unlike the labels `taken` already.

    Each candidate noun phrase (with its embedding in `vectors`) scores by how many of the theme's
    utterances say it times how close it lies to the theme's centre; the best phrase of two words or
    more wins, else the two best content words.
    """
    candidates = [p for p in dict.fromkeys(phrases) if is_content(p) and len(p.split()) <= MAX_LABEL_WORDS]
    scored = sorted(
        ((_coverage(p, texts) * max(float(vectors[p] @ centre), 0.0), p) for p in candidates if len(p.split()) >= 2 and p in vectors and _coverage(p, texts) >= 2),
        reverse=True,
    )
    singles = list(dict.fromkeys(w for w in candidates + words if is_content(w) and " " not in w))
    options = [_surface_form(p, texts) for _, p in scored]
    options += [" and ".join(_surface_form(w, texts) for w in pair) for pair in zip(singles, singles[1:])]
    options += [_surface_form(p, texts) for p in candidates + words] or ["Theme"]
    return _sentence_case(next((o for o in options if _sentence_case(o).lower() not in taken), options[0]))


def spoken_words(words: list[str], texts: list[str]) -> list[str]:
    """The c-TF-IDF terms that speakers actually said as written (n-grams bridge removed stop words)."""
    return [w for w in words if " " not in w or _coverage(w, texts)]


def _pattern(phrase: str) -> re.Pattern:
    return re.compile(r"\b" + r"[\s,]+".join(re.escape(w) for w in phrase.split()) + r"\b", re.IGNORECASE)


def _coverage(phrase: str, texts: list[str]) -> int:
    pattern = _pattern(phrase)
    return sum(1 for text in texts if pattern.search(text))


def _surface_form(phrase: str, texts: list[str]) -> str:
    """The spelling speakers used most for a lower-cased phrase ("wi-fi pairing" -> "Wi-Fi pairing")."""
    pattern = _pattern(phrase)
    seen = Counter(m.group(0) for text in texts for m in pattern.finditer(text))
    return seen.most_common(1)[0][0] if seen else phrase


def _sentence_case(label: str) -> str:
    return label[:1].upper() + label[1:] if label[:1].islower() else label
