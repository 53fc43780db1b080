"""The GoEmotions classifier: TF-IDF n-grams plus MiniLM embeddings into 28 one-vs-rest logistic heads.

The trained head is small and committed (`goemotions-head.npz`); `train_emotion_model` rebuilds it.
Codebook emotion codes map to GoEmotions labels through their `goemotions` list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from research.errors import ModelNotAvailableError

HEAD_FILE = Path(__file__).with_name("goemotions-head.npz")
EMBEDDING_WEIGHT = 1.5  # embeddings are scaled against the TF-IDF block, as in training


@dataclass
class EmotionModel:
    labels: list[str]
    vectorizer: TfidfVectorizer
    coef: np.ndarray  # (features, labels)
    intercept: np.ndarray
    thresholds: np.ndarray  # per label, tuned on held-out training data

    @classmethod
    def load(cls, path: Path = HEAD_FILE) -> EmotionModel:
        if not path.is_file():
            raise ModelNotAvailableError(f"emotion model {path.name} is missing; rebuild it with `python -m research.coding.train_emotion_model`")
        data = np.load(path, allow_pickle=False)
        meta = json.loads(str(data["meta"]))
        vectorizer = TfidfVectorizer(vocabulary=list(data["vocabulary"]), ngram_range=tuple(meta["ngram_range"]), sublinear_tf=True)
        vectorizer.idf_ = data["idf"].astype(np.float64)
        return cls(meta["labels"], vectorizer, data["coef"].astype(np.float32), data["intercept"].astype(np.float32), data["thresholds"])

    def features(self, texts: list[str], embeddings: np.ndarray):
        return sparse.hstack([self.vectorizer.transform(texts), sparse.csr_matrix(embeddings * EMBEDDING_WEIGHT)]).tocsr()

    def predict(self, texts: list[str], embeddings: np.ndarray) -> np.ndarray:
        """Probability of each GoEmotions label, shape (texts, labels)."""
        logits = self.features(texts, embeddings) @ self.coef + self.intercept
        return 1 / (1 + np.exp(-np.asarray(logits)))

    def code_probability(self, probabilities: np.ndarray, labels: list[str]) -> np.ndarray:
        """Probability that any of `labels` applies (noisy-OR), rescaled so each label's threshold maps to 0.5."""
        columns = [self.labels.index(label) for label in labels if label in self.labels]
        if not columns:
            return np.zeros(len(probabilities))
        scaled = np.stack([_rescale(probabilities[:, c], self.thresholds[c]) for c in columns], axis=1)
        return 1 - np.prod(1 - scaled, axis=1)


def _rescale(p: np.ndarray, threshold: float) -> np.ndarray:
    """Piecewise-linear map of [0, threshold, 1] to [0, 0.5, 1]."""
    return np.where(p < threshold, 0.5 * p / threshold, 0.5 + 0.5 * (p - threshold) / (1 - threshold))
