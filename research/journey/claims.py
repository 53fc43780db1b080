"""Who an insight's headline speaks for: the participants whose own words mean what it says.

A group of similar parts is not a claim. The headline is the group's most central telling sentence (by
sentence embeddings, each participant counted once through their nearest sentence), and the count
claims a participant only when one of their own sentences is as close to the headline as sentences
about different experiences almost never are: the similarity floor is the 99th percentile of the
similarities between the codebook's examples of different journey stages (sentences written about
different experiences, never the study's own). The rest of the group is related, not counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from research.codebook import Codebook

FALSE_MATCH = 0.01  # share of different-stage example pairs as close as the floor: a claim the floor lets through by chance
TELLING_WORDS = 6  # a headline tells an experience: "Disappointing." and "The move was fine." are central but say nothing


@dataclass(frozen=True)
class Claim:
    """The headline's part (an index into the candidates) and the participants it speaks for."""

    headline: int
    claimed: frozenset[str]
    related: frozenset[str]


def similarity_floor(codebook: Codebook, model: str) -> float | None:
    """The similarity two sentences about different experiences reach only `FALSE_MATCH` of the time, from the
    codebook's examples of its ordered (stage) group; None when the codebook has fewer than two stages with examples.
    Computed from the codebook alone, so kept on disk (`research.computed`) and not embedded again on every build."""
    group = next((g for g in codebook.groups if g.ordered), None)
    examples = [(code.id, text) for code in group.codes for text in code.examples] if group else []
    if len({key for key, _ in examples}) < 2:
        return None
    from research.computed import kept, source_hash, versions

    return kept(_floor, [key for key, _ in examples], [text for _, text in examples], model, FALSE_MATCH,
                versions("sentence-transformers", "torch", "numpy"), source_hash(__file__))


def _floor(labels: list[str], texts: list[str], model: str, false_match: float, _versions: tuple, _source: str) -> float:
    from research.embeddings import embed

    vectors = embed(texts, model)
    keys = np.array(labels)
    different = (vectors @ vectors.T)[keys[:, None] != keys[None, :]]
    return float(np.quantile(different, 1 - false_match))


def claim(participants: list[str], texts: list[str], vectors: np.ndarray, candidates: list[int], floor: float, feelings: list[int] | None = None) -> Claim:
    """The candidate sentence that most other participants' nearest sentences reach at `floor` (ties: the most central, by
    the mean of those nearest similarities; then the earlier candidate), and whom it speaks for. `vectors` are unit rows,
    one per sentence; `participants[i]` said `texts[i]`.

    `feelings[i]` (-1, 0, +1) is how sentence i was felt, with its answer: a candidate told with a feeling never speaks
    for a sentence felt the other way. Sentence embeddings read "the funds were sent late" and "the money arrived on
    time" as the same (cosine 0.65), so a delay told in anger claimed a participant for whom it all went fine."""
    telling = [i for i in candidates if len(texts[i].split()) >= TELLING_WORDS] or candidates
    similarity = vectors[telling] @ vectors.T  # each candidate against every sentence
    if feelings is not None:
        felt = np.array(feelings)
        heads = felt[telling][:, None]
        similarity = np.where(felt[None, :] * heads < 0, -1.0, similarity)
    people = sorted(set(participants))
    owner = np.array([people.index(p) for p in participants])
    nearest = np.full((len(telling), len(people)), -1.0)  # each participant's closest sentence to each candidate
    for n in range(len(people)):
        nearest[:, n] = similarity[:, owner == n].max(axis=1)
    nearest[np.arange(len(telling)), owner[telling]] = 1.0  # a candidate speaks for its own speaker
    reached = (nearest >= floor).sum(axis=1)
    others = (nearest.sum(axis=1) - 1.0) / max(len(people) - 1, 1)  # mean nearest similarity of the other participants
    best = max(range(len(telling)), key=lambda k: (int(reached[k]), float(others[k]), -k))
    claimed = frozenset(p for n, p in enumerate(people) if nearest[best, n] >= floor)
    return Claim(telling[best], claimed, frozenset(people) - claimed)
