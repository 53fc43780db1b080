"""Which customer utterances are on the journey, and why the others are not.

The contract: **a customer utterance is on the journey iff it has a non-rejected `stage:*` coding.**
`research code` also records, per customer utterance, why it has or lacks a stage
(`utterance_scope`):
- `journey`: a stage reached its confidence threshold;
- `logistics`: introductions, consent, small talk, thanks, audio checks, asides: outside the journey;
- `weak`: about something, but no stage reached its threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlite_utils import Database

Scope = Literal["journey", "logistics", "weak"]
STAGE_PREFIX = "stage:"


@dataclass(frozen=True)
class TurnScope:
    scope: Scope
    confidence: float  # of the stage (journey, weak) or of being outside the journey (logistics)


def save_scopes(db: Database, utterance_ids: list[int], scopes: dict[int, TurnScope]) -> None:
    """Replace the scopes of an interview's utterances (`utterance_ids`) with `scopes`."""
    if not utterance_ids:
        return
    marks = ",".join("?" * len(utterance_ids))
    with db.atomic():
        db.execute(f"DELETE FROM utterance_scope WHERE utterance_id IN ({marks})", utterance_ids)
        db["utterance_scope"].insert_all({"utterance_id": u, "scope": s.scope, "confidence": round(s.confidence, 4)} for u, s in scopes.items())


def journey_scope(db: Database) -> dict[int, Scope]:
    """{customer utterance id: scope} for every coded customer utterance.

    A researcher's decision wins: an utterance with a non-rejected stage coding is `journey` whatever
    coding said, and one whose stage was rejected (with no other) is no longer on the journey (`weak`
    unless coding called it `logistics`).
    """
    staged = {r["utterance_id"] for r in db.query("SELECT DISTINCT utterance_id FROM codings WHERE status != 'rejected' AND code_key LIKE ?", [STAGE_PREFIX + "%"])}
    scopes: dict[int, Scope] = {}
    if "utterance_scope" in db.table_names():
        for r in db.query("SELECT utterance_id, scope FROM utterance_scope"):
            scopes[r["utterance_id"]] = "journey" if r["utterance_id"] in staged else ("logistics" if r["scope"] == "logistics" else "weak")
    return scopes | dict.fromkeys(staged, "journey")


def scope_summary(db: Database) -> str:
    """One line: how much of the study coding could place on the journey, and why the rest is outside."""
    scopes = list(journey_scope(db).values())
    if not scopes:
        return "No customer utterances coded yet."
    return (f"On the journey: {scopes.count('journey')} of {len(scopes)} customer utterances "
            f"({scopes.count('logistics')} interview logistics, {scopes.count('weak')} below every stage's confidence).")
