"""How the engine adapts to a researcher's decisions in a new domain.

A single-choice group (the journey stage) gets two corrections of its class probabilities, both
growing with the evidence, and a learned trust in its keywords and in the interviewer's question:
- a per-class bias (a prior shift): fitted so that, on the decided utterances, the engine's
  probabilities times exp(bias) predict the accepted codes; a ridge penalty keeps it near zero
  with few decisions, so it grows with their number;
- decisions as weighted nearest neighbours: an accepted utterance pulls similar utterances to its
  code and a rejected one pushes them off the rejected code, each by a kernel of their cosine
  similarity; the neighbours' share grows with how many decisions lie close;
- keyword reliability: the share of the usual keyword weight that the group's keyword matches keep. The decisions show how
  often keywords point at the right code in this study's domain ("order" is a purchase in one study and a
  repeat order in another); the share that best predicts the accepted codes is chosen on the decisions;
- question reliability: the same for the weight of the interviewer's question (an interview guide may ask
  one question per stage, or follow the customer's story).
All four are fitted on the scores coding gives each decided utterance in its interview (with its question and
neighbouring turns), not on the utterance read alone.
A code of another group (an emotion) gets a logit bias fitted the same way on its own decisions.
Each bias, and a keyword or question share other than one, is kept only when it proves itself on decisions it was not fitted
on (cross-validation over the decisions): a shift that only fits the decided utterances, and would make the
rest worse, stays at zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import f1_score

KERNEL_WIDTH = 0.08  # cosine similarity below a decision's at which its weight falls by e
NEIGHBOUR_PRIOR = 3.0  # kernel weight at which decisions and the engine count equally
BIAS_PENALTY = 2.0  # ridge penalty on the per-class bias (in units of decisions)
CODE_PENALTY = 6.0  # the same for a code's bias: a code sees fewer decisions, each of them noisier
FIT_STEPS = 300
FOLDS = 10  # cross-validation folds over the decisions (leave-one-out with fewer decisions)
RULE_SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)  # the keyword weights tried, as shares of the usual one: patterns are written for the codebook's own domain, so another can only make them less reliable
QUESTION_SHARES = (0.5, 1.0, 1.5, 2.0)  # the weights of the interviewer's question tried, as shares of the usual one: a guide may ask per stage, or not


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
    rule_share: float = 1.0  # the share of the usual keyword weight that keyword matches keep
    question_share: float = 1.0  # the share of the usual weight that the interviewer's question keeps

    @classmethod
    def fit(cls, decisions: GroupDecisions, probabilities: dict[float, np.ndarray], rules: np.ndarray | None = None, rule_weight: float = 0.0) -> GroupAdaptation:
        """`probabilities[share]`: the engine's class probabilities for the decided utterances, before adaptation,
        with the question weighing `share` of its usual weight (each of QUESTION_SHARES, or only 1.0);
        `rules`: their keyword evidence per code column (0..1), which the engine adds with `rule_weight`."""
        asked = question_share(probabilities, decisions.accepted, rules, rule_weight)
        bias = prior_shift(probabilities[asked], decisions.accepted, rules, rule_weight)
        share = 1.0
        if rules is not None and rule_weight > 0:
            shifted = probabilities[asked] * np.exp(bias)
            share = rule_share(shifted / shifted.sum(axis=1, keepdims=True), rules, decisions.accepted, rule_weight)
        return cls(decisions, bias, share, asked)

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


def prior_shift(probabilities: np.ndarray, accepted: np.ndarray, rules: np.ndarray | None = None, rule_weight: float = 0.0) -> np.ndarray:
    """Per-class log-bias maximising the likelihood of the accepted classes, with a ridge penalty; zero
    unless, on held-out decisions, it predicts them better (log-loss, each class weighing as much in all) and its picks of their accepted classes
    score a higher macro-F1 than no bias's (a shift that changes no held-out pick is only a risk; one toward a
    study's most frequent class wins picks on it while losing the rarer classes, which macro-F1 weighs
    equally). With keyword evidence (`rules` per code column, added with `rule_weight`), both
    are judged on the confidences the engine picks from: a shift the keywords make redundant is not kept."""
    rows = np.flatnonzero(accepted >= 0)
    if not len(rows):
        return np.zeros(probabilities.shape[1])
    logits = np.log(np.clip(probabilities[rows], 1e-6, 1))
    truth = accepted[rows]
    keywords = rules[rows] if rules is not None else np.zeros((len(rows), 0))

    def losses(shift: np.ndarray, held: np.ndarray) -> np.ndarray:
        p = np.exp(logits[held] + shift - (logits[held] + shift).max(axis=1, keepdims=True))
        return _confidence_log_loss(p / p.sum(axis=1, keepdims=True), keywords[held], truth[held], rule_weight)

    better, balance = 0.0, _class_balance(truth)
    none = np.zeros(probabilities.shape[1])
    unshifted, shifted_picks = np.empty(len(rows), dtype=int), np.empty(len(rows), dtype=int)
    for held in _folds(len(rows)):
        kept = np.setdiff1d(np.arange(len(rows)), held)
        bias = _fit_prior_shift(logits[kept], truth[kept], probabilities.shape[1])
        better += float(((losses(none, held) - losses(bias, held)) * balance[held]).sum())
        unshifted[held] = _picks(logits[held], keywords[held], rule_weight)
        shifted_picks[held] = _picks(logits[held] + bias, keywords[held], rule_weight)
    gained = _macro_f1(truth, shifted_picks) - _macro_f1(truth, unshifted)
    return _fit_prior_shift(logits, truth, probabilities.shape[1]) if better > 0 and gained > 0 else none


def _class_balance(truth: np.ndarray) -> np.ndarray:
    """Per decision, a weight under which each accepted class weighs as much in all."""
    counts = np.bincount(truth)
    return len(truth) / (np.count_nonzero(counts) * counts[truth])


def _macro_f1(truth: np.ndarray, picks: np.ndarray) -> float:
    """Macro-F1 of `picks` over the classes that occur in `truth`."""
    return float(f1_score(truth, picks, labels=np.unique(truth), average="macro", zero_division=0))


def with_rules(model: np.ndarray, rule: np.ndarray, weight: float) -> np.ndarray:
    """The engine's confidence from model probability and keyword evidence: a noisy-OR, so either can carry a code."""
    return 1 - (1 - model) * (1 - weight * rule)


def rule_share(probabilities: np.ndarray, rules: np.ndarray, accepted: np.ndarray, rule_weight: float) -> float:
    """The share of `rule_weight` under which the decided utterances' confidences (keywords added to the class
    `probabilities`, normalised over the classes) best predict the accepted codes (log-loss). One if no
    utterance with an accepted code has a keyword match, and unless the share chosen on part of the decisions
    predicts the held-out rest better than the usual weight does (cross-validation: a lower log-loss, and more
    held-out accepted codes picked, as for the prior shift; a better log-loss alone changed picks for the worse).
    """
    rows = np.flatnonzero((accepted >= 0) & (rules.sum(axis=1) > 0))
    if not len(rows):
        return 1.0
    losses = np.array([_confidence_log_loss(probabilities[rows], rules[rows], accepted[rows], share * rule_weight) for share in RULE_SHARES])
    right = np.array([_confidences(probabilities[rows], rules[rows], share * rule_weight).argmax(axis=1) == accepted[rows] for share in RULE_SHARES])
    return _validated_share(RULE_SHARES, losses, right)


def question_share(probabilities: dict[float, np.ndarray], accepted: np.ndarray, rules: np.ndarray | None = None, rule_weight: float = 0.0) -> float:
    """The share of the question's usual weight under which the decided utterances' confidences (`probabilities`
    by share, keywords added) best predict the accepted codes, kept on the same held-out terms as `rule_share`.
    One for utterances decided without a question (every share reads the same)."""
    rows = np.flatnonzero(accepted >= 0)
    shares = tuple(share for share in QUESTION_SHARES if share in probabilities)
    if not len(rows) or len(shares) < 2 or all(np.allclose(probabilities[share], probabilities[1.0]) for share in shares):
        return 1.0
    keywords = rules[rows] if rules is not None else np.zeros((len(rows), 0))
    losses = np.array([_confidence_log_loss(probabilities[share][rows], keywords, accepted[rows], rule_weight) for share in shares])
    right = np.array([_confidences(probabilities[share][rows], keywords, rule_weight).argmax(axis=1) == accepted[rows] for share in shares])
    return _validated_share(shares, losses, right)


def _validated_share(shares: tuple[float, ...], losses: np.ndarray, right: np.ndarray) -> float:
    """The share (of `shares`, per row of `losses` and `right`: per decision its log-loss and whether its pick is
    right) with the least log-loss over the decisions, or the usual one (1.0) unless, chosen on part of the
    decisions, it predicts the held-out rest better (a lower log-loss and more accepted codes picked)."""
    usual, better, gained = shares.index(1.0), 0.0, 0
    for held in _folds(losses.shape[1]):
        kept = np.setdiff1d(np.arange(losses.shape[1]), held)
        chosen = _best_share(shares, losses[:, kept].sum(axis=1))
        better += losses[usual, held].sum() - losses[chosen, held].sum()
        gained += int(right[chosen, held].sum() - right[usual, held].sum())
    return shares[_best_share(shares, losses.sum(axis=1))] if better > 0 and gained > 0 else 1.0


def _best_share(shares: tuple[float, ...], losses: np.ndarray) -> int:
    """The index of the share with the least loss; on a tie, the one nearest the usual weight."""
    return min(range(len(shares)), key=lambda n: (round(float(losses[n]), 9), abs(shares[n] - 1.0)))


def _confidence_log_loss(probabilities: np.ndarray, rules: np.ndarray, accepted: np.ndarray, weight: float) -> np.ndarray:
    """Per utterance: minus the log of the accepted class's share of the confidences (codes, then outside)."""
    confidence = _confidences(probabilities, rules, weight)
    return -np.log(np.clip(confidence[np.arange(len(accepted)), accepted] / confidence.sum(axis=1), 1e-9, None))


def _picks(logits: np.ndarray, rules: np.ndarray, rule_weight: float) -> np.ndarray:
    """The class with the highest confidence (keywords added) per row."""
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return _confidences(p, rules, rule_weight).argmax(axis=1)


def _confidences(probabilities: np.ndarray, rules: np.ndarray, weight: float) -> np.ndarray:
    """The class probabilities with keyword evidence added to the code columns (the outside column stays)."""
    codes = rules.shape[1]
    return np.hstack([with_rules(probabilities[:, :codes], rules, weight), probabilities[:, codes:]])


def _fit_prior_shift(logits: np.ndarray, truth: np.ndarray, classes: int) -> np.ndarray:
    bias = np.zeros(classes)
    if not len(truth):
        return bias
    onehot = np.eye(classes)[truth]
    for _ in range(FIT_STEPS):  # gradient descent on a convex objective with five or six parameters
        z = logits + bias
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        gradient = (p - onehot).sum(axis=0) + BIAS_PENALTY * bias
        bias -= 0.5 * gradient / (len(truth) + BIAS_PENALTY)
    return bias


def code_bias(confidence: np.ndarray, accepted: np.ndarray) -> float:
    """A code's logit shift that makes the engine's `confidence` on its decided utterances predict the
    decisions (1 accepted, 0 rejected), with a ridge penalty: near zero until decisions accumulate, and
    zero unless it predicts held-out decisions better (log-loss) than no shift does."""
    logits = np.log(np.clip(confidence, 1e-4, 1 - 1e-4) / np.clip(1 - confidence, 1e-4, 1))
    better = 0.0
    for held in _folds(len(logits)):
        kept = np.setdiff1d(np.arange(len(logits)), held)
        bias = _fit_code_bias(logits[kept], accepted[kept])
        better += _log_loss(logits[held], accepted[held]) - _log_loss(logits[held] + bias, accepted[held])
    return _fit_code_bias(logits, accepted) if better > 0 else 0.0


def _fit_code_bias(logits: np.ndarray, accepted: np.ndarray) -> float:
    bias = 0.0
    for _ in range(FIT_STEPS):
        p = 1 / (1 + np.exp(-(logits + bias)))
        bias -= 0.5 * (float((p - accepted).sum()) + CODE_PENALTY * bias) / (len(accepted) + CODE_PENALTY)
    return bias


def _log_loss(logits: np.ndarray, accepted: np.ndarray) -> float:
    p = np.clip(1 / (1 + np.exp(-logits)), 1e-6, 1 - 1e-6)
    return float(-(accepted * np.log(p) + (1 - accepted) * np.log(1 - p)).sum())


def _folds(count: int) -> list[np.ndarray]:
    """Held-out index sets: every decision once, in FOLDS interleaved folds (one each with fewer)."""
    return [np.arange(start, count, min(FOLDS, count)) for start in range(min(FOLDS, count))]


def shifted(confidence: np.ndarray, bias: float) -> np.ndarray:
    """Confidences moved by a logit bias."""
    logits = np.log(np.clip(confidence, 1e-4, 1 - 1e-4) / np.clip(1 - confidence, 1e-4, 1))
    return 1 / (1 + np.exp(-(logits + bias)))
