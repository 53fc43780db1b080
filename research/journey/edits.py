"""The analyst's edits to insights: rename or rewrite, hide, pin a quote, merge two. Stored in study.db.

An edit remembers the utterances of the insight it was made on, and is re-applied to whichever insight
of the same stage now holds at least half of them, so re-coding, new interviews and `research run`
never revert it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from sqlite_utils import Database

from research.errors import ResearchError
from research.journey.insights import Group, quote_of
from research.journey.model import Insight
from research.store import now

Action = Literal["rename", "hide", "pin", "merge"]
MATCH = 0.5  # share of an edit's utterances an insight must still hold


@dataclass(frozen=True)
class InsightEdit:
    id: int
    action: Action
    stage: str
    utterance_ids: frozenset[int]
    text: str | None
    quote_id: int | None
    target_ids: frozenset[int]


def load_edits(db: Database) -> list[InsightEdit]:
    return [InsightEdit(r["id"], r["action"], r["stage"], frozenset(json.loads(r["utterance_ids"])), r["text"], r["quote_id"], frozenset(json.loads(r["target_ids"] or "[]")))
            for r in db.query("SELECT * FROM insight_edits ORDER BY id")]


def _save(db: Database, action: Action, insight: Insight, text: str | None = None, quote_id: int | None = None, target: Insight | None = None) -> int:
    with db.atomic():  # one transaction: a fault met at its commit (a full disk) leaves no edit behind
        return db["insight_edits"].insert({
            "action": action, "stage": insight.stage, "utterance_ids": json.dumps(sorted(insight.utterance_ids)), "text": text, "quote_id": quote_id,
            "target_ids": json.dumps(sorted(target.utterance_ids)) if target else None, "created_at": now(),
        }).last_pk


def rename(db: Database, insight: Insight, text: str) -> int:
    """Replace an insight's statement with the analyst's own words."""
    if not text.strip():
        raise ResearchError("an insight needs some text; use hide to take it off the map")
    return _save(db, "rename", insight, text=" ".join(text.split()))


def hide(db: Database, insight: Insight) -> int:
    return _save(db, "hide", insight)


def pin(db: Database, insight: Insight, utterance_id: int) -> int:
    """Show this quote first for the insight; it must be one of the insight's own utterances."""
    if utterance_id not in insight.utterance_ids:
        raise ResearchError(f"utterance {utterance_id} is not part of this insight's evidence")
    return _save(db, "pin", insight, quote_id=utterance_id)


def merge(db: Database, source: Insight, target: Insight) -> int:
    """Fold `source` into `target` (same stage): one insight with both sets of evidence."""
    if source.stage != target.stage:
        raise ResearchError("only insights of the same stage can be merged")
    return _save(db, "merge", source, target=target)


def undo(db: Database, edit_id: int) -> None:
    with db.atomic():
        if not db["insight_edits"].count_where("id = ?", [edit_id]):
            raise ResearchError(f"no insight edit {edit_id}")
        db["insight_edits"].delete(edit_id)


def _best(ids: frozenset[int], candidates: list[frozenset[int]]) -> int | None:
    """Index of the candidate holding the most of `ids`, if it holds at least MATCH of them."""
    scored = [(len(ids & c), -i) for i, c in enumerate(candidates)]
    if not scored:
        return None
    overlap, index = max(scored)
    return -index if ids and overlap >= MATCH * len(ids) else None


def apply_merges(stage: str, groups: list[Group], edits: list[InsightEdit]) -> list[Group]:
    """Groups after the analyst's merges in this stage: the source's members join the target, after its own."""
    for edit in (e for e in edits if e.action == "merge" and e.stage == stage):
        sets = [frozenset(u.id for u in g.members) for g in groups]
        source, target = _best(edit.utterance_ids, sets), _best(edit.target_ids, sets)
        if source is None or target is None or source == target:
            continue
        groups[target] = Group(groups[target].units + groups[source].units, edited=True)
        del groups[source]
    return groups


def apply_edits(insights: list[Insight], edits: list[InsightEdit], by_id: dict) -> list[Insight]:
    """Insights after renames, pins and hides (merges happen on groups, before insights are made)."""
    hidden: set[int] = set()
    for edit in edits:
        if edit.action == "merge":
            continue
        same_stage = [i for i, insight in enumerate(insights) if insight.stage == edit.stage]
        match = _best(edit.utterance_ids, [frozenset(insights[i].utterance_ids) for i in same_stage])
        if match is None:
            continue
        insight = insights[same_stage[match]]
        if edit.action == "rename":
            insight.statement, insight.edited = edit.text or insight.statement, True
        elif edit.action == "pin" and edit.quote_id in by_id and edit.quote_id in insight.utterance_ids:
            insight.quotes = [quote_of(by_id[edit.quote_id])] + [q for q in insight.quotes if q.utterance_id != edit.quote_id][:2]
            insight.edited = True
        elif edit.action == "hide":
            hidden.add(same_stage[match])
    return [insight for i, insight in enumerate(insights) if i not in hidden]
