"""How the engine adapts to a researcher's decisions in a new domain.

A single-choice group (the journey stage) gets two corrections of its class probabilities, both
growing with the evidence:
- a per-class bias (a prior shift): fitted so that, on the decided utterances, the engine's
  probabilities times exp(bias) predict the accepted codes; a ridge penalty keeps it near zero
  with few decisions, so it grows with their number;
- decisions as weighted nearest neighbours: an accepted utterance pulls similar utterances to its
  code and a rejected one pushes them off the rejected code, each by a kernel of their cosine
  similarity; the neighbours' share grows with how many decisions lie close.
A code of another group (an emotion) gets a logit bias fitted the same way on its own decisions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KERNEL_WIDTH = 0.08  # cosine similarity below a decision's at which its weight falls by e
NEIGHBOUR_PRIOR = 1.0  # kernel weight at which decisions and the engine count equally
BIAS_PENALTY = 2.0  # ridge penalty on the per-class bias (in units of decisions)
CODE_PENALTY = 6.0  # the same for a code's bias: a code sees fewer decisions, each of them noisier
FIT_STEPS = 300


@dataclass(frozen=True)
class GroupDecisions:
    """A single-choice group's decided utterances: unit vectors, the accepted class (-1: none accepted)
    and the rejected classes, over the group's class columns."""

    vectors: np.ndarray  # (decided, dims)
    accepted: np.ndarray  # (decided,) column index or -1
    rejected: np.ndarray  # (decided, classes) bool


@dataclass(frozen=True)
class GroupAdaptation:
    decisions: GroupDecisions
    bias: np.ndarray  # (classes,) added to the log-probabilities

    @classmethod
    def fit(cls, decisions: GroupDecisions, probabilities: np.ndarray) -> GroupAdaptation:
        """`probabilities`: the engine's class probabilities for the decided utterances, before adaptation."""
        return cls(decisions, prior_shift(probabilities, decisions.accepted))

    def apply(self, probabilities: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """The adapted class probabilities of utterances with unit `vectors`."""
        shifted = probabilities * np.exp(self.bias)
        shifted /= shifted.sum(axis=1, keepdims=True)
        d = self.decisions
        kernel = np.exp((vectors @ d.vectors.T - 1) / KERNEL_WIDTH)  # (rows, decided), 1 for the decided utterance itself
        accepted = d.accepted >= 0
        if accepted.any():
            votes = kernel[:, accepted] @ np.eye(shifted.shape[1])[d.accepted[accepted]]
            weight = votes.sum(axis=1, keepdims=True)
            shifted = (shifted + votes / NEIGHBOUR_PRIOR) / (1 + weight / NEIGHBOUR_PRIOR)
        if d.rejected.any():
            against = kernel @ d.rejected.astype(float)
            shifted = shifted / (1 + against / NEIGHBOUR_PRIOR)
            shifted /= shifted.sum(axis=1, keepdims=True)
        return shifted


def prior_shift(probabilities: np.ndarray, accepted: np.ndarray) -> np.ndarray:
    """Per-class log-bias maximising the likelihood of the accepted classes, with a ridge penalty."""
    rows = accepted >= 0
    bias = np.zeros(probabilities.shape[1])
    if not rows.any():
        return bias
    logits = np.log(np.clip(probabilities[rows], 1e-6, 1))
    truth = np.eye(probabilities.shape[1])[accepted[rows]]
    for _ in range(FIT_STEPS):  # gradient descent on a convex objective with five or six parameters
        z = logits + bias
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        gradient = (p - truth).sum(axis=0) + BIAS_PENALTY * bias
        bias -= 0.5 * gradient / (len(truth) + BIAS_PENALTY)
    return bias


def code_bias(confidence: np.ndarray, accepted: np.ndarray) -> float:
    """A code's logit shift that makes the engine's `confidence` on its decided utterances predict the
    decisions (1 accepted, 0 rejected), with a ridge penalty: near zero until decisions accumulate."""
    logits = np.log(np.clip(confidence, 1e-4, 1 - 1e-4) / np.clip(1 - confidence, 1e-4, 1))
    bias = 0.0
    for _ in range(FIT_STEPS):
        p = 1 / (1 + np.exp(-(logits + bias)))
        bias -= 0.5 * (float((p - accepted).sum()) + CODE_PENALTY * bias) / (len(accepted) + CODE_PENALTY)
    return bias


def shifted(confidence: np.ndarray, bias: float) -> np.ndarray:
    """Confidences moved by a logit bias."""
    logits = np.log(np.clip(confidence, 1e-4, 1 - 1e-4) / np.clip(1 - confidence, 1e-4, 1))
    return 1 / (1 + np.exp(-(logits + bias)))
