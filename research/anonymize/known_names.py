"""Find the study's known participant and company names in a transcript, misheard ones too.

Speech recognition writes "O'Caffa" for Okafor and "Medio" for Mateo, so exact matching
misses them. A capitalised word matches a name token when the spellings are close
(rapidfuzz ratio) or they sound alike (Metaphone codes close); a company matches as a
phrase of about the same number of words, however it was split ("bright water dental").

Close spellings and sounds also join everyday words to names ("Social" to Sokal, "Canada"
to Kanada), and the more names a sheet holds, the more words come close to one of them by
chance. So a word that is only close to a name must be rare enough: the chance that a
random word of English is this word, times the number of name tokens it was tested
against, stays under CHANCE_BUDGET. A word that *is* a name token but also an everyday
word ("Grace", "Young", "Just") is the name when capitalised inside a sentence; opening
one, it passes under the looser EXACT_BUDGET. Summed over a sheet's N
tokens, each with K close words in the language, at most about K x CHANCE_BUDGET of the
words of ordinary speech can match by chance, whatever N is. A close word that is itself a
name on the gazetteers ("Matteo" for Mateo) and no place passes under the looser EXACT_BUDGET:
if it is someone else, a name was still redacted; but a name as common as "Stanford" is more
often the university.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
from rapidfuzz import fuzz, process

from research.anonymize.gazetteer import everyday_words, is_dictionary_word, is_name, is_place

SPELLING = 82  # rapidfuzz ratio of the letters
SOUND = 85  # ratio of the Metaphone codes, when the letters are at least LOOSE_SPELLING alike
LOOSE_SPELLING = 45
PHRASE = 85
CHANCE_BUDGET = 5e-6  # name tokens tested x a close (not equal) word's frequency in English
EXACT_BUDGET = 1e-3  # the same, for a sentence's first word equal to a token that is also an everyday word
UNSEEN = 1e-9  # the frequency of a word wordfreq has never seen ("O'Caffa")
_BEFORE_A_WORD = frozenset(" \"'“‘(")  # what may stand between a sentence's end and its first word
_WORD = re.compile(r"[A-Za-z][\w'’-]*")
TITLE_CASE = re.compile(r"(?:Ma?c|[OD]['’])?[A-Z][a-z]+(?:['’-][A-Za-z][a-z]*)*")  # "O'Caffa", "McBride", "Jean-Pierre"


@dataclass(frozen=True)
class KnownName:
    text: str  # as in the metadata sheet
    entity_type: str  # PERSON or ORGANIZATION


@dataclass(frozen=True)
class NameMatch:
    start: int
    end: int
    name: KnownName


@lru_cache(maxsize=65536)
def _key(word: str) -> str:
    return re.sub(r"[^a-z]", "", word.casefold())


@lru_cache(maxsize=65536)
def _sounds(word: str) -> str:
    return jellyfish.metaphone(_key(word)) if _key(word) else ""


@lru_cache(maxsize=65536)
def word_chance(word: str) -> float:
    """How often a word of English is this word (wordfreq), never zero."""
    from wordfreq import word_frequency

    return max(word_frequency(_key(word), "en"), UNSEEN)


def _close(a: str, b: str, word: str, token: str) -> bool:
    if len(a) < 4 or len(b) < 4:
        return False
    if fuzz.ratio(a, b) >= SPELLING:
        return True
    sound_a, sound_b = _sounds(word), _sounds(token)
    if len(sound_a) < 2 or len(sound_b) < 2:
        return False
    return sound_a == sound_b or (fuzz.ratio(sound_a, sound_b) >= SOUND and fuzz.ratio(a, b) >= LOOSE_SPELLING)


@lru_cache(maxsize=262144)
def _token_matches(word: str, token: str, tested: int = 1, opens_sentence: bool = True) -> bool:
    """`word` is `token`, or close to it and too rare to be close by chance among `tested` tokens."""
    a, b = _key(word), _key(token)
    if not a or not b:
        return False
    if a == b:
        return a not in everyday_words() or (TITLE_CASE.fullmatch(word) is not None and (not opens_sentence or tested * word_chance(word) <= EXACT_BUDGET))
    if not TITLE_CASE.fullmatch(word) or not _close(a, b, word, token):
        return False  # speech recognition writes a misheard name as a name: not "LCSC", "TRoss", "RemindMe"
    chance = tested * word_chance(word)
    return chance <= CHANCE_BUDGET or (chance <= EXACT_BUDGET and is_name(word) and not is_place(word) and not is_dictionary_word(word, 0.0))


def _opens_sentence(text: str, start: int) -> bool:
    i = start
    while i and text[i - 1] in _BEFORE_A_WORD:
        i -= 1
    return not i or text[i - 1] in ".?!:\n"


def _phrase_matches(text: str, words: list[tuple[int, int, str]], name: KnownName, windows: dict[int, tuple[list[tuple[int, int]], list[str]]]) -> list[NameMatch]:
    """A multi-word or company name as a run of about as many words, however speech recognition split it."""
    tokens = name.text.split()
    wanted = _key(name.text)
    candidates = []
    for size in {max(1, len(tokens) - 1), len(tokens), len(tokens) + 1}:  # "bright water dental"
        if size not in windows:
            spans = [(words[i][0], words[i + size - 1][1]) for i in range(len(words) - size + 1)]
            windows[size] = (spans, [_key(text[start:end]) for start, end in spans])
        spans, phrases = windows[size]
        for phrase, ratio, i in process.extract(wanted, phrases, scorer=fuzz.ratio, score_cutoff=PHRASE, limit=None):
            start, end = spans[i]
            if len(phrase) >= 0.85 * len(wanted):  # not "household" for "Kim household"
                candidates.append((-ratio, end - start, start, end))
    matches, taken = [], []
    for _, _, start, end in sorted(candidates):  # best match first; it keeps its words
        if all(end <= a or start >= b for a, b in taken):
            taken.append((start, end))
            matches.append(NameMatch(start, end, name))
    return matches


def find_known_names(text: str, names: list[KnownName]) -> list[NameMatch]:
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    capitalised = [(start, end, word, _opens_sentence(text, start)) for start, end, word in words if word[0].isupper()]
    tested = max(1, len({_key(token) for name in names if name.entity_type == "PERSON" for token in name.text.split()}))
    windows: dict[int, tuple[list[tuple[int, int]], list[str]]] = {}  # word runs by length, shared by every name
    matches: list[NameMatch] = []
    for name in names:
        tokens = name.text.split()
        if name.entity_type == "ORGANIZATION" or len(tokens) > 1:
            matches.extend(_phrase_matches(text, words, name, windows))
        if name.entity_type == "PERSON":
            for start, end, word, opens in capitalised:
                if any(_token_matches(word, token, tested, opens) for token in tokens):
                    matches.append(NameMatch(start, end, name))
    return matches
