"""Personas side by side: a persona × stage matrix with evidence strength per cell, so thin cells look thin."""

from __future__ import annotations

from collections import Counter

import numpy as np

from research.journey.evidence import Utterance
from research.journey.model import Insight, PersonaCell, PersonaRow, Strength

MAX_PERSONAS = 5


def strength(participants: int, of: int, quotes: int) -> Strength:
    """none: nobody; thin: one voice or under three quotes; strong: at least half the persona, two voices and three quotes."""
    if participants == 0:
        return "none"
    if participants < 2 or quotes < 3:
        return "thin"
    return "strong" if participants >= of / 2 else "moderate"


def persona_matrix(utterances: list[Utterance], people: dict[str, str | None], stages: list[str], insights: list[Insight]) -> list[PersonaRow]:
    """The largest personas (up to five) by stage: who speaks, how much, how it feels, the top insight they share."""
    sizes = Counter(persona for person, persona in people.items() if persona)
    rows = []
    for persona, size in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_PERSONAS]:
        mine = [u for u in utterances if u.persona == persona]
        cells = []
        for stage in stages:
            here = [u for u in mine if u.stage == stage]
            speakers = {u.participant for u in here}
            values = [u.valence for u in here if u.valence is not None]
            top = next((i for i in insights if i.stage == stage and persona in i.personas), None)
            cells.append(PersonaCell(stage=stage, participants=len(speakers), of=size, quotes=len(here),
                                     valence=round(float(np.mean(values)), 3) if values else None,
                                     strength=strength(len(speakers), size, len(here)), top_insight=top.headline if top else None))
        rows.append(PersonaRow(persona=persona, participants=size, cells=cells))
    return rows
