"""`research map`: the journey map, assembled from codings and themes and stored for the review app and exports.

For each stage: coverage, touchpoints, channels, silos, emotions with a valence curve, the 5 W's as
phrases, moments of truth, pain points and delights (each only from evidence of its own polarity),
tollgates, gaps, feedback loops, themes, insights (patterns told as claims with quotes), outliers
with why they stand out, and quotes. Across stages: how much of the study sits on the journey,
advocacy (promoters and detractors), "How might we" opportunities, personas side by side and
saturation. Every item keeps the ids of the utterances behind it, so any number drills down.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict

import numpy as np

from research.codebook import Codebook, CodeGroup, pain_kinds_of
from research.coding.scope import NOT_CODED, describe_outside
from research.fivews import FiveWs, stored_five_ws
from research.journey import edits as analyst_edits
from research.journey import stage_cache
from research.journey.advocacy import Act, advocacy, advocacy_insights, stored_loops
from research.journey.claims import similarity_floor
from research.journey.evidence import Utterance, embeddings_of, load_utterances, mark_problem_statements, participants_matching
from research.journey.insights import InsightContext, agrees, group_utterances, make_insight, quote_of, worth_telling
from research.journey.model import (
    Coverage, Insight, Item, JourneyMap, Moment, Outlier, ParticipantJourney, Quote, RecurringPain, Saturation, SaturationStep, StageLane,
)
from research.journey.opportunities import FORMULA, rank, touchpoints_hurt
from research.journey.pain_kinds import recurring_pains
from research.journey.readings import StoredReadings
from research.journey.placement import Alternatives, place_quotes
from research.journey.personas import persona_matrix
from research.journey.summary import stage_summary
from research.labels import name_unnamed
from research.store import is_read_only, now, rows_in
from research.study import Study

STRONG_EMOTION = 0.6  # |valence| at or above this is a strong feeling
SIGNAL_INTENSITY = {"signal:delight": 0.9, "signal:pain-point": 0.6}  # these signals are strong experiences by definition
PAIN = -0.4  # an utterance this negative counts as a pain point even when no pain signal was coded
DELIGHT = 0.5  # and this positive as a delight
OPPOSITE = 1.0  # a participant this far from the rest of the cohort at a stage feels the opposite
MOMENT_PARTICIPANTS = 2  # a touchpoint one participant feels strongly about is their experience (an outlier), not a moment of truth
W_NAMES = ("who", "what", "when", "where", "why")


class MapBuilder:
    def __init__(self, study: Study, codebook: Codebook, pattern_share: float = 0.3):
        self.study = study
        self.codebook = codebook
        self.pattern_share = pattern_share
        self.code_names = {key: code.name for key, (_, code) in codebook.codes.items()}
        self.valences = {key: code.valence for key, (_, code) in codebook.codes.items() if code.valence is not None}
        self.themes = {r["id"]: r for r in study.db.query("SELECT * FROM themes")}

    def build(self, filters: dict[str, str] | None = None, interview_ids: set[int] | None = None) -> JourneyMap:
        """The map of the participants that pass `filters`; with `interview_ids`, of those interviews only (one wave)."""
        filters = filters or {}
        name_unnamed(self.study)  # a study labelled before pseudonyms for unnamed participants reads "Participant 3", not "INT-003 customer"
        cohort = {key: label for key, label in participants_matching(self.study, filters).items() if interview_ids is None or key[0] in interview_ids}
        utterances = load_utterances(self.study, self.codebook, cohort)
        speaking = sorted({u.participant for u in utterances})
        journey = [u for u in utterances if u.stage]
        mark_problem_statements(journey, self.codebook, self.study.db)
        stage_group = next((g for g in self.codebook.groups if g.ordered), self.codebook.groups[0])
        by_stage: dict[str, list[Utterance]] = defaultdict(list)
        for u in journey:
            by_stage[u.stage].append(u)
        self.intensity = {u.id: max([abs(u.valence or 0.0)] + [SIGNAL_INTENSITY[c] for c in u.codes if c in SIGNAL_INTENSITY]) for u in utterances}
        five_ws = stored_five_ws(self.study.db, {u.id: u.text for u in journey})
        vectors = embeddings_of(self.study, journey)
        edits = analyst_edits.load_edits(self.study.db)
        by_id = {u.id: u for u in utterances}
        theme_labels = {tid: t["label"] for tid, t in self.themes.items() if _is_journey_theme(t) and not t.get("hidden")}
        advocacy_summary, acts = advocacy(self.study.db, journey, len(speaking))
        self.acts = acts
        self.loops = stored_loops(self.study.db, journey)
        last = stage_group.codes[-1].id  # advocacy: acts of word of mouth and churn belong here wherever they were told
        by_stage[last] += [by_id[uid] for uid in acts if by_id[uid].stage != last]
        insights: dict[str, list[Insight]] = {}
        singles: dict[str, list[Insight]] = {}
        needed = max(2, math.ceil(self.pattern_share * len(speaking)))
        floor = similarity_floor(self.codebook, self.study.config.coding.embedding_model) if journey else None
        readings = StoredReadings(self.study.db, journey)
        book = self.codebook.model_dump_json()
        for code in stage_group.codes:
            members = by_stage.get(code.id, [])
            context = InsightContext(code.id, code.name, len(speaking), [u.text for u in members], self.code_names, theme_labels, self.intensity, self.valences, floor, readings)
            grouped = [u for u in members if code.id != last or u.id not in acts]
            stage_edits = [e for e in edits if e.stage == code.id]
            groups_key = stage_cache.groups_digest(code.id, grouped, vectors)
            inputs = (code.id, code.name, code.id == last, len(speaking), needed, STRONG_EMOTION, floor, sorted(theme_labels.items()), book)
            key = stage_cache.insights_digest(groups_key, members, inputs, [_edit_digest(e) for e in stage_edits], acts)

            def tell(code=code, members=members, context=context, grouped=grouped, stage_edits=stage_edits, groups_key=groups_key):
                groups = stage_cache.stage_groups(groups_key, grouped, vectors, lambda: group_utterances(grouped, vectors))
                groups = analyst_edits.apply_merges(code.id, groups, stage_edits)
                told = [g for g in groups if worth_telling(g, needed, self.intensity, STRONG_EMOTION)]
                made = [make_insight(g, context) for g in told] + (advocacy_insights(acts, by_id, context) if code.id == last else [])
                made = analyst_edits.apply_edits(made, stage_edits, by_id)
                made.sort(key=lambda i: (-i.participants, -i.intensity, i.key))
                patterns = [i for i in made if i.participants >= needed]
                in_patterns = {uid for i in patterns for uid in i.utterance_ids}
                return patterns, _one_per_utterance([i for i in made if i.participants == 1 and not set(i.utterance_ids) & in_patterns
                                                     and not set(i.utterance_ids) <= acts.keys()])  # one person's act is told under promoters and detractors

            insights[code.id], singles[code.id] = stage_cache.stage_insights(key, tell)
        journeys = self._journeys(utterances, {c.id: c.name for c in stage_group.codes}, acts)
        lanes = []
        for code in stage_group.codes:
            members = by_stage.get(code.id, [])
            outliers = self._outliers(code.id, code.name, members, singles[code.id], journeys, len(speaking))
            lane = self._lane(code.id, code.name, members, five_ws, insights[code.id], outliers)
            if code.id == last:
                lane.promoters, lane.detractors = advocacy_summary.promoters, advocacy_summary.detractors
            lanes.append(lane)
        every_insight = [i for stage in insights.values() for i in stage] + [i for stage in singles.values() for i in stage]
        speaker_of = {u.id: u.participant for u in journey}
        personas = {u.participant: u.persona for u in utterances}
        outside = self._outside_scopes([u for u in utterances if not u.stage])
        recurring = self._recurring(utterances, outside, stage_group, len(speaking), needed)
        return JourneyMap(
            study=self.study.config.name, built_at=now(), filters=filters, interviews=len({u.interview for u in utterances}), participants=len(speaking),
            pattern_share=self.pattern_share, coverage=self._coverage(utterances, journey, outside), stages=lanes,
            opportunities=rank(every_insight, five_ws, speaker_of, len(speaking), touchpoints_hurt(journey, self.codebook, self.study.db), acts, recurring),
            opportunity_formula=FORMULA, advocacy=advocacy_summary,
            personas=persona_matrix(journey, personas, [c.id for c in stage_group.codes], [i for stage in insights.values() for i in stage]),
            participants_journeys=[j for j, _ in journeys.values()], saturation=self._saturation(journey),
            hidden_themes=self._theme_items(utterances, journey_themes=False), recurring_pains=recurring,
        )

    def _outside_scopes(self, outside: list[Utterance]) -> dict[int, str]:
        """{id: scope} of the cohort's answers off the journey (`coding.scope`: logistics, weak, or not coded). Their codes,
        read with the cohort, already say none has a stage a researcher kept, so only their rows of the coder's scopes are read."""
        scopes = dict.fromkeys((u.id for u in outside), NOT_CODED)
        if "utterance_scope" in self.study.db.table_names():
            for row in rows_in(self.study.db, "SELECT utterance_id, scope FROM utterance_scope WHERE utterance_id IN ({ids})", list(scopes)):
                scopes[row["utterance_id"]] = "logistics" if row["scope"] == "logistics" else "weak"
        return scopes

    def _recurring(self, utterances: list[Utterance], outside: dict[int, str], stage_group: CodeGroup, cohort: int, needed: int) -> list[RecurringPain]:
        """Kinds of problem told across stages, from answers on the journey and those too weak to place (not logistics)."""
        told = [u for u in utterances if u.stage or outside.get(u.id) == "weak"]
        return recurring_pains(told, {c.id: c.name for c in stage_group.codes}, cohort, needed, pain_kinds_of(self.codebook), self.study.db)

    def _coverage(self, utterances: list[Utterance], journey: list[Utterance], outside: dict[int, str]) -> Coverage:
        share = len(journey) / len(utterances) if utterances else 0.0
        reasons = dict(Counter(outside.values()).most_common())
        detail = describe_outside(reasons)
        line = f"{len(journey)} of {len(utterances)} customer utterances ({share:.0%}) are placed on the journey" + (f"; outside it: {detail}" if detail else "")
        return Coverage(customer_utterances=len(utterances), on_journey=len(journey), outside=len(outside), share=round(share, 3), reasons=reasons, line=line)

    def _journeys(self, utterances: list[Utterance], names: dict[str, str], acts: dict[int, Act]) -> dict[str, tuple[ParticipantJourney, list[str]]]:
        """Each participant's path through the stages and the stages they skip that most others cover.

        An act of advocacy (a recommendation, a warning) covers the last stage wherever it was coded."""
        stage_ids = list(names)
        people: dict[str, list[Utterance]] = defaultdict(list)
        for u in utterances:
            people[u.participant].append(u)

        def stages_of(mine: list[Utterance]) -> set[str]:
            return {u.stage for u in mine if u.stage} | ({stage_ids[-1]} if any(u.id in acts for u in mine) else set())

        covered = {s: sum(s in stages_of(mine) for mine in people.values()) for s in stage_ids}
        interview_stages: dict[str, set[str]] = defaultdict(set)  # a joint interview covers a stage together
        for mine in people.values():
            interview_stages[mine[0].interview] |= stages_of(mine)
        means = {p: np.mean([u.valence for u in mine if u.stage and u.valence is not None] or [np.nan]) for p, mine in people.items()}
        out = {}
        for person, mine in people.items():
            stages = [s for s in stage_ids if s in stages_of(mine)]
            skipped = [s for s in stage_ids if s not in interview_stages[mine[0].interview] and len(people) >= 4 and covered[s] >= 0.75 * len(people)]
            reasons = [f"never talks about {names[s]}, which {covered[s]} of {len(people)} participants describe" for s in skipped]
            others = [m for p, m in means.items() if p != person and not np.isnan(m)]
            mean = means[person]
            if len(others) >= 3 and not np.isnan(mean):
                spread = float(np.std(others)) or 0.1
                if abs(mean - np.mean(others)) >= max(2 * spread, 0.3):
                    reasons.append(_compared(float(mean), float(np.mean(others)), "across the journey"))
            record = ParticipantJourney(participant=person, interview=mine[0].interview, persona=mine[0].persona, stages=stages,
                                        valence_mean=None if np.isnan(mean) else round(float(mean), 3), deviates=bool(reasons), reasons=reasons, utterance_ids=[u.id for u in mine])
            out[person] = (record, skipped)
        return out

    def _items(self, utterances: list[Utterance], keys_of, label_of) -> list[Item]:
        found: dict[str, list[Utterance]] = defaultdict(list)
        for u in utterances:
            for key in dict.fromkeys(keys_of(u)):
                found[key].append(u)
        items = []
        for key, members in found.items():
            valences = [u.valence for u in members if u.valence is not None]
            items.append(Item(key=str(key), label=label_of(key), utterances=len(members), participants=len({u.participant for u in members}),
                              utterance_ids=[u.id for u in members], valence=round(float(np.mean(valences)), 3) if valences else None))
        return sorted(items, key=lambda i: (-i.participants, -i.utterances, i.label))

    def _code_items(self, utterances: list[Utterance], group: str) -> list[Item]:
        return self._items(utterances, lambda u: u.in_group(group), lambda key: self.code_names.get(key, key))

    def _theme_items(self, utterances: list[Utterance], journey_themes: bool = True) -> list[Item]:
        wanted = {tid for tid, t in self.themes.items() if _is_journey_theme(t) == journey_themes and t["label"] != "Unassigned" and not t.get("hidden")}
        return self._items(utterances, lambda u: sorted(t for t in u.themes if t in wanted), lambda t: self.themes[int(t)]["label"])

    def _lane(self, stage: str, name: str, members: list[Utterance], five_ws: dict[int, FiveWs], patterns: list[Insight], outliers: list[Outlier]) -> StageLane:
        valences = [u.valence for u in members if u.valence is not None]
        touchpoints = self._code_items(members, "touchpoint")
        lane = StageLane(
            stage=stage, name=name, participants=len({u.participant for u in members}), utterances=len(members), utterance_ids=[u.id for u in members],
            touchpoints=touchpoints, channels=self._code_items(members, "channel"), silos=self._code_items(members, "silo"), emotions=self._code_items(members, "emotion"),
            positive=sum(v > 0 for v in valences), negative=sum(v < 0 for v in valences),
            valence_mean=round(float(np.mean(valences)), 3) if valences else None, valence_sd=round(float(np.std(valences)), 3) if valences else None,
            **{w: self._items(members, lambda u, w=w: getattr(five_ws.get(u.id, FiveWs()), w), lambda k: k) for w in W_NAMES},
            moments_of_truth=self._moments(members, touchpoints), pain_points=self._polar_quotes(members, patterns, "pain"),
            delights=self._polar_quotes(members, patterns, "delight"), tollgates=self._quotes(members, "signal:tollgate"), gaps=self._quotes(members, "signal:expectation-gap"),
            feedback_loops={state: [quote_of(u) for u in members if self.loops.get(u.id) == state] for state in ("opened", "closed", "ignored")},
            themes=self._theme_items(members), patterns=patterns, outliers=outliers, quotes=self._representative(members, patterns),
            sources={source: len({u.interview_id for u in members if u.source == source}) for source in sorted({u.source for u in members} - {"interview"})},
        )
        place_quotes(lane, self._alternatives(members))
        lane.summary = stage_summary(lane)
        return lane

    def _alternatives(self, members: list[Utterance]) -> Alternatives:
        """A moment's or an outlier's other quotes: its evidence that feels the way its quote does, strongest first."""
        by_id = {u.id: u for u in members}

        def ranked(ids: list[int], quote: Quote) -> list[Quote]:
            sign = np.sign(quote.valence or 0.0)
            same = [by_id[i] for i in dict.fromkeys(ids) if i in by_id and i != quote.utterance_id and np.sign(by_id[i].valence or 0.0) == sign]
            return [quote_of(u) for u in sorted(same, key=lambda u: (-self.intensity[u.id], u.id))]

        return ranked

    def _quotes(self, members: list[Utterance], key: str) -> list[Quote]:
        return [quote_of(u) for u in members if key in u.codes]

    def _polar_quotes(self, members: list[Utterance], patterns: list[Insight], polarity: str) -> list[Quote]:
        """Pain points (negative evidence only) or delights (positive only): the quotes of the widest
        insight of that polarity first, then the strongest others."""
        contrary = "promoter" if polarity == "pain" else "detractor"  # "I'd tell them to go somewhere that understands it" is no delight, however it was felt
        chosen = [u for u in members if (is_pain_point if polarity == "pain" else is_delight)(u) and getattr(self.acts.get(u.id), "direction", None) != contrary]
        lead = [q.utterance_id for p in patterns if p.polarity == polarity for q in p.quotes]
        order = {uid: n for n, uid in enumerate(lead)}
        return [quote_of(u) for u in sorted(chosen, key=lambda u: (order.get(u.id, len(order)), -self.intensity[u.id], u.id))]

    def _representative(self, members: list[Utterance], patterns: list[Insight]) -> list[Quote]:
        """Five quotes: each insight's lead quote, then the strongest feelings."""
        lead = [p.quotes[0].utterance_id for p in patterns if p.quotes]
        rest = sorted((u for u in members if u.id not in lead), key=lambda u: (-self.intensity[u.id], u.id))
        by_id = {u.id: u for u in members}
        return [quote_of(u) for u in ([by_id[i] for i in lead] + rest)[:5]]

    def _moments(self, members: list[Utterance], touchpoints: list[Item]) -> list[Moment]:
        """Touchpoints where feelings run high for two or more participants, each with its strongest agreeing quote and why it matters."""
        by_id = {u.id: u for u in members}
        out = []
        for item in touchpoints:
            if item.valence is None or abs(item.valence) < STRONG_EMOTION or item.participants < MOMENT_PARTICIPANTS:
                continue
            sign = "pain" if item.valence < 0 else "delight"
            voices = [by_id[i] for i in item.utterance_ids if agrees(by_id[i], sign)]
            if not voices:
                continue
            strongest = max(voices, key=lambda u: (self.intensity[u.id], -u.id))
            feeling = "negative" if item.valence < 0 else "positive"
            why = f"Strongly {feeling} for {item.participants} participant{'s' * (item.participants != 1)}, over {item.utterances} quote{'s' * (item.utterances != 1)}"
            out.append(Moment(touchpoint=item.label, participants=item.participants, valence=item.valence, why=why, quote=quote_of(strongest), utterance_ids=item.utterance_ids))
        return sorted(out, key=lambda m: (-m.participants, -abs(m.valence), m.touchpoint))[:5]

    def _outliers(self, stage: str, name: str, members: list[Utterance], singles: list[Insight], journeys: dict, cohort: int) -> list[Outlier]:
        """Unique strong experiences, participants who feel the opposite of the cohort, and skipped stages."""
        out = []
        for insight in singles:
            if insight.intensity < STRONG_EMOTION or not insight.quotes:
                continue
            quote = insight.quotes[0]
            feeling = f"strong {(insight.emotion or insight.polarity).lower()}" if insight.emotion or insight.polarity in ("pain", "delight") else "strong feeling"
            out.append(Outlier(kind="unique-experience", label=insight.headline or insight.statement, participant=quote.participant,
                               why=f"Only {quote.participant} describes this at {name}, with {feeling}; no other participant's experience is like it.",
                               quote=quote, utterance_ids=insight.utterance_ids))
        out += self._opposites(name, members)
        for person, (record, skipped) in sorted(journeys.items()):
            if stage in skipped:
                covered = next(r for r in record.reasons if r.startswith(f"never talks about {name},"))
                why = covered.replace(f"about {name},", "about this stage,", 1)
                out.append(Outlier(kind="skipped-stage", label=person, participant=person, why=why[0].upper() + why[1:] + ".", quote=None, utterance_ids=record.utterance_ids))
        return out

    def _opposites(self, name: str, members: list[Utterance]) -> list[Outlier]:
        per_person: dict[str, list[Utterance]] = defaultdict(list)
        for u in members:
            if u.valence is not None:
                per_person[u.participant].append(u)
        if len(per_person) < 3:
            return []
        means = {p: float(np.mean([_own_valence(u) for u in mine])) for p, mine in per_person.items()}
        out = []
        for person, mean in sorted(means.items()):
            rest = float(np.mean([m for p, m in means.items() if p != person]))
            if abs(mean - rest) < OPPOSITE or mean * rest > 0 and abs(mean) < STRONG_EMOTION:
                continue
            strongest = max(per_person[person], key=lambda u: (abs(_own_valence(u)), -u.id))
            direction = "better" if mean > rest else "worse"
            out.append(Outlier(kind="opposite-feeling", label=f"{person} felt {direction} than the cohort", participant=person,
                               why=f"{person} {_compared(mean, rest, f'at {name}')}.", quote=quote_of(strongest),
                               utterance_ids=[u.id for u in per_person[person]]))
        return out

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


def _compared(mean: float, rest: float, where: str) -> str:
    """'felt strongly negative at Retention, where the rest of the cohort felt positive'; 'felt more negative across the
    journey than the rest of the cohort' where the two read the same in words."""
    mine, theirs = _feeling_word(mean), _feeling_word(rest)
    if mine == theirs:
        return f"felt more {'positive' if mean > rest else 'negative'} {where} than the rest of the cohort"
    return f"felt {mine} {where}, where the rest of the cohort felt {theirs}"


def _feeling_word(valence: float) -> str:
    """A mean feeling in words for a sentence a reader reads ('strongly negative', 'positive', 'neutral on balance')."""
    if abs(valence) < 0.15:
        return "neutral on balance"
    return ("strongly " if abs(valence) >= STRONG_EMOTION else "") + ("positive" if valence > 0 else "negative")


def is_pain_point(u: Utterance) -> bool:
    """A pain point: an answer coded as a pain or felt clearly negative, in which the speaker's own sentences say
    something negative and lean negative (`leaning`). "An engineer called me back, explained a night mode I didn't
    know about … I was impressed." was coded confusion as a whole, by its words "explained" and "didn't know";
    sentence by sentence it is trust, confusion, nothing and delight: no pain point."""
    return (u.valence or 0) < 0 and ("signal:pain-point" in u.codes or (u.valence or 0) <= PAIN) and _said(u, "negative") and leaning(u) < 0


def is_delight(u: Utterance) -> bool:
    """A delight, as a pain point is a pain: coded or clearly felt, said, and leaning positive by the speaker's own sentences."""
    return (u.valence or 0) > 0 and ("signal:delight" in u.codes or (u.valence or 0) >= DELIGHT) and _said(u, "positive") and leaning(u) > 0


def leaning(u: Utterance) -> float:
    """Which way the speaker's own sentences lean. A part set against the rest by "but" carries the point ("Setup was
    easy. … But on the high setting it is loud": a pain), as in VADER's contrast rule (Hutto and Gilbert, 2014);
    otherwise the mean of the parts that feel something or state a problem (`Part.evidence`), and the whole
    answer's feeling where coding read no parts or none of them feels anything."""
    contrasted = [p.evidence for p in u.parts if p.evidence and _after_but(u.text, p.text)]
    if contrasted:
        return contrasted[-1]
    felt = [p.evidence for p in u.parts if p.evidence]
    return float(np.mean(felt)) if felt else (u.valence or 0.0)


def _after_but(text: str, part: str) -> bool:
    """Whether `part` of `text` is introduced by "but" ("…, but the app would not connect", "But it is loud."). A part
    ends as a sentence does (`sentences.split_parts` adds the stop a clause lacks), so it is found without it."""
    at = text.find(part.rstrip(".!?"))
    before = text[:at].rstrip(" ,;") if at >= 0 else ""
    return part.lower().startswith("but ") or before.lower().endswith(" but") or before.lower() == "but"


def _said(u: Utterance, feeling: str) -> bool:
    """Whether one of the utterance's own parts feels this way (true where coding read no parts): "Members
    complained the room was stuffy. A friend said she loved hers." is no delight of the speaker's."""
    return not u.parts or any(feeling in p.felt for p in u.parts)


def _own_valence(u: Utterance) -> float:
    """The feeling of the speaker's own parts (mean of those felt), else the utterance's."""
    felt = [p.valence for p in u.parts if p.valence]
    return float(np.mean(felt)) if felt else (u.valence or 0.0)


def _one_per_utterance(singles: list[Insight]) -> list[Insight]:
    """One participant's experiences, the strongest of each utterance's parts only: an answer told once is one outlier."""
    out, seen = [], set()
    for insight in sorted(singles, key=lambda i: (-i.intensity, i.key)):
        if not seen & set(insight.utterance_ids):
            out.append(insight)
            seen |= set(insight.utterance_ids)
    return out


def _edit_digest(edit: analyst_edits.InsightEdit) -> tuple:
    return (edit.id, edit.action, edit.stage, sorted(edit.utterance_ids), edit.text, edit.quote_id, sorted(edit.target_ids))


def _is_journey_theme(theme: dict) -> bool:
    """Themes stage marks themes of non-journey talk (introductions, logistics) with journey = 0."""
    return theme.get("journey") != 0


def filters_key(filters: dict[str, str]) -> str:
    return json.dumps({k: v for k, v in sorted(filters.items())})


def build_and_store(study: Study, codebook: Codebook, filters: dict[str, str] | None = None, pattern_share: float = 0.3) -> JourneyMap:
    """The map for these filters, stored for the next reader unless the study is read-only."""
    journey = MapBuilder(study, codebook, pattern_share).build(filters)
    if not is_read_only(study.db):
        study.db["maps"].upsert({"filters": filters_key(journey.filters), "built_at": journey.built_at, "data": journey.model_dump_json()}, pk="filters")
    return journey


def stored_map(study: Study, filters: dict[str, str] | None = None) -> JourneyMap | None:
    """The map last built for these filters, or None (also when it was built by an older version)."""
    rows = list(study.db.query("SELECT data FROM maps WHERE filters = ?", [filters_key(filters or {})]))
    if not rows:
        return None
    try:
        return JourneyMap.model_validate_json(rows[0]["data"])
    except ValueError:
        return None
