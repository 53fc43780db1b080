"""Insights: groups of similar customer utterances within a stage, told as a claim with its evidence.

Utterances of a stage are grouped by meaning (sentence embeddings, average-linkage clustering) with a
pull towards shared touchpoints and signals and a push apart for opposite feelings, so a pain and a
delight about the same touchpoint never make one insight. A group that enough participants share is
a pattern; its headline comes from the most representative sentence of its most central quotes.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering

from research.journey.condense import best_sentence, headline, shared_word_weights
from research.journey.evidence import Utterance
from research.journey.model import Insight, Polarity, Quote

DISTANCE = 0.62  # average cosine distance within a group (MiniLM: same-topic answers sit around 0.4-0.6)
CODE_PULL = 0.12  # similarity added for sharing all touchpoints and signals
OPPOSITE_PUSH = 0.25  # similarity removed between a clearly negative and a clearly positive utterance
FELT = 0.25  # |valence| from which an utterance counts as negative or positive
QUOTES = 3
TELLING_WORDS = 6  # one participant's answer shorter than this ("That's fine.") tells no experience of its own


@dataclass
class Group:
    """Utterances of one stage that tell the same experience, most central first."""

    members: list[Utterance]
    edited: bool = False  # an analyst merged another group into it

    @property
    def participants(self) -> set[str]:
        return {u.participant for u in self.members}


def group_utterances(members: list[Utterance], vectors: dict[int, np.ndarray]) -> list[Group]:
    """Deterministic groups of one stage's utterances, each ordered by closeness to its centre."""
    if not members:
        return []
    if len(members) == 1:
        return [Group(members)]
    matrix = np.stack([vectors[u.id] for u in members])
    similarity = matrix @ matrix.T
    keys = sorted({c for u in members for c in u.in_group("touchpoint") + u.in_group("signal")})
    codes = np.array([[c in u.codes for c in keys] for u in members], dtype=np.float32).reshape(len(members), len(keys))
    shared = codes @ codes.T
    union = codes.sum(axis=1)[:, None] + codes.sum(axis=1)[None, :] - shared
    similarity += CODE_PULL * np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
    valence = np.array([u.valence or 0.0 for u in members])
    opposite = (np.outer(valence, valence) < 0) & (np.minimum.outer(np.abs(valence), np.abs(valence)) >= FELT)
    similarity -= OPPOSITE_PUSH * opposite
    distance = np.clip(1 - similarity, 0, 2)
    np.fill_diagonal(distance, 0)
    labels = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average", distance_threshold=DISTANCE).fit_predict(distance)
    by_label: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(int(label), []).append(i)
    groups = []
    for idx in by_label.values():  # in order of first appearance
        centre = matrix[idx].mean(axis=0)
        ordered = sorted(idx, key=lambda i: (-float(matrix[i] @ centre), members[i].id))
        groups.append(Group([members[i] for i in ordered]))
    return groups


def worth_telling(group: Group, needed: int, intensity: dict[int, float], strong: float) -> bool:
    """Whether a group can appear on the map: shared widely enough to be a pattern, or one
    participant's experience that is strong (an outlier) or painful (an opportunity)."""
    polarity = polarity_of(group.members)[0]
    evidence = [u for u in group.members if agrees(u, polarity)] or group.members  # as make_insight counts
    people = len({u.participant for u in evidence})
    if people >= needed:
        return True
    telling = [u for u in evidence if len(u.text.split()) >= TELLING_WORDS]
    return people == 1 and bool(telling) and (max(intensity[u.id] for u in telling) >= strong or polarity == "pain")


def polarity_of(members: list[Utterance]) -> tuple[Polarity, float | None]:
    """pain, delight, mixed or neutral, from the members' valence, with the mean valence."""
    values = [u.valence for u in members if u.valence is not None]
    if not values:
        return "neutral", None
    mean = float(np.mean(values))
    negative = sum(v <= -FELT for v in values)
    positive = sum(v >= FELT for v in values)
    if negative > positive and mean <= -0.15:
        return "pain", mean
    if positive > negative and mean >= 0.15:
        return "delight", mean
    return ("mixed" if negative and positive else "neutral"), mean


def agrees(u: Utterance, polarity: Polarity) -> bool:
    """An utterance supports an insight only when it feels the same way (a mixed answer supports both)."""
    return {"pain": "negative" in u.felt, "delight": "positive" in u.felt}.get(polarity, True)


def leans(u: Utterance, polarity: Polarity) -> bool:
    """Stronger than `agrees`: the utterance feels that way overall, so it can be quoted for it."""
    v = u.valence or 0.0
    return {"pain": v < 0, "delight": v > 0}.get(polarity, True)


def quote_of(u: Utterance) -> Quote:
    return Quote(utterance_id=u.id, interview=u.interview, participant=u.participant, start=round(u.start, 2), text=u.text,
                 valence=None if u.valence is None else round(u.valence, 3))


def representative_quotes(group: Group, polarity: Polarity, limit: int = QUOTES) -> list[Quote]:
    """The most central quotes that feel the insight's way overall, one per participant."""
    out, seen = [], set()
    for u in group.members:
        if u.participant not in seen and leans(u, polarity):
            out.append(quote_of(u))
            seen.add(u.participant)
        if len(out) == limit:
            break
    return out


def insight_key(stage: str, ids: list[int]) -> str:
    return f"{stage}:" + hashlib.sha1(",".join(map(str, sorted(ids))).encode()).hexdigest()[:10]


@dataclass
class InsightContext:
    """What an insight needs beyond its own group: the stage, the cohort and the codebook's names."""

    stage: str
    stage_name: str
    cohort: int
    stage_texts: list[str]
    code_names: dict[str, str]
    theme_labels: dict[int, str]
    intensity: dict[int, float]


def make_insight(group: Group, context: InsightContext) -> Insight:
    """The claim a group supports. Its evidence, reach and quotes are the members that feel its way:
    a participant in a pain group who was delighted is not counted as having the pain."""
    polarity, valence = polarity_of(group.members)
    agreeing = [u for u in group.members if agrees(u, polarity)] or group.members
    members = agreeing
    weights = shared_word_weights([(u.participant, u.text) for u in members], context.stage_texts)
    candidates = [u for u in members if leans(u, polarity)][:QUOTES] or members[:QUOTES]
    found = best_sentence([u.text for u in candidates], weights)
    claim = headline(found[1]) if found else ""
    source = candidates[found[0]] if found else None
    emotion = _shared_name(agreeing, "emotion", context.code_names, exclude={"emotion:neutral"})
    touchpoints = [context.code_names.get(k, k) for k, n in _counts(agreeing, "touchpoint").most_common(2) if n >= max(1, len(agreeing) / 3)]
    theme_counts = Counter(t for u in members for t in u.themes if t in context.theme_labels)
    theme = context.theme_labels[theme_counts.most_common(1)[0][0]] if theme_counts else None
    people = len({u.participant for u in members})
    evidence = [f"{people} of {context.cohort} participant{'s' if context.cohort != 1 else ''}", context.stage_name]
    if emotion:
        evidence.append(emotion.lower())
    ids = [u.id for u in members]
    return Insight(
        key=insight_key(context.stage, ids), stage=context.stage, statement=f"{claim or (touchpoints[0] if touchpoints else context.stage_name)} — {', '.join(evidence)}",
        headline=claim, participants=people, cohort=context.cohort, personas=sorted({u.persona for u in members if u.persona}), touchpoints=touchpoints,
        emotion=emotion, polarity=polarity, valence=None if valence is None else round(valence, 3),
        intensity=round(float(np.mean([context.intensity[u.id] for u in agreeing])), 3), theme=theme,
        quotes=representative_quotes(Group(([source] if source else []) + [u for u in members if u is not source]), polarity), utterance_ids=ids, edited=group.edited,
    )


def _counts(members: list[Utterance], group: str) -> Counter:
    return Counter(code for u in members for code in u.in_group(group))


def _shared_name(members: list[Utterance], group: str, names: dict[str, str], exclude: set[str]) -> str | None:
    counts = Counter({k: n for k, n in _counts(members, group).items() if k not in exclude})
    if not counts:
        return None
    key, n = counts.most_common(1)[0]
    return names.get(key, key) if n >= max(1, len(members) / 3) else None
