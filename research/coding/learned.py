"""What `research code --learn` learns from the researcher's accepted and rejected codings.

The engine adapts to the decided utterances themselves (`adaptation`): in a single-choice group (the
journey stage) by a prior shift, decisions as nearest neighbours and how far its keywords are trusted, in
the other groups by a bias per code. In the other groups each code also gets a classifier, which counts more as its decisions grow.

A few decisions in a new domain are not enough to train a classifier alone, so a code's
classifier learns from the decisions (weighted up) on top of the codebook's own examples
(the code's examples as positives, its group's other codes' and none examples as negatives).
Stored in study.db (`learned_models`) as plain arrays: no pickles in a study folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.linear_model import LogisticRegression

from research.codebook import Codebook

MIN_EXAMPLES = 3  # per class, decisions and codebook examples together
DECISION_WEIGHT = 5.0  # one researcher decision counts as much as this many codebook examples
MAX_SHARE, SHARE_PRIOR = 0.5, 40  # a learned model counts up to half, a quarter after 40 decisions on its code


@dataclass(frozen=True)
class LearnedCode:
    coef: np.ndarray
    intercept: float
    positives: int  # decisions only
    negatives: int


@dataclass(frozen=True)
class Decided:
    """A researcher's decision on one code for one utterance: the utterance's text and unit vector, and
    where it was decided in an interview, the vectors coding reads beside it (see `engine.answer_context`):
    the interviewer question it answers and its neighbouring customer turns."""

    code_key: str
    text: str
    vector: np.ndarray
    accepted: bool
    question: np.ndarray | None = None  # None: decided alone (no question, no neighbours)
    neighbours: np.ndarray | None = None


@dataclass
class LearnedModels:
    codes: dict[str, LearnedCode]
    decided: list[Decided] = field(default_factory=list)  # the decisions on the codes `--learn` adapted

    def predict(self, key: str, features: np.ndarray) -> np.ndarray | None:
        model = self.codes.get(key)
        if model is None:
            return None
        return 1 / (1 + np.exp(-(features @ model.coef + model.intercept)))

    def share(self, key: str) -> float:
        """How much a code's learned model counts beside the engine's own evidence: more with more decisions."""
        model = self.codes[key]
        decisions = model.positives + model.negatives
        return MAX_SHARE * decisions / (decisions + SHARE_PRIOR)

    @property
    def signature(self) -> str:
        """Changes whenever a learned model or the decisions it adapts to do, so coding re-runs."""
        models = [f"{k}:{m.positives}/{m.negatives}:{float(m.coef.sum()):.6f}" for k, m in sorted(self.codes.items())]
        decided = sorted(f"{d.code_key}{'+' if d.accepted else '-'}{float(d.vector.sum()):.6f}" for d in self.decided)
        return ",".join(models + decided)


def decision_labels(codebook: Codebook, decisions: list[tuple[int, str, str]]) -> dict[str, dict[int, int]]:
    """{code key: {utterance id: 1 accepted / 0 rejected}} from (utterance id, code key, status) decisions.

    In a single-choice group (the journey stage), an utterance accepted as one code is also a
    negative example for the group's other codes.
    """
    labels: dict[str, dict[int, int]] = {}
    for utterance_id, key, status in decisions:
        if key not in codebook.codes:
            continue
        labels.setdefault(key, {})[utterance_id] = int(status == "accepted")
        group = codebook.codes[key][0]
        if group.kind == "single" and status == "accepted":
            for other in group.codes:
                if f"{group.id}:{other.id}" != key:
                    labels.setdefault(f"{group.id}:{other.id}", {}).setdefault(utterance_id, 0)
    return labels


def codebook_background(codebook: Codebook, examples: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{code key: (unit vectors, 0/1)}: the code's examples against its group's other examples.
    `examples` are the engine's prototype vectors by key (`group:` holds a group's none examples)."""
    out = {}
    for group in codebook.groups:
        keys = [f"{group.id}:{code.id}" for code in group.codes] + [f"{group.id}:"]
        present = [k for k in keys if k in examples]
        if not present:
            continue
        vectors = np.concatenate([examples[k] for k in present])
        owners = np.concatenate([np.full(len(examples[k]), k) for k in present])
        for key in keys[:-1]:
            if key in examples:
                out[key] = (vectors, (owners == key).astype(int))
    return out


def train(examples: dict[str, tuple[np.ndarray, np.ndarray]], background: dict[str, tuple[np.ndarray, np.ndarray]] | None = None) -> LearnedModels:
    """`examples[key] = (features, 0/1 labels)` from decisions; `background[key]` the same from the
    codebook, on the utterance half of the features (the question half is zeros). Codes without
    enough of both classes are skipped."""
    codes = {}
    for key, (features, labels) in examples.items():
        extra = (background or {}).get(key)
        weights = np.full(len(labels), DECISION_WEIGHT)
        all_features, all_labels = features, labels
        if extra is not None:
            vectors, extra_labels = extra
            padded = np.hstack([vectors, np.zeros((len(vectors), features.shape[1] - vectors.shape[1]), vectors.dtype)])
            all_features, all_labels = np.vstack([features, padded]), np.concatenate([labels, extra_labels])
            weights = np.concatenate([weights, np.ones(len(extra_labels))])
        positives, negatives = int(all_labels.sum()), int(len(all_labels) - all_labels.sum())
        if positives < MIN_EXAMPLES or negatives < MIN_EXAMPLES:
            continue
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(all_features, all_labels, sample_weight=weights)
        codes[key] = LearnedCode(model.coef_[0].astype(np.float32), float(model.intercept_[0]), int(labels.sum()), int(len(labels) - labels.sum()))
    return LearnedModels(codes)
