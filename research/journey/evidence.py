"""What the map is built from: the cohort's customer utterances with their codes, themes, valence and embeddings.

An utterance is on the journey when it has a stage coding that nobody rejected; the rest (introductions,
consent, small talk, thanks: interview logistics; talk with no clear stage) stays in the transcripts and out of the map.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import numpy as np
from sqlite_utils import Database

from research.codebook import Codebook
from research.coding.asides import asks_the_interviewer
from research.coding.sentences import load_parts
from research.errors import ResearchError
from research.journey.filters import FILTER_FIELDS
from research.journey.turns import own_words
from research.store import rows_in
from research.study import Study

SIGNAL_VALENCE = {"signal:pain-point": -0.6, "signal:delight": 0.9}  # a pain or a delight is an emotion even when none was coded
PROBLEM_SIGNALS = ("signal:pain-point", "signal:expectation-gap")  # the codebook's codes for something that went wrong
PROBLEM_VALENCE = -0.25  # how negative a factual problem statement counts as evidence ("We were billed twice.")


@dataclass(frozen=True)
class Part:
    """A sentence or clause of an utterance, with the feeling it carries on its own (research.coding.sentences)."""

    text: str
    valence: float | None
    felt: frozenset[str]
    codes: frozenset[str] = frozenset()  # the emotion codes felt in this part
    vector: np.ndarray | None = None
    problem: bool = False  # states a problem in the codebook's terms without a feeling of its own (`mark_problem_statements`)

    @property
    def evidence(self) -> float:
        """The valence this part counts with as evidence: its own, or negative when it states a problem unfelt."""
        own = self.valence or 0.0
        return min(own, PROBLEM_VALENCE) if self.problem else own


@dataclass
class Utterance:
    id: int
    interview: str
    interview_id: int
    participant: str
    persona: str | None
    start: float
    text: str
    codes: set[str] = field(default_factory=set)
    themes: set[int] = field(default_factory=set)
    valence: float | None = None
    felt: frozenset[str] = frozenset()  # "negative", "positive" or both: a mixed answer felt both ways
    source: str = "interview"  # interview, survey or ticket
    parts: list[Part] = field(default_factory=list)  # its sentences and clauses, when coding read them
    timed: bool = True  # False where the transcript had no timings (every start and end 0)
    accepted: set[str] = field(default_factory=set)  # the codes a researcher accepted

    def whole(self, vector: np.ndarray | None = None) -> Part:
        """The utterance as one part, with its own codes' feeling."""
        return Part(self.text, self.valence, self.felt, frozenset(self.in_group("emotion")), vector)

    @property
    def stage(self) -> str | None:
        """Its stage; with two stage codes (an analyst's added to coding's), the first by name: a set's order changes per process."""
        code = min((c for c in self.codes if c.startswith("stage:")), default=None)
        return code.split(":", 1)[1] if code else None

    def in_group(self, group: str) -> list[str]:
        return sorted(c for c in self.codes if c.startswith(f"{group}:"))


def participants_matching(study: Study, filters: dict[str, str]) -> dict[tuple[int, str], str]:
    """{(interview id, speaker slot): participant label} for the participants that pass the filters.

    An unknown filter or a value no participant has is a one-line error that lists what exists.
    """
    unknown = set(filters) - set(FILTER_FIELDS)
    if unknown:
        raise ResearchError(f"unknown filter {', '.join(sorted(unknown))}; use {', '.join(FILTER_FIELDS)}")
    for name, value in filters.items():
        known = filter_values(study, name)
        if value.lower() not in {k.lower() for k in known}:
            listed = ", ".join(known) if known else "none: no participant has one"
            raise ResearchError(f"no participant has {name} = {value}; known values: {listed}")
    clauses = [f"lower({FILTER_FIELDS[name]}.{name}) = lower(?)" for name in filters]
    where = " AND ".join(clauses) or "1"
    rows = study.db.query(f"SELECT p.interview_id, p.slot, p.label FROM participants p JOIN interviews i ON i.id = p.interview_id WHERE {where}", list(filters.values()))
    return {(r["interview_id"], r["slot"]): r["label"] for r in rows}


def filter_values(study: Study, name: str) -> list[str]:
    """The distinct values of one filter field in the study, for help and error messages."""
    table = "participants p JOIN interviews i ON i.id = p.interview_id"
    rows = study.db.query(f"SELECT DISTINCT {FILTER_FIELDS[name]}.{name} AS value FROM {table} WHERE {FILTER_FIELDS[name]}.{name} IS NOT NULL ORDER BY 1")
    return [r["value"] for r in rows if str(r["value"]).strip()]


def personas_of(study: Study) -> dict[str, str | None]:
    """{participant label: persona}."""
    return {r["label"]: r["persona"] for r in study.db.query("SELECT label, persona FROM participants")}


def utterance_valence(codes: set[str], valences: dict[str, float]) -> float | None:
    """Mean valence of the emotions coded on an utterance, with pain and delight signals as emotions too.

    Neutral counts only when nothing else was felt, so "frustration + neutral" stays negative.
    """
    felt = [valences[c] for c in sorted(codes) if c in valences and valences[c] != 0.0]  # sorted: a set's order changes per process
    felt += [v for c, v in SIGNAL_VALENCE.items() if c in codes]
    if felt:  # rounded: a mean that is a threshold in decimals compares as one (-0.6, -0.5, +0.5 is -0.2, not -0.20000000000000004)
        return round(float(np.mean(felt)), 9)
    return 0.0 if any(c in valences for c in codes) else None


def feelings(codes: set[str], valences: dict[str, float]) -> frozenset[str]:
    """Which ways an utterance felt: "Unboxing was lovely, but the app would not connect" is both."""
    values = [valences[c] for c in codes if c in valences] + [v for c, v in SIGNAL_VALENCE.items() if c in codes]
    return frozenset({"negative"} if any(v < 0 for v in values) else set()) | frozenset({"positive"} if any(v >= 0.3 for v in values) else set())


def load_utterances(study: Study, codebook: Codebook, cohort: dict[tuple[int, str], str]) -> list[Utterance]:
    """The cohort's customer utterances, in interview order, with their non-rejected codes and themes."""
    db = study.db
    interviews = {r["id"]: r for r in db.query("SELECT id, code, source_type FROM interviews")}
    personas = personas_of(study)
    utterances: dict[int, Utterance] = {}
    before: dict[int, str] = {}  # the turn before an utterance, where another speaker said it
    # the cohort's speakers as a table, so SQLite reads only their rows (a filter's cohort is a few of the study's speakers)
    speakers = "WITH cohort(interview_id, role) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)) "
    chosen = [json.dumps(sorted(cohort))]
    turns = ("SELECT id, interview_id, idx, role, start, end, text, LAG(text) OVER turn AS before, LAG(role) OVER turn AS before_role FROM utterances "
             "WHERE interview_id IN (SELECT interview_id FROM cohort) WINDOW turn AS (PARTITION BY interview_id ORDER BY idx)")
    for r in db.query(f"{speakers}SELECT * FROM ({turns}) WHERE role LIKE 'customer%' ORDER BY interview_id, idx", chosen):
        if r["before_role"] is not None and r["before_role"] != r["role"]:
            before[r["id"]] = r["before"]
        label = cohort.get((r["interview_id"], r["role"]))
        if label is not None:
            interview = interviews[r["interview_id"]]
            utterances[r["id"]] = Utterance(r["id"], interview["code"], r["interview_id"], label, personas.get(label), r["start"] or 0.0, r["text"], source=interview["source_type"],
                                           timed=bool(r["start"] or r["end"]))
    mine = "JOIN utterances u ON u.id = x.utterance_id JOIN cohort c ON c.interview_id = u.interview_id AND c.role = u.role"
    for r in db.query(f"{speakers}SELECT x.utterance_id, x.code_key, x.status FROM codings x {mine} WHERE x.status != 'rejected'", chosen):
        if r["utterance_id"] in utterances:
            utterances[r["utterance_id"]].codes.add(r["code_key"])
            if r["status"] == "accepted":
                utterances[r["utterance_id"]].accepted.add(r["code_key"])
    for r in db.query(f"{speakers}SELECT x.theme_id, x.utterance_id FROM theme_members x {mine}", chosen):
        if r["utterance_id"] in utterances:
            utterances[r["utterance_id"]].themes.add(r["theme_id"])
    valences = {key: code.valence for key, (_, code) in codebook.codes.items() if code.valence is not None}
    for u in utterances.values():
        u.valence = utterance_valence(u.codes, valences)
        u.felt = feelings(u.codes, valences)
    staged = {uid: u.text for uid, u in utterances.items() if u.stage}
    for uid, parts in load_parts(db, codebook, staged).items():
        utterances[uid].parts = [Part(p.text, utterance_valence(set(p.codes), valences), feelings(set(p.codes), valences), frozenset(p.codes), p.vector) for p in parts]
    for uid, turn in before.items():  # parts were read for the text as stored; quotes and headlines start at the customer's own words
        if uid in utterances:
            u = utterances[uid]
            u.text = own_words(u.text, turn)
            u.parts = [replace(p, text=own_words(p.text, turn)) if k == 0 else p for k, p in enumerate(u.parts)]
    for u in utterances.values():  # a question to the interviewer ("Is that what you mean?") is no evidence: no feeling, no group, no headline
        u.parts = [p for p in u.parts if not asks_the_interviewer(p.text)]
    return list(utterances.values())


def mark_problem_statements(utterances: list[Utterance], codebook: Codebook, db: Database | None = None) -> None:
    """Mark the parts that state a problem without feeling it ("But we were billed twice for the first filter shipment."):
    parts with no feeling of their own, in answers that felt something negative or were coded with a problem
    signal, where a problem signal's own patterns (the codebook's pain-point and expectation-gap) match the part itself.
    With `db`, each part is matched once per study (`pattern_hits`)."""
    candidates = [(u, k) for u in utterances if "negative" in u.felt or any(c in u.codes for c in PROBLEM_SIGNALS)
                  for k, p in enumerate(u.parts) if abs(p.valence or 0.0) < -PROBLEM_VALENCE and "positive" not in p.felt]
    if not candidates or not any(key in codebook.codes and codebook.codes[key][1].patterns for key in PROBLEM_SIGNALS):
        return
    from research.journey.pattern_hits import pattern_hits

    hits = pattern_hits(db, codebook, PROBLEM_SIGNALS, [u.parts[k].text for u, k in candidates])  # only these codes' patterns
    for u, k in candidates:
        if hits[u.parts[k].text]:
            u.parts[k] = replace(u.parts[k], problem=True)


def embeddings_of(study: Study, utterances: list[Utterance]) -> dict[int, np.ndarray]:
    """Unit sentence embeddings of utterances: those coding stored, the rest computed now (not stored)."""
    model = study.config.coding.embedding_model
    ids = [u.id for u in utterances]
    query = "SELECT utterance_id, vector FROM utterance_embeddings WHERE model = ? AND utterance_id IN ({ids})"
    found = {r["utterance_id"]: np.frombuffer(r["vector"], dtype=np.float32) for r in rows_in(study.db, query, ids, [model])}
    missing = [u for u in utterances if u.id not in found]
    if missing:
        from research.embeddings import embed

        found |= dict(zip([u.id for u in missing], embed([u.text for u in missing], model)))
    return found
