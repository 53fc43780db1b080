"""Feelings are read where they are said: an answer's parts carry their own emotion, a calm answer stays
neutral, and a barely confident step back in the journey is not placed."""

from __future__ import annotations

import numpy as np

from research.codebook import Code, CodeGroup
from research.coding.engine import CodingEngine
from research.coding.sentences import reports_others, split_parts
from research.coding.smoothing import smooth_ordered
from research.nlp import load_spacy

EMOTION = CodeGroup(id="emotion", name="Emotion", threshold=0.5, at_least_one=True, fallback="neutral", codes=[
    Code(id="frustration", name="Frustration", definition="Blocked goals.", valence=-0.6),
    Code(id="relief", name="Relief", definition="A worry goes away.", valence=0.5),
    Code(id="neutral", name="Neutral", definition="No clear feeling.", valence=0.0),
])


def parts(text: str) -> list[str]:
    return split_parts(load_spacy()(text))


def test_an_answer_that_feels_two_ways_splits_into_parts_about_each_thing():
    mixed = parts("Setup was easy. It paired with the studio Wi-Fi straight away. But on the high setting it is loud, nothing like the advert.")
    assert mixed == ["Setup was easy.", "It paired with the studio Wi-Fi straight away.", "But on the high setting it is loud, nothing like the advert."]
    coordinated = parts("Unboxing was lovely, but the app would not connect to our Wi-Fi!")
    assert coordinated == ["Unboxing was lovely.", "the app would not connect to our Wi-Fi!"]  # each part ends as a sentence does


def test_a_piece_too_short_to_say_anything_stays_with_the_part_before_it():
    assert parts("The app refused to pair with the router. Seriously.") == ["The app refused to pair with the router. Seriously."]
    assert parts("I was furious.") == ["I was furious."]
    assert parts("") == []
    assert parts("The savings pots were lovely while they lasted.") == ["The savings pots were lovely while they lasted."]  # was "… lovely they lasted."


def test_a_part_that_tells_what_someone_else_said_carries_their_feeling_not_the_speakers():
    nlp = load_spacy()
    assert reports_others(nlp("A friend who runs a gym said she had one and loved it."))
    assert not reports_others(nlp("I told her it was worth every penny."))
    assert not reports_others(nlp("My staff found the app confusing."))


def test_neutral_wins_when_it_clears_the_threshold_and_beats_every_feeling():
    frustration, neutral = 0, 2  # column 1 is relief
    calm = np.array([0.38, 0.34, 0.51])  # "None at all. I scanned the code on the back and it connected first time."
    assert CodingEngine._multi(calm, EMOTION) == [neutral]
    close = np.array([0.38, 0.10, 0.30])  # nothing clears the threshold: the best feeling near it still wins
    assert CodingEngine._multi(close, EMOTION) == [frustration]
    felt = np.array([0.62, 0.10, 0.55])
    assert CodingEngine._multi(felt, EMOTION) == [frustration]


def test_a_barely_confident_step_back_between_two_later_stages_is_not_placed():
    adoption = np.array([0.02, 0.05, 0.9, 0.02, 0.01])
    back = np.array([0.38, 0.05, 0.25, 0.16, 0.11])  # discovery just over the threshold, told between two adoption answers
    assert smooth_ordered(np.stack([adoption, back, adoption]), np.full(3, 0.05), threshold=0.35) == [2, None, 2]
    sure = np.array([0.8, 0.05, 0.25, 0.05, 0.05])  # a clear flashback keeps its stage
    assert smooth_ordered(np.stack([adoption, sure, adoption]), np.full(3, 0.05), threshold=0.35) == [2, 0, 2]
