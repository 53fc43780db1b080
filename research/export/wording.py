"""How every export words the map's evidence, so the analyst page, the story, the slide and the deck agree."""

from __future__ import annotations

import re

from research.journey.model import Insight, Item, JourneyMap, Opportunity, PainAt, Quote, RecurringPain, StageLane, reach_words, shown  # noqa: F401 (shown: for the templates)
from research.timecode import clock

POLARITY_COLOURS = {"pain": "#c0392b", "delight": "#1e8449", "mixed": "#b9770e", "neutral": "#555555"}


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 utterance', '3 utterances'; `words` for an irregular plural."""
    return f"{n} {word}" if n == 1 else f"{n} {words or word + 's'}"


def people(n: int) -> str:
    """'1 person', '7 people'."""
    return plural(n, "person", "people")


def utterances(n: int) -> str:
    """'1 utterance', '9 utterances'."""
    return plural(n, "utterance")


NOT_DISCUSSED = "No participant spoke about this stage."
NO_INSIGHT = "No experience here is shared by enough participants to be an insight."
RECURRING_HEADING = "Pains told across the journey"
RECURRING_NOTE = "One kind of problem, told at more than one stage: each place with how many tell it there, and one quote."
ADVOCACY_HEADING = "Promoters and detractors"  # not "Advocacy": that is also a stage's name


def no_insight_line(lane: StageLane) -> str:
    """Why a stage shows no insight: nobody spoke about it, or nothing said is shared."""
    return NO_INSIGHT if lane.utterances else NOT_DISCUSSED


def count(insight: Insight) -> str:
    """'5 of 8 participants'."""
    return reach_words(insight.participants, insight.cohort)


def insight_facts(insight: Insight) -> str:
    """'2 of 8 participants · Operations buyer · a pain · frustration · strongly felt': the evidence under a claim in
    words, each fact once (a delight felt as delight says it once); the numbers stay in the JSON and CSV."""
    emotion = [insight.emotion.lower()] if insight.emotion and insight.emotion.lower() != insight.polarity else []
    feeling = ([] if emotion and insight.polarity == "neutral" else [FEELING[insight.polarity]]) + emotion  # 'trust', not 'no clear feeling · trust'
    felt = [strength(insight.intensity)] * (insight.polarity != "neutral")  # not 'no clear feeling · mildly felt'
    return " · ".join([reach(insight), *feeling, *felt] + ["edited by an analyst"] * insight.edited)


FEELING = {"pain": "a pain", "delight": "a delight", "mixed": "mixed feelings", "neutral": "no clear feeling"}
STRONG = 0.6  # the map's strong feeling (build.STRONG_EMOTION)
CLEAR = 0.3


def strength(intensity: float) -> str:
    """How strongly something is felt, in words: 'strongly felt' (0.6 and above), 'clearly felt', 'mildly felt'."""
    return "strongly felt" if intensity >= STRONG else "clearly felt" if intensity >= CLEAR else "mildly felt"


def claim_with_reach(insight: Insight) -> str:
    """'The app refused to pair with the Wi-Fi — 5 of 8 participants, frustration' ('… — 3 of 8 participants and 4 more on
    Billing, confusion' where others' words are near it but do not say it): for a line under its stage's name."""
    return f"{insight.claim} — {related(insight)}" + (f", {insight.emotion.lower()}" if insight.emotion else "")


def reach(insight: Insight) -> str:
    """'2 of 8 participants and 1 more on Billing · Budget approver, Operations buyer'."""
    personas = f" · {', '.join(insight.personas)}" if insight.personas else ""
    return related(insight) + personas


def related(insight: Insight) -> str:
    """'3 of 8 participants and 1 more on Billing': whom the insight speaks for, and apart those whose words are near it
    but do not say what it says (`model.reach_words`, as its statement says it)."""
    return reach_words(insight.participants, insight.cohort, insight.related, insight.related_about)


def cite(quote: Quote) -> str:
    """'INT-002 at 00:48 · Participant 2'; 'INT-002 · Participant 2' from a transcript without timings."""
    where = f"{quote.interview} at {clock(quote.start)}" if quote.timed else quote.interview
    return f"{where} · {quote.participant}"


def reference(quote: Quote) -> str:
    """A quote a row above already shows or counts, as this row names it, so a reader knows which one without
    looking: 'told under pain points: “Delivery was quick, but the app set-up was …” (Participant 1)'."""
    return f"told under {quote.see}: “{shorten(quote.text, REFERENCE_WORDS)}” ({quote.participant})"


REFERENCE_WORDS = 9
SHARED = 2  # participants who use a W phrase before the map states it: one person's detail stays in their quote


def shared(items: list[Item]) -> list[Item]:
    """The 5 W's phrases (who, what, when, where, why) that at least two participants use, most used first: the
    map is silent on the rest rather than listing one-off details as if they were findings."""
    return [item for item in items if item.participants >= SHARED]


def shorten(text: str, words: int = 30) -> str:
    """At most `words` words, with an ellipsis when cut, ending where a thought ends: after the last whole sentence that
    fits, else at the last comma or semicolon, where either keeps at least half the words; else after the last word."""
    parts = text.split()
    if len(parts) <= words:
        return " ".join(parts)
    kept: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", " ".join(parts)):
        if len(kept) + len(sentence.split()) > words:
            break
        kept += sentence.split()
    if 2 * len(kept) < words:
        cut = " ".join(parts[:words])
        pause = max(cut.rfind(","), cut.rfind(";"))
        kept = cut[:pause].split() if pause > 0 and 2 * len(cut[:pause].split()) >= words else parts[:words]
    return " ".join(kept) + " …"


def feelings_line(lane: StageLane) -> str:
    """How the stage's answers felt, in words: 'mixed feelings: 3 positive, 2 negative', 'mostly negative: 4 negative,
    1 positive', 'all negative (3)', 'no feeling expressed' or 'no emotion coded'."""
    pos, neg = lane.positive, lane.negative
    if lane.valence_mean is None or not pos or not neg:
        return mood(lane) + (f" ({pos or neg})" if lane.valence_mean is not None and (pos or neg) else "")
    first, second = sorted([(pos, "positive"), (neg, "negative")], key=lambda x: -x[0])
    return f"{mood(lane)}: {first[0]} {first[1]}, {second[0]} {second[1]}"


def mood(lane: StageLane) -> str:
    """`feelings_line` without its counts, for a narrow cell: 'mixed feelings', 'mostly negative', 'all positive',
    'no feeling expressed' or 'no emotion coded'."""
    if lane.valence_mean is None:
        return "no emotion coded"
    pos, neg = lane.positive, lane.negative
    if not pos and not neg:
        return "no feeling expressed"
    if not pos or not neg:
        return f"all {'positive' if pos else 'negative'}"
    more, fewer = (pos, "positive"), (neg, "negative")
    if neg > pos:
        more, fewer = fewer, more
    return f"mostly {more[1]}" if more[0] >= 2 * fewer[0] else "mixed feelings"


def valence_words(valence: float | None) -> str:
    """A mean valence in a word: 'positive', 'negative' (beyond ±0.15, as an insight's polarity) or 'neutral'."""
    if valence is None:
        return ""
    return "positive" if valence >= 0.15 else "negative" if valence <= -0.15 else "neutral"


def moment_feeling(valence: float) -> str:
    """A moment of truth's feeling: 'strongly negative' or 'strongly positive' (moments are strong by definition)."""
    return f"strongly {'negative' if valence < 0 else 'positive'}"


def lane_line(lane: StageLane) -> str:
    """'7 people · 9 utterances · mixed feelings: 3 positive, 2 negative · from surveys: 3'."""
    return " · ".join([people(lane.participants), utterances(lane.utterances), feelings_line(lane), *sources_line(lane)])


def sources_line(lane: StageLane) -> list[str]:
    """Feedback evidence in its own lane: ['from surveys: 3', 'from tickets: 1']."""
    return [f"from {source}s: {n}" for source, n in lane.sources.items()]


def heading(journey: JourneyMap) -> str:
    """'8 participants in 7 interviews · persona = Operations buyer'."""
    scope = f" · {journey.filter_line()}" if journey.filters else ""
    return f"{journey.participants} participants in {journey.interviews} interviews{scope}"


def advocacy_line(journey: JourneyMap) -> str:
    """The promoters and detractors line; with neither, says so instead of a net advocacy of +0% that was never measured."""
    summary = journey.advocacy
    if summary.promoter_participants or summary.detractor_participants or summary.mixed_participants:
        return summary.line
    return (f"No promoter or detractor among {plural(journey.participants, 'participant')}: nobody speaks of recommending the product "
            "or warning others off it, so there is no net advocacy to report.")


ADVOCATES = (("Promoters", "promoters"), ("Detractors", "detractors"), ("Both recommend and warn", "mixed"))
"""The advocacy sections a reading format shows, each with its quotes (`Advocacy` attribute)."""


def outside_line(journey: JourneyMap) -> str:
    """What the map says under 'Outside the journey' when no theme lies there, in line with the coverage line above it."""
    outside = journey.coverage.outside
    if not outside:
        return "Every customer utterance is placed on the journey."
    return f"No theme groups the {utterances(outside)} outside the journey."


def _quotes(journey: JourneyMap) -> dict[int, Quote]:
    """Every quote the map shows, by utterance."""
    found: dict[int, Quote] = {}
    for lane in journey.stages:
        lists = [lane.pain_points, lane.quotes, lane.gaps, [i for insight in lane.patterns for i in insight.quotes], [o.quote for o in lane.outliers if o.quote]]
        for quote in (q for quotes in lists for q in quotes):
            found.setdefault(quote.utterance_id, quote)
    return found


def opportunity_quote(journey: JourneyMap, opportunity: Opportunity) -> Quote | None:
    """The first quote of the pain insight an opportunity answers (of a pain told across stages, its first place's),
    else the first of its evidence the map shows."""
    for pain in journey.recurring_pains:
        if opportunity.kind == pain.kind and pain.places:
            return pain.places[0].quote
    for insight in journey.insights():
        if insight.key == opportunity.insight_key and insight.quotes:
            return insight.quotes[0].model_copy(update={"see": None})  # the opportunities are read apart from the stage
    shown = _quotes(journey)
    return next((shown[i] for i in opportunity.utterance_ids if i in shown), None)


def saturation_line(journey: JourneyMap) -> str:
    """Whether the last interviews still add codes or themes; too few interviews on the journey cannot tell."""
    saturation = journey.saturation
    if saturation.saturated_after:
        return f"Reached: no new codes or themes after {saturation.saturated_after} (the last {saturation.window} interviews)."
    if len(saturation.steps) <= saturation.window:
        return (f"Too early to tell: {plural(len(saturation.steps), 'interview')} on the journey, and saturation needs more than "
                f"{saturation.window} to show that the last {saturation.window} add nothing new.")
    return f"Not reached: the last {saturation.window} interviews still add new codes or themes."


def nothing_placed_line(journey: JourneyMap) -> str | None:
    """What the map says instead of its stages when no customer utterance is on the journey."""
    if journey.coverage.on_journey or not journey.coverage.customer_utterances:
        return None
    return ("Nothing the participants said is placed on the journey, so no stage has insights, quotes or opportunities. "
            "If these interviews are about a customer experience, check the speakers' roles (`research role`) and the codebook; "
            "otherwise they are outside what the journey map can show.")


def answers(journey: JourneyMap, opportunity: Opportunity) -> str:
    """The claim of the pain insight an opportunity answers, for a table whose other columns give its stage and reach."""
    shown = next((i.claim for i in journey.insights() if i.key == opportunity.insight_key), None)
    return shown or re.sub(r" — \d+ of \d+ participants?\b.*$", "", opportunity.insight)  # one participant's pain: no insight on the map


OPPORTUNITY_ORDER = ("Ranked by how many participants feel each pain, how strongly, and how many of their answers show it "
                     "(the numbers are in opportunities.csv and journey-map.json).")
NO_OPPORTUNITY = "No pain insight to answer."
NO_SHARED_OPPORTUNITY = "No pain is shared by two or more participants."
NO_STAGE_OPPORTUNITY = "No pain within one stage is shared by two or more participants; see the pains told across the journey."
SINGLE_VOICES = "Told by one participant each: worth a follow-up, not yet a pattern."


def opportunity_patterns(journey: JourneyMap) -> list[Opportunity]:
    """The opportunities that answer a pain two or more participants share, best first: what the reading formats rank."""
    return [o for o in journey.opportunities if o.participants >= 2]


def recurring_at(journey: JourneyMap, stage: str) -> list[tuple[Opportunity, RecurringPain, PainAt]]:
    """The ranked opportunities of pains told across the journey that are told at `stage`, best first, each with its
    pain and its place there: what a stage's own reading (a slide) adds to that stage's opportunities."""
    pains = {pain.kind: pain for pain in journey.recurring_pains}
    found = []
    for opportunity in opportunity_patterns(journey):
        pain = pains.get(opportunity.kind or "")
        place = next((p for p in pain.places if p.stage == stage), None) if pain else None
        if place is not None:
            found.append((opportunity, pain, place))
    return found


def told_here_line(pain: RecurringPain, place: PainAt) -> str:
    """'Waiting and delays · 2 here · 4 of 8 in all', as the app's board counts a pain at a stage."""
    return f"{pain.label} · {place.participants} here · {pain.participants} of {pain.cohort} in all"


def single_voices(journey: JourneyMap) -> list[Opportunity]:
    """The opportunities from one participant's pain, told apart from the patterns."""
    return [o for o in journey.opportunities if o.participants < 2]


def no_opportunity_line(journey: JourneyMap) -> str:
    """What stands in place of the ranked opportunities: no pain at all, or none that two participants share; beside a
    pain told across stages, that no pain within one stage is shared (not "no pain is shared", which it contradicts)."""
    if journey.recurring_pains:
        return NO_STAGE_OPPORTUNITY
    return NO_SHARED_OPPORTUNITY if journey.opportunities else NO_OPPORTUNITY


def opportunity_line(journey: JourneyMap, opportunity: Opportunity) -> str:
    """'5 of 8 participants · strongly felt': who feels the pain an opportunity answers, and how strongly, in words
    (the tables keep reach, intensity, evidence and the score)."""
    return f"{opportunity.participants} of {plural(journey.participants, 'participant')} · {strength(opportunity.intensity)}"


def stage_name(journey: JourneyMap, stage: str) -> str:
    return next((lane.name for lane in journey.stages if lane.stage == stage), stage)


def opportunity_stage(journey: JourneyMap, opportunity: Opportunity) -> str:
    """Where an opportunity's pain is felt: its stage, or "across Decision, Retention, outside the stages" for a pain
    told at several places."""
    if opportunity.places:
        return "across " + ", ".join(opportunity.places)
    return stage_name(journey, opportunity.stage)


def feedback_told(journey: JourneyMap) -> bool:
    """Whether any stage has a feedback loop to show: a page leaves out a row that every stage leaves empty."""
    return any(quotes for lane in journey.stages for quotes in lane.feedback_loops.values())


def lead_quote(lane: StageLane) -> Quote | None:
    """What a stage without a shared pattern still shows: its first pain point, delight or quote."""
    return next(iter(lane.pain_points or lane.delights or lane.quotes), None)
