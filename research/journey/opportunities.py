"""Opportunities: a "How might we ...?" for each pain insight, ranked by reach × intensity × evidence.

The question is made from the insight's own evidence: the activity the participants describe (a verb
phrase from the 5 W's, "pair the purifier with Wi-Fi") and the feeling to remove, or the touchpoint
when no activity is shared. One participant's pain never outranks a pain many share unless it is
extreme.
"""

from __future__ import annotations


from research.fivews import LIGHT_VERBS, FiveWs
from research.journey.model import Insight, Opportunity

FORMULA = "score = reach (participants / cohort) × intensity (mean |negative valence| of the quotes) × evidence (min(1, quotes / 3))"
EXTREME = 0.85  # intensity at which a single participant's pain may rank among shared ones
LIMIT = 10

FEELINGS = {"frustration": "frustration", "anger": "anger", "anxiety": "worry", "confusion": "confusion", "disappointment": "disappointment"}


def how_might_we(insight: Insight, five_ws: dict[int, FiveWs], speaker_of: dict[int, str]) -> str | None:
    """A question that turns the pain into a goal, from what the participants were doing or the touchpoint
    it happened at; None for a pain with neither (smoke at home is a need, not the company's opportunity)."""
    activity = shared_activity(insight, five_ws, speaker_of)
    feeling = FEELINGS.get((insight.emotion or "").lower(), (insight.emotion or "").lower() or None)
    touchpoint = insight.touchpoints[0] if insight.touchpoints else None
    if activity:
        tail = f" without {feeling}" if feeling else " first time"
        return f"How might we help customers {activity}{tail}?"
    if touchpoint:
        return f"How might we make {touchpoint.lower()} work for customers{f' without {feeling}' if feeling else ''}?"
    return None


def shared_activity(insight: Insight, five_ws: dict[int, FiveWs], speaker_of: dict[int, str]) -> str | None:
    """The activity most of the insight's participants describe, when at least two of them do.

    Phrases count together by their verb and the head noun that ends them ("pair with their office
    Wi-Fi" and "pair with the Wi-Fi"); the shortest wording is shown. Light verbs ("have a meeting")
    name no activity."""
    people: dict[str, set[str]] = {}
    wordings: dict[str, list[str]] = {}
    for uid in insight.utterance_ids:
        for phrase in five_ws.get(uid, FiveWs()).what:
            words = phrase.split()
            if words[0] in LIGHT_VERBS:
                continue
            key = f"{words[0]}|{words[-1].lower()}"
            people.setdefault(key, set()).add(speaker_of[uid])
            wordings.setdefault(key, []).append(phrase)
    if not people:
        return None
    key = max(people, key=lambda k: (len(people[k]), len(wordings[k]), k))
    if len(people[key]) < 2:
        return None
    return min(wordings[key], key=lambda w: (len(w), w))


def rank(insights: list[Insight], five_ws: dict[int, FiveWs], speaker_of: dict[int, str], cohort: int) -> list[Opportunity]:
    """Opportunities from pain insights, best first (see FORMULA)."""
    out = []
    for insight in insights:
        statement = how_might_we(insight, five_ws, speaker_of) if insight.polarity == "pain" else None
        if statement is None:
            continue
        reach = insight.participants / max(cohort, 1)
        evidence = min(1.0, len(insight.utterance_ids) / 3)
        out.append(Opportunity(
            stage=insight.stage, statement=statement, insight_key=insight.key, insight=insight.statement,
            touchpoint=insight.touchpoints[0] if insight.touchpoints else None, participants=insight.participants, reach=round(reach, 3),
            intensity=round(insight.intensity, 3), evidence=round(evidence, 3), score=round(reach * insight.intensity * evidence, 4), utterance_ids=insight.utterance_ids,
        ))
    return sorted(out, key=lambda o: (o.participants < 2 and o.intensity < EXTREME, -o.score, o.statement))[:LIMIT]
