"""A headline from a customer's own words: the sentence that carries a group's shared content, condensed.

The sentence is chosen by the words the group's participants share (weighted by how specific they are
to the group within its stage), then cut to its main clause with spaCy's parse, stripped of fillers
and told in the third person: "So I could not get it to pair with my Wi-Fi at all, you know." →
"They could not get it to pair with their Wi-Fi at all".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from research.nlp import load_spacy

WORD = re.compile(r"[a-z][a-z'-]+")
PLACEHOLDER = re.compile(r"\[[^\]]*\]")
# Spoken filler carries no content: never a reason to pick a sentence, never left at a headline's start.
FILLER = frozenset({
    "yeah", "yes", "okay", "ok", "oh", "um", "uh", "mm", "hmm", "like", "just", "really", "actually", "basically", "honestly", "literally",
    "totally", "pretty", "stuff", "thing", "things", "kind", "sort", "lot", "bit", "think", "know", "mean", "guess", "say", "said", "went",
    "going", "got", "get", "getting", "gonna", "wanna", "right", "well", "sure", "maybe", "probably", "anyway", "people", "way", "time",
    "good", "great", "thanks", "thank", "don't", "didn't", "it's", "i'm", "that's", "there's", "we're", "they're", "can't", "wasn't", "was",
})
STOP = ENGLISH_STOP_WORDS | FILLER
LEADING = frozenset({"so", "and", "but", "well", "then", "also", "honestly", "basically", "actually", "anyway", "like", "oh", "yeah", "okay",
                     "ok", "um", "uh", "or", "now", "plus"})
FILLER_PHRASES = re.compile(r",?\s*\b(you know|i mean|kind of|sort of|to be honest|i guess|i think)\b,?", re.IGNORECASE)
THIRD_PERSON = {"i": "they", "me": "them", "my": "their", "mine": "theirs", "myself": "themselves", "we": "they", "us": "them", "our": "their",
                "ours": "theirs", "ourselves": "themselves", "am": "are", "'m": "'re"}
MAX_WORDS = 22
COMPLEMENTS = frozenset({"acomp", "attr", "oprd", "ccomp", "xcomp", "dobj"})  # what lets a copula say something without its adverbial clause


@lru_cache(maxsize=1 << 16)  # a stage's texts are read again for each of its insights
def content_words(text: str) -> frozenset[str]:
    """Lower-case words that carry content: no stop words, no filler, no pseudonym placeholders."""
    return frozenset({w.strip("'-") for w in WORD.findall(PLACEHOLDER.sub(" ", text.lower())) if w not in STOP and len(w) > 2})


def shared_word_weights(group: list[tuple[str, str]], stage_texts: list[str]) -> dict[str, float]:
    """{word: weight} for a group of (participant, text): the share of the group's participants who use the
    word, times how specific it is to the group within its stage (inverse stage document frequency)."""
    by_participant: dict[str, set[str]] = {}
    for participant, text in group:
        by_participant.setdefault(participant, set()).update(content_words(text))
    people = Counter(w for words in by_participant.values() for w in words)
    stage_df = _document_frequency(tuple(stage_texts))
    total = max(len(stage_texts), 1)
    return {w: (n / len(by_participant)) * math.log(1 + total / stage_df[w]) for w, n in people.items() if stage_df[w]}


@lru_cache(maxsize=16)  # the same stage's texts for each of its insights
def _document_frequency(texts: tuple[str, ...]) -> Counter:
    return Counter(w for text in texts for w in content_words(text))


@dataclass(frozen=True)
class Candidate:
    """A sentence or clause a headline may be cut from: its words as said, its length in tokens and its `headline`."""

    text: str
    tokens: int
    headline: str


def candidates_of(doc) -> list[Candidate]:
    """A parsed text's headline candidates: each sentence and each of its clauses that has a subject of its own ("…,
    but the filter subscription confused me" offers "the filter subscription confused me"), unless it opens with a
    pronoun pointing back ("…, and it shows …" stays in its sentence), is under three tokens or asks a question (a
    question tells no experience)."""
    return [Candidate(c.text, len(c), headline(c)) for sentence in doc.sents for c in [sentence, *_clauses(sentence)]
            if (c is sentence or not points_back(c.text)) and len(c) >= 3 and not c.text.rstrip().endswith("?")]


def best_candidate(candidates: list[list[Candidate]], weights: dict[str, float]) -> tuple[int, Candidate] | None:
    """(which text, its candidate) that carries most of the weighted shared words, from each text's candidates."""
    best, best_score = None, -1.0
    for index, mine in enumerate(candidates):
        for candidate in mine:
            words = content_words(candidate.text)
            score = sum(weights.get(w, 0.0) for w in sorted(words)) / candidate.tokens ** 0.75  # long run-on sentences (no punctuation in speech) pay
            if score > best_score:
                best, best_score = (index, candidate), score
    return best


def best_sentence(texts: list[str], weights: dict[str, float]) -> tuple[int, Candidate] | None:
    """`best_candidate` of texts parsed now by spaCy's whole pipeline."""
    return best_candidate([candidates_of(doc) for doc in load_spacy().pipe(texts)], weights)


REFERRING = frozenset({"it", "this", "that", "these", "those", "he", "she", "they", "him", "her", "them"})
"""A clause or part that opens with one of these points back ("…, and it shows how many months I've knocked off the
term"): cut off, a reader cannot tell what "it" is, so its whole sentence is the candidate instead."""


def in_its_sentence(part: str, answer: str) -> str:
    """A part that opens with a pronoun pointing back ("it shows how many months I've knocked off the term", split off
    "I set up overpayments in the app, and it shows …") read in its whole sentence of the answer, so a headline made from
    it can say what "it" is; any other part as it is."""
    if not points_back(part):
        return part
    said = part.strip().rstrip(".!?").lower()
    return next((sentence for sentence in re.split(r"(?<=[.!?])\s+", answer.strip()) if said in sentence.lower() and len(sentence) > len(said) + 2), part)


def points_back(text: str) -> bool:
    """Whether a text opens with a pronoun that points back ("It shows …", "That's genuinely motivating")."""
    words = text.split()
    return bool(words) and re.split(r"['’]", words[0].lower().strip(",.;:!?"))[0] in REFERRING


BARE_FEELING = re.compile(r"^(?:i|we|they|he|she)(?:\s+(?:was|were|am|are|is|felt|feel|got|get)|['’](?:m|re))\s+(?:\w+\s+)?\w+[.!]*$", re.IGNORECASE)


def only_feels(text: str) -> bool:
    """Whether a text says only how someone felt ("I was livid.", "We were absolutely thrilled."): a headline made of it
    tells no experience."""
    return BARE_FEELING.match(text.strip()) is not None


def _clauses(sentence) -> list:
    """Clauses coordinated with the sentence's root or attached loosely after it, each with its own subject.
    A clause that is its head's only complement ("The subscription is | where it gets murky") stays: the head
    would be left saying nothing."""
    out = []
    for verb in sentence:
        if verb.dep_ in ("conj", "parataxis", "advcl") and verb.pos_ in ("VERB", "AUX") and any(c.dep_.startswith("nsubj") for c in verb.children) and not _completes(verb):
            inner = {t.i for c in verb.children if c.dep_ in ("conj", "parataxis") for t in c.subtree}
            tokens = [t.i for t in verb.subtree if t.i not in inner and t.dep_ not in ("cc", "mark") or t.i == verb.i]
            out.append(sentence.doc[min(tokens) : max(tokens) + 1])
    return out


def _completes(clause) -> bool:
    """Whether an adverbial clause is the predicate of the copula it hangs on ("That is when I knew")."""
    head = clause.head
    return clause.dep_ == "advcl" and head.lemma_ == "be" and not any(c.dep_ in COMPLEMENTS for c in head.children)


def headline(sentence) -> str:
    """A spaCy sentence cut to its main clause, without fillers, in the third person, with no final stop."""
    keep = _main_clause(sentence)
    words = []
    for token in keep:
        lower = token.lower_
        if lower in THIRD_PERSON and token.pos_ in ("PRON", "AUX", "DET"):
            word = THIRD_PERSON[lower]
        elif lower == "was" and any(child.lower_ == "i" for child in _clause_of(token).children if child.dep_.startswith("nsubj")):
            word = "were"
        else:
            word = token.text
        words.append(word + token.whitespace_)
    text = FILLER_PHRASES.sub("", "".join(words))
    tokens = text.split()
    while tokens and tokens[0].lower().strip(",.;:!?") in LEADING and len(tokens) > 4:
        tokens = tokens[1:]
    text = " ".join(tokens).strip(" ,;:-—.!?")
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    return text[:1].upper() + text[1:] if text else ""


def _clause_of(verb):
    """The token whose children hold a verb's subject: its head for an auxiliary ("I was going"), else itself ("I was
    furious"; "I told him it was worth it" keeps "it was")."""
    return verb.head if verb.dep_ in ("aux", "auxpass") else verb


def _main_clause(sentence) -> list:
    """The sentence's tokens; a long one loses the coordinated or subordinate clauses after its root."""
    tokens = [t for t in sentence if not (t.pos_ == "INTJ" and t.lower_ in FILLER) and not t.is_space]
    if len([t for t in tokens if not t.is_punct]) <= MAX_WORDS:
        return tokens
    root = sentence.root
    dropped: set[int] = set()
    for child in root.children:  # coordinated and loosely attached clauses after the root; never its complement
        if child.i > root.i and child.dep_ in ("conj", "parataxis", "cc", "advcl") and child.i - sentence.start >= 6:
            dropped |= {t.i for t in child.subtree}
    kept = [t for t in tokens if t.i not in dropped]
    content = [t for t in kept if not t.is_punct]
    if len(content) > MAX_WORDS:
        kept = kept[: kept.index(content[MAX_WORDS - 1]) + 1]
    return kept if len(content) >= 4 else tokens
