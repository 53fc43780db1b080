"""A Presidio recognizer for names known only by their context.

A name the gazetteers have never seen ("Oyelaran", "Tsetseg") is still a name when the
text treats it as one:

- a speaker label at the start of a line or sentence ("Tsetseg: we waited", "mika: who?");
- a vocative that opens a request ("Oyelaran, could you resend the invoice?"), or that
  thanks, greets or gives the floor ("Thank you, Karine.", "Go ahead, April.", "So, Tony,
  thank you."): there even a month or an everyday word is a name;
- a list that holds a gazetteer name ("Nwachukwu, Brennan and Walsh"), or of rare words spelled as
  names are ("Keoni, Mahina and Iolana"), and no everyday word that is no name ("Eco, Boost and
  Night" are modes);
- the subject of a sentence that goes on with he or she ("Ndiaye fixed the pump, and she
  never charged us"), or of a verb only people do ("Ibekwe lives two doors down");
- two or three capitalised words, each a name or seldom written in English, perhaps with
  an initial between ("Bekzod Tursunov", "Mijail C Adomo");
- in a text written all in lower case, a proper noun in the name gazetteers or a first name no
  dictionary lists ("larisa"), two or three words each a name or seldom written and in no
  dictionary ("calfucir berrios", "szemere h berecz"), or a list of such words, half of them
  names ("christoffe, kuon, larisa and edda").

A candidate word is capitalised (unless the text is all lower case), not an everyday word,
and either a gazetteer name or a rare word that is no place.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult

from research.anonymize.gazetteer import brand_shaped, is_common_word, is_dictionary_word, is_first_name, is_listed_name, is_name, is_place, is_rare_word, is_region_or_big_city
from research.anonymize.name_likeness import name_likeness
from research.anonymize.name_recognizer import PLACE_LABELS, DocRecognizer
from research.anonymize.roles import is_role_noun

SCORE = 0.9  # above spaCy's 0.85, so Presidio keeps these inside a longer lower-case spaCy PERSON ("tracy:"i'm") that the detector drops
PRONOUNS = frozenset({"he", "him", "his", "himself", "she", "her", "hers", "herself"})
PERSON_VERBS = frozenset({"live", "bear", "marry", "die", "divorce", "retire", "shout", "yell", "scream", "whisper", "laugh", "cry", "smile", "sigh"})  # lemmas: only people do these
NOT_PERSON_LABELS = PLACE_LABELS | {"NORP"}  # places, nationalities and groups
LIST_SEPARATORS = frozenset({",", "and", "&", "or"})
REQUEST_STARTS = frozenset({"please", "thanks", "thank", "could", "can", "would", "will", "do", "did", "have", "are", "is"})
MAX_NAME_WORDS = 3
THING_DETERMINERS = frozenset({"the", "this", "that", "these", "those", "my", "our", "your", "their", "a", "an"})
ADDRESSING = ("thank you", "thanks", "go ahead", "all right", "alright", "hi", "hello", "hey", "bye", "goodbye", "sorry", "welcome", "morning", "afternoon", "evening", "congratulations", "cheers")
ADDRESSEES = frozenset("sir madam ma'am doctor doc everybody everyone all guys folks team mom mum dad son honey dear buddy man boss officer professor ladies gentlemen friends president senator governor mister miss coach chief captain god lord".split())  # addressed, but no names
SPEAKER_LABEL = re.compile(r"(?:^|(?<=[.?!\"“”\n])|(?<=[.?!\"“”]\s))\s*(?P<name>[\w’'-]+(?: [\w’'-]+){0,2}):(?=\s*\S)", re.MULTILINE)


class ContextNameRecognizer(DocRecognizer):
    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="ContextNameRecognizer")

    def find(self, text: str, doc) -> list[RecognizerResult]:
        lower_case = not any(char.isupper() for char in text)
        spans = [*_speaker_labels(text, lower_case), *_vocatives(doc), *_addressed(doc), *_called_out(doc, lower_case), *_listed_with_a_name(doc), *_referred_to_as_people(doc), *_name_runs(doc)]
        if lower_case:
            spans += [*_gazetteer_words(doc), *_lower_case_runs(doc), *_lower_case_lists(doc)]
        return [RecognizerResult("PERSON", start, end, SCORE) for start, end in spans]


def _candidate(word: str, lower_case: bool = False) -> bool:
    """Could be a name: capitalised (in a lower-case text, a gazetteer name), and a name or a rare word that is no place."""
    if not word.isalpha() or len(word) < 2 or word.isupper():
        return False
    if lower_case or not word[0].isupper():
        return lower_case and is_name(word)
    return is_name(word) or (is_rare_word(word) and not is_place(word))


def _capitalised(token) -> bool:
    return token.is_alpha and token.text[:1].isupper() and not token.is_stop


def _initial(token) -> bool:
    return len(token) == 1 and token.is_alpha and token.is_upper


def _span(tokens) -> tuple[int, int]:
    return tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)


def _speaker_labels(text: str, lower_case: bool):
    for match in SPEAKER_LABEL.finditer(text):
        words = match.group("name").split()
        if all(_candidate(word, lower_case) for word in words):
            yield match.start("name"), match.end("name")


def _vocatives(doc):
    """A name, a comma, then a request: "Oyelaran, could you resend the invoice?"."""
    for sentence in doc.sents:
        first = sentence[0]
        if len(sentence) > 3 and sentence[1].text == "," and first.pos_ in ("PROPN", "NOUN", "ADJ", "X") and _candidate(first.text) and sentence[2].lower_ in REQUEST_STARTS:
            yield _span([first])


def _addressee(token) -> bool:
    return token.is_alpha and len(token) > 1 and token.text[0].isupper() and not token.is_upper and not token.is_stop and token.lower_ not in ADDRESSEES and not is_place(token.text)


def _addressed(doc):
    """A name that is thanked, greeted or given the floor: "Go ahead, Toluse.", "So, Tony, thank you."."""
    for token in doc[1:]:
        after = doc[token.i + 1] if token.i + 1 < len(doc) else None
        if not _addressee(token) or (after is not None and not after.is_punct):
            continue
        if _after_addressing(doc, token.i) or (doc[token.i - 1].text == "," and after is not None and after.text == "," and token.i + 2 < len(doc) and doc[token.i + 2].lower_ in (REQUEST_STARTS | {"thanks", "thank"})):
            yield _span([token])


def _called_out(doc, lower_case: bool):
    """A name that closes an exclamation or question after a comma: "Don't go to town, Maria!"."""
    for token in doc[1:-1]:
        after = doc[token.i + 1]
        if doc[token.i - 1].text == "," and after.text in ("!", "?") and (after.i + 1 == len(doc) or after.is_sent_end or doc[after.i + 1].is_space):
            if token.is_alpha and (token.text[0].isupper() or lower_case) and not token.is_stop and (is_listed_name(token.text) or _candidate(token.text, lower_case)):
                yield _span([token])


def _after_addressing(doc, i: int) -> bool:
    """Tokens before `i` end with an addressing phrase that opens a sentence or follows a comma."""
    for phrase in ADDRESSING:
        words = phrase.split()
        start = i - len(words) - (doc[i - 1].text == ",")
        if start >= 0 and [t.lower_ for t in doc[start : start + len(words)]] == words and (start == 0 or doc[start].is_sent_start or doc[start - 1].is_punct):
            return True
    return False


def _list_items(doc):
    """Lists of capitalised items separated by commas and ending with "and", "&" or "or" before
    the last one: each list is a list of token runs."""
    items, closed, i = [], False, 0
    while i < len(doc):
        if not _capitalised(doc[i]):
            i += 1
            continue
        end = i + 1
        while end < len(doc) and end - i < MAX_NAME_WORDS and (_capitalised(doc[end]) or _initial(doc[end])):
            end += 1
        items.append(doc[i:end])
        after = end
        while after < len(doc) and after - end < 2 and doc[after].lower_ in LIST_SEPARATORS:
            after += 1
        if after > end and after < len(doc) and _capitalised(doc[after]):
            closed = doc[after - 1].lower_ != ","
            i = after
            continue
        if len(items) > 1 and closed:
            yield items
        items, closed, i = [], False, end


def _is_person(item) -> bool:
    """All names in the gazetteers (not spaCy's PERSON, which takes brand lists for people too)."""
    return all(is_name(token.text) and token.ent_type_ not in NOT_PERSON_LABELS for token in item if not _initial(token))


def list_of_things(items) -> bool:
    """A list with an item that is an everyday word on no name list ("Dyson, Shark and Vax", "Eco, Boost and Night"),
    or of single words on no name list spelled, on the whole, as things are ("Tesco, Hyperoptic and Asda";
    `name_likeness`), unless it follows a role noun ("our 3 founders: Erôss, Hides and Portillo")."""
    doc, first = items[0].doc, items[0].start
    after_a_role = first >= 2 and doc[first - 1].text in (":", ",") and is_role_noun(doc[first - 2])
    if after_a_role:
        return False
    if any(len(item) == 1 and is_common_word(item.text) and not is_listed_name(item.text) for item in items):
        return True
    words = _single_words(items)
    return bool(words) and not any(is_listed_name(word) for word in words) and name_likeness().mean(words) < name_likeness().list_below


def _single_words(items) -> list[str]:
    """The items' words when each item is one word, else none."""
    return [item.text for item in items] if all(len(item) == 1 and item[0].is_alpha for item in items) else []


def _list_of_rare_names(items) -> bool:
    """Single words, each a name or seldom written, no everyday word, region or big city and fewer than half of them
    towns, spelled on the whole as names are ("Keoni, Mahina and Iolana", though a Mahina is in Tahiti; `name_likeness`)."""
    words = _single_words(items)
    if not words or 2 * sum(map(is_place, words)) >= len(words):
        return False
    return all(_candidate(word) or (is_rare_word(word) and not is_common_word(word) and not is_region_or_big_city(word)) for word in words) and not any(map(brand_shaped, words)) and name_likeness().mean(words) > name_likeness().list_above


def _listed_with_a_name(doc):
    for items in _list_items(doc):
        if _list_of_rare_names(items):  # every item was weighed already
            yield from map(_span, items)
        elif any(_is_person(item) for item in items) and not list_of_things(items):
            for item in items:
                if is_place(item.text) and not (is_first_name(item.text) or (is_listed_name(item.text) and not is_region_or_big_city(item.text))):  # "Sheila and Texas": a place, not a second name ("Florence", "Mary" may be either)
                    continue
                if all(_candidate(token.text) or _initial(token) or (token.text[:1].isupper() and is_listed_name(token.text)) for token in item):  # "Henry" among names
                    yield _span(item)


def _referred_to_as_people(doc):
    """Subjects that a later he or she refers to, when none came before them (else it may be that
    person's: "he’s able to ... because there’s Paxlovid, which helped him"), or that do what only people do."""
    pronouns = [token.i for token in doc if token.lower_ in PRONOUNS]
    for token in doc:
        if token.dep_ not in ("nsubj", "nsubjpass") or token.ent_type_ == "PERSON" or not _candidate(token.text):
            continue
        if (pronouns and pronouns[0] > token.i) or token.head.lemma_ in PERSON_VERBS:
            first = min([token.i] + [child.i for child in token.children if child.dep_ == "compound" and _capitalised(child)])
            yield _span(doc[first : token.i + 1])


def _name_runs(doc):
    """Two or three capitalised name-or-rare words, initials between allowed: "Mijail C Adomo"."""
    i = 0
    while i < len(doc):
        end, words = i, 0
        while end < len(doc) and words < MAX_NAME_WORDS:
            token = doc[end]
            if _capitalised(token) and (is_name(token.text) or is_rare_word(token.text)) and not token.is_upper:
                words += 1
            elif not (words and _initial(token) and end + 1 < len(doc) and _capitalised(doc[end + 1])):
                break
            end += 1
        run = doc[i:end]
        if words >= 2 and not is_place(run.text) and not all(is_place(token.text) for token in run if len(token) > 1) and not _named_as_thing(run):
            yield _span(run)
        i = max(end, i + 1)


def _named_as_thing(run) -> bool:
    """A run of words on no name list after an article or possessive ("the Aeropure Purifier", "my Lumio Brevanto";
    not "a Ravil G Yefimov concert"), or with a word shaped as brands are ("AeroPure Max"): a product's name."""
    before = run.doc[run.start - 1] if run.start else None
    after_determiner = before is not None and before.lower_ in THING_DETERMINERS and not any(is_name(token.text) for token in run)
    return after_determiner or any(brand_shaped(token.text) for token in run)


def _gazetteer_words(doc):
    """A proper noun on the name lists, or a first name seldom written and in no dictionary ("larisa", "milorad"; not "fella", "hella")."""
    for token in doc:
        if not token.is_stop and is_name(token.text) and (token.pos_ == "PROPN" or (is_first_name(token.text) and is_rare_word(token.text) and not is_dictionary_word(token.text, 0.0))):
            yield _span([token])


def _lower_case_runs(doc):
    """Two or three lower-case words, each a name or a rare word in no dictionary, initials between allowed."""
    i = 0
    while i < len(doc):
        end, words = i, 0
        while end < len(doc) and words < MAX_NAME_WORDS:
            token = doc[end]
            if _name_or_unknown(token):
                words += 1
            elif not (words and len(token) == 1 and token.is_alpha and end + 1 < len(doc) and doc[end + 1].is_alpha):
                break
            end += 1
        if words >= 2 and not is_place(doc[i:end].text):
            yield _span(doc[i:end])
        i = max(end, i + 1)


def _lower_case_lists(doc):
    """Lower-case words in a list ("a, b and c", "egede and sanderson"), each a name or a rare
    word in no dictionary, at least half of them names: every one is a name."""
    i = 0
    while i < len(doc):
        items, end = [doc[i]], i + 1
        while end + 1 < len(doc) and doc[end].lower_ in LIST_SEPARATORS:
            after = end + 1 + (doc[end].text == "," and doc[end + 1].lower_ in ("and", "or") and end + 2 < len(doc))
            items.append(doc[after])
            end = after + 1
        if len(items) > 1 and all(_name_or_unknown(item) for item in items) and 2 * sum(is_name(item.text) for item in items) >= len(items):
            yield from (_span([item]) for item in items)
            i = end
        else:
            i += 1


def _name_or_unknown(token) -> bool:
    return token.is_alpha and len(token) > 1 and not token.is_stop and (is_name(token.text) or (is_rare_word(token.text) and not is_dictionary_word(token.text, 0.0)))
