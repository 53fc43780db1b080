"""Feedback-loop suggestions gated by what the answer says happened, so the review app suggests the loop the map shows.

Coding finds loop codes by the codebook's words and examples, which a cancellation ("I sent it back") or other
people's replies match as well as a real answer from the company. After an interview's suggestions are stored, each
suggested loop code is checked against the feedback reader (`journey.feedback`, its reading kept per text in
`utterance_acts`, read as about a problem exactly as the map reads it): kept where the reader finds that loop,
turned into the loop it finds instead, and dropped where it finds none. Decided codings, and suggestions that carry
a researcher's memo, are never touched; a loop the researcher rejected is not suggested again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlite_utils import Database

from research.codebook import Codebook
from research.journey.advocacy import LOOP_CODE, about_a_problem, loop_of, stored_readings
from research.journey.evidence import feelings, utterance_valence
from research.store import now

SOURCE = "reader"  # a suggestion the feedback reader turned into the loop it found


@dataclass(frozen=True)
class GatedLoops:
    """How an interview's suggested loop codes fared."""

    kept: int
    relabelled: int
    dropped: int


def gate_loops(db: Database, codebook: Codebook, texts: dict[int, str]) -> GatedLoops:
    """Gate the suggested loop codes of these customer utterances ({id: text}) by the feedback reader."""
    if not texts:
        return GatedLoops(0, 0, 0)
    marks = ",".join("?" * len(texts))
    codings: dict[int, list[dict]] = defaultdict(list)
    for row in db.query(f"SELECT id, utterance_id, code_key, status, memo, confidence FROM codings WHERE utterance_id IN ({marks}) ORDER BY id", list(texts)):
        codings[row["utterance_id"]].append(row)
    loops = {uid: [r for r in rows if r["status"] == "suggested" and r["memo"] is None and r["code_key"].startswith(LOOP_CODE)] for uid, rows in codings.items()}
    loops = {uid: rows for uid, rows in loops.items() if rows}
    readings = stored_readings(db, {uid: texts[uid] for uid in loops})
    valences = {key: code.valence for key, (_, code) in codebook.codes.items() if code.valence is not None}
    kept = relabelled = dropped = 0
    with db.atomic():
        for uid, suggested in loops.items():
            codes = {r["code_key"] for r in codings[uid] if r["status"] != "rejected"}
            accepted = {r["code_key"] for r in codings[uid] if r["status"] == "accepted"}
            state = loop_of(readings.get(uid), accepted, about_a_problem(utterance_valence(codes, valences), feelings(codes, valences), codes))
            target = f"{LOOP_CODE}{state}" if state else None
            if target not in codebook.codes:
                target = None
            present = {r["code_key"] for r in codings[uid]}  # any status: a decided or memoed loop code stays as it is
            relabel = None
            if target and target not in present:
                relabel = max(suggested, key=lambda r: r["confidence"] or 0.0)
                db["codings"].update(relabel["id"], {"code_key": target, "source": SOURCE, "updated_at": now()})
                relabelled += 1
            for row in suggested:
                if row is relabel:
                    continue
                if row["code_key"] == target:
                    kept += 1
                else:
                    db.execute("DELETE FROM codings WHERE id = ?", [row["id"]])
                    dropped += 1
    return GatedLoops(kept, relabelled, dropped)
