"""PII detection: Presidio on spaCy, plus spoken-form recognizers and the study's known names.

What is *not* PII here matters as much: generic time expressions ("every year", "six
weeks", "in March") are the "when" of a journey and stay; only exact dates (a day and a
month) are redacted. Cities and countries stay (the "where"); street addresses go.
Organisations are redacted when they are a participant's company or on the deny list,
not whenever spaCy sees one, so brands, retailers and channels survive.

A PERSON must hold a word that could be a name (see `gazetteer.could_be_name`): spaCy's
small model calls "COVID-19", "Q3", "Laughter" and "Americans" people in real speech. Names
found by their context (a title, a vocative, an introduction) need only be shaped like one; a
word spaCy alone calls a person that is on no name list and spelled as things are ("Hyperoptic",
`name_likeness`) is none.
Within an interview, a PERSON that nothing calls a name is dropped when it is shaped as a brand
("AeroPure"), or when it is on no name list, named more than once, and somewhere named as a thing
("the Paxlovid medication", "the Solvelo plan").
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from spacy.lang.en.stop_words import STOP_WORDS

from research.anonymize.address import StreetAddressRecognizer
from research.anonymize.gazetteer import brand_shaped, could_be_name, is_common_word, is_dictionary_word, is_listed_name, is_name, is_rare_word, name_shaped, warm_gazetteers
from research.anonymize.known_names import KnownName, find_known_names
from research.anonymize.name_context import ContextNameRecognizer
from research.anonymize.name_grammar import NOT_A_PERSON, GrammarNameRecognizer
from research.anonymize.name_likeness import name_likeness
from research.anonymize.name_recognizer import PROPER_NOUN, GazetteerNameRecognizer
from research.anonymize.name_slots import SlotNameRecognizer
from research.anonymize.spoken import spoken_recognizers
from research.held_collections import collections_held
from research.nlp import SPACY_MODEL, load_spacy, parse
from research.vault import entity_key

MIN_SCORE = 0.35

# Presidio entity → our pseudonym type. Entities not listed are not redacted.
ENTITY_TYPES = {
    "PERSON": "PERSON",
    "EMAIL_ADDRESS": "EMAIL",
    "EMAIL": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "LOCATION": "LOCATION",
    "ID": "ID",
    "URL": "URL",
    "DATE_TIME": "DATE",
    "CREDIT_CARD": "ID",
    "IBAN_CODE": "ID",
    "US_SSN": "ID",
    "US_BANK_NUMBER": "ID",
    "US_DRIVER_LICENSE": "ID",
    "US_PASSPORT": "ID",
    "US_ITIN": "ID",
    "UK_NHS": "ID",
    "MEDICAL_LICENSE": "ID",
    "IP_ADDRESS": "ID",
    "ORGANIZATION": "ORGANIZATION",
    PROPER_NOUN: "ORGANIZATION",
}
SPACY_ONLY = {"LOCATION", "ORGANIZATION", "DATE_TIME"}  # kept only under the rules above
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DAY = r"(?:\d{1,2}(?:st|nd|rd|th)?|first|second|third|fourth|fifth|tenth|twentieth|thirtieth)"
EXACT_DATE = re.compile(rf"\b(?:{_DAY}\s+(?:of\s+)?{_MONTH}|{_MONTH}\s+{_DAY})\b|\b\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}\b|\b(?:19|20)\d\d-\d\d-\d\d\b", re.IGNORECASE)
DETERMINERS = frozenset({"the", "this", "that", "these", "those", "my", "our", "your", "their", "any", "some", "no", "a", "an"})
PEOPLE_NOUNS = frozenset({"family", "families", "household", "kids", "children", "boys", "girls", "twins", "brothers", "sisters", "sons", "daughters", "parents", "clan", "residence", "house", "home", "estate"})  # "the Nwachukwu family" is people
NOT_NAMES = frozenset(STOP_WORDS) | {"tell", "say", "ask", "let", "call", "thank", "thanks", "hello", "hi", "okay", "ok", "yes", "yeah", "sure", "right", "great", "wow", "honestly", "well"}
NHS_CONTEXT = re.compile(r"\b(?:nhs|health|patient)\b", re.IGNORECASE)  # a UK NHS number is written 3-3-4, as a US phone number is
CONTEXT_RECOGNIZERS = frozenset({"ContextNameRecognizer", "GrammarNameRecognizer", "SpelledNameRecognizer", "TitleNameRecognizer"})  # the words around say it is a name, whatever the word
CUED = CONTEXT_RECOGNIZERS | {"RelativeNameRecognizer"}
_PUNCTUATION = ".,!?;:()[]\"“”‘’—–…"
DEFAULT_ALLOW = ("LinkedIn", "Instagram", "Facebook", "YouTube", "Google", "Amazon", "Twitter", "TikTok", "WhatsApp", "Reddit", "Trustpilot", "Yelp", "Wi-Fi", "Wi -Fi", "WiFi", "Bluetooth", "iPhone", "Android")


@dataclass(frozen=True)
class PiiSpan:
    start: int
    end: int
    entity_type: str  # PERSON, EMAIL, PHONE, LOCATION, ORGANIZATION, ID, URL, DATE
    key: str  # what makes two mentions the same entity (the known name, or the normalised text)
    known: bool = False  # a participant or company from the metadata
    cued: bool = False  # a name the words around it call one (a title, a vocative, an introduction)


@cache
def analyzer():
    """Presidio's AnalyzerEngine on the packaged spaCy model, with our recognizers and gazetteers (about 3 s to load)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # The engine's millions of objects live as long as the process: no collection walks them while they are made,
    # and they are frozen after (`collections_held`), which spares every later collection the walk over them
    # (PyAV decoding collects once per file: 0.3 s each).
    with collections_held():
        return _built_analyzer()


def _built_analyzer():
    import tldextract
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    # Presidio's email check asks tldextract, which would fetch the public suffix list; use its bundled copy.
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())
    nlp = load_spacy()  # the pipeline coding parses with, loaded once per process (Presidio's load() would load another)
    nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": SPACY_MODEL}], ner_model_configuration=_ner_configuration(nlp))
    nlp_engine.nlp = {"en": nlp}
    with _presidio_quiet():  # its default registry notes every Spanish, Italian and Polish recognizer it leaves out
        engine = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
    for recognizer in [*spoken_recognizers(), StreetAddressRecognizer(), GazetteerNameRecognizer(), ContextNameRecognizer(), GrammarNameRecognizer(), SlotNameRecognizer()]:
        engine.registry.add_recognizer(recognizer)
    warm_gazetteers()
    name_likeness()
    return engine


def _ner_configuration(nlp):
    """Presidio's NER settings with every spaCy label it has no entity for ignored (CARDINAL, MONEY,
    PRODUCT ...), which it would otherwise keep and warn about once per entity found. The ignore list
    only filters Presidio's own entity list (what its SpacyRecognizer reports, none of these): our
    recognizers read spaCy's `doc.ents` with their own labels (`name_recognizer.RELABELLED`)."""
    from presidio_analyzer.nlp_engine import NerModelConfiguration

    configuration = NerModelConfiguration()
    unmapped = set(nlp.get_pipe("ner").labels) - set(configuration.model_to_presidio_entity_mapping)
    return NerModelConfiguration(labels_to_ignore=sorted(unmapped))


@contextmanager
def _presidio_quiet():
    """Presidio's warnings held back while the engine is built: notes on its configuration, not the user's data."""
    logger = logging.getLogger("presidio-analyzer")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w@.]+", " ", text.casefold()).split())


class PiiDetector:
    """Detects PII in many texts at once (spaCy's nlp.pipe through Presidio's batch engine)."""

    def __init__(self, known: Iterable[KnownName] = (), allow: Iterable[str] = (), deny: Iterable[str] = (), organizations: bool = False, places: bool = False):
        """`organizations`: also redact every organisation spaCy finds, and rare proper nouns in no
        gazetteer (unknown names or brands); `places`: also every city and country."""
        self.known = list(known) + [KnownName(term, "ORGANIZATION") for term in deny]
        self.allow = {term.casefold() for term in (*DEFAULT_ALLOW, *allow)}
        self.keep_spacy = {kind for kind, wanted in (("ORGANIZATION", organizations), ("LOCATION", places)) if wanted}

    def detect(self, texts: list[str], propagate: bool = True) -> list[list[PiiSpan]]:
        """PII spans for each text. A name found in a text is looked for in the rest of it; with
        `propagate`, the texts are one document (an interview) and it is looked for in all of them."""
        first, things = self._analyze(texts)
        if propagate:
            return self._propagate(texts, first, set().union(*things))
        return [self._propagate([text], [spans], named)[0] for text, spans, named in zip(texts, first, things)]

    def detect_documents(self, documents: list[list[str]]) -> list[list[list[PiiSpan]]]:
        """detect() for many small documents (survey answers, tickets) in one batch; a name propagates within its own document only."""
        first, things = self._analyze([text for document in documents for text in document])
        result, cursor = [], 0
        for document in documents:
            result.append(self._propagate(document, first[cursor : cursor + len(document)], set().union(*things[cursor : cursor + len(document)])))
            cursor += len(document)
        return result

    def _analyze(self, texts: list[str]) -> tuple[list[list[PiiSpan]], list[set[str]]]:
        """Each text's spans, and the words its grammar calls things (`name_grammar`: "Our bank, Monzo,", "Zurvo were useless")."""
        from presidio_analyzer import BatchAnalyzerEngine

        batch = BatchAnalyzerEngine(analyzer_engine=analyzer())
        results = list(batch.analyze_iterator(texts, language="en", entities=[*ENTITY_TYPES, NOT_A_PERSON], score_threshold=MIN_SCORE, batch_size=64))
        things = [{_key(word) for result in found if result.entity_type == NOT_A_PERSON for word in _words(text[result.start : result.end])} for text, found in zip(texts, results)]
        return [self._spans(text, found) for text, found in zip(texts, results)], things

    def _propagate(self, texts: list[str], found: list[list[PiiSpan]], named_things: set[str]) -> list[list[PiiSpan]]:
        """A name detected once is looked for everywhere else, misheard forms included ("Midio" ... "Medio"); but not
        an everyday word of it that the same document also writes in lower case: the "Okay" of a quoted "Okay Tobias"
        is not looked for in every "Okay." of an interview that says "can you hear me okay?". `named_things`: the words
        the document's grammar calls things somewhere."""
        found = _without_things(texts, found, named_things)
        lower = {word for text in texts for word in _LOWER_WORD.findall(text)}
        names = {}
        for text, spans in zip(texts, found):
            for span in spans:
                if span.entity_type == "PERSON" and not span.known:
                    shaped = [word for word in _words(text[span.start : span.end]) if name_shaped(word, text.isupper())]
                    words = [word for word in shaped if could_be_name(word, text.isupper())] or shaped  # "Biden" of "President Biden"
                    words = [word for word in words if word.casefold() not in lower or not is_common_word(word)]
                    if words:  # not a spelled "O-K-A-F-O-R" letter by letter
                        names.setdefault(span.key, KnownName(" ".join(words), "PERSON"))
        if not names:
            return found
        keys = {name.text: key for key, name in names.items()}
        result = []
        for text, spans in zip(texts, found):
            extra = [PiiSpan(m.start, m.end, "PERSON", keys[m.name.text]) for m in find_known_names(text, list(names.values()))]
            result.append(merge(spans + extra, text) if extra else spans)
        return result

    def _spans(self, text: str, found) -> list[PiiSpan]:
        things = [(result.start, result.end) for result in found if result.entity_type == NOT_A_PERSON]
        spans = []
        for result in found:
            piece = text[result.start : result.end]
            if result.entity_type == NOT_A_PERSON or self._allowed(piece) or not self._keep(result, piece, text) or _called_a_thing(result, piece, things):
                continue
            kind = ENTITY_TYPES[result.entity_type]
            if kind == "PERSON" and _spelled_as_a_thing(result, piece):
                if "ORGANIZATION" not in self.keep_spacy:
                    continue
                kind = "ORGANIZATION"
            start = result.start + _leading_word_length(piece) if kind == "PERSON" else result.start
            piece = text[start : result.end]
            if kind == "URL" and re.search(r"\bat\b|@", piece, re.IGNORECASE):
                kind = "EMAIL"
            end = _hyphenated_end(text, result.end) if kind == "PERSON" else result.end
            spans.append(PiiSpan(start, end, kind, _normalise(text[start:end]), cued=(result.recognition_metadata or {}).get("recognizer_name") in CUED))
        for match in find_known_names(text, self.known):
            spans.append(PiiSpan(match.start, match.end, match.name.entity_type, entity_key(match.name.text), known=True))
        return merge(spans, text)

    def _allowed(self, piece: str) -> bool:
        return piece.casefold().strip(" .,") in self.allow

    def _keep(self, result, piece: str, text: str) -> bool:
        recognizer = (result.recognition_metadata or {}).get("recognizer_name", "")
        if result.entity_type == "DATE_TIME":
            return bool(EXACT_DATE.search(piece))
        if result.entity_type == PROPER_NOUN:
            return "ORGANIZATION" in self.keep_spacy
        if result.entity_type == "UK_NHS":  # its checksum passes one number in eleven; a phone number is the likelier reading
            return bool(NHS_CONTEXT.search(text[max(0, result.start - 40) : result.start]))
        if result.entity_type in SPACY_ONLY and recognizer == "SpacyRecognizer":
            return result.entity_type in self.keep_spacy
        if result.entity_type == "PERSON":
            return _person(piece, recognizer, text.isupper()) and (recognizer == "SpelledNameRecognizer" or _named_compound(text, result.start, result.end))
        return True


def _spelled_as_a_thing(result, piece: str) -> bool:
    """A PERSON of spaCy's alone that is one word on no name list spelled as things are ("Hyperoptic", "Tesco";
    `name_likeness`): an organisation, redacted only when organisations are."""
    words = _words(piece)
    if (result.recognition_metadata or {}).get("recognizer_name") != "SpacyRecognizer" or len(words) != 1 or is_listed_name(_key(words[0])):
        return False
    return name_likeness().score(_key(words[0])) < name_likeness().word_below


def _called_a_thing(result, piece: str, things: list[tuple[int, int]]) -> bool:
    """A PERSON that only spaCy or the gazetteers found, inside what the grammar calls a thing ("Our bank, Monzo,",
    "Dyson, Shark and Vax"), unless every word of it is on the name lists and no everyday word ("Portillo")."""
    if result.entity_type != "PERSON" or (result.recognition_metadata or {}).get("recognizer_name") in CUED:
        return False
    inside = any(start <= result.start and result.end <= end for start, end in things)
    return inside and not all(is_name(word) for word in _words(piece))


_NAME_TAIL = re.compile(r"-([a-z]+)\b")


def _hyphenated_end(text: str, end: int) -> int:
    """A name's end with the lower-case part a hyphen joins to it ("Seo-yeon", "Ji-eun"), which would otherwise be
    left beside the placeholder; not an everyday word ("Tomasz-style")."""
    tail = _NAME_TAIL.match(text, end)
    return tail.end() if tail and not is_common_word(tail.group(1)) else end


def _leading_word_length(piece: str) -> int:
    """Characters to drop from the start of a name span: a verb or greeting spaCy took into it ("Call Margaret Okafor",
    "Thanks Margaret"), unless the word could itself be the first name ("Will Smith")."""
    first, _, rest = piece.partition(" ")
    word = first.strip(_PUNCTUATION)
    if not rest.strip() or word.casefold() not in NOT_NAMES or (is_listed_name(word) and len(rest.split()) < 2):
        return 0
    return len(piece) - len(rest.lstrip())


def _without_things(texts: list[str], found: list[list[PiiSpan]], named_things: set[str]) -> list[list[PiiSpan]]:
    """Drop a PERSON that nothing around calls a name (not known, not cued) whose every name-like word is a thing in
    this document: shaped as a brand ("AeroPure", "HomeHub"; `brand_shaped`); or on no name list and somewhere
    called a thing by the grammar (`named_things`: one sense per discourse, so "Zurvo" of "Zurvo were useless" is
    a thing in every answer); or on no name list, named more than once and somewhere named as a thing, by a
    determiner before it ("the Paxlovid", "those Plexiglas shields") or by the common noun it qualifies ("Solvelo
    plan", "Zentrix app"; not a family or household): people's names seldom take either, though once is too little
    to tell ("the Dratchev novel")."""
    persons = [(text, span) for text, spans in zip(texts, found) for span in spans if span.entity_type == "PERSON" and not span.known]
    if not persons:
        return found
    cued = {word for text, span in persons if span.cued for word in _name_words(text[span.start : span.end])}
    mentions = Counter(word for text, span in persons for word in _name_words(text[span.start : span.end]))
    candidates = {word for word in mentions if word not in cued and not is_listed_name(word)}
    things = {word for word in mentions if word not in cued and brand_shaped(word)} | (candidates & named_things) | _named_as_things(texts, candidates, mentions)
    if not things:
        return found

    def thing(text: str, span: PiiSpan) -> bool:
        words = _name_words(text[span.start : span.end])
        return span.entity_type == "PERSON" and not span.known and not span.cued and bool(words) and all(word in things for word in words)

    return [[span for span in spans if not thing(text, span)] for text, spans in zip(texts, found)]


def _named_as_things(texts: list[str], candidates: set[str], mentions: Counter) -> set[str]:
    """The `candidates` (with their `mentions` as PERSON) the texts name as things: after a determiner, or
    qualifying a common noun, where they are mentioned more than once."""
    if not candidates:
        return set()
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(candidates))) + r")\b")
    things = set()
    for doc in parse([text for text in dict.fromkeys(texts) if pattern.search(text)]):
        for token in doc:
            word = _key(token.text)
            if word not in candidates:
                continue
            modifies = token.dep_ in ("compound", "amod", "nmod") and token.head.i > token.i
            noun = token.head if modifies else token  # "the Solvelo plan": the plan takes the determiner
            if noun.lower_ in PEOPLE_NOUNS or mentions[word] < 2:  # once is too little: "the Dratchev novel", "a Hitchcock film"
                continue
            qualifies = modifies and is_common_word(noun.text) and not (noun.text[:1].isupper() and is_listed_name(noun.text))
            determined = any(child.dep_ in ("det", "poss") and child.lower_ in DETERMINERS and child.i < token.i for child in noun.children)
            if qualifies or determined:
                things.add(word)
    return things


def _name_words(piece: str) -> list[str]:
    """The capitalised words of a span that could be a name."""
    return [word for word in map(_key, _words(piece)) if word[:1].isupper() and could_be_name(word)]


_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z]+(?![\w'’-])")


def _key(piece: str) -> str:
    return piece.strip(_PUNCTUATION).removesuffix("'s").removesuffix("’s")




def _words(piece: str) -> list[str]:
    return [word for word in (part.strip(_PUNCTUATION) for part in piece.split()) if word]


def _person(piece: str, recognizer: str, upper_case_text: bool) -> bool:
    """Could `piece` be a person's name, given who found it?"""
    if recognizer == "SpelledNameRecognizer":
        return True
    words = _words(piece)
    if recognizer in CONTEXT_RECOGNIZERS:
        return any(name_shaped(word, upper_case_text) for word in words)
    if not any(word[:1].isupper() for word in words):  # the gazetteer recognizer's "benjamin a seiler" has its own rule
        return recognizer != "SpacyRecognizer" or all(is_name(word) or is_rare_word(word) for word in words)  # "lena andersson", not "boo boo"
    if len(words) == 1 and (words[0].casefold() in NOT_NAMES or (recognizer == "GazetteerNameRecognizer" and is_dictionary_word(words[0]))):
        return False  # the gazetteers alone can't tell "Delta" or "America" the name from the word
    if recognizer == "GazetteerNameRecognizer":  # the gazetteers alone: every word could be a name ("Ravil G Yefimov", not "Yoga Studio")
        return all(could_be_name(word, upper_case_text) for word in words if len(word) > 1 and word[:1].isupper())
    return any(could_be_name(word, upper_case_text) for word in words if word[:1].isupper())


_HYPHENATED = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)+")


def _named_compound(text: str, start: int, end: int) -> bool:
    """A name that is part of a hyphenated word is a name only if every capitalised part is on a
    name list: "Jean-Pierre", "Smith-Jones", but not the "Hy" of "Hy-Vee"."""
    for compound in _HYPHENATED.finditer(text, max(0, start - 50), end + 50):
        if compound.start() < end and compound.end() > start and (compound.start() < start or compound.end() > end):
            return all(is_listed_name(part) for part in compound.group().split("-") if part[:1].isupper())
    return True


def merge(spans: list[PiiSpan], text: str) -> list[PiiSpan]:
    """Overlapping spans become one, and so do address parts with only spaces between them.

    The merged span is typed by its longest part; among names, a known name's key wins.
    """
    merged: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if merged and (span.start < merged[-1].end or _adjacent_address(merged[-1], span, text)):
            last = merged[-1]
            longest = last if last.end - last.start >= span.end - span.start else span
            named = longest.entity_type in ("PERSON", "ORGANIZATION")
            keep = (last if last.known else span if span.known else longest) if named else longest
            kind = "EMAIL" if {last.entity_type, span.entity_type} <= ADDRESS_TYPES and not keep.known else keep.entity_type
            merged[-1] = PiiSpan(last.start, max(last.end, span.end), kind, keep.key, keep.known, last.cued or span.cued)
        else:
            merged.append(span)
    return merged


ADDRESS_TYPES = {"EMAIL", "URL"}


def _adjacent_address(left: PiiSpan, right: PiiSpan, text: str) -> bool:
    return {left.entity_type, right.entity_type} <= ADDRESS_TYPES and not text[left.end : right.start].strip()
