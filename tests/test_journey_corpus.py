"""The generated journey corpus: what it holds, and that the shipped embeddings are of its sentences."""

from __future__ import annotations

from collections import Counter

from research.coding.journey_corpus import OUTSIDE, PER_CLASS, TEMPLATES, JourneyCorpus, generated_sentences
from research.coding.journey_phrasings import PHRASINGS


def test_the_shipped_embeddings_are_of_the_generated_sentences():
    """journey-corpus.npz is rebuilt (python -m research.coding.journey_corpus) whenever a template or phrasing changes."""
    corpus = JourneyCorpus.load()
    assert corpus is not None, "journey-corpus.npz is stale: rebuild it"
    counts = Counter(s.label for s in generated_sentences())
    assert {label: len(vectors) for label, vectors in corpus.vectors.items()} == dict(counts)


def test_every_phrasing_is_in_the_corpus_as_its_own_template():
    """Each phrasing is a group of its own for cross-validation, and the template sentences keep their number."""
    sentences = generated_sentences()
    assert set(PHRASINGS) <= set(TEMPLATES)
    for label, phrasings in PHRASINGS.items():
        own = [s for s in sentences if s.label == label]
        as_written = {s.text: s.template for s in own if s.text in phrasings}
        assert set(as_written) == set(phrasings)
        assert len(set(as_written.values())) == len(phrasings)
        from_phrasings = [s for s in own if s.template in set(as_written.values())]
        assert len(own) - len(from_phrasings) == PER_CLASS
        assert len(from_phrasings) == len(phrasings) * (1 if label == OUTSIDE else 2)  # journey phrasings once more, framed by a feeling
