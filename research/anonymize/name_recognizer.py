"""A Presidio recognizer for the names spaCy's small model mislabels or misses.

It reads spaCy's analysis (Presidio's `nlp_artifacts`) and the name gazetteers:

- an entity spaCy calls an organisation, place, product or work ("Tomomi Nishiyama",
  "Kónya") is a person when it starts with a first name, or is at most three words
  that are all names;
- a capitalised proper noun outside any entity that is a name ("Shovda", "Logan"),
  with the initials and capitalised words that follow it ("Ravil G Yefimov");
- in lower-case text, a first name followed by a surname or a rare word
  ("eva kleist").
A place spaCy calls a place ("Paris", "Logan") stays a place.
"""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer, RecognizerResult

from research.anonymize.gazetteer import is_first_name, is_name, is_place, is_rare_word

RELABELLED = frozenset({"ORG", "GPE", "LOC", "FAC", "PRODUCT", "WORK_OF_ART", "EVENT"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
MAX_ALL_NAME_WORDS = 3
SCORE = 0.6


class GazetteerNameRecognizer(EntityRecognizer):
    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="GazetteerNameRecognizer")

    def load(self) -> None:  # the gazetteers load lazily, on first use
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        if nlp_artifacts is None or nlp_artifacts.tokens is None:
            return []
        doc = nlp_artifacts.tokens
        spans = [*_relabelled_entities(doc), *_proper_nouns(doc), *_lower_case_names(doc)]
        return [RecognizerResult("PERSON", start, end, SCORE) for start, end in spans]


def _words(span) -> list:
    return [token for token in span if token.is_alpha]


def _person_like(words: list) -> bool:
    if not words or not words[0].text[:1].isupper():
        return False
    if is_first_name(words[0].text):
        return True
    return len(words) <= MAX_ALL_NAME_WORDS and all(is_name(word.text) for word in words)


def _trimmed_end(span) -> int:
    """The end of a span without a trailing possessive or punctuation ("Szczepańska's")."""
    tokens = [token for token in span]
    while tokens and (tokens[-1].is_punct or tokens[-1].is_space or tokens[-1].text in ("'s", "’s")):
        tokens.pop()
    return tokens[-1].idx + len(tokens[-1].text) if tokens else span.end_char


def _relabelled_entities(doc):
    for entity in doc.ents:
        if entity.label_ in PLACE_LABELS and is_place(entity.text):
            continue  # "Paris" and "Logan" the places stay
        if entity.label_ in RELABELLED and _person_like(_words(entity)):
            yield entity.start_char, _trimmed_end(entity)


def _proper_nouns(doc):
    i = 0
    while i < len(doc):
        token = doc[i]
        if token.ent_type_ or token.pos_ != "PROPN" or not token.is_alpha or not token.text[:1].isupper() or not is_name(token.text):
            i += 1
            continue
        end = i + 1
        while end < len(doc) and doc[end].is_alpha and doc[end].text[:1].isupper() and not doc[end].ent_type_ and (len(doc[end]) == 1 or doc[end].pos_ == "PROPN"):
            end += 1
        yield token.idx, doc[end - 1].idx + len(doc[end - 1].text)
        i = end


def _lower_case_names(doc):
    for token in doc[:-1]:
        following = doc[token.i + 1]
        if not (token.is_lower and following.is_lower and following.is_alpha and is_first_name(token.text)):
            continue
        if is_name(following.text) or is_rare_word(following.text):
            yield token.idx, following.idx + len(following.text)
