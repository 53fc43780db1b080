"""What is computed from a codebook alone is kept on disk, read back unchanged, and computed afresh when its input changes."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def kept_in(tmp_path, monkeypatch):
    from research import computed

    monkeypatch.setenv("RESEARCH_MODELS", str(tmp_path))
    computed.memory.cache_clear()
    yield tmp_path / "computed"
    computed.memory.cache_clear()


def test_a_codebooks_embeddings_are_kept_and_a_changed_text_embeds_afresh(kept_in, monkeypatch):
    import research.embeddings as embeddings

    texts = ["The setup took a whole evening.", "Support called me back the same day."]
    fresh = embeddings.embed(texts)
    assert np.array_equal(embeddings.embed_kept(texts), fresh)
    assert list(kept_in.rglob("output.pkl"))

    def no_model(*args, **kwargs):
        raise AssertionError("embedded again")

    monkeypatch.setattr(embeddings, "embed", no_model)
    assert np.array_equal(embeddings.embed_kept(texts), fresh)  # read back, not embedded again
    with pytest.raises(AssertionError, match="embedded again"):
        embeddings.embed_kept([texts[0], "Support never called back."])


def test_a_classifier_trained_on_the_same_examples_is_kept(kept_in, monkeypatch):
    from sklearn.linear_model import LogisticRegression

    from research.coding.classifier import GroupClassifier

    rows = np.random.default_rng(0).normal(size=(40, 8)).astype(np.float32)
    examples = {"stage:a": rows[:20] + 1, "stage:b": rows[20:] - 1}
    first = GroupClassifier.fit(examples)

    def no_training(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr(LogisticRegression, "fit", no_training)
    again = GroupClassifier.fit(examples)
    assert np.array_equal(again.model.coef_, first.model.coef_) and again.keys == first.keys
    with pytest.raises(AssertionError, match="trained again"):
        GroupClassifier.fit({"stage:a": rows[:20] + 1, "stage:b": rows[20:] - 2})


def test_a_cache_folder_that_cannot_be_used_only_costs_the_time(tmp_path, monkeypatch):
    from research import computed
    from research.coding.classifier import GroupClassifier

    (tmp_path / "computed").write_text("a file where the cache folder should be")
    monkeypatch.setenv("RESEARCH_MODELS", str(tmp_path))
    computed.memory.cache_clear()
    rows = np.random.default_rng(1).normal(size=(20, 4)).astype(np.float32)
    try:
        classifier = GroupClassifier.fit({"stage:a": rows[:10] + 1, "stage:b": rows[10:] - 1})
    finally:
        computed.memory.cache_clear()
    assert classifier.keys == ["stage:a", "stage:b"] and classifier.probabilities(rows)["stage:a"].shape == (20,)
