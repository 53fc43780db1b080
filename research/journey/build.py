"""`research map`: the journey map, assembled from codings and themes and stored for the TUI and exports.

For each stage: coverage, touchpoints, channels, silos, emotions with a valence curve, the 5 W's,
moments of truth, pain points and delights, tollgates, gaps, feedback loops, patterns, outliers and
quotes. Every item keeps the ids of the utterances behind it, so any number drills down.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel

from research.codebook import Codebook
from research.errors import ResearchError
from research.fivews import FiveWs, stored_five_ws
from research.store import now
from research.study import Study

SCHEMA_VERSION = "1.0"
STRONG_EMOTION = 0.6  # |valence| at or above this is a strong emotion
SIGNAL_INTENSITY = {"signal:delight": 0.9, "signal:pain-point": 0.6}  # these signals are strong experiences by definition
PAIN = -0.4  # an utterance this negative (or coded a pain point) counts as pain
UNIQUE_GROUPS = ("touchpoint", "signal")  # channels and silos only restate touchpoints
FILTER_FIELDS = {"persona": "p", "role": "p", "participation": "p", "segment": "p", "industry": "i", "region": "i", "product": "i"}


class Quote(BaseModel):
    utterance_id: int
    interview: str
    participant: str
    start: float
    text: str


class Item(BaseModel):
    """Something counted in a stage (a code, a theme, a W): how often, by how many participants, where."""

    key: str
    label: str
    utterances: int
    participants: int
    utterance_ids: list[int]
    valence: float | None = None


class Outlier(BaseModel):
    kind: str  # unique-experience, topic-outlier, deviating-participant
    label: str
    participant: str
    reason: str
    utterance_ids: list[int]


class ParticipantJourney(BaseModel):
    participant: str
    interview: str
    stages: list[str]  # the stages this participant talks about, in journey order
    valence_mean: float | None
    deviates: bool
    reasons: list[str]
    utterance_ids: list[int]


class Opportunity(BaseModel):
    stage: str
    label: str
    reach: float  # share of participants
    intensity: float  # mean |negative valence|
    score: float
    utterance_ids: list[int]


class StageLane(BaseModel):
    stage: str
    name: str
    participants: int
    utterances: int
    utterance_ids: list[int]
    touchpoints: list[Item]
    channels: list[Item]
    silos: list[Item]
    emotions: list[Item]
    valence_mean: float | None
    valence_sd: float | None
    who: list[Item]
    what: list[Item]
    when: list[Item]
    where: list[Item]
    why: list[Item]
    moments_of_truth: list[Item]
    pain_points: list[Quote]
    delights: list[Quote]
    tollgates: list[Quote]
    gaps: list[Quote]
    feedback_loops: dict[str, list[Quote]]
    themes: list[Item]
    patterns: list[Item]
    outliers: list[Outlier]
    quotes: list[Quote]


class SaturationStep(BaseModel):
    interview: str
    new_codes: int
    new_themes: int


class Saturation(BaseModel):
    steps: list[SaturationStep]
    window: int
    saturated_after: str | None  # the interview after which the last `window` interviews added nothing new


class JourneyMap(BaseModel):
    schema_version: str = SCHEMA_VERSION
    study: str
    built_at: str
    filters: dict[str, str]
    interviews: int
    participants: int
    pattern_share: float
    stages: list[StageLane]
    opportunities: list[Opportunity]
    participants_journeys: list[ParticipantJourney]
    saturation: Saturation


@dataclass
class Utterance:
    id: int
    interview: str
    interview_id: int
    participant: str
    start: float
    text: str
    codes: set[str] = field(default_factory=set)
    themes: set[int] = field(default_factory=set)
    outlier_theme: bool = False

    @property
    def stage(self) -> str | None:
        return next((c.split(":", 1)[1] for c in self.codes if c.startswith("stage:")), None)

    def quote(self) -> Quote:
        return Quote(utterance_id=self.id, interview=self.interview, participant=self.participant, start=round(self.start, 2), text=self.text)


def participants_matching(study: Study, filters: dict[str, str]) -> dict[tuple[int, str], str]:
    """{(interview id, speaker slot): participant label} for the participants that pass the filters."""
    unknown = set(filters) - set(FILTER_FIELDS)
    if unknown:
        raise ResearchError(f"unknown filter {', '.join(sorted(unknown))}; use {', '.join(FILTER_FIELDS)}")
    clauses, values = [], []
    for name, value in filters.items():
        clauses.append(f"lower({FILTER_FIELDS[name]}.{name}) = lower(?)")
        values.append(value)
    where = " AND ".join(clauses) or "1"
    rows = study.db.query(f"SELECT p.interview_id, p.slot, p.label FROM participants p JOIN interviews i ON i.id = p.interview_id WHERE {where}", values)
    return {(r["interview_id"], r["slot"]): r["label"] for r in rows}


def load_utterances(study: Study, cohort: dict[tuple[int, str], str]) -> list[Utterance]:
    db = study.db
    codes_by_interview = {r["id"]: r["code"] for r in db.query("SELECT id, code FROM interviews")}
    utterances = {}
    for r in db.query("SELECT id, interview_id, role, start, text FROM utterances WHERE role LIKE 'customer%' ORDER BY interview_id, idx"):
        label = cohort.get((r["interview_id"], r["role"]))
        if label is None:
            continue
        utterances[r["id"]] = Utterance(r["id"], codes_by_interview[r["interview_id"]], r["interview_id"], label, r["start"] or 0.0, r["text"])
    for r in db.query("SELECT utterance_id, code_key FROM codings WHERE status != 'rejected'"):
        if r["utterance_id"] in utterances:
            utterances[r["utterance_id"]].codes.add(r["code_key"])
    for r in db.query("SELECT theme_id, utterance_id, outlier FROM theme_members"):
        if r["utterance_id"] in utterances:
            utterances[r["utterance_id"]].themes.add(r["theme_id"])
            utterances[r["utterance_id"]].outlier_theme |= bool(r["outlier"])
    return list(utterances.values())


class MapBuilder:
    def __init__(self, study: Study, codebook: Codebook, pattern_share: float = 0.3):
        self.study = study
        self.codebook = codebook
        self.pattern_share = pattern_share
        self.valence = {key: code.valence for key, (_, code) in codebook.codes.items() if code.valence is not None}
        self.theme_labels = {r["id"]: r["label"] for r in study.db.query("SELECT id, label FROM themes")}

    def build(self, filters: dict[str, str] | None = None) -> JourneyMap:
        filters = filters or {}
        cohort = participants_matching(self.study, filters)
        utterances = load_utterances(self.study, cohort)
        speaking = {u.participant for u in utterances}
        stage_group = next(g for g in self.codebook.groups if g.ordered) if any(g.ordered for g in self.codebook.groups) else self.codebook.groups[0]
        by_stage: dict[str, list[Utterance]] = defaultdict(list)
        for u in utterances:
            if u.stage:
                by_stage[u.stage].append(u)
        texts = {u.id: u.text for u in utterances if u.stage}
        five_ws = stored_five_ws(self.study.db, texts)
        stage_ids = [code.id for code in stage_group.codes]
        journeys = self._journeys(utterances, stage_ids)
        deviations = self._deviations(by_stage)
        for journey in journeys:
            for stage in journey.skipped:
                deviations[stage].append(Outlier(kind="deviating-participant", label=f"{journey.person.participant} skipped this stage", participant=journey.person.participant,
                                                 reason=f"most participants ({journey.covered[stage]}) talk about it", utterance_ids=journey.person.utterance_ids))
        lanes = [self._lane(code.id, code.name, by_stage.get(code.id, []), len(speaking), five_ws, deviations.get(code.id, [])) for code in stage_group.codes]
        return JourneyMap(
            study=self.study.config.name, built_at=now(), filters=filters, interviews=len({u.interview for u in utterances}), participants=len(speaking),
            pattern_share=self.pattern_share, stages=lanes, opportunities=self._opportunities(lanes, by_stage, len(speaking)),
            participants_journeys=[j.person for j in journeys], saturation=self._saturation(utterances),
        )

    def utterance_valence(self, u: Utterance) -> float | None:
        values = [self.valence[c] for c in u.codes if c in self.valence]
        return float(np.mean(values)) if values else None

    def intensity(self, u: Utterance) -> float:
        """How strong the experience is: |valence|, or what a delight or pain-point signal implies."""
        return max([abs(self.utterance_valence(u) or 0.0)] + [SIGNAL_INTENSITY[c] for c in u.codes if c in SIGNAL_INTENSITY])

    def _journeys(self, utterances: list[Utterance], stage_ids: list[str]) -> list[_Journey]:
        """Each participant's path through the stages; a deviating journey skips a stage most others
        cover, or feels far worse or better overall than the cohort."""
        people: dict[str, list[Utterance]] = defaultdict(list)
        for u in utterances:
            people[u.participant].append(u)
        covered = {s: sum(any(u.stage == s for u in mine) for mine in people.values()) for s in stage_ids}
        interview_stages: dict[str, set[str]] = defaultdict(set)  # a joint interview covers a stage together
        for u in utterances:
            if u.stage:
                interview_stages[u.interview].add(u.stage)
        means = {p: np.mean([v for v in map(self.utterance_valence, mine) if v is not None] or [np.nan]) for p, mine in people.items()}
        out = []
        for person, mine in people.items():
            stages = [s for s in stage_ids if any(u.stage == s for u in mine)]
            skipped = [s for s in stage_ids if s not in interview_stages[mine[0].interview] and len(people) >= 4 and covered[s] >= 0.75 * len(people)]
            others = [m for p, m in means.items() if p != person and not np.isnan(m)]
            reasons = [f"skipped {s}" for s in skipped]
            mean = means[person]
            if len(others) >= 3 and not np.isnan(mean):
                spread = float(np.std(others)) or 0.1
                if abs(mean - np.mean(others)) >= max(2 * spread, 0.3):
                    reasons.append(f"overall valence {mean:+.2f} vs cohort {np.mean(others):+.2f}")
            record = ParticipantJourney(participant=person, interview=mine[0].interview, stages=stages, valence_mean=None if np.isnan(mean) else round(float(mean), 3),
                                        deviates=bool(reasons), reasons=reasons, utterance_ids=[u.id for u in mine])
            out.append(_Journey(record, skipped, covered))
        return out

    def _items(self, utterances: list[Utterance], keys_of, label_of) -> list[Item]:
        found: dict[str, list[Utterance]] = defaultdict(list)
        for u in utterances:
            for key in keys_of(u):
                found[key].append(u)
        items = []
        for key, members in found.items():
            valences = [v for v in (self.utterance_valence(u) for u in members) if v is not None]
            items.append(Item(key=str(key), label=label_of(key), utterances=len(members), participants=len({u.participant for u in members}),
                              utterance_ids=[u.id for u in members], valence=round(float(np.mean(valences)), 3) if valences else None))
        return sorted(items, key=lambda i: (-i.participants, -i.utterances, i.label))

    def _code_items(self, utterances: list[Utterance], group: str) -> list[Item]:
        return self._items(utterances, lambda u: [c for c in u.codes if c.startswith(f"{group}:")], self._code_name)

    def _code_name(self, key: str) -> str:
        return self.codebook.codes[key][1].name if key in self.codebook.codes else key

    def _lane(self, stage: str, name: str, members: list[Utterance], cohort: int, five_ws: dict[int, FiveWs], deviations: list[Outlier]) -> StageLane:
        valences = [v for v in (self.utterance_valence(u) for u in members) if v is not None]
        touchpoints = self._code_items(members, "touchpoint")
        themes = self._items(members, lambda u: u.themes, lambda t: self.theme_labels.get(int(t), f"theme {t}"))
        codes = [i for group in ("touchpoint", "signal", "emotion", "silo", "channel") for i in self._code_items(members, group)]
        unique_candidates = [i for i in codes if i.key.split(":")[0] in UNIQUE_GROUPS] + themes
        needed = max(2, math.ceil(self.pattern_share * cohort))
        patterns = [i for i in codes + themes if i.participants >= needed and i.key != "emotion:neutral"]
        return StageLane(
            stage=stage, name=name, participants=len({u.participant for u in members}), utterances=len(members), utterance_ids=[u.id for u in members],
            touchpoints=touchpoints, channels=self._code_items(members, "channel"), silos=self._code_items(members, "silo"), emotions=self._code_items(members, "emotion"),
            valence_mean=round(float(np.mean(valences)), 3) if valences else None, valence_sd=round(float(np.std(valences)), 3) if valences else None,
            **{w: self._items(members, lambda u, w=w: getattr(five_ws.get(u.id, FiveWs()), w), lambda k: k) for w in ("who", "what", "when", "where", "why")},
            moments_of_truth=[i for i in touchpoints if i.valence is not None and abs(i.valence) >= STRONG_EMOTION and i.utterances >= 1][:5],
            pain_points=self._quotes(members, "signal:pain-point"), delights=self._quotes(members, "signal:delight"),
            tollgates=self._quotes(members, "signal:tollgate"), gaps=self._quotes(members, "signal:expectation-gap"),
            feedback_loops={state: self._quotes(members, f"signal:feedback-{state}") for state in ("opened", "closed", "ignored")},
            themes=themes, patterns=patterns, outliers=self._outliers(members, unique_candidates) + deviations,
            quotes=[u.quote() for u in sorted(members, key=lambda u: -abs(self.utterance_valence(u) or 0))[:5]],
        )

    def _quotes(self, members: list[Utterance], key: str) -> list[Quote]:
        return [u.quote() for u in members if key in u.codes]

    def _outliers(self, members: list[Utterance], items: list[Item]) -> list[Outlier]:
        """Single-participant experiences with strong emotion, and BERTopic outliers with strong emotion."""
        by_id = {u.id: u for u in members}
        out = []
        for item in items:
            strength = max(self.intensity(by_id[i]) for i in item.utterance_ids)
            if item.participants != 1 or strength < STRONG_EMOTION:
                continue
            participant = by_id[item.utterance_ids[0]].participant
            out.append(Outlier(kind="unique-experience", label=item.label, participant=participant, reason=f"only {participant} reports it, with strong emotion ({strength:.1f})", utterance_ids=item.utterance_ids))
        for u in members:
            if u.outlier_theme and self.intensity(u) >= STRONG_EMOTION:
                out.append(Outlier(kind="topic-outlier", label=u.text[:60], participant=u.participant, reason=f"fits no shared theme, with strong emotion ({self.intensity(u):.1f})", utterance_ids=[u.id]))
        return sorted(out, key=lambda o: (o.kind != "unique-experience", o.participant))

    def _deviations(self, by_stage: dict[str, list[Utterance]]) -> dict[str, list[Outlier]]:
        """Participants whose feeling at a stage is far from the cohort's (at least 1.0 apart on the -1..1 scale)."""
        out: dict[str, list[Outlier]] = defaultdict(list)
        for stage, members in by_stage.items():
            per_person: dict[str, list[float]] = defaultdict(list)
            ids: dict[str, list[int]] = defaultdict(list)
            for u in members:
                v = self.utterance_valence(u)
                if v is not None:
                    per_person[u.participant].append(v)
                    ids[u.participant].append(u.id)
            if len(per_person) < 3:
                continue
            means = {p: float(np.mean(v)) for p, v in per_person.items()}
            for person, mean in means.items():
                others = [m for p, m in means.items() if p != person]
                gap = mean - float(np.mean(others))
                if abs(gap) >= 1.0:
                    direction = "worse" if gap < 0 else "better"
                    out[stage].append(Outlier(kind="deviating-participant", label=f"{person} felt {direction} than the cohort", participant=person,
                                              reason=f"valence {mean:+.2f} vs cohort {np.mean(others):+.2f}", utterance_ids=ids[person]))
        return out

    def _opportunities(self, lanes: list[StageLane], by_stage: dict[str, list[Utterance]], cohort: int) -> list[Opportunity]:
        """Pain by touchpoint, ranked by reach (share of participants) × intensity (negative valence).
        Pain is an utterance coded as a pain point or clearly negative."""
        out = []
        for lane in lanes:
            painful = [u for u in by_stage.get(lane.stage, []) if "signal:pain-point" in u.codes or (self.utterance_valence(u) or 0) <= PAIN]
            for item in self._code_items(painful, "touchpoint"):
                members = [u for u in painful if u.id in item.utterance_ids]
                negatives = [-v for v in (self.utterance_valence(u) for u in members) if v is not None and v < 0]
                intensity = float(np.mean(negatives)) if negatives else 0.0
                reach = item.participants / max(cohort, 1)
                if intensity > 0:
                    out.append(Opportunity(stage=lane.stage, label=f"{item.label} at {lane.name}", reach=round(reach, 3), intensity=round(intensity, 3), score=round(reach * intensity, 3), utterance_ids=item.utterance_ids))
        return sorted(out, key=lambda o: -o.score)[:10]

    def _saturation(self, utterances: list[Utterance], window: int = 2) -> Saturation:
        order = [r["code"] for r in self.study.db.query("SELECT code FROM interviews ORDER BY COALESCE(interview_date, ''), id")]
        seen_codes: set[str] = set()
        seen_themes: set[int] = set()
        steps = []
        for interview in order:
            mine = [u for u in utterances if u.interview == interview]
            if not mine:
                continue
            codes = {c for u in mine for c in u.codes if not c.startswith("emotion:neutral")}
            themes = {t for u in mine for t in u.themes}
            steps.append(SaturationStep(interview=interview, new_codes=len(codes - seen_codes), new_themes=len(themes - seen_themes)))
            seen_codes |= codes
            seen_themes |= themes
        saturated = None
        for k in range(len(steps) - window):
            if all(s.new_codes == 0 and s.new_themes == 0 for s in steps[k + 1 :]):
                saturated = steps[k].interview
                break
        return Saturation(steps=steps, window=window, saturated_after=saturated)


@dataclass
class _Journey:
    person: ParticipantJourney
    skipped: list[str]
    covered: dict[str, int]


def filters_key(filters: dict[str, str]) -> str:
    return json.dumps({k: v for k, v in sorted(filters.items())})


def build_and_store(study: Study, codebook: Codebook, filters: dict[str, str] | None = None, pattern_share: float = 0.3) -> JourneyMap:
    journey = MapBuilder(study, codebook, pattern_share).build(filters)
    study.db["maps"].upsert({"filters": filters_key(journey.filters), "built_at": journey.built_at, "data": journey.model_dump_json()}, pk="filters")
    return journey


def stored_map(study: Study, filters: dict[str, str] | None = None) -> JourneyMap | None:
    rows = list(study.db.query("SELECT data FROM maps WHERE filters = ?", [filters_key(filters or {})]))
    return JourneyMap.model_validate_json(rows[0]["data"]) if rows else None
