"""Per-code classifiers learned from the researcher's accepted and rejected codings.

Stored in study.db (`learned_models`) as plain arrays: no pickles in a study folder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

MIN_EXAMPLES = 3  # per class: fewer accepted (or rejected) examples than this and a code learns nothing


@dataclass(frozen=True)
class LearnedCode:
    coef: np.ndarray
    intercept: float
    positives: int
    negatives: int


@dataclass
class LearnedModels:
    codes: dict[str, LearnedCode]

    def predict(self, key: str, features: np.ndarray) -> np.ndarray | None:
        model = self.codes.get(key)
        if model is None:
            return None
        return 1 / (1 + np.exp(-(features @ model.coef + model.intercept)))

    @property
    def signature(self) -> str:
        """Changes whenever a learned model does, so coding re-runs."""
        return ",".join(f"{k}:{m.positives}/{m.negatives}:{float(m.coef.sum()):.6f}" for k, m in sorted(self.codes.items()))


def train(examples: dict[str, tuple[np.ndarray, np.ndarray]]) -> LearnedModels:
    """`examples[key] = (features, 0/1 labels)`; codes without enough of both classes are skipped."""
    codes = {}
    for key, (features, labels) in examples.items():
        positives, negatives = int(labels.sum()), int(len(labels) - labels.sum())
        if positives < MIN_EXAMPLES or negatives < MIN_EXAMPLES:
            continue
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=500).fit(features, labels)
        codes[key] = LearnedCode(model.coef_[0].astype(np.float32), float(model.intercept_[0]), positives, negatives)
    return LearnedModels(codes)
