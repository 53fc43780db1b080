"""BERTopic over utterance embeddings: clusters sized by their content, labelled with noun phrases.

Granularity: a theme needs `MIN_THEME` similar utterances whatever the corpus size, so a larger
study finds more themes, not bigger ones. Labels come from BERTopic's representation models over
the packaged MiniLM: PartOfSpeech noun phrases from the packaged spaCy model, diversified by
MaximalMarginalRelevance, then ranked KeyBERT-style by closeness to the theme's own utterances (see
`labels.choose_label`). The c-TF-IDF words stay as the secondary `words`. Spoken filler is a stop
word, so it never names a theme. Clusters form on each utterance's sentence embedding beside a
latent-semantic vector of its content words (`clustering_space`), so utterances that name the same
things group together; measured against human codes in benchmarks/themes.py. BERTopic's KeyBERTInspired and MMR embed per topic and re-embed
documents already embedded; here every candidate phrase is embedded once, in one batch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from research.themes.labels import NOUN_PHRASES, STOP_WORDS, TOKEN_PATTERN, choose_label, phrase_nlp, spoken_words

SEED = 42
MIN_THEME = 6  # utterances a theme needs, in a study of any size
TOP_WORDS = 8
WORDS_WEIGHT = 0.7  # the shared-words part of the clustering space, beside the unit sentence embedding
LEXICAL_DIMENSIONS = 100


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


def _phrase_models(centres: dict[int, np.ndarray]):
    """PartOfSpeech noun phrases, then MaximalMarginalRelevance (against each topic's utterance centre)
    over one batch of phrase embeddings."""
    from bertopic.representation import MaximalMarginalRelevance, PartOfSpeech
    from bertopic.representation._mmr import mmr

    from research.embeddings import embed

    class BatchedMMR(MaximalMarginalRelevance):
        """BERTopic's MMR, each topic's phrases against its utterances' centre, with every phrase embedded once."""

        vectors: dict[str, np.ndarray] = {}

        def extract_topics(self, topic_model, documents, c_tf_idf, topics):
            phrases = sorted({p for values in topics.values() for p, _ in values if p})
            self.vectors = dict(zip(phrases, embed(phrases)))
            updated = {}
            for topic, values in topics.items():
                candidates = [p for p, _ in values if p]
                if len(candidates) < 2:
                    updated[topic] = values
                    continue
                kept = set(mmr(centres[topic].reshape(1, -1), np.stack([self.vectors[p] for p in candidates]), candidates, self.diversity, min(self.top_n_words, len(candidates))))
                updated[topic] = [(p, v) for p, v in values if p in kept]
            return updated

    return PartOfSpeech(phrase_nlp(), top_n_words=12, pos_patterns=NOUN_PHRASES), BatchedMMR(diversity=0.2, top_n_words=8)


def clustering_space(texts: list[str], vectors: np.ndarray) -> np.ndarray:
    """Each text's sentence embedding beside a latent-semantic (TF-IDF, SVD) vector of its content words,
    so utterances group by what they mean and by the things they name ("heat map", "export button")."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        counts = TfidfVectorizer(stop_words=sorted(STOP_WORDS), token_pattern=TOKEN_PATTERN, sublinear_tf=True, min_df=2).fit_transform(texts)
    except ValueError:  # no content word shared by two texts
        return vectors
    dimensions = min(LEXICAL_DIMENSIONS, counts.shape[1] - 1, len(texts) - 1)
    if dimensions < 2:
        return vectors
    words = _units(TruncatedSVD(dimensions, random_state=SEED).fit_transform(counts))
    return _units(np.hstack([vectors, WORDS_WEIGHT * words]))


def nearest_theme(vectors: np.ndarray, topics: list[int]) -> list[int]:
    """Each HDBSCAN outlier (-1) placed in the theme whose mean sentence embedding it is most similar to."""
    labels = np.asarray(topics)
    ids = sorted(set(topics) - {-1})
    if -1 not in topics or not ids:
        return list(topics)
    centres = _units(np.stack([vectors[labels == t].mean(axis=0) for t in ids]))
    placed = labels.copy()
    placed[labels == -1] = np.asarray(ids)[np.argmax(vectors[labels == -1] @ centres.T, axis=1)]
    return [int(t) for t in placed]


def cluster(texts: list[str], vectors: np.ndarray, min_size: int | None = None):
    """(fitted BERTopic, topic per text, HDBSCAN's own topic per text); outliers go to the most similar topic."""
    model = topic_model(len(texts), min_size)
    topics, _ = model.fit_transform(texts, clustering_space(texts, vectors))
    logging.getLogger("BERTopic").setLevel(logging.ERROR)  # fitting resets it; its notes are for developers
    return model, nearest_theme(vectors, list(topics)), list(topics)


def fit_topics(texts: list[str], vectors: np.ndarray) -> list[Topic]:
    """Themes over `texts` (with their unit embeddings), each labelled; none when nothing clusters."""
    lowered = [t.lower() for t in texts]  # the vocabulary is lower case, and PartOfSpeech matches phrases by their text
    model, topics, original = cluster(lowered, vectors)
    if set(topics) == {-1}:  # outliers stay only when nothing clustered
        return []
    centres = {t: _unit(vectors[[i for i, x in enumerate(topics) if x == t]].mean(axis=0)) for t in set(topics)}
    noun_phrases, diverse = _phrase_models(centres)
    model.update_topics(lowered, topics=topics, top_n_words=TOP_WORDS, vectorizer_model=model.vectorizer_model, representation_model={"Main": None, "phrases": [noun_phrases, diverse]})
    found, taken = [], set()
    for topic in sorted(set(topics), key=lambda t: -topics.count(t)):  # the biggest themes pick their labels first
        members = [i for i, t in enumerate(topics) if t == topic]
        said = [texts[i] for i in members]
        words = spoken_words([w for w, _ in (model.get_topic(topic) or []) if w], said)[:TOP_WORDS]
        phrases = [p for p, _ in model.topic_aspects_.get("phrases", {}).get(topic, []) if p]
        label = choose_label(phrases, words, said, centres[topic], diverse.vectors, taken)
        taken.add(label.lower())
        found.append(Topic(label, words, members, frozenset(i for i in members if original[i] == -1)))
    return sorted(found, key=lambda t: t.members[0])


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / (np.linalg.norm(vector) or 1.0)


def _units(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
