"""Stage labels follow the interview's order: a Viterbi pass over per-turn stage confidences."""

from __future__ import annotations

import numpy as np

STAY = 0.42  # a customer often keeps talking about the same stage
NEXT = 0.36  # or moves on to the next one
SKIP = 0.1  # or skips one
LEAVE = 0.04  # or drifts out of the journey (background, small talk)
OTHER = 0.02  # going back, or jumping further ahead
FORBIDDEN = 1e-12  # the probability smoothing may give a stage below its threshold
SURE = 0.5  # a stage this confident may go back in the journey between two later ones; a weaker one is not placed


def transition_matrix(stages: int) -> np.ndarray:
    """States: 0 = outside the journey, 1..stages = the ordered stages. Going back is possible but rare."""
    n = stages + 1
    matrix = np.full((n, n), OTHER)
    matrix[0, 0] = 0.45
    matrix[0, 1] = 0.3  # the journey starts with the first stage
    matrix[0, 2:] = 0.25 / (stages - 1)  # or comes back in at any other
    for s in range(1, n):
        matrix[s, s] = STAY
        matrix[s, 0] = LEAVE
        if s + 1 < n:
            matrix[s, s + 1] = NEXT
        if s + 2 < n:
            matrix[s, s + 2] = SKIP
    return matrix / matrix.sum(axis=1, keepdims=True)


def smooth_ordered(confidence: np.ndarray, outside: np.ndarray, threshold: float = 0.0) -> list[int | None]:
    """The most likely stage per turn (a column of `confidence`), or None for turns outside the journey.

    `confidence[turn, stage]` are per-turn scores and `outside[turn]` the score of belonging to no
    stage. Smoothing only chooses between what each turn allows: a stage below `threshold` is never
    chosen (neighbours cannot lift a weak stage), and being outside is always allowed.
    """
    stages = confidence.shape[1]
    allowed = np.where(confidence >= threshold, np.clip(confidence, 1e-4, None), FORBIDDEN)
    prob = np.hstack([np.clip(outside, 1e-4, None)[:, None], allowed])
    prob = (prob / prob.sum(axis=1, keepdims=True)).T
    path = viterbi(prob, transition_matrix(stages))
    placed = [int(state) - 1 if state > 0 and confidence[n, state - 1] >= threshold else None for n, state in enumerate(path)]
    return [None if _dips(placed, n) and confidence[n, s] < SURE else s for n, s in enumerate(placed)]


def viterbi(prob: np.ndarray, transition: np.ndarray) -> np.ndarray:
    """The most likely state path given per-step state probabilities `prob[state, step]` (each column sums to 1)
    and `transition[from, to]`, with uniform initial and marginal state distributions.

    The same arithmetic, in the same order, as librosa 0.11's `sequence.viterbi_discriminative`, so the path is the
    same to the tie; in numpy, because librosa's numba version cost about 22 CPU-s to compile on a first run.
    """
    n_states, n_steps = prob.shape
    epsilon = np.finfo(prob.dtype).tiny
    uniform = np.log(np.full(n_states, 1.0 / n_states) + epsilon)
    log_prob = (np.log(prob + epsilon) - uniform[:, None]).T
    into = np.log(transition + epsilon).T  # into[to, from]
    value = log_prob[0] + uniform
    pointers = np.zeros((n_steps, n_states), dtype=np.intp)
    rows = np.arange(n_states)
    for t in range(1, n_steps):
        scores = value + into  # scores[to, from]
        pointers[t] = np.argmax(scores, axis=1)
        value = log_prob[t] + scores[rows, pointers[t]]
    path = np.zeros(n_steps, dtype=np.intp)
    path[-1] = np.argmax(value)
    for t in range(n_steps - 2, -1, -1):
        path[t] = pointers[t + 1, path[t + 1]]
    return path


def _dips(placed: list[int | None], n: int) -> bool:
    """Whether turn n's stage comes before the stages of the placed turns on both sides of it: the interview
    went back in the journey and straight on again ("I drove to the store with the broken one" told between
    two setup answers), which a barely confident reading explains worse than being off the journey."""
    if placed[n] is None:
        return False
    before = next((s for s in reversed(placed[:n]) if s is not None), None)
    after = next((s for s in placed[n + 1 :] if s is not None), None)
    return before is not None and after is not None and placed[n] < min(before, after)
