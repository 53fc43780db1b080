"""A Presidio recognizer for what a sentence's grammar says a capitalised word is.

A person (PERSON):
- in apposition to a role noun, set off by commas: "Our engineer, Oyelaran, came out", "the
  nurse on the ward, Thandiwe, explained"; or, as speech recognition often writes it, with none
  ("our engineer Oyelaran came out");
- before a relative clause for people: "Marika who's not here today", "Tadesse, whose son ...";
  before "that" only when it is on a name list ("Priya that works nights");
- coordinated with I or me: "Mthunzi and I", "me and Tsegaye";
- a first name written in lower case in a text that is not, as speech recognition sometimes
  writes one ("I talked to bohdan at the counter"): on the first-name lists, seldom written and
  in no dictionary.

A thing (NOT_A_PERSON), which the detector uses to drop a PERSON that only spaCy or the
gazetteers found:
- in apposition to a determined noun that is no role or relative: "Our bank, Monzo,";
- an item of a list that holds an everyday word on no name list: "Dyson, Shark and Vax",
  "Eco, Boost and Night";
- one word right after an article, heading its noun phrase: "The Vortana that we bought" (not
  "the Nwachukwu family", where the name qualifies a noun, "the engineer Kwame", or a family
  on the name lists: "the Haynes have installed ionizers");
- a word the grammar treats as an organisation (`org_cues`): "Zurvo were useless", "the Sorvik
  app", "paid with Zembla".
The words must be shaped as names: capitalised, not all capitals, not shaped as a brand.
"""

from __future__ import annotations

from presidio_analyzer import RecognizerResult

from research.anonymize.gazetteer import brand_shaped, is_common_word, is_dictionary_word, is_first_name, is_listed_name, is_name, is_place, is_rare_word
from research.anonymize.name_context import THING_DETERMINERS, _candidate, _list_items, list_of_things
from research.anonymize.name_recognizer import DocRecognizer
from research.anonymize.org_cues import org_cues, plural
from research.anonymize.roles import is_role_noun
from research.anonymize.spoken import FAMILY_WORDS, RELATIVES

NOT_A_PERSON = "NOT_A_PERSON"
SCORE = 0.9  # as the context recognizer's: the grammar says it is a name
PEOPLE_RELATIVES = frozenset({"who", "who's", "whose", "who’s"})
FIRST_PERSON = frozenset({"i", "me", "myself"})
CLOSERS = frozenset({",", ".", "!", "?", ";", "—", "–"})
RELATIONS = FAMILY_WORDS | frozenset(word.replace("?", "") for word in RELATIVES) | {"youngest", "eldest", "oldest", "one", "ones"}  # "our son, Mateo" is the relation recognizer's
MAX_NAME_WORDS = 3
ARTICLES = frozenset({"the", "a", "an", "this", "that", "these", "those"})  # not "our": "our Priya" is a person


class GrammarNameRecognizer(DocRecognizer):
    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON", NOT_A_PERSON], name="GrammarNameRecognizer")

    def find(self, text: str, doc) -> list[RecognizerResult]:
        people = [*_in_apposition(doc, person=True), *_after_a_role(doc), *_before_relative_clause(doc), *_with_first_person(doc)]
        if any(char.isupper() for char in text):
            people += list(_lower_case_first_names(doc))
        things = [*_in_apposition(doc, person=False), *_listed_with_things(doc), *_after_an_article(doc), *org_cues(doc)]
        return [RecognizerResult("PERSON", start, end, SCORE) for start, end in people] + [RecognizerResult(NOT_A_PERSON, start, end, SCORE) for start, end in things]


def _shaped(token) -> bool:
    return token.is_alpha and len(token) > 1 and token.text[0].isupper() and not token.is_upper and not token.is_stop and not brand_shaped(token.text)


def _name_word(token) -> bool:
    """A capitalised word that could be a name: a listed name that is no place, or a rare word that is no place."""
    return _shaped(token) and (_candidate(token.text) or (is_listed_name(token.text) and not is_place(token.text)))


def _run(doc, start: int) -> int:
    """The end of the run of name words (hyphenated parts joined: "Ji-eun", "Seo-yeon") from `start`."""
    end, words = start, 0
    while end < len(doc) and words < MAX_NAME_WORDS:
        if _name_word(doc[end]) or (words == 0 and doc[end].is_alpha and doc[end].text[:1].isupper() and _hyphenated_name(doc, end)):
            words += 1
            end += 1
            while end + 1 < len(doc) and doc[end].text == "-" and not doc[end].whitespace_ and doc[end + 1].is_alpha and doc[end - 1].whitespace_ == "":
                end += 2
        else:
            break
    return end


def _hyphenated_name(doc, i: int) -> bool:
    """"Ji-eun": a capitalised part joined by a hyphen to a lower-case one, neither an everyday word."""
    return i + 2 < len(doc) and doc[i + 1].text == "-" and not doc[i].whitespace_ and not doc[i + 1].whitespace_ and doc[i + 2].is_lower and not is_common_word(doc[i].text) and not is_common_word(doc[i + 2].text)


def _span(doc, start: int, end: int) -> tuple[int, int]:
    return doc[start].idx, doc[end - 1].idx + len(doc[end - 1].text)


def _noun_before_comma(doc, comma: int):
    """The noun phrase's head before a comma: "the nurse on the ward," is the nurse's."""
    if comma < 1:
        return None
    noun = doc[comma - 1]
    while noun.dep_ == "pobj" and noun.head.dep_ == "prep" and noun.head.head.pos_ in ("NOUN", "PROPN") and noun.head.head.i < noun.i:
        noun = noun.head.head
    return noun if noun.pos_ in ("NOUN", "PROPN") and noun.is_lower else None


def _in_apposition(doc, person: bool):
    """Name words between commas after a role noun (person) or a determined noun that is no role or relative (thing)."""
    for comma in (token.i for token in doc if token.text == ","):
        noun = _noun_before_comma(doc, comma)
        if noun is None:
            continue
        start = comma + 1
        end = _run(doc, start) if person else _thing_run(doc, start)
        if end == start or (end < len(doc) and doc[end].text not in CLOSERS):
            continue
        if person and is_role_noun(noun):
            yield _span(doc, start, end)
        elif not person and not is_role_noun(noun) and noun.lemma_.casefold() not in RELATIONS and noun.lower_ not in RELATIONS and _determined(noun):
            yield _span(doc, start, end)


def _after_a_role(doc):
    """Name words right after a role noun with no comma, as speech recognition often writes apposition:
    "our engineer Oyelaran came out", "the technician Ji-eun said"."""
    for token in doc[:-1]:
        if token.is_lower and is_role_noun(token) and _determined_or_compound(token):
            end = _run(doc, token.i + 1)
            if end > token.i + 1 and not (end < len(doc) and doc[end].pos_ in ("NOUN", "PROPN")):  # not "the driver Evri app"
                yield _span(doc, token.i + 1, end)


def _determined_or_compound(noun) -> bool:
    """"our engineer", "the delivery driver": a noun phrase of its own, not a verb or an adjective."""
    return noun.pos_ == "NOUN" and (_determined(noun) or _determined(noun.head) or noun.dep_ == "compound")


def _thing_run(doc, start: int) -> int:
    end = start
    while end < len(doc) and end - start < MAX_NAME_WORDS and _shaped(doc[end]):
        end += 1
    return end


def _determined(noun) -> bool:
    return any(child.dep_ in ("det", "poss") and child.lower_ in THING_DETERMINERS | {"his", "her", "its"} for child in noun.children)


def _strict_name_word(token) -> bool:
    """A name word that is no everyday word and no interjection ("Ha, who cares", "Okay, that ...")."""
    return _shaped(token) and token.pos_ != "INTJ" and _candidate(token.text)


def _before_relative_clause(doc):
    """Name words right before who, who's or whose (a comma between allowed), or right before "that" when on a name list."""
    for token in doc:
        pronoun = token.lower_ in PEOPLE_RELATIVES or (token.lower_ == "who" and token.i + 1 < len(doc) and doc[token.i + 1].text in ("'s", "’s"))
        that = token.lower_ == "that"
        if not (pronoun or that) or token.i == 0 or (token.dep_ == "nsubj" and plural(token.head)):  # "Zurvo who run the buses" is a company
            continue
        end = token.i - (pronoun and doc[token.i - 1].text == ",")
        start = end
        while start > 0 and end - start < MAX_NAME_WORDS and _strict_name_word(doc[start - 1]):
            start -= 1
        if start == end or (start > 0 and doc[start - 1].lower_ in THING_DETERMINERS):
            continue
        if that and not all(is_name(t.text) for t in doc[start:end]):
            continue
        yield _span(doc, start, end)


def _with_first_person(doc):
    """"Mthunzi and I", "me and Tsegaye": name words coordinated with the speaker (as one noun phrase, not
    "I'm from London and I want ...")."""
    for token in doc:
        if token.lower_ != "and" or token.i == 0 or token.i + 1 >= len(doc):
            continue
        before, after = doc[token.i - 1], doc[token.i + 1]
        if after.lower_ in FIRST_PERSON and after.dep_ == "conj" and after.head.i == before.i and _strict_name_word(before):
            start = token.i - 1
            while start > 0 and token.i - start < MAX_NAME_WORDS and _strict_name_word(doc[start - 1]):
                start -= 1
            if start == 0 or doc[start - 1].lower_ not in THING_DETERMINERS:
                yield _span(doc, start, token.i)
        elif before.lower_ in FIRST_PERSON and after.dep_ == "conj" and after.head.i == before.i and _strict_name_word(after):
            end = token.i + 2
            while end < len(doc) and end - token.i <= MAX_NAME_WORDS and _strict_name_word(doc[end]):
                end += 1
            yield _span(doc, token.i + 1, end)


def _lower_case_first_names(doc):
    """A first name in lower case, seldom written and in no dictionary, in mixed-case text: "talked to bohdan"."""
    for token in doc:
        if token.is_alpha and token.is_lower and len(token) > 2 and not token.is_stop and token.pos_ == "PROPN" and is_first_name(token.text) and is_rare_word(token.text) and not is_dictionary_word(token.text, 0.0):
            yield _span(doc, token.i, token.i + 1)


def _listed_with_things(doc):
    """Every item of a list of things (`name_context.list_of_things`)."""
    for items in _list_items(doc):
        if list_of_things(items):
            for item in items:
                yield item[0].idx, item[-1].idx + len(item[-1].text)


def _after_an_article(doc):
    """A capitalised word on no name list right after an article, heading its noun phrase alone: "the Vortana", "a Zentrix"."""
    for token in doc[1:]:
        before, after = doc[token.i - 1], doc[token.i + 1] if token.i + 1 < len(doc) else None
        family = is_listed_name(token.text) or is_listed_name(token.text.removesuffix("s"))  # "the Haynes", "the Kovalenkos"
        if _shaped(token) and not family and before.lower_ in ARTICLES and before.head.i == token.i and token.dep_ not in ("compound", "amod", "nmod") and not (after is not None and after.text[:1].isupper()):
            yield _span(doc, token.i, token.i + 1)
