"""One sentence per stage, built from what the map holds: its top insight, the feeling most participants share there
and what it is about, and the hurdles or surprises two or more participants name. Silent when a stage has neither
an insight nor a feeling shared by two participants: no sentence is better than padding."""

from __future__ import annotations

from research.journey.model import Item, Quote, StageLane

SHARED = 2  # participants who must share a feeling or a hurdle before the summary states it


def stage_summary(lane: StageLane) -> str | None:
    """'They used a broker a friend recommended (2 of 5); the feeling most shared is trust (3 people), about the website;
    2 people name a hurdle.', or None."""
    said = []
    if lane.patterns:
        top = lane.patterns[0]
        said.append(f"{top.claim} ({top.participants} of {top.cohort})")
    feeling = _shared_feeling(lane)
    if feeling:
        trigger = _trigger(feeling, lane.touchpoints)
        said.append(f"the feeling most shared is {feeling.label.lower()} ({feeling.participants} people)" + (f", about {trigger.label.lower()}" if trigger else ""))
    if not said:
        return None
    for quotes, what in ((lane.tollgates, "name a hurdle"), (lane.gaps, "found it other than they expected")):
        n = _people(quotes)
        if n >= SHARED:
            said.append(f"{n} people {what}")
    text = "; ".join(said)
    return text[:1].upper() + text[1:] + "."


def _shared_feeling(lane: StageLane) -> Item | None:
    felt = [item for item in lane.emotions if item.key != "emotion:neutral" and item.participants >= SHARED]
    return max(felt, key=lambda item: (item.participants, item.utterances, item.label), default=None) if felt else None


def _trigger(feeling: Item, touchpoints: list[Item]) -> Item | None:
    """The touchpoint most of the feeling's utterances are about (two or more of them)."""
    ids = set(feeling.utterance_ids)
    overlap = [(len(ids & set(t.utterance_ids)), t) for t in touchpoints]
    n, best = max(overlap, key=lambda x: (x[0], x[1].participants), default=(0, None))
    return best if n >= SHARED else None


def _people(quotes: list[Quote]) -> int:
    return len({q.participant for q in quotes})
