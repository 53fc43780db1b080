"""A Presidio recognizer for the names spaCy's small model mislabels or misses.

It reads spaCy's analysis (Presidio's `nlp_artifacts`) and the name gazetteers:

- an entity spaCy calls an organisation, place, product or work ("Tomomi Nishiyama",
  "Kónya") is a person when it starts with a first name, or is at most three words
  that are all names;
- a capitalised proper noun outside any entity that is a name ("Shovda", "Logan"),
  with the initials and capitalised words that follow it ("Ravil G Yefimov");
- in lower-case text, a first name followed by a surname or a rare word, perhaps with a
  middle initial between ("eva kleist", "benjamin a seiler");
- a capitalised word spelled with letters English does not use, seldom written and no place
  ("Szász", "Hřibová").
A place spaCy calls a place ("Paris", "Logan") stays a place, and an institution named after
someone ("George Washington University", "the Washington Post") stays an institution. Other rare capitalised proper
nouns are reported as RARE_PROPER_NOUN, which the detector keeps only when organisations are
redacted too (they may be brands).
"""

from __future__ import annotations

import unicodedata

from presidio_analyzer import EntityRecognizer, RecognizerResult

from research.anonymize.gazetteer import is_common_word, is_dictionary_word, is_first_name, is_name, is_place, is_rare_word

RELABELLED = frozenset({"ORG", "GPE", "LOC", "FAC", "PRODUCT", "WORK_OF_ART", "EVENT"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
PROPER_NOUN = "RARE_PROPER_NOUN"  # kept only when the study redacts organisations too
MAX_ALL_NAME_WORDS = 3
INSTITUTIONS = frozenset("university college school academy institute hospital clinic foundation center centre museum library church cathedral bank post times journal herald tribune street avenue road bridge park airport station hotel company group inc ltd llc corporation award prize fund trust".split())
SCORE = 0.6


class DocRecognizer(EntityRecognizer):
    """A recognizer that reads spaCy's analysis of the text (Presidio's `nlp_artifacts`)."""

    def load(self) -> None:  # the gazetteers load lazily, on first use
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        if nlp_artifacts is None or nlp_artifacts.tokens is None:
            return []
        return self.find(text, nlp_artifacts.tokens)

    def find(self, text: str, doc) -> list[RecognizerResult]:
        raise NotImplementedError


class GazetteerNameRecognizer(DocRecognizer):
    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON", PROPER_NOUN], name="GazetteerNameRecognizer")

    def find(self, text: str, doc) -> list[RecognizerResult]:
        spans = [*_relabelled_entities(doc), *_proper_nouns(doc), *_lower_case_names(doc), *_foreign_spelled(doc, not any(char.isupper() for char in text))]
        results = [RecognizerResult("PERSON", start, end, SCORE) for start, end in spans]
        return results + [RecognizerResult(PROPER_NOUN, start, end, SCORE) for start, end in _rare_proper_nouns(doc)]


def _words(span) -> list:
    return [token for token in span if token.is_alpha]


def _person_like(words: list) -> bool:
    if not words or not words[0].text[:1].isupper() or (len(words) > 1 and words[-1].lower_ in INSTITUTIONS):
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
        if doc[end - 1].lower_ not in INSTITUTIONS:
            yield token.idx, doc[end - 1].idx + len(doc[end - 1].text)
        i = end


def _lower_case_names(doc):
    """A lower-case first name, perhaps a middle initial, then a surname or a rare word ("benjamin a seiler")."""
    for token in doc:
        if not (token.is_lower and is_first_name(token.text)):
            continue
        following = token.i + 1
        if following + 1 < len(doc) and len(doc[following]) == 1 and doc[following].is_alpha:  # a middle initial
            following += 2 if doc[following + 1].text == "." and following + 2 < len(doc) else 1
        if following < len(doc):
            last = doc[following]
            if last.is_lower and last.is_alpha and (is_name(last.text) or (is_rare_word(last.text) and not is_dictionary_word(last.text, 0.0))):  # not "peer purifier"
                yield token.idx, last.idx + len(last.text)


def _foreign_spelled(doc, lower_case: bool):
    """Capitalised words (any, in a lower-case text) spelled with letters English does not use,
    seldom written in English and no place ("Szász", "Hřibová", "vilhjálmsdóttir"): in English
    speech, a person's name."""
    for token in doc:
        if token.is_alpha and (token.text[:1].isupper() or lower_case) and not token.is_upper and token.ent_type_ not in PLACE_LABELS and _foreign(token.text) and is_rare_word(token.text) and not is_place(token.text):
            yield token.idx, token.idx + len(token.text)


def _foreign(word: str) -> bool:
    """Spelled with letters English does not use, and no English word without its accents ("café", "jalapeño")."""
    if not any(0xC0 <= ord(char) < 0x250 and char not in "×÷" for char in word):
        return False
    plain = "".join(char for char in unicodedata.normalize("NFKD", word) if not unicodedata.combining(char))
    return not is_dictionary_word(plain, 0.0) and not is_common_word(plain)


def _rare_proper_nouns(doc):
    """Capitalised proper nouns seldom written in English and in no gazetteer: an unknown name
    ("Shovda", "Warrane") or an unknown brand, so they are redacted only when the study also
    redacts organisations."""
    for token in doc:
        if token.pos_ == "PROPN" and token.is_alpha and token.text[:1].isupper() and not token.is_upper and token.ent_type_ != "PERSON" and is_rare_word(token.text):
            yield token.idx, token.idx + len(token.text)
