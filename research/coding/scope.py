"""Which customer utterances are on the journey, and why the others are not.

The contract: **a customer utterance is on the journey iff it has a non-rejected `stage:*` coding.**
`research code` also records, per customer utterance, why it has or lacks a stage
(`utterance_scope`):
- `journey`: a stage reached its confidence threshold;
- `logistics`: introductions, consent, small talk, thanks, audio checks, asides about the interview:
  no stage placed it, and it resembles the codebook's examples of such talk (`LogisticsLikeness`);
- `weak`: about something, but no stage placed it.

"Outside the journey" in the stage classifier is a closed-set class: whatever looks like no stage
leans to it, a speech or a story as much as a greeting. So logistics is also an absolute judgment:
a turn must be as close to the codebook's outside examples as those are to each other.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sqlite_utils import Database

Scope = Literal["journey", "logistics", "weak"]
STAGE_PREFIX = "stage:"
NOT_CODED = "not coded"  # a customer utterance coding has not reached yet
OUTSIDE_WORDS = {"logistics": "interview logistics", "weak": "with no clear stage", NOT_CODED: "not coded yet"}
"""What readers see for each reason an utterance is off the journey, after a count: the CLI, the map in every
format, the story, the deck and the review app all say it this way (JSON keeps the scope names)."""


@dataclass(frozen=True)
class TurnScope:
    scope: Scope
    confidence: float  # of the stage (journey, weak) or of being outside the journey (logistics)


@dataclass(frozen=True)
class LogisticsLikeness:
    """How closely a turn resembles the talk a codebook puts outside the journey (its `none_examples`).

    Likeness is the mean cosine similarity to the two nearest `reference` examples. The `floor` is
    chosen on the codebook alone, never on interviews: the equal-error point between its outside
    examples, each held out from the reference (and from copies of itself), and its stage examples,
    which are content. With few outside examples the floor falls and logistics stays the classifier's call.
    """

    reference: np.ndarray  # unit embeddings of the outside examples (the codebook's, and the generated corpus's)
    floor: float

    @classmethod
    def fit(cls, outside: np.ndarray, reference: np.ndarray, content: np.ndarray) -> LogisticsLikeness | None:
        """`outside`: the codebook's own outside examples (held out one at a time); `content`: its stage examples."""
        if len(outside) < 2 or not len(content):
            return None
        held = outside @ reference.T
        held[held > SAME_TEXT] = -1.0  # the example itself, or its copy in the generated corpus
        held_out = _nearest(held)
        content_likeness = _nearest(content @ reference.T)
        candidates = np.sort(np.concatenate([held_out, content_likeness]))
        errors = [max((held_out < t).mean(), (content_likeness >= t).mean()) for t in candidates]
        return cls(reference, float(candidates[int(np.argmin(errors))]))

    def of(self, vectors: np.ndarray) -> np.ndarray:
        return _nearest(vectors @ self.reference.T)

    def resembles(self, vectors: np.ndarray) -> np.ndarray:
        return self.of(vectors) >= self.floor


SAME_TEXT = 0.999  # cosine above which two examples are the same sentence
NEAREST = 2  # examples a likeness averages over, as the engine's similarity does


def _nearest(similarity: np.ndarray) -> np.ndarray:
    return np.sort(similarity, axis=1)[:, -NEAREST:].mean(axis=1)


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


def outside_reasons(db: Database, utterance_ids: list[int]) -> dict[str, int]:
    """{reason: count} for utterances off the journey: their scope (`journey_scope`), or `NOT_CODED`, most first."""
    scopes = journey_scope(db)
    reasons = Counter(scopes.get(u, NOT_CODED) for u in utterance_ids)
    reasons.pop("journey", None)  # placed on the journey since the caller looked
    return dict(reasons.most_common())


def describe_outside(reasons: dict[str, int]) -> str:
    """'5 interview logistics, 4 with no clear stage'."""
    return ", ".join(f"{n} {OUTSIDE_WORDS.get(reason, reason)}" for reason, n in reasons.items() if n)


def scope_summary(db: Database) -> str:
    """One line: how much of the study coding could place on the journey, and why the rest is outside."""
    scopes = journey_scope(db)
    if not scopes:
        return "No customer utterances coded yet."
    on = sum(s == "journey" for s in scopes.values())
    outside = describe_outside(dict(Counter(s for s in scopes.values() if s != "journey").most_common()))
    return f"On the journey: {on} of {len(scopes)} customer utterances" + (f"; outside it: {outside}." if outside else ".")
