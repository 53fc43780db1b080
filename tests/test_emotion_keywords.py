"""A feeling's keyword confirms what the emotion model reads; it never carries a feeling the model reads as unlikely.

"An engineer explained a night mode I didn't know about ... I was impressed" matched the confusion keywords
"explain" and "don't know", and the keywords alone made the answer confusion, a pain, though the model read
admiration. The sentences here are written for this test.
"""

import pytest


@pytest.fixture(scope="module")
def engine():
    from research import codebook as codebooks
    from research.coding.emotion_model import EmotionModel
    from research.coding.engine import CodingEngine
    from research.coding.rules import RuleMatcher
    from research.nlp import load_spacy

    book = codebooks.load(codebooks.resolve("cx-journey"))
    return CodingEngine(book, RuleMatcher(book, load_spacy()), EmotionModel.load())


def test_a_keyword_does_not_make_a_pleased_answer_confused(engine):
    text = "The technician explained a setting I didn't know about, and the next morning she rang to check it had worked. Honestly, I was delighted."
    _, (codes,) = engine.feelings([text])
    assert "emotion:confusion" not in codes and any(code in codes for code in ("emotion:delight", "emotion:trust", "emotion:relief")), codes


def test_a_keyword_still_confirms_the_feeling_the_model_reads(engine):
    _, (codes,) = engine.feelings(["I still don't know what the extra fee on my invoice is for, nobody could explain it."])
    assert "emotion:confusion" in codes
