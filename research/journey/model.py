"""The journey map as stored in study.db and read by the review app and the exports (pydantic models).

A CX lead reads sentences, not counts: patterns are `Insight`s (a claim with its reach, polarity and
quotes), opportunities are "How might we ..." statements with their ranking, and outliers and moments
of truth carry the quote and why it stands out. Code counts (`Item`) stay in their lanes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

SCHEMA_VERSION = "2.0"

Polarity = Literal["pain", "delight", "mixed", "neutral"]
Strength = Literal["none", "thin", "moderate", "strong"]


class Quote(BaseModel):
    utterance_id: int
    interview: str
    participant: str
    start: float
    text: str
    valence: float | None = None
    timed: bool = True  # False for a transcript imported without timings (TXT, Word): its start says nothing
    see: str | None = None  # "insight 1": a row above it in the stage shows this quote, so this row refers there instead


SHOWN = 3  # quotes a row of a stage shows


def shown(quotes: list[Quote], limit: int = SHOWN) -> list[Quote]:
    """The quotes a row shows: those no row above it shows, up to `limit`; or, when it has none of its own,
    its first quote alone, which the renderers write as a reference ("see insight 1")."""
    own = [q for q in quotes if q.see is None][:limit]
    return own or quotes[:1]


class Item(BaseModel):
    """Something counted in a stage (a code, a theme, a W): how often, by how many participants, where."""

    key: str
    label: str
    utterances: int
    participants: int
    utterance_ids: list[int]
    valence: float | None = None


class Insight(BaseModel):
    """A pattern as a claim with its evidence: what happened, to how many, how it felt, in their words."""

    key: str  # stable across rebuilds while its evidence stays the same: the analyst's edits attach here
    stage: str
    statement: str  # the sentence a reader sees: headline plus evidence, or the analyst's own text
    headline: str  # the claim alone, condensed from the most central quote
    participants: int
    cohort: int  # N in "n of N participants"
    personas: list[str]
    touchpoints: list[str]
    emotion: str | None
    polarity: Polarity
    valence: float | None
    intensity: float
    theme: str | None
    quotes: list[Quote]
    utterance_ids: list[int]
    edited: bool = False  # renamed, rewritten, merged or with pinned quotes by an analyst
    related: int = 0  # participants of its group whose words are near it but do not say what its headline says: not counted
    related_about: str | None = None  # the touchpoint those related words are most about
    related_ids: list[int] = []

    @property
    def label(self) -> str:
        return self.statement

    @property
    def claim(self) -> str:
        """The statement without its evidence, for a map that shows the reach, stage and feeling beside it: the
        analyst's own words, else the headline, else the touchpoint it is about, else its polarity."""
        if f" — {self.participants} of {self.cohort} participant" not in self.statement:
            return self.statement  # rewritten by an analyst
        return self.headline or (self.touchpoints[0] if self.touchpoints else SHARED[self.polarity])


def reach_words(participants: int, cohort: int, related: int = 0, related_about: str | None = None) -> str:
    """'5 of 8 participants', '3 of 8 participants and 4 more on Billing': the reach every statement and export says,
    with the participants whose words are near the claim but do not say it named apart, not counted."""
    told = f"{participants} of {cohort} participant" + "s" * (cohort != 1)
    return told + (f" and {related} more on {related_about or 'a related point'}" if related else "")


SHARED: dict[Polarity, str] = {"pain": "A shared pain", "delight": "A shared delight", "mixed": "Mixed feelings, shared", "neutral": "A shared experience"}


class Outlier(BaseModel):
    kind: Literal["unique-experience", "opposite-feeling", "skipped-stage", "deviating-participant"]
    label: str  # what it is about, in a few words
    participant: str
    why: str  # one sentence on why it stands out
    quote: Quote | None
    utterance_ids: list[int]


class Moment(BaseModel):
    """A moment of truth: a touchpoint where feelings run high, with the quote that shows it."""

    touchpoint: str
    participants: int
    valence: float
    why: str
    quote: Quote
    utterance_ids: list[int]


class ParticipantJourney(BaseModel):
    participant: str
    interview: str
    persona: str | None
    stages: list[str]  # the stages this participant talks about, in journey order
    valence_mean: float | None
    deviates: bool
    reasons: list[str]
    utterance_ids: list[int]


class Opportunity(BaseModel):
    stage: str
    statement: str  # "How might we ...?"
    insight_key: str
    insight: str  # the pain insight it answers
    touchpoint: str | None
    participants: int
    reach: float  # share of participants
    intensity: float  # mean |negative valence| of the evidence
    evidence: float  # min(1, quotes / 3): thin evidence counts less
    score: float  # reach × intensity × evidence
    utterance_ids: list[int]
    kind: str | None = None  # a pain told across stages (`RecurringPain.kind`): its stage is "", its places name where
    places: list[str] = []

    @property
    def label(self) -> str:
        return self.statement


class Advocacy(BaseModel):
    """Word of mouth and churn across the study: who recommends, who warns others or leaves."""

    promoters: list[Quote]
    detractors: list[Quote]
    promoter_participants: int
    detractor_participants: int
    net: float  # (promoters − detractors) / participants, in -1..1
    mixed: list[Quote] = []  # the acts of participants who both recommend and warn: counted as neither
    mixed_participants: int = 0
    line: str


class PainAt(BaseModel):
    """Where a recurring pain is told: a stage (None: talk the map could not place), by how many, in whose words."""

    stage: str | None
    name: str
    participants: int
    quote: Quote
    utterance_ids: list[int]


class RecurringPain(BaseModel):
    """A kind of problem (waiting, no information, a failure, a charge, effort, staff) told at several stages."""

    kind: str
    label: str  # "Waiting and delays"
    participants: int
    cohort: int
    places: list[PainAt]  # in journey order, outside the stages last
    utterance_ids: list[int]
    goal: str = ""  # what a "How might we" asks for it ("keep customers informed"; `PainKind.goal`)
    intensity: float = 0.0  # mean |negative valence| of the sentences that tell it

    @property
    def reach(self) -> str:
        """'4 of 5 participants, at Decision (2), Adoption (3) and outside the stages (1)'."""
        where = [f"{p.name if p.stage else p.name.lower()} ({p.participants})" for p in self.places]
        return f"{reach_words(self.participants, self.cohort)}, at " + ", ".join(where[:-1]) + " and " + where[-1]

    @property
    def statement(self) -> str:
        """'Waiting and delays — 4 of 5 participants, at Decision (2), …'."""
        return f"{self.label} — {self.reach}"


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
    moments_of_truth: list[Moment]
    pain_points: list[Quote]  # negative evidence only
    delights: list[Quote]  # positive evidence only
    tollgates: list[Quote]
    gaps: list[Quote]
    feedback_loops: dict[str, list[Quote]]
    themes: list[Item]
    patterns: list[Insight]
    outliers: list[Outlier]
    quotes: list[Quote]
    promoters: list[Quote] = []
    detractors: list[Quote] = []
    positive: int = 0  # utterances that felt positive (valence above 0)
    negative: int = 0  # and negative
    summary: str | None = None  # one sentence on the stage (`journey.summary`), None where it has too little evidence
    sources: dict[str, int] = {}  # responses placed here by feedback source (survey, ticket): the lane "from surveys: n"


class Coverage(BaseModel):
    """How much of what customers said the map could place on the journey."""

    customer_utterances: int
    on_journey: int
    outside: int
    share: float
    reasons: dict[str, int]  # outside the journey, by scope (logistics, weak, not coded); `scope.OUTSIDE_WORDS` says them
    line: str


class PersonaCell(BaseModel):
    stage: str
    participants: int  # of this persona who speak about the stage
    of: int  # participants with this persona
    quotes: int
    valence: float | None
    strength: Strength
    top_insight: str | None


class PersonaRow(BaseModel):
    persona: str
    participants: int
    cells: list[PersonaCell]


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
    coverage: Coverage
    stages: list[StageLane]
    opportunities: list[Opportunity]
    opportunity_formula: str
    advocacy: Advocacy
    personas: list[PersonaRow]
    participants_journeys: list[ParticipantJourney]
    saturation: Saturation
    hidden_themes: list[Item] = []  # themes outside the journey (logistics, small talk), shown apart
    recurring_pains: list[RecurringPain] = []  # kinds of problem told at several stages (`journey.pain_kinds`)

    def filter_line(self) -> str:
        """`persona = Operations buyer, segment = Small business`, or '' for the whole study."""
        return ", ".join(f"{name} = {value}" for name, value in self.filters.items())

    def insights(self) -> list[Insight]:
        """Every stage's insights, in journey order."""
        return [insight for lane in self.stages for insight in lane.patterns]
