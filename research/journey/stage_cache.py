"""Each stage's groups and insights kept in this process, keyed by a digest of what they are made from.

The review app builds a map on every filter change, and each build groups and tells every stage's evidence anew. Coming
back to a filter, or choosing one whose cohort gives a stage the same evidence, gives the same groups and insights, so
they are kept here:

- a stage's groups by `groups_digest`: the parts grouped (utterance ids, part texts, embeddings, feeling as evidence)
  and the touchpoints and signals that pull parts together;
- its insights by `insights_digest`: the groups' digest and everything else an insight reads (each member's text,
  codes with their status, themes, feelings, parts, persona and timing; the codebook; the cohort's size and the share
  a pattern needs; the analyst's edits of the stage; the acts of advocacy).

Both hold the source of the code that computes them. An accepted, rejected or recoded coding, an analyst's rewrite,
hide, pin or merge, or a changed codebook gives another digest, so nothing stale is read. Bounded by an estimate of
the bytes held, least recently used out first.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import cache

import numpy as np

from research.journey.insights import Group, Unit
from research.journey.evidence import Utterance
from research.journey.model import Insight

BUDGET = 64 * 1024 * 1024  # bytes (estimated) of groups and insights kept, both together


class _Kept:
    """A least-recently-used map bounded by the summed size its entries were put with (thread-safe: the app builds in a worker)."""

    def __init__(self, budget: int):
        self.budget = budget
        self.entries: OrderedDict[str, tuple[object, int]] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: str) -> object | None:
        with self.lock:
            if key not in self.entries:
                return None
            self.entries.move_to_end(key)
            return self.entries[key][0]

    def put(self, key: str, value: object, size: int) -> None:
        with self.lock:
            if key in self.entries:
                self.size -= self.entries.pop(key)[1]
            if size > self.budget:
                return
            self.entries[key] = (value, size)
            self.size += size
            while self.size > self.budget:
                self.size -= self.entries.popitem(last=False)[1][1]

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


_kept = _Kept(BUDGET)


def clear() -> None:
    """Forget everything kept (a test's reference build that must reuse nothing)."""
    _kept.clear()


def kept_bytes() -> int:
    """The estimated bytes held now."""
    return _kept.size


@cache
def _engine() -> str:
    """The source of the modules that group and tell a stage's evidence: an edit to them computes afresh."""
    from research.computed import source_hash
    from research.journey import advocacy, build, claims, condense, edits, evidence, insights, readings

    return ",".join(source_hash(path) for path in [m.__file__ for m in (advocacy, build, claims, condense, edits, evidence, insights, readings)] + [__file__])


def _digest(pieces: Iterable[object]) -> str:
    h = hashlib.sha256()
    for piece in pieces:
        h.update(piece if isinstance(piece, bytes) else repr(piece).encode())
        h.update(b"\x00")
    return h.hexdigest()


def _vector(v: np.ndarray | None) -> bytes:
    return b"-" if v is None else np.ascontiguousarray(v, dtype=np.float32).tobytes()


def groups_digest(stage: str, grouped: list[Utterance], vectors: dict[int, np.ndarray]) -> str:
    """What `insights.group_utterances` reads of a stage's utterances, in their order."""

    def pieces():
        yield ("groups", _engine(), stage)
        for u in grouped:
            yield (u.id, u.in_group("touchpoint"), u.in_group("signal"), u.text, u.valence, tuple(sorted(u.felt)))
            yield _vector(vectors.get(u.id))
            for p in u.parts:
                yield (p.text, p.evidence, p.valence)
                yield _vector(p.vector)

    return _digest(pieces())


def insights_digest(groups: str, members: list[Utterance], context: tuple, edits: list, acts: dict) -> str:
    """What a stage's insights read beyond its groups: its members whole, the build's `context` (names, valences,
    floor, cohort, share needed), the analyst's edits of the stage and the acts of advocacy among its members."""

    def pieces():
        yield ("insights", _engine(), groups, context, edits)
        for u in members:
            yield (u.id, u.interview, u.interview_id, u.participant, u.persona, u.start, u.text, sorted(u.codes), sorted(u.accepted),
                   sorted(u.themes), u.valence, sorted(u.felt), u.source, u.timed)
            for p in u.parts:
                yield (p.text, p.valence, sorted(p.felt), sorted(p.codes), p.problem)
        ids = {u.id for u in members}
        yield [(uid, act.direction, sorted(act.verbs)) for uid, act in acts.items() if uid in ids]  # in their order, which orders the advocacy insights' members

    return _digest(pieces())


def stage_groups(key: str, grouped: list[Utterance], vectors: dict[int, np.ndarray], compute: Callable[[], list[Group]]) -> list[Group]:
    """The stage's groups: kept ones (as utterance ids and part indices, made of this build's utterances), or `compute`d and kept."""
    layout = _kept.get(key)
    if layout is None:
        groups = compute()
        index = {(id(u), id(p)): k for u in grouped for k, p in enumerate(u.parts)}
        layout = [[(unit.utterance.id, index.get((id(unit.utterance), id(unit.part)), -1)) for unit in g.units] for g in groups]
        _kept.put(key, layout, 64 + sum(16 * len(g) + 56 for g in layout))
        return groups
    by_id = {u.id: u for u in grouped}
    return [Group([Unit(by_id[uid], by_id[uid].parts[k] if k >= 0 else by_id[uid].whole(vectors.get(uid))) for uid, k in g]) for g in layout]


def stage_insights(key: str, compute: Callable[[], tuple[list[Insight], list[Insight]]]) -> tuple[list[Insight], list[Insight]]:
    """(patterns, single participants' experiences) of a stage: copies of kept ones, or `compute`d and kept."""
    found = _kept.get(key)
    if found is None:
        found = compute()
        _kept.put(key, tuple([i.model_copy(deep=True) for i in part] for part in found), sum(_size(i) for part in found for i in part))
        return found
    return tuple([i.model_copy(deep=True) for i in part] for part in found)


def _size(insight: Insight) -> int:
    """About the bytes an insight holds: its texts, quotes and ids, with Python's overhead per object."""
    texts = len(insight.statement) + len(insight.headline) + sum(len(q.text) + 400 for q in insight.quotes)
    return 1000 + texts + 36 * (len(insight.utterance_ids) + len(insight.related_ids))
