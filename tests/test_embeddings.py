"""Batching texts by length, one pass through the layers embedding and emotion share, and parses kept per process:
each gives what the plain computation gives."""

from __future__ import annotations

import numpy as np

TEXTS = [
    "Setup was easy.",
    "It paired with the studio Wi-Fi straight away, but on the high setting it is loud and the app kept logging me out.",
    "Yes.",
    "Support never called back, so I cancelled the subscription and told my sister to stay away from them.",
    "We compared three brands online before we bought it.",
]
LONG = " ".join(["The engineer came twice and the router still dropped the connection every evening."] * 12)  # past the emotion model's 128 tokens


def test_length_batches_hold_every_text_once_within_the_token_budget():
    from research.embeddings import length_batches

    lengths = [5, 300, 3, 100, 7, 7, 200, 1] + [12] * 300
    batches = length_batches(lengths, tokens=256, most=64)
    assert sorted(int(i) for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        longest = max(lengths[i] for i in batch)
        assert len(batch) <= 64 and (len(batch) * longest <= 256 or len(batch) == 1)
        assert [lengths[i] for i in batch] == sorted(lengths[i] for i in batch)
    assert length_batches([]) == []


def test_batched_embeddings_equal_each_text_embedded_alone():
    from research.embeddings import embed, load_encoder

    alone = np.stack([load_encoder().encode([text], normalize_embeddings=True)[0] for text in TEXTS + [LONG]])
    assert np.allclose(embed(TEXTS + [LONG]), alone, atol=1e-5)


def test_one_pass_for_embedding_and_emotion_gives_what_each_gives():
    from research.coding.emotion_model import EmotionModel
    from research.embeddings import embed

    model = EmotionModel.load()
    texts = TEXTS + [LONG]
    vectors, probabilities = model.read(texts)
    assert np.allclose(vectors, embed(texts), atol=1e-5)
    assert np.allclose(probabilities, model.predict(texts), atol=1e-5)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    empty_vectors, empty_probabilities = model.read([])
    assert empty_vectors.shape == (0, 384) and empty_probabilities.shape == (0, len(model.labels))
    assert model.predict([]).shape == (0, len(model.labels))


def test_a_text_is_parsed_once_while_it_is_kept(monkeypatch):
    from research import nlp

    first = nlp.parse(TEXTS)
    again = nlp.parse([TEXTS[2], TEXTS[0], "A new answer."])
    assert again[0] is first[2] and again[1] is first[0]
    assert [t.lemma_ for t in again[2]] == ["a", "new", "answer", "."]
    monkeypatch.setattr(nlp, "PARSED_KEPT", 2)
    nlp.parse(["One more answer.", "And another one."])
    assert nlp.parse([TEXTS[0]])[0] is not first[0]  # pushed out by newer texts, parsed afresh
    assert [t.text for t in nlp.parse([TEXTS[0]])[0]] == [t.text for t in first[0]]
