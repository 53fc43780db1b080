"""Opportunities: a "How might we ...?" for each pain insight, ranked by reach × intensity × evidence.

The question is made from the insight's own evidence: the activity the participants describe (a verb
phrase from the 5 W's, "pair the purifier with Wi-Fi") and the feeling to remove, or the touchpoint
when no activity is shared, and only a touchpoint that hurt: one the answers name where they feel the
pain ("on the high setting it is loud" names no app, though the answer was coded with the app). Where an
answer tells its feeling apart from what happened ("That was a disaster. The courier left both boxes in
the rain."), no touchpoint is named in pain and none is asked about: a question missed, not a wrong one. An act
of advocacy (warning others in a Facebook group, leaving) is what a pain led to, not a pain at the
channel it was told through: it asks no question of its own, the pain behind it does where it was felt.
One participant's pain never outranks a pain many share unless it is extreme. A kind of problem told at several
stages (`pain_kinds`: waiting, no news, …) is an opportunity of its own, worded from its kind's goal and the places
it is told ("How might we keep customers informed at Decision, Retention and elsewhere?") and ranked with the others.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlite_utils import Database

from research.codebook import Codebook
from research.fivews import LIGHT_VERBS, FiveWs
from research.journey.evidence import Utterance
from research.journey.model import Insight, Opportunity, RecurringPain

FORMULA = "score = reach (participants / cohort) × intensity (mean |negative valence| of the quotes) × evidence (min(1, quotes / 3))"
EXTREME = 0.85  # intensity at which a single participant's pain may rank among shared ones
LIMIT = 10

FEELINGS = {"frustration": "frustration", "anger": "anger", "anxiety": "worry", "confusion": "confusion", "disappointment": "disappointment"}


def touchpoints_hurt(utterances: list[Utterance], codebook: Codebook, db: Database | None = None) -> dict[int, set[str]]:
    """{utterance id: the names of its coded touchpoints that hurt}: those whose codebook patterns occur in a part of the
    answer that feels negative or states a problem (`Part.evidence`). "It paired with the studio Wi-Fi straight away.
    But on the high setting it is loud." names the app only where it worked: the app did not hurt. A touchpoint
    without patterns cannot be checked and counts as coded. With `db`, each part is matched once per study (`pattern_hits`)."""
    touchpoints = {key: code for key, (_, code) in codebook.codes.items() if key.startswith("touchpoint:")}
    checkable = {key for key, code in touchpoints.items() if code.patterns}
    hurt = {u.id: {touchpoints[k].name for k in u.in_group("touchpoint") if k in touchpoints and k not in checkable} for u in utterances}
    painful = [(u, part.text) for u in utterances if set(u.in_group("touchpoint")) & checkable for part in (u.parts or [u.whole()]) if part.evidence < 0]
    if not painful:
        return hurt
    from research.journey.pattern_hits import pattern_hits

    named = pattern_hits(db, codebook, checkable, [text for _, text in painful])
    for u, text in painful:
        hurt[u.id] |= {touchpoints[k].name for k in named[text] & set(u.in_group("touchpoint"))}
    return hurt


def how_might_we(insight: Insight, five_ws: dict[int, FiveWs], speaker_of: dict[int, str], hurt: dict[int, set[str]]) -> str | None:
    """A question that turns the pain into a goal, from what the participants were doing or the touchpoint
    that hurt (`touchpoints_hurt`); None for a pain with neither (smoke at home is a need, not the company's
    opportunity; a loud fan coded with the app is not the app's)."""
    activity = shared_activity(insight, five_ws, speaker_of)
    feeling = FEELINGS.get((insight.emotion or "").lower(), (insight.emotion or "").lower() or None)
    named = set().union(*(hurt.get(uid, set()) for uid in insight.utterance_ids))
    touchpoint = next((t for t in insight.touchpoints if t in named), None)
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


def across(pain: RecurringPain, cohort: int) -> Opportunity:
    """The opportunity a pain told at several places makes: "How might we {its kind's goal} at {its stages}?", talk the
    map could not place told as "elsewhere"."""
    stages = [place.name for place in pain.places if place.stage]
    where = stages + (["elsewhere"] if len(stages) < len(pain.places) else [])
    said = where[0] if len(where) == 1 else ", ".join(where[:-1]) + " and " + where[-1]
    evidence = min(1.0, len(pain.utterance_ids) / 3)
    return Opportunity(
        stage="", statement=f"How might we {pain.goal} at {said}?", insight_key=f"recurring:{pain.kind}", insight=pain.statement, touchpoint=None,
        participants=pain.participants, reach=round(pain.participants / max(cohort, 1), 3), intensity=pain.intensity, evidence=round(evidence, 3),
        score=round(pain.participants / max(cohort, 1) * pain.intensity * evidence, 4), utterance_ids=pain.utterance_ids, kind=pain.kind,
        places=[place.name if place.stage else place.name.lower() for place in pain.places],
    )


def rank(insights: list[Insight], five_ws: dict[int, FiveWs], speaker_of: dict[int, str], cohort: int, hurt: dict[int, set[str]],
         acts: Collection[int] = (), recurring: list[RecurringPain] = ()) -> list[Opportunity]:
    """Opportunities from pain insights and pains told across stages (`recurring`), best first (see FORMULA); none from
    an insight made of acts of advocacy (`acts`)."""
    out = []
    for insight in insights:
        outcome = set(insight.utterance_ids) <= set(acts)
        statement = how_might_we(insight, five_ws, speaker_of, hurt) if insight.polarity == "pain" and not outcome else None
        if statement is None:
            continue
        reach = insight.participants / max(cohort, 1)
        evidence = min(1.0, len(insight.utterance_ids) / 3)
        out.append(Opportunity(
            stage=insight.stage, statement=statement, insight_key=insight.key, insight=insight.statement,
            touchpoint=insight.touchpoints[0] if insight.touchpoints else None, participants=insight.participants, reach=round(reach, 3),
            intensity=round(insight.intensity, 3), evidence=round(evidence, 3), score=round(reach * insight.intensity * evidence, 4), utterance_ids=insight.utterance_ids,
        ))
    out += [across(pain, cohort) for pain in recurring if pain.goal]
    return sorted(out, key=lambda o: (o.participants < 2 and o.intensity < EXTREME, -o.score, o.statement))[:LIMIT]
