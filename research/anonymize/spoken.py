"""Presidio recognizers for PII the way speech recognition writes it.

Whisper turns "margaret dot okafor at brightwater dental dot com" into anything from the
spoken words to "Margaret.O.Caffa at Brightwater Dental.com" or "Sophia.raysatmailbox.com";
phone numbers come out as digits, digit groups or words; an order number as "K-4-4719"
or "K four four seven one nine"; a spelled name as "O-K-A-F-O-R".

Speech has look-alikes that are not PII: a stutter ("I- I- I") is no spelled name, nor is
an acronym said letter by letter ("F-B-I"); a list of years ("1918, 1919") or a number with
thousands separators ("1,250,000") is no phone number.
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from spacy.lang.en.stop_words import STOP_WORDS

from wordfreq import zipf_frequency

from research.anonymize.gazetteer import could_be_name, is_dictionary_word, is_first_name, is_listed_name, is_name, is_rare_word

DIGIT_WORDS = {"zero": 1, "oh": 1, "o": 1, "one": 1, "two": 1, "three": 1, "four": 1, "five": 1, "six": 1, "seven": 1, "eight": 1, "nine": 1}
REPEATERS = {"double": 2, "triple": 3}
_DIGITISH = r"(?:\d+|zero|oh|one|two|three|four|five|six|seven|eight|nine|double|triple)"
_TLD = r"(?:com|org|net|edu|gov|io|co|uk|us|de|fr|ca|au|info|biz|me)"

SPOKEN_EMAIL = re.compile(
    rf"\b[\w'.-]+(?:\s+(?:dot|underscore|dash|hyphen)\s+[\w'-]+)*\s+at\s+(?:[\w'-]+\s+){{0,3}}?[\w'-]+\s+dot\s+{_TLD}(?:\s+dot\s+{_TLD})?\b",
    re.IGNORECASE,
)
MANGLED_EMAIL = re.compile(rf"\b(?:[\w'-]+\.[\w'.-]+|[\w'.-]+\s+at\s+(?:[\w'-]+\s+){{0,3}}[\w'-]+)\.{_TLD}(?:\.{_TLD})?\b", re.IGNORECASE)  # a name part, then the domain: not "Vaccines.gov"
SPELLED_LETTERS = re.compile(r"\b(?:[A-Z][\s.-]+){2,}[A-Z]\b")
RELATIVES = ("son", "daughter", "kid", "husband", "wife", "sister", "brother", "mom", "mum", "dad", "father", "mother", "partner", "colleague", "boss", "manager", "friend", "neighbou?r", "coworker", "assistant")
_EITHER_CASE = "|".join(f"[{word[0].upper()}{word[0]}]{word[1:]}" for word in (*RELATIVES, "youngest", "eldest", "oldest"))
RELATION = rf"(?:{_EITHER_CASE}|Doctor|Dr\.?|Mrs\.?|Mr\.?|Ms\.?|Mx\.?|Miss|Professor)"
TITLE_NAME = re.compile(r"\b(?:Dr\.?|Doctor|Mrs\.?|Mr\.?|Ms\.?|Mx\.?|Prof\.?|Professor|President|Secretary|Senator|Governor|Mayor|Judge|Justice|Detective|Sergeant|Ambassador|Chancellor|Congressman|Congresswoman|Rabbi|Pastor) (?P<name>[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?)")
SOFT_TITLE_NAME = re.compile(r"\b(?:Coach|Nurse|Officer|Constable|Captain|Auntie|Aunty|Aunt|Uncle|Imam|Reverend|Rev\.?|Sir|Dame) (?P<name>[A-Z][\w'’-]+)")  # then a word that could be a name: "Coach Paewai", not "Nurse Practitioner"
ROLES = frozenset("president vice speaker chair chairman chairwoman chairperson secretary senator governor mayor judge justice ambassador chancellor minister premier director commissioner leader representative congressman congresswoman professor doctor general attorney deputy sheriff officer".split())  # "Mr. President", "Madam Speaker": a form of address, no name
LOWER_CASE_TITLE_NAME = re.compile(r"\b(?:dr|mrs|mr|ms|mx|prof)\.? (?P<name>[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?)")  # "ms. Frici": a title typed or transcribed in lower case
FAMILY = ("son", "daughter", "kids?", "husband", "wife", "sister", "brother", "mother", "father", "widow", "widower", "fiancée?", "girlfriend", "boyfriend", "nephew", "niece", "granddaughter", "grandson", "uncle", "aunt", "cousin", "stepson", "stepdaughter")
POSSESSED_RELATIVE = re.compile(rf"\b(?P<name>[^\W\d_][\w-]+)['’]s (?:{'|'.join(FAMILY)})\b")  # "Hilarion's daughter": companies have no daughters
FAMILY_WORDS = frozenset("mum mom mummy mommy dad daddy mother father grandma grandpa granny gran nan nana auntie uncle aunt sister brother son daughter wife husband baby".split())
RELATION_NAME = re.compile(rf"\b(?:{RELATION},?|(?:named|called)(?: him| her| them)?) (?P<name>[A-Z][a-z]{{2,}})\b")
INTRODUCTION = re.compile(r"\b(?:[Mm]y name is|[Mm]y name's|I'm|I am|[Tt]his is|[Cc]all(?:s|ed)? me|[Ii]t's) (?P<name>[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?)")
NAME_GIVEN = re.compile(r"\b(?:[Mm]y|[Yy]our|[Hh]is|[Hh]er|[Tt]heir|[Mm]aiden|[Ff]irst|[Ll]ast|[Mm]iddle|[Ff]ull|[Ff]amily|[Gg]iven) (?:sur|nick)?name(?: is| was|'s|:|\?)\s+(?P<name>[^\W\d_][\w'’-]+(?: [A-Z][\w'’-]+)?)")
LOWER_CASE_RELATION = f"(?:{'|'.join(RELATIVES)})"
LOWER_CASE_INTRODUCTION = re.compile(
    rf"\b(?:my name is|my name's|call(?:s|ed)? me|name is|called|named|says|said|(?:my|our|his|her|their) {LOWER_CASE_RELATION})\s+(?P<first>[a-z][\w'’-]+)(?:\s+(?P<last>[a-z][\w'’-]+))?"
)
NOT_INTRODUCED = frozenset({"The", "A", "An", "Not", "Just", "So", "Really", "Very", "Sure", "Happy", "Glad", "Sorry", "Fine", "Okay", "Here", "There", "It", "That", "This", "What", "Actually"})
ID_KEYWORDS = re.compile(
    r"\b(?:order|account|reference|ticket|case|invoice|membership|customer|tracking|policy|confirmation|booking)\s+(?:number|no\.?|num|id|code|#)?\s*(?:is|was|:)?\s*,?\s*",
    re.IGNORECASE,
)
ID_VALUE = re.compile(rf"(?:[A-Za-z]{{1,3}}[\s-]?)?(?:{_DIGITISH}[\s,.-]*){{3,}}", re.IGNORECASE)
DIGIT_RUN = re.compile(rf"\b{_DIGITISH}\b(?:[ \t,.()-]+\b{_DIGITISH}\b)*", re.IGNORECASE)
YEAR = re.compile(r"(?:1[89]|20)\d\d")
SEPARATED_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+")  # 1,250,000 and 3.75
MIN_SPELLED_LETTERS = 2  # different letters: "I- I- I" is a stutter
CONTEXT_SCORE = 0.9  # above spaCy's 0.85: Presidio keeps the context's verdict on the same words ("I'm Jordan")
RELATIVE_SCORE = 0.88  # above spaCy's, below CONTEXT_SCORE: where a title or context recognizer finds the same words ("Mr. Peanut"),
# Presidio keeps theirs (a name whatever the word) rather than a tie it breaks by hash order, which changed from run to run
ACRONYM_ZIPF = 3.0  # spelled letters written this often are a word or an acronym ("FBI"), not a name


def not_a_phone(run: str) -> bool:
    """Years ("1918, 1919", "2020 and 2021") or numbers written with separators ("1,250,000")."""
    numbers = re.findall(r"\d[\d,.]*\d|\d", run)
    if numbers and all(YEAR.fullmatch(number) for number in numbers) and not re.search(r"[a-z]", run, re.IGNORECASE):
        return True
    return any(SEPARATED_NUMBER.fullmatch(number) for number in numbers)


def count_digits(text: str) -> int:
    """Digits a spoken or written number sequence stands for ("double five" is two)."""
    total, repeat = 0, 1
    for token in re.findall(rf"\d+|{_DIGITISH}", text.lower()):
        if token in REPEATERS:
            repeat = REPEATERS[token]
            continue
        total += (len(token) if token.isdigit() else DIGIT_WORDS[token]) * repeat
        repeat = 1
    return total


class SpokenEmailRecognizer(PatternRecognizer):
    def __init__(self) -> None:
        super().__init__(
            supported_entity="EMAIL_ADDRESS",
            name="SpokenEmailRecognizer",
            patterns=[Pattern("spoken email", SPOKEN_EMAIL.pattern, 0.9), Pattern("misheard email", MANGLED_EMAIL.pattern, 0.8)],
            global_regex_flags=re.IGNORECASE,
        )


class SpokenPhoneRecognizer(EntityRecognizer):
    """Runs of 7 to 15 digits, written or spoken, in groups or one by one, on one line."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PHONE_NUMBER"], name="SpokenPhoneRecognizer")

    def load(self) -> None:  # nothing to load
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        results = []
        for match in DIGIT_RUN.finditer(text):
            if not_a_phone(match.group()):
                continue
            if 7 <= count_digits(match.group()) <= 15 and not ID_KEYWORDS.search(text[max(0, match.start() - 40) : match.start()]):
                results.append(RecognizerResult("PHONE_NUMBER", match.start(), match.end(), 0.85))
        return results


class OrderNumberRecognizer(EntityRecognizer):
    """Account, order and reference numbers announced by a keyword."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["ID"], name="OrderNumberRecognizer")

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        results = []
        for keyword in ID_KEYWORDS.finditer(text):
            value = ID_VALUE.match(text, keyword.end())
            if value and count_digits(value.group()) >= 3:
                end = keyword.end() + len(value.group().rstrip(" ,.-"))
                results.append(RecognizerResult("ID", keyword.end(), end, 0.9))
        return results


class SpelledNameRecognizer(EntityRecognizer):
    """Letters said one by one ("O-K-A-F-O-R"), unless they are one letter again and again
    (a stutter, "I- I- I") or spell a common word or acronym ("F-B-I", "U-S-A")."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="SpelledNameRecognizer")

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        results = []
        for match in SPELLED_LETTERS.finditer(text):
            letters = re.sub(r"[^A-Z]", "", match.group())
            if len(set(letters)) >= MIN_SPELLED_LETTERS and (is_name(letters.title()) or zipf_frequency(letters.lower(), "en") < ACRONYM_ZIPF):
                results.append(RecognizerResult("PERSON", match.start(), match.end(), 0.7))
        return results


class RelativeNameRecognizer(EntityRecognizer):
    """A capitalised name after a relation or title ("our youngest, Mateo", "Dr. Patel") or an
    introduction ("my name is Siiri"); in lower case, a first name or a rare word after an introduction, a
    relation or "called" ("my kid ezinet")."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="RelativeNameRecognizer")

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        results = [RecognizerResult("PERSON", m.start("name"), m.end("name"), RELATIVE_SCORE) for m in RELATION_NAME.finditer(text) if m.group("name").casefold() not in ROLES]
        for m in INTRODUCTION.finditer(text):
            if m.group("name").split()[0] not in NOT_INTRODUCED:
                results.append(RecognizerResult("PERSON", m.start("name"), m.end("name"), RELATIVE_SCORE))
        for m in LOWER_CASE_INTRODUCTION.finditer(text):  # "my name is lena andersson"
            if m.group("first") not in STOP_WORDS and (is_first_name(m.group("first")) or is_rare_word(m.group("first")) or (m.group().startswith(("my name", "call")) and is_listed_name(m.group("first")))):
                last = m.group("last")
                end = m.end("last") if last and (is_name(last) or is_rare_word(last)) else m.end("first")
                results.append(RecognizerResult("PERSON", m.start("first"), end, RELATIVE_SCORE))
        return results


class TitleNameRecognizer(EntityRecognizer):
    """One or two capitalised words after a title ("Dr. Leana Wen", "Secretary Becerra", "ms. Frici"),
    unless the first is a role ("Mr. President"); one that could be a name after a title of
    everyday speech ("Coach Paewai", "Auntie Adwoa", "Nurse Fonoti");
    a question for a name ("Her maiden name is Key", "Last name? Ng"), or a possessive before a
    relative ("Hilarion's daughter"). The context says it is a person, whatever the word
    ("President Trump", "Ms. Young")."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="TitleNameRecognizer")

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        titled = [m for m in (*TITLE_NAME.finditer(text), *LOWER_CASE_TITLE_NAME.finditer(text)) if m.group("name").split()[0].casefold() not in ROLES]
        titled += [m for m in SOFT_TITLE_NAME.finditer(text) if could_be_name(m.group("name")) and m.group("name").casefold() not in ROLES]
        results = [RecognizerResult("PERSON", m.start("name"), m.end("name"), CONTEXT_SCORE) for m in titled]
        results += [RecognizerResult("PERSON", m.start("name"), m.end("name"), CONTEXT_SCORE) for m in POSSESSED_RELATIVE.finditer(text) if _possessor_is_named(m.group("name"), text)]
        return results + [RecognizerResult("PERSON", m.start("name"), m.end("name"), CONTEXT_SCORE) for m in NAME_GIVEN.finditer(text) if m.group("name")[0].isupper()]


def _possessor_is_named(word: str, text: str) -> bool:
    """The owner in "Hilarion's daughter" is a person unless an everyday word ("Mum's sister",
    "the company's son", "Apple's daughter company"): capitalised in mixed-case text, in no dictionary when all lower case."""
    if word.casefold() in STOP_WORDS or word.casefold() in FAMILY_WORDS:
        return False
    if any(char.isupper() for char in text):
        return word[0].isupper() and not word.isupper() and (is_name(word) or is_listed_name(word) or not is_dictionary_word(word))  # "Martin's kid"
    return not is_dictionary_word(word)


def spoken_recognizers() -> list[EntityRecognizer]:
    return [SpokenEmailRecognizer(), SpokenPhoneRecognizer(), OrderNumberRecognizer(), SpelledNameRecognizer(), RelativeNameRecognizer(), TitleNameRecognizer()]
