"""Insights: groups of similar things customers said within a stage, told as a claim with its evidence.

The parts of a stage's utterances (sentences and clauses, `research.coding.sentences`) are grouped by
meaning (sentence embeddings, average-linkage clustering) with a pull towards shared touchpoints and
signals and a push apart for opposite feelings, so a pain and a delight about the same touchpoint never
make one insight, and an answer that says "it paired straight away, but it is loud" counts for the noise
and not for a pairing failure. A group that enough participants share is a pattern; its headline comes
from the most representative of its own parts.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy.cluster import hierarchy
from sklearn.cluster._agglomerative import _hc_cut

from research.journey.claims import Said, claim, telling
from research.journey.condense import best_candidate, in_its_sentence, only_feels, points_back, shared_word_weights
from research.journey.evidence import Part, Utterance
from research.journey.model import Insight, Polarity, Quote, reach_words

DISTANCE = 0.65  # average cosine distance within a group (MiniLM: same-topic answers sit around 0.4-0.6, their parts a little further)
CODE_PULL = 0.12  # similarity added for sharing all touchpoints and signals (parts of different utterances)
OPPOSITE_PUSH = 0.25  # similarity removed between a clearly negative and a clearly positive part
FELT = 0.25  # |valence| from which a part counts as negative or positive
QUOTES = 3
CONTEXT = 0.5  # weight of the whole answer's embedding beside a part's own
ROWS = 256  # rows of the distance matrix computed at a time


@dataclass(frozen=True)
class Unit:
    """One part of one utterance: what a group is made of."""

    utterance: Utterance
    part: Part


def units_of(u: Utterance, vectors: dict[int, np.ndarray] | None = None) -> list[Unit]:
    """An utterance's parts, or the whole utterance when coding read none."""
    return [Unit(u, p) for p in u.parts] or [Unit(u, u.whole(vectors.get(u.id) if vectors else None))]


@dataclass
class Group:
    """Parts of one stage's utterances that tell the same experience, most central first."""

    units: list[Unit]
    edited: bool = False  # an analyst merged another group into it

    @classmethod
    def of(cls, utterances: list[Utterance], edited: bool = False) -> Group:
        """A group of whole utterances (advocacy acts, merged groups)."""
        return cls([Unit(u, u.whole()) for u in utterances], edited)

    @property
    def members(self) -> list[Utterance]:
        """The utterances the group's parts come from, in the parts' order, each once."""
        return list({id(unit.utterance): unit.utterance for unit in self.units}.values())

    @property
    def participants(self) -> set[str]:
        return {unit.utterance.participant for unit in self.units}


def group_utterances(members: list[Utterance], vectors: dict[int, np.ndarray]) -> list[Group]:
    """Deterministic groups of the parts of one stage's utterances, each ordered by closeness to its centre."""
    units = [unit for u in members for unit in units_of(u, vectors)]
    if not units:
        return []
    if len(units) == 1:
        return [Group(units)]
    matrix = np.stack([_in_context(unit, vectors) for unit in units])
    labels = _hc_cut(*_average_linkage(_distances(units, members, matrix)), len(units))
    by_label: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(int(label), []).append(i)
    groups = []
    for idx in by_label.values():  # in order of first appearance
        centre = matrix[idx].mean(axis=0)
        ordered = sorted(idx, key=lambda i: (-float(matrix[i] @ centre), units[i].utterance.id, i))
        groups.append(Group([units[i] for i in ordered]))
    return groups


def _distances(units: list[Unit], members: list[Utterance], matrix: np.ndarray) -> np.ndarray:
    """The condensed distance matrix of the parts (each pair once, row by row, as scipy's linkage reads it): cosine
    distance with the pull of shared touchpoints and signals and the push of opposite feelings. Only the similarity
    is held whole; the rest is computed `ROWS` rows at a time (a whole map's largest stage has 5,500 parts, whose
    square matrices took 0.9 GB), with the same arithmetic, so the groups are the same."""
    n = len(units)
    similarity = matrix @ matrix.T
    keys = sorted({c for u in members for c in u.in_group("touchpoint") + u.in_group("signal")})
    codes = np.array([[c in unit.utterance.codes for c in keys] for unit in units], dtype=np.float32).reshape(n, len(keys))
    counts = codes.sum(axis=1)
    owner = np.array([unit.utterance.id for unit in units])
    valence = np.array([unit.part.evidence for unit in units])
    condensed = np.empty(n * (n - 1) // 2)
    start = 0
    for top in range(0, n, ROWS):
        rows = slice(top, min(top + ROWS, n))
        block = similarity[rows]
        shared = codes[rows] @ codes.T
        union = counts[rows, None] + counts[None, :] - shared
        block += CODE_PULL * (np.divide(shared, union, out=np.zeros_like(shared), where=union > 0) * (owner[rows, None] != owner[None, :]))
        block -= OPPOSITE_PUSH * ((np.outer(valence[rows], valence) < 0) & (np.minimum.outer(np.abs(valence[rows]), np.abs(valence)) >= FELT))
        distance = np.clip(1 - block, 0, 2)
        for k, i in enumerate(range(rows.start, rows.stop)):
            condensed[start : start + n - i - 1] = distance[k, i + 1 :]
            start += n - i - 1
    return condensed


def _average_linkage(condensed: np.ndarray) -> tuple[int, np.ndarray]:
    """(how many groups, the merges) of average-linkage clustering cut where the merges reach `DISTANCE`: what
    scikit-learn's AgglomerativeClustering (precomputed, average, distance_threshold) computes from the square matrix."""
    tree = hierarchy.linkage(condensed, method="average")
    return int(np.count_nonzero(tree[:, 2] >= DISTANCE)) + 1, tree[:, :2].astype(int)


def _in_context(unit: Unit, vectors: dict[int, np.ndarray]) -> np.ndarray:
    """A part's meaning, read with a share of its whole answer's (a short clause alone says little)."""
    whole = vectors[unit.utterance.id]
    if unit.part.vector is None:
        return whole
    mixed = unit.part.vector + CONTEXT * whole
    return mixed / max(float(np.linalg.norm(mixed)), 1e-9)


def worth_telling(group: Group, needed: int, intensity: dict[int, float], strong: float) -> bool:
    """Whether a group can appear on the map: shared widely enough to be a pattern, or one
    participant's experience that is strong (an outlier) or painful (an opportunity)."""
    polarity = polarity_of(group.units)[0]
    evidence = supporting(group.units, polarity) or group.units  # as make_insight counts
    if not any(leans(unit.utterance, polarity) for unit in evidence):
        return False  # no answer feels this way as a whole: nothing to quote for it
    people = len({unit.utterance.participant for unit in evidence})
    if people >= needed:
        return True
    told = [unit for unit in evidence if telling(unit.part.text)]
    return people == 1 and bool(told) and (max(unit_intensity(unit, polarity, intensity) for unit in told) >= strong or polarity == "pain")


def polarity_of(units: list[Unit]) -> tuple[Polarity, float | None]:
    """pain, delight, mixed or neutral, from the parts' valence, with the mean valence."""
    values = [unit.part.evidence for unit in units if unit.part.valence is not None or unit.part.problem]
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


def agrees(u: Utterance | Unit, polarity: Polarity) -> bool:
    """Evidence supports an insight only when it feels the same way (a mixed part supports both)."""
    felt = u.part.felt if isinstance(u, Unit) else u.felt
    return {"pain": "negative" in felt, "delight": "positive" in felt}.get(polarity, True)


def supporting(units: list[Unit], polarity: Polarity) -> list[Unit]:
    """The evidence for a pain or a delight, answer by answer. An answer counts when its parts here feel the
    insight's way on balance ("Setup was easy. It paired straight away." does not count for failed pairing),
    or when the answer feels its way as a whole but in none of its parts ("We were billed twice. Nobody told us.").
    A neutral part of an answer whose feeling lies in other parts ("It paired straight away. But it is loud.")
    does not count, unless it states a problem in the codebook's terms (`Part.problem`: "We were billed twice.")."""
    if polarity not in ("pain", "delight"):
        return units
    sign = -1 if polarity == "pain" else 1
    by_answer: dict[int, list[Unit]] = {}
    for unit in units:
        by_answer.setdefault(unit.utterance.id, []).append(unit)
    chosen: set[int] = set()
    for mine in by_answer.values():
        values = [unit.part.evidence for unit in mine]
        answer = mine[0].utterance
        unplaced = not any(p.valence for p in answer.parts)  # the answer's feeling is in none of its parts: it is the answer's
        if sign * float(np.mean(values)) > 0 or (not any(values) and unplaced and leans(answer, polarity) and agrees(answer, polarity)):
            chosen |= {id(unit) for unit in mine if sign * unit.part.evidence >= 0}
    return [unit for unit in units if id(unit) in chosen]


OPPOSITE_POLARITY: dict[Polarity, Polarity] = {"pain": "delight", "delight": "pain"}


def leans(u: Utterance, polarity: Polarity) -> bool:
    """Stronger than `agrees`: the utterance feels that way overall, so it can be quoted for it."""
    v = u.valence or 0.0
    return {"pain": v < 0, "delight": v > 0}.get(polarity, True)


def unit_intensity(unit: Unit, polarity: Polarity, intensity: dict[int, float]) -> float:
    """How strongly a part feels: its own valence, or its utterance's intensity (signals included) where the
    whole utterance feels the insight's way."""
    own = abs(unit.part.valence or 0.0)
    return max(own, intensity[unit.utterance.id]) if polarity in ("pain", "delight") and leans(unit.utterance, polarity) else own


def quote_of(u: Utterance) -> Quote:
    return Quote(utterance_id=u.id, interview=u.interview, participant=u.participant, start=round(u.start, 2), text=u.text,
                 valence=None if u.valence is None else round(u.valence, 3), timed=u.timed)


def representative_quotes(members: list[Utterance], polarity: Polarity, limit: int = QUOTES) -> list[Quote]:
    """One quote per participant, up to `limit`: first the answers that feel the insight's way overall, then, for a
    participant the insight counts whose answer is neutral overall, the answer that holds their part of the evidence,
    so a claim of "3 of 8 participants" shows three voices where it can. An answer that feels the opposite way
    overall is never quoted for it."""
    out, seen = [], set()
    neutral = [u for u in members if not leans(u, polarity) and not leans(u, OPPOSITE_POLARITY.get(polarity, polarity))]
    for u in [u for u in members if leans(u, polarity)] + neutral:
        if u.participant not in seen:
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
    valences: dict[str, float] = field(default_factory=dict)  # the codebook's emotion valences
    floor: float | None = None  # `claims.similarity_floor`: None counts every agreeing participant (no codebook examples to set it)
    readings: object | None = None  # what reads headline candidates (`readings.StoredReadings`); None: spaCy's pipeline, every time


def make_insight(group: Group, context: InsightContext) -> Insight:
    """The claim a group supports. Its evidence, reach and quotes are the parts that feel its way and mean what its
    headline says (`claims`): a participant in a pain group who was delighted is not counted as having the pain, and
    one whose words are only related is named as related, not counted."""
    polarity, _ = polarity_of(group.units)
    agreeing = supporting(group.units, polarity) or group.units
    quotable = [unit for unit in agreeing if leans(unit.utterance, polarity)] or agreeing  # the headline's answer is its first quote
    related: list[Unit] = []
    split = None if group.edited else _claimed(agreeing, quotable, polarity, context)  # an analyst's merge claims all it holds
    if split:
        lead, agreeing, related = split
        tiers = [[lead]]
    else:
        shown = sorted(quotable[: 2 * QUOTES], key=lambda unit: not _part_leans(unit.part, polarity))  # felt parts first on ties
        felt = [unit for unit in shown if unit.part.evidence and _part_leans(unit.part, polarity)] if polarity in ("pain", "delight") else []
        tiers = [felt, shown]  # a pain or a delight is headed by a part felt its way where one can ("… I was on hold for ages …", not "No drama.")
    valence = polarity_of(agreeing)[1]
    members = Group(agreeing).members
    weights = shared_word_weights([(unit.utterance.participant, unit.part.text) for unit in agreeing], context.stage_texts)
    source, headline_text = _headline_of(tiers, weights, context.readings)
    felt_by = Counter(c for c, _ in {(c, unit.utterance.participant) for unit in agreeing for c in unit.part.codes})
    sign = {"pain": -1, "delight": 1}.get(polarity)
    other_way = {c for c in felt_by if sign and sign * context.valences.get(c, sign) <= 0}  # a pain is not told "with surprise"
    emotion = _shared_name(felt_by, len({unit.utterance.participant for unit in agreeing}), context.code_names, exclude={"emotion:neutral"} | other_way)
    touchpoints = [context.code_names.get(k, k) for k, n in _counts(members, "touchpoint").most_common(2) if n >= max(1, len(members) / 3)]
    theme_counts = Counter(t for u in members for t in u.themes if t in context.theme_labels)
    theme = context.theme_labels[theme_counts.most_common(1)[0][0]] if theme_counts else None
    people = len({u.participant for u in members})
    ids = [u.id for u in members]
    related_about = _counts(Group(related).members, "touchpoint").most_common(1)
    near = len({unit.utterance.participant for unit in related})
    about = context.code_names.get(related_about[0][0], related_about[0][0]) if related_about else None
    evidence = [reach_words(people, context.cohort, near, about), context.stage_name] + ([emotion.lower()] if emotion else [])
    return Insight(
        key=insight_key(context.stage, ids), stage=context.stage, statement=f"{headline_text or (touchpoints[0] if touchpoints else context.stage_name)} — {', '.join(evidence)}",
        headline=headline_text, participants=people, cohort=context.cohort, personas=sorted({u.persona for u in members if u.persona}), touchpoints=touchpoints,
        emotion=emotion, polarity=polarity, valence=None if valence is None else round(valence, 3),
        intensity=round(float(np.mean([unit_intensity(unit, polarity, context.intensity) for unit in agreeing])), 3), theme=theme,
        quotes=representative_quotes(([source] if source else []) + [u for u in members if u is not source], polarity), utterance_ids=ids, edited=group.edited,
        related=near, related_about=about,
        related_ids=[u.id for u in Group(related).members],
    )


def _headline_of(tiers: list[list[Unit]], weights: dict[str, float], readings: object | None = None) -> tuple[Utterance | None, str]:
    """(the answer the headline comes from, the headline) from the first tier of candidate parts that gives one; a part
    that points back ("That's genuinely motivating") or only says a feeling ("I was livid.") heads nothing while
    another part can."""
    tiers = [tier for tier in tiers if tier]
    for n, candidates in enumerate(tiers):
        texts = [in_its_sentence(unit.part.text, unit.utterance.text) for unit in candidates]
        standalone = [k for k, text in enumerate(texts) if not points_back(text) and not only_feels(text)]
        if not standalone and n < len(tiers) - 1:
            continue
        standalone = standalone or list(range(len(texts)))
        found = best_candidate([r.candidates for r in _read([texts[k] for k in standalone], readings)], weights)
        if found and (said := found[1].headline):
            return candidates[standalone[found[0]]].utterance, said
    return None, ""


def _read(texts: list[str], readings: object | None) -> list:
    """Each text's `readings.Reading`: kept by earlier builds, or parsed now by spaCy's whole pipeline."""
    from research.journey.readings import parsed_now

    return readings.of(texts) if readings is not None else parsed_now(texts)


def _claimed(agreeing: list[Unit], quotable: list[Unit], polarity: Polarity, context: InsightContext) -> tuple[Unit, list[Unit], list[Unit]] | None:
    """(the headline's unit, the units of the participants it speaks for, those of the related rest) by `claims.claim`;
    None without a floor, with one participant, or where a unit has no embedding (nothing to compare)."""
    if context.floor is None or len({unit.utterance.participant for unit in agreeing}) < 2 or any(unit.part.vector is None for unit in agreeing):
        return None
    mine = {id(unit) for unit in quotable}
    order = sorted(range(len(agreeing)), key=lambda i: (id(agreeing[i]) not in mine, not _part_leans(agreeing[i].part, polarity), i))  # felt parts first on ties
    units = [agreeing[i] for i in order]
    texts = [unit.part.text for unit in units]
    verbs = [r.verbs for r in _read(texts, context.readings)]
    said = [Said(unit.utterance.participant, unit.part.text, unit.part.vector / max(float(np.linalg.norm(unit.part.vector)), 1e-9), _felt(unit),
                 _named(unit, context.valences), found) for unit, found in zip(units, verbs)]
    found = claim(said, _headline_candidates(units, quotable, polarity), context.floor)
    return (units[found.headline], [unit for unit in agreeing if unit.utterance.participant in found.claimed],
            [unit for unit in agreeing if unit.utterance.participant in found.related])


def _named(unit: Unit, valences: dict[str, float]) -> frozenset[str]:
    """The emotions a part was coded with that feel the way it was felt ("But the filter subscription confused me":
    confusion); none for a part that only states a problem ("Then the first charge arrived", coded neutral)."""
    sign = _felt(unit)
    return frozenset(c for c in unit.part.codes if sign and valences.get(c, 0.0) * sign > 0)


def _felt(unit: Unit) -> int:
    """-1, 0 or +1: how a part was felt, by its own feeling (a problem it states counts as negative), else its answer's."""
    value = unit.part.evidence or unit.utterance.valence or 0.0
    return 0 if abs(value) < FELT else int(np.sign(value))


def _headline_candidates(units: list[Unit], quotable: list[Unit], polarity: Polarity) -> list[int]:
    """Which units may give a pain's or a delight's headline: parts of quotable answers that themselves feel its way
    ("The first payment was taken a week early" heads no delight), else any part of a quotable answer."""
    mine = [n for n, unit in enumerate(units) if id(unit) in {id(q) for q in quotable}]  # by identity: two parts may say the same words
    return [n for n in mine if _part_leans(units[n].part, polarity) and (units[n].part.evidence or polarity not in ("pain", "delight"))] or mine


def _part_leans(part: Part, polarity: Polarity) -> bool:
    v = part.evidence
    return {"pain": v < 0, "delight": v > 0}.get(polarity, True)


def _counts(members: list[Utterance], group: str) -> Counter:
    return Counter(code for u in members for code in u.in_group(group))


def _shared_name(counts: Counter, total: int, names: dict[str, str], exclude: set[str]) -> str | None:
    """The most frequent code, when at least a third of the `total` evidence (participants) carries it."""
    counts = Counter({k: n for k, n in counts.items() if k not in exclude})
    if not counts:
        return None
    key, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))  # a tie by name: the counts come from a set, whose order changes per process
    return names.get(key, key) if n >= max(1, total / 3) else None
