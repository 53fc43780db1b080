"""Which stage codings most need the researcher: uncertain first, spread out, every stage asked.

A decision teaches `--learn` most, and corrects most, where the engine is least sure, so the review order puts
the open stage suggestions with the lowest confidence first, together with the utterances coding found on the
journey but could place at no stage ("with no clear stage", `scope` weak: a stage is often missing there), which
rank by their best stage's confidence. Two terms keep it from asking the same thing twice:
a candidate loses DIVERSITY times its cosine similarity to the nearest utterance already decided or
already put ahead of it (twenty near-duplicates teach what one does), and the suggested stages take turns
(no clear stage counting as one): the next pick comes from the stages asked least so far (decided or ahead in
the order), so a stage the engine suggests rarely is asked about too. The ranking reads only what coding
stored (confidences, scopes and embeddings): no model runs. The study has one queue: an interview's most needed
first, then the study's (`next_needed`), and `review_queue` lists the study's with where and what each is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlite_utils import Database

from research.coding.scope import STAGE_PREFIX
from research.store import rows_in

DIVERSITY = 0.5  # how much similarity to an utterance already decided or asked outweighs uncertainty
SHOWN = 20  # suggestions ranked at a time (the review app asks for the first)


@dataclass(frozen=True)
class Open:
    """A stage coding waiting for the researcher: an open suggestion (its coding and suggested code) or an
    utterance with no clear stage (no coding; `code_key` is the bare prefix); the confidence it ranks by and the
    code of its interview."""

    coding_id: int | None
    utterance_id: int
    code_key: str
    confidence: float
    interview: str


@dataclass(frozen=True)
class Queued:
    """One line of the study's review queue: where the utterance is, who speaks, the stage suggested (the name of
    its code; "no clear stage" for the bare prefix) and the utterance's anonymized text."""

    interview: str
    start: float
    role: str
    stage: str
    confidence: float
    text: str


def review_order(confidence: np.ndarray, vectors: np.ndarray, codes: list[str], known: np.ndarray, known_codes: list[str], count: int = SHOWN) -> list[int]:
    """Indices of the candidates to ask about, most needed first (at most `count`).

    `confidence`, `vectors` (unit) and `codes`: per candidate, the suggested code (the bare prefix for an
    utterance with no clear stage); `known` (unit vectors) and `known_codes`: the utterances whose stage was
    already decided and the code each decision was on."""
    if not len(confidence):
        return []
    nearest = (vectors @ known.T).max(axis=1) if len(known) else np.zeros(len(confidence))
    asked = {code: known_codes.count(code) for code in set(codes)}
    left = np.ones(len(confidence), dtype=bool)
    order: list[int] = []
    while left.any() and len(order) < count:
        fewest = min(asked[codes[i]] for i in np.flatnonzero(left))
        turn = left & np.array([asked[code] == fewest for code in codes])
        need = np.where(turn, (1 - confidence) - DIVERSITY * np.clip(nearest, 0, None), -np.inf)
        pick = int(need.argmax())
        order.append(pick)
        left[pick] = False
        asked[codes[pick]] += 1
        nearest = np.maximum(nearest, vectors @ vectors[pick])
    return order


def most_needed(db: Database, model: str, interview: str | None = None, count: int = SHOWN) -> list[Open]:
    """The stage codings of the study (or of the interview with code `interview`) waiting for the researcher, in
    review order (`review_order`); the stage decisions of the whole study count as already asked."""
    return _ranked(_stage_rows(db, model), interview, count, frozenset())


def next_needed(db: Database, model: str, interview: str | None, shown: set[tuple[int, int | None]]) -> Open | None:
    """The most needed of `interview` not in `shown` ((utterance, coding) pairs already gone to), else (once every
    one of the interview's is shown or decided, or with no `interview`) the study's; it is added to `shown`. Those
    shown count as asked, so this is the next of the review order. When every one was shown, `shown` is emptied and
    the round starts again from the first; None when none is open."""
    rows = _stage_rows(db, model)
    for _ in range(2):  # every one was shown and left open: round again from the first
        for scope in ([interview] if interview else []) + [None]:
            needed = _ranked(rows, scope, 1, frozenset(shown))
            if needed:
                shown.add((needed[0].utterance_id, needed[0].coding_id))
                return needed[0]
        if not shown:
            return None
        shown.clear()
    return None


def _stage_rows(db: Database, model: str) -> list[dict]:
    """Every stage coding of the study with its utterance's embedding, and (as open, with no coding and the bare
    prefix) every utterance with no clear stage; each with its status, confidence and interview code."""
    rows = list(db.query(
        """SELECT c.id, c.utterance_id, c.code_key, c.confidence, c.status, i.code AS interview, e.vector FROM codings c
           JOIN utterances u ON u.id = c.utterance_id JOIN interviews i ON i.id = u.interview_id
           JOIN utterance_embeddings e ON e.utterance_id = c.utterance_id AND e.model = ?
           WHERE c.code_key LIKE ? ORDER BY c.id""",
        [model, STAGE_PREFIX + "%"],
    ))
    staged = {r["utterance_id"] for r in rows}
    return rows + [dict(r, id=None, code_key=STAGE_PREFIX, status="suggested") for r in db.query(
        """SELECT s.utterance_id, s.confidence, i.code AS interview, e.vector FROM utterance_scope s
           JOIN utterances u ON u.id = s.utterance_id JOIN interviews i ON i.id = u.interview_id
           JOIN utterance_embeddings e ON e.utterance_id = s.utterance_id AND e.model = ?
           WHERE s.scope = 'weak' ORDER BY s.utterance_id""", [model]) if r["utterance_id"] not in staged]


def _ranked(rows: list[dict], interview: str | None, count: int, shown: frozenset[tuple[int, int | None]]) -> list[Open]:
    """The open ones of `rows` (of `interview`, or all) in review order, those decided and those in `shown` ((utterance,
    coding) pairs already gone to, left open) counting as asked and not listed."""
    waiting = [r for r in rows if r["status"] == "suggested"]
    opened = [r for r in waiting if interview in (None, r["interview"]) and (r["utterance_id"], r["id"]) not in shown]
    decided = [r for r in rows if r["status"] != "suggested"] + [r for r in waiting if (r["utterance_id"], r["id"]) in shown]
    if not opened:
        return []
    vectors = np.stack([np.frombuffer(r["vector"], dtype=np.float32) for r in opened])
    known = np.stack([np.frombuffer(r["vector"], dtype=np.float32) for r in decided]) if decided else np.zeros((0, vectors.shape[1]), np.float32)
    order = review_order(np.array([r["confidence"] or 0.0 for r in opened]), vectors, [r["code_key"] for r in opened], known, [r["code_key"] for r in decided], count)
    return [Open(opened[i]["id"], opened[i]["utterance_id"], opened[i]["code_key"], float(opened[i]["confidence"] or 0.0), opened[i]["interview"]) for i in order]


def review_queue(db: Database, model: str, count: int) -> list[Queued]:
    """The `count` stage codings of the study that most need the researcher, in review order, with where each is."""
    needed = most_needed(db, model, None, count)
    if not needed:
        return []
    rows = {r["id"]: r for r in rows_in(db, "SELECT id, start, COALESCE(role, speaker, '?') AS role, text FROM utterances WHERE id IN ({ids})",
                                        [n.utterance_id for n in needed])}
    names = {r["key"]: r["name"] for r in db.query("SELECT key, name FROM codes WHERE key LIKE ?", [STAGE_PREFIX + "%"])}
    return [Queued(n.interview, rows[n.utterance_id]["start"] or 0.0, rows[n.utterance_id]["role"], names.get(n.code_key, n.code_key) if n.code_key != STAGE_PREFIX else "no clear stage",
                   n.confidence, rows[n.utterance_id]["text"]) for n in needed]
