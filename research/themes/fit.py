"""BERTopic over utterance embeddings: clusters sized by their content, labelled with noun phrases.

Granularity: a theme needs `MIN_THEME` similar utterances whatever the corpus size, so a larger
study finds more themes, not bigger ones. Labels come from BERTopic's representation models over
the packaged MiniLM: KeyBERTInspired ranks the c-TF-IDF words (kept as secondary `words`), and
PartOfSpeech noun phrases from the packaged spaCy model, diversified by MaximalMarginalRelevance,
give the label. Spoken filler is a stop word, so it never names a theme.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from research.themes.labels import NOUN_PHRASES, STOP_WORDS, TOKEN_PATTERN, choose_label, phrase_nlp, spoken_words

SEED = 42
MIN_THEME = 6  # utterances a theme needs, in a study of any size
TOP_WORDS = 8


@dataclass(frozen=True)
class Topic:
    label: str
    words: list[str]
    members: list[int]  # indices of the fitted texts
    outliers: frozenset[int]  # members HDBSCAN left unassigned, placed here by embedding similarity


def min_theme_size(documents: int) -> int:
    """`MIN_THEME`, lowered only for studies too small to hold a few themes of that size."""
    return max(3, min(MIN_THEME, documents // 10))


def topic_model(documents: int, min_size: int | None = None):
    """BERTopic with seeded UMAP and leaf-selected HDBSCAN; representation models are added when labelling."""
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from sklearn.feature_extraction.text import CountVectorizer
    from umap import UMAP

    from research.embeddings import load_encoder

    return BERTopic(
        embedding_model=load_encoder(),
        umap_model=UMAP(n_neighbors=max(2, min(15, documents // 8)), n_components=5, min_dist=0.0, metric="cosine", n_epochs=200, random_state=SEED),
        hdbscan_model=HDBSCAN(min_cluster_size=min_size or min_theme_size(documents), min_samples=1, metric="euclidean", cluster_selection_method="leaf", prediction_data=True),
        vectorizer_model=CountVectorizer(stop_words=sorted(STOP_WORDS), ngram_range=(1, 3), min_df=1, token_pattern=TOKEN_PATTERN, lowercase=True),
        top_n_words=TOP_WORDS,
        calculate_probabilities=False,
    )


def _representation():
    """Main: KeyBERTInspired words; "phrases": PartOfSpeech noun phrases, then MaximalMarginalRelevance."""
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance, PartOfSpeech

    return {
        "Main": KeyBERTInspired(top_n_words=TOP_WORDS * 2, nr_repr_docs=3, nr_candidate_words=20, random_state=SEED),
        "phrases": [PartOfSpeech(phrase_nlp(), top_n_words=20, pos_patterns=NOUN_PHRASES), MaximalMarginalRelevance(diversity=0.2, top_n_words=10)],
    }


def cluster(texts: list[str], vectors: np.ndarray, min_size: int | None = None):
    """(fitted BERTopic, topic per text, HDBSCAN's own topic per text); outliers go to the most similar topic."""
    model = topic_model(len(texts), min_size)
    topics, _ = model.fit_transform(texts, vectors)
    original = list(topics)
    if -1 in topics and len(set(topics) - {-1}) > 0:
        topics = model.reduce_outliers(texts, topics, strategy="embeddings", embeddings=vectors)
    logging.getLogger("BERTopic").setLevel(logging.ERROR)  # fitting resets it; its notes are for developers
    return model, list(topics), original


def fit_topics(texts: list[str], vectors: np.ndarray) -> list[Topic]:
    """Themes over `texts` (with their unit embeddings), each labelled; none when nothing clusters."""
    from research.embeddings import embed

    lowered = [t.lower() for t in texts]  # the vocabulary is lower case, and PartOfSpeech matches phrases by their text
    model, topics, original = cluster(lowered, vectors)
    if set(topics) == {-1}:  # outliers stay only when nothing clustered
        return []
    model.update_topics(lowered, topics=topics, top_n_words=TOP_WORDS, vectorizer_model=model.vectorizer_model, representation_model=_representation())
    found = []
    for topic in sorted(set(topics)):
        members = [i for i, t in enumerate(topics) if t == topic]
        said = [texts[i] for i in members]
        words = spoken_words([w for w, _ in (model.get_topic(topic) or []) if w], said)[:TOP_WORDS]
        phrases = [p for p, _ in model.topic_aspects_.get("phrases", {}).get(topic, []) if p]
        centre = vectors[members].mean(axis=0)
        label = choose_label(phrases, words, said, centre / (np.linalg.norm(centre) or 1.0), embed)
        found.append(Topic(label, words, members, frozenset(i for i in members if original[i] == -1)))
    return found
