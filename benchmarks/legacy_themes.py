"""The themes fit as it was before issue 14 (commit bfa6884), kept only as the benchmarks' reference:
min_cluster_size grows with the corpus (documents // 30) and labels are the top three c-TF-IDF words."""

from __future__ import annotations

import logging

import numpy as np

SEED = 42


def legacy_fit(texts: list[str], vectors: np.ndarray) -> tuple[list[int], dict[int, str]]:
    """(topic per text, label per topic) exactly as `research themes` computed them before."""
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from sklearn.feature_extraction.text import CountVectorizer
    from umap import UMAP

    from research.embeddings import load_encoder

    documents = len(texts)
    model = BERTopic(
        embedding_model=load_encoder(),
        umap_model=UMAP(n_neighbors=max(2, min(15, documents // 8)), n_components=5, min_dist=0.0, metric="cosine", n_epochs=200, random_state=SEED),
        hdbscan_model=HDBSCAN(min_cluster_size=max(3, documents // 30), min_samples=1, metric="euclidean", cluster_selection_method="leaf", prediction_data=True),
        vectorizer_model=CountVectorizer(stop_words="english", ngram_range=(1, 2), min_df=1, token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z-]+\b"),
        top_n_words=8,
        calculate_probabilities=False,
    )
    topics, _ = model.fit_transform(texts, vectors)
    if -1 in topics and len(set(topics) - {-1}) > 0:
        topics = model.reduce_outliers(texts, topics, strategy="embeddings", embeddings=vectors)
        logging.getLogger("BERTopic").setLevel(logging.ERROR)
        model.update_topics(texts, topics=topics, top_n_words=8, vectorizer_model=model.vectorizer_model)
    labels = {}
    for topic in set(topics):
        picked: list[str] = []
        for word in [w for w, _ in (model.get_topic(topic) or [])]:
            if not any(word in p or p in word for p in picked):
                picked.append(word)
            if len(picked) == 3:
                break
        labels[topic] = " · ".join(picked) or "theme"
    return list(topics), labels
