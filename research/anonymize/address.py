"""A Presidio recognizer for street addresses, English and international.

- a street with its type word ("12 Harbour Road", "Via Franscini", "Rua do Arenque");
- a house number, one to four words with at least one seldom written in English,
  and a second number ("28245 Puruntie 82", "450 Præstevænget 15");
- apartment, suite, unit and box numbers, and military addresses ("PSC 1437, Box 3833",
  "APO AA 66791");
- after "address is", "lives at", "located at", "send it to" and the like, everything up
  to the end of the sentence when it starts with a number.

Cities and countries on their own are not addresses: they stay, as the "where". Nor is a
title before a name: "Coordinator Dr. Jha" has no house number, and "Dr." is followed by a
capitalised word.
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult

from research.anonymize.gazetteer import is_rare_word

STREET_WORD = r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Terrace|Crescent|Close|Parkway|Highway|Square|Row|Mews|Gardens)"
STREET = re.compile(rf"\b(?:\d{{1,5}}\s+)?(?:[A-Z][a-z]+\s+){{1,3}}{STREET_WORD}\b")
TITLE_BEFORE_NAME = re.compile(r"(?:Dr|St)\.?\s+[A-Z]")  # "Dr. Jha", "St. Louis"
FOREIGN_STREET = re.compile(r"\b(?:Rua|Rue|Via|Viale|Calle|Avenida|Avda|Carrer|Rambla|Ulica|Ul\.|Strada|Piazza|Largo|Travessa)\s+(?:\w+\s+){0,3}?[A-Z]\w+", re.UNICODE)
NUMBERED_STREET = re.compile(r"\b\d{1,5},?\s+((?:[^\W\d_][\w.'’-]*\s+){1,4})\d{1,4}[a-zA-Z]?\b")
UNIT = re.compile(r"\b(?:Apt|Apartment|Suite|Ste|Unit|Flat|Box|PSC)\.?\s*#?\d{1,5}[A-Za-z]?\b|\b[ADF]PO\s+A[AEP]\s+\d{5}\b", re.IGNORECASE)
ANNOUNCED = re.compile(r"\b(?:address(?:es)?(?:\s+is|\s+of\s+[\w .'-]{1,40}?\s+is)?\s*:?|lives?\s+(?:at|on)|located\s+at|(?:sent|send it|deliver(?:ed)? it|return(?:ed)? it|return)\s+to|drops?\s+you\s+off\s+at)\s+(?=\d|PSC|Unit)", re.IGNORECASE)
SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n\n")
ABBREVIATION = re.compile(r"(?:\b[A-Za-z]|St|Dr|Rd|Ln|Ct|Pl|Ste|Apt|Ave|No)$")
MAX_ANNOUNCED = 160
SCORE = 0.85


class StreetAddressRecognizer(EntityRecognizer):
    def __init__(self) -> None:
        super().__init__(supported_entities=["LOCATION"], name="StreetAddressRecognizer")

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        spans = [m.span() for m in STREET.finditer(text) if not _title(text, m)]
        spans += [m.span() for pattern in (FOREIGN_STREET, UNIT) for m in pattern.finditer(text)]
        spans += [m.span() for m in NUMBERED_STREET.finditer(text) if _has_rare_word(m.group(1))]
        spans += [_announced(text, m.end()) for m in ANNOUNCED.finditer(text)]
        return [RecognizerResult("LOCATION", start, end, SCORE) for start, end in spans]


def _title(text: str, street: re.Match) -> bool:
    """An abbreviated street word with no house number that a name follows: a title."""
    return not street.group()[0].isdigit() and bool(TITLE_BEFORE_NAME.match(text, street.end() - len(street.group().split()[-1])))


def _has_rare_word(words: str) -> bool:
    return any(is_rare_word(word.strip(".,'’-")) for word in words.split())


def _announced(text: str, start: int) -> tuple[int, int]:
    """From `start` to the end of its sentence (an abbreviation's full stop does not end it)."""
    limit = min(len(text), start + MAX_ANNOUNCED)
    stop = next((m.start() for m in SENTENCE_END.finditer(text, start, limit) if not ABBREVIATION.search(text, start, m.start())), limit)
    return start, len(text[:stop].rstrip(" ,;"))
