"""A classifier per single-choice group (the journey stage), trained on the codebook itself.

Each code's definition and examples are one class and the group's `none_examples` (introductions,
consent, small talk, audio checks) the class "outside the group". A multinomial logistic
regression over MiniLM embeddings learns what separates the codes across the many industries the
examples come from, where plain similarity to the nearest examples follows surface words.
Researchers' decisions adapt its output rather than its training (`adaptation`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from research.computed import kept, versions

REGULARISATION = 4.0  # sklearn's C: the examples are few and clean, so fit them closely


@dataclass
class GroupClassifier:
    keys: list[str]  # the class of each output column: code keys, and `group:` for outside
    model: LogisticRegression

    @classmethod
    def fit(cls, examples: dict[str, np.ndarray]) -> GroupClassifier | None:
        """`examples[key]`: unit embeddings per class. None with fewer than two classes."""
        keys = [key for key, vectors in examples.items() if len(vectors)]
        if len(keys) < 2:
            return None
        features = np.concatenate([examples[key] for key in keys])
        labels = np.concatenate([np.full(len(examples[key]), n) for n, key in enumerate(keys)])
        digest = hashlib.sha256(repr((features.shape, features.dtype, labels.dtype)).encode() + features.tobytes() + labels.tobytes()).hexdigest()
        return cls(keys, kept(_fitted, features, labels, REGULARISATION, versions("scikit-learn", "numpy", "scipy"), digest, ignore=["features", "labels"]))

    def probabilities(self, vectors: np.ndarray) -> dict[str, np.ndarray]:
        """{class key: probability per row}."""
        probs = self.model.predict_proba(vectors)
        return {key: probs[:, n] for n, key in enumerate(self.keys)}


def _fitted(features: np.ndarray, labels: np.ndarray, regularisation: float, libraries: tuple[str, ...], digest: str) -> LogisticRegression:
    """Trained on a codebook's examples (and the journey corpus), the same in every run: kept on disk (`research.computed`),
    keyed by the `digest` of the training arrays."""
    return LogisticRegression(C=regularisation, max_iter=2000).fit(features, labels)
