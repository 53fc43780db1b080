"""BERTopic over utterance embeddings: clusters sized by their content, labelled with phrases.

Granularity: a theme needs `MIN_THEME` similar utterances whatever the corpus size, so a larger
study finds more themes, not bigger ones. Labels are 2-5 word phrases from spaCy's parse of each
theme's utterances, ranked KeyBERT-style over the packaged MiniLM (see `labels.label_themes`); the
c-TF-IDF words stay as the secondary `words`. Spoken filler is a stop word, so it never names a
theme. Clusters form on each utterance's sentence embedding beside a latent-semantic vector of its
content words (`clustering_space`), so utterances that name the same things group together;
measured against human codes in benchmarks/themes.py.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np

from research.themes.labels import STOP_WORDS, TOKEN_PATTERN, label_themes, spoken_words

SEED = 42
MIN_THEME = 6  # utterances a theme needs, in a study of any size
TOP_WORDS = 8
WORDS_WEIGHT = 0.7  # the shared-words part of the clustering space, beside the unit sentence embedding
LEXICAL_DIMENSIONS = 100
EXACT_NEIGHBOURS_UP_TO = 4096  # UMAP's own limit for an exact neighbour search; above it, its approximate one


@dataclass(frozen=True)
class Topic:
    label: str
    words: list[str]
    members: list[int]  # indices of the fitted texts
    outliers: frozenset[int]  # members HDBSCAN left unassigned, placed here by embedding similarity


def min_theme_size(documents: int) -> int:
    """`MIN_THEME`, lowered only for studies too small to hold a few themes of that size."""
    return max(3, min(MIN_THEME, documents // 10))


def topic_model(documents: int, min_size: int | None = None, space: np.ndarray | None = None):
    """BERTopic with seeded UMAP and leaf-selected HDBSCAN; with the clustering `space`, UMAP gets its exact
    cosine neighbours from `exact_neighbours` instead of computing them pair by pair."""
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from sklearn.feature_extraction.text import CountVectorizer
    from umap import UMAP

    from research.embeddings import load_encoder
    from research.themes.compiled import keep_umap_compiled

    keep_umap_compiled()
    neighbours = max(2, min(15, documents // 8))
    known = exact_neighbours(space, neighbours) if space is not None and len(space) < EXACT_NEIGHBOURS_UP_TO else (None, None, None)
    return BERTopic(
        embedding_model=load_encoder(),
        umap_model=UMAP(n_neighbors=neighbours, n_components=5, min_dist=0.0, metric="cosine", n_epochs=200, random_state=SEED, precomputed_knn=known),
        hdbscan_model=HDBSCAN(min_cluster_size=min_size or min_theme_size(documents), min_samples=1, metric="euclidean", cluster_selection_method="leaf", prediction_data=True),
        vectorizer_model=CountVectorizer(stop_words=sorted(STOP_WORDS), ngram_range=(1, 3), min_df=1, token_pattern=TOKEN_PATTERN, lowercase=True),
        top_n_words=TOP_WORDS,
        calculate_probabilities=False,
    )


def exact_neighbours(space: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, None]:
    """(indices, cosine distances) of each row's `k` nearest rows, exactly as UMAP's own search for small data
    finds them (float32 input, float64 distances, its own row sort), from one matrix product instead of
    UMAP's call per pair from Python (most of a fit's time)."""
    from umap.utils import fast_knn_indices

    from research.themes.compiled import keep_umap_compiled

    keep_umap_compiled()
    rows = np.asarray(space, dtype=np.float32).astype(np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", rows, rows))
    distances = np.maximum(1.0 - (rows @ rows.T) / np.maximum(np.outer(norms, norms), 1e-300), 0.0)
    np.fill_diagonal(distances, 0.0)  # rounding must not make a row its own nearest non-zero neighbour
    indices = fast_knn_indices(distances, k)
    return indices, np.take_along_axis(distances, indices, axis=1), None


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
    space = clustering_space(texts, vectors)
    model = topic_model(len(texts), min_size, space)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="precomputed_knn")  # no search index: the themes never transform new data
        topics, _ = model.fit_transform(texts, space)
    logging.getLogger("BERTopic").setLevel(logging.ERROR)  # fitting resets it; its notes are for developers
    return model, nearest_theme(vectors, list(topics)), list(topics)


def fit_topics(texts: list[str], vectors: np.ndarray) -> list[Topic]:
    """Themes over `texts` (with their unit embeddings), each labelled; none when nothing clusters."""
    lowered = [t.lower() for t in texts]  # the c-TF-IDF vocabulary is lower case
    model, topics, original = cluster(lowered, vectors)
    if set(topics) == {-1}:  # outliers stay only when nothing clustered
        return []
    model.update_topics(lowered, topics=topics, top_n_words=TOP_WORDS, vectorizer_model=model.vectorizer_model)
    ids = sorted(set(topics))
    members = {t: [i for i, x in enumerate(topics) if x == t] for t in ids}
    labels = label_themes([[texts[i] for i in members[t]] for t in ids], [vectors[members[t]] for t in ids])
    found = []
    for topic, label in zip(ids, labels):
        said = [texts[i] for i in members[topic]]
        words = spoken_words([w for w, _ in (model.get_topic(topic) or []) if w], said)[:TOP_WORDS]
        found.append(Topic(label, words, members[topic], frozenset(i for i in members[topic] if original[i] == -1)))
    return sorted(found, key=lambda t: t.members[0])


def _units(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
