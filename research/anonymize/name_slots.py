"""A Presidio recognizer for a rare word standing where the sentence puts a person.

Most names in speech come with no cue at all: "Temesgen replaced the valve", "I complained to
Oyinkansola", "so then chidera rang me back". spaCy's small model calls many of them
organisations or nothing. Two things together still tell:

- the slot: the word heads its noun phrase alone (no determiner, not qualifying a noun) as the
  subject of a verb that does something (not "be": "Shovda is very reliable", "Klaviyo was slow" say
  how a thing or a person is, and tell nothing), the object of a verb, the object of a preposition
  people are spoken to, with, from, by or for, a possessor, or an item coordinated with such a word;
- the word: no everyday word, no place, not shaped as a brand, and on the name lists, or seldom
  written (itself or its possessive: "Alzheimer's"), in Latin letters, no two English words run
  together ("Toolstation"), and spelled as names are for how often English writes it
  (`name_likeness.slot_score`: a brand seldom written is still written, most names of the world never
  are; its weight and cut-off are measured on held-out names and rare words).

In a text written all in lower case, as speech recognition may write it, the word must also be in
no dictionary; a first name must be seldom written.

These names are not cued: what the grammar calls a thing elsewhere in the interview ("Zurvo were
useless", "the Sorvik app") wins over them (one sense per discourse, in the detector).
"""

from __future__ import annotations

from presidio_analyzer import RecognizerResult

from research.anonymize.gazetteer import brand_shaped, is_common_word, is_dictionary_word, is_first_name, is_listed_name, is_place, is_rare_word
from research.anonymize.name_likeness import name_likeness
from research.anonymize.name_recognizer import PLACE_LABELS, DocRecognizer

SCORE = 0.6  # as the gazetteers': the words around do not call it a name, they only leave room for one
SLOTS = frozenset({"nsubj", "nsubjpass", "dobj", "dative", "poss", "appos"})
PERSON_PREPOSITIONS = frozenset({"to", "with", "from", "by", "for"})
COMPOUND_ZIPF = 3.5  # each part of a compound at least this common (about once in 300,000 words)
COMPOUND_PART = 4  # letters
NOT_PEOPLE = PLACE_LABELS | {"NORP", "DATE", "TIME", "MONEY", "QUANTITY", "CARDINAL", "ORDINAL", "PERCENT", "LAW", "LANGUAGE"}


class SlotNameRecognizer(DocRecognizer):
    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="SlotNameRecognizer")

    def find(self, text: str, doc) -> list[RecognizerResult]:
        lower_case = not any(char.isupper() for char in text)
        results = []
        for token in doc:
            if _in_a_person_slot(token) and (_lower_case_name(token) if lower_case else _capitalised_name(token)):
                start = _first_name_word(token, lower_case)
                results.append(RecognizerResult("PERSON", doc[start].idx, token.idx + len(token.text), SCORE))
        return results


def _in_a_person_slot(token) -> bool:
    """Heads its noun phrase alone in a subject's, object's, possessor's or listed item's place."""
    if token.ent_type_ in NOT_PEOPLE or any(child.dep_ in ("det", "poss", "amod", "nummod") for child in token.children):
        return False
    if token.dep_ == "conj":
        return token.head.i < token.i and _in_a_person_slot(token.head)
    if token.dep_ == "pobj":
        return token.head.lower_ in PERSON_PREPOSITIONS
    if token.dep_ == "nsubj" and token.head.lemma_ == "be":
        return False
    return token.dep_ in SLOTS


def _capitalised_name(token) -> bool:
    word = token.text
    return token.is_alpha and len(word) > 1 and word[0].isupper() and not token.is_upper and not token.is_stop and token.pos_ in ("PROPN", "NOUN") and spelled_as_a_name(word)


def _lower_case_name(token) -> bool:
    word = token.text
    if not (token.is_alpha and len(word) > 2 and not token.is_stop and token.pos_ in ("PROPN", "NOUN")) or is_dictionary_word(word, 0.0):
        return False
    return is_rare_word(word) if is_first_name(word) else spelled_as_a_name(word)


def spelled_as_a_name(word: str) -> bool:
    """A word that, in a person's place, is a name: no everyday word, place or brand shape, and on the name lists or
    spelled as names are for how often English writes it."""
    if is_common_word(word) or is_place(word) or brand_shaped(word):
        return False
    if is_listed_name(word):
        return True
    if not is_rare_word(word) or not _latin(word) or english_compound(word):
        return False
    return name_likeness().slot_score(word, _frequency(word)) > name_likeness().slot_above


def _latin(word: str) -> bool:
    """Latin letters, as the name lists are written: a word in another script is no word they can weigh."""
    return all(ord(char) < 0x250 for char in word)


def _frequency(word: str) -> float:
    """wordfreq's Zipf frequency of the word or of its possessive, whichever English writes more: "Alzheimer's",
    "Sainsbury's" are written mostly so."""
    from wordfreq import zipf_frequency

    return max(zipf_frequency(word, "en"), zipf_frequency(f"{word}'s", "en"))


def english_compound(word: str) -> bool:
    """Two everyday English words of four letters or more run together ("Toolstation", "Nukeville"), as things
    are named: measured on the held-out fifth of `name_likeness`, 0.7% of names split so and 8% of rare words."""
    from wordfreq import zipf_frequency

    key = word.casefold()
    return any(zipf_frequency(key[:i], "en") >= COMPOUND_ZIPF and zipf_frequency(key[i:], "en") >= COMPOUND_ZIPF for i in range(COMPOUND_PART, len(key) - COMPOUND_PART + 1))


def _first_name_word(token, lower_case: bool) -> int:
    """The index where the name starts: the name words compounded before it ("Selamawit Haile")."""
    start = token.i
    while start > 0 and token.doc[start - 1].dep_ == "compound" and token.doc[start - 1].head.i == token.i:
        before = token.doc[start - 1]
        if not (_lower_case_name(before) if lower_case else _capitalised_name(before)):
            break
        start -= 1
    return start
