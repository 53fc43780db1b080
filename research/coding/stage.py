"""`research code`: suggest codings for every anonymized interview; learn from the researcher's decisions.

Suggestions are replaced on every re-run; accepted and rejected codings are the researcher's and are
never touched. Utterance embeddings are cached in study.db, keyed by model and text, for re-runs
and for the themes stage.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from sqlite_utils import Database

from research import codebook as codebooks
from research.codebook import Codebook
from research.coding.engine import CodingEngine, Prototypes, Suggestion, Turn, answer_context, answer_features, is_customer
from research.coding.learned import Decided, LearnedCode, LearnedModels, codebook_background, decision_labels, train
from research.coding.scope import save_scopes
from research.coding.sentences import stored_parts
from research.embeddings import embed
from research.fivews import stored_five_ws
from research.journey.advocacy import stored_readings
from research.stages import run_stage
from research.store import now, rows_in
from research.study import Study

STAGE = "code"
PREPARE_CHARACTERS = 60_000  # customer speech prepared, then coded, at a time (about an hour's interview): its Docs,
# answers and their parts (a part per ~50 characters), stay in research.nlp's parse cache (PARSED_KEPT) until coded,
# so each is parsed once however large the study, and memory stays bounded
ENGINE_VERSION = "12"  # 2: a trained stage classifier, journey scopes, smoothing within thresholds; 3: adaptation to decisions; 4: neutral when it beats every feeling, answers read in parts; 5: decisions set how far stage keywords are trusted, a prior shift must pick more held-out decisions right; 6: a broader journey corpus (phrasings without stage keywords, keywords used for other stages); 7: a self-introduction no stage placed is logistics, not weak; 8: journey-corpus phrasings of buying as a process (applications, checks, approvals, waiting); 9: feedback-loop suggestions gated by the feedback reader (`feedback_loops`); 10: whole utterances' negations read as the parts' are (`part_emotion`); 11: the feedback reader's loops the engine missed become suggestions, in `code_turns`; 12: negations of an act's subject ("Nothing they tried worked") read as owed unless a trouble, "there was no X" as a plain state, an owed denial's good feeling denied with it (`negation`)


def study_codebook(study: Study) -> tuple[Codebook, Path]:
    path = codebooks.resolve(study.config.coding.codebook, study.root)
    return codebooks.load(path), path


def sync_codes(db: Database, codebook: Codebook) -> None:
    """Mirror the codebook's codes into study.db, for the TUI, the map and exports."""
    rows = [
        {"key": key, "group_id": group.id, "code_id": code.id, "name": code.name, "group_name": group.name, "definition": code.definition,
         "color": code.color or group.color, "valence": code.valence, "position": position, "single_choice": int(group.kind == "single")}
        for position, (key, (group, code)) in enumerate(codebook.codes.items())
    ]
    with db.atomic():
        db.execute("DELETE FROM codes")
        db["codes"].insert_all(rows)


def utterance_vectors(db: Database, rows: list[dict], model: str) -> np.ndarray:
    """Unit embeddings of utterances, computed once per (model, text) and kept in study.db."""
    hashes = [hashlib.sha256(row["text"].encode()).hexdigest()[:16] for row in rows]
    cached = {}
    if rows:
        marks = ",".join("?" * len(rows))
        for hit in db.query(f"SELECT utterance_id, text_hash, vector FROM utterance_embeddings WHERE model = ? AND utterance_id IN ({marks})", [model, *[r["id"] for r in rows]]):
            cached[(hit["utterance_id"], hit["text_hash"])] = np.frombuffer(hit["vector"], dtype=np.float32)
    missing = [i for i, (row, h) in enumerate(zip(rows, hashes)) if (row["id"], h) not in cached]
    fresh = embed([rows[i]["text"] for i in missing], model) if missing else np.zeros((0, 0), np.float32)
    with db.atomic():
        for i, vector in zip(missing, fresh):
            cached[(rows[i]["id"], hashes[i])] = vector
            db["utterance_embeddings"].upsert({"utterance_id": rows[i]["id"], "model": model, "text_hash": hashes[i], "vector": vector.tobytes()}, pk="utterance_id")
    if not rows:
        return np.zeros((0, 384), np.float32)
    return np.stack([cached[(row["id"], h)] for row, h in zip(rows, hashes)])


def interview_turns(db: Database, interview_id: int) -> list[dict]:
    return list(db.query("SELECT id, idx, role, text FROM utterances WHERE interview_id = ? ORDER BY idx", [interview_id]))


def load_learned(db: Database) -> LearnedModels:
    """The per-code models, and the decisions on every code that `--learn` adapted: the text and vector of
    each decided utterance, with the question and neighbours coding reads beside it in its interview."""
    rows = list(db["learned_models"].rows)
    keys = [row["code_key"] for row in rows]
    decided = []
    if keys:
        marks = ",".join("?" * len(keys))
        query = f"""SELECT c.code_key, c.status, c.utterance_id, u.interview_id, u.text, e.vector FROM codings c JOIN utterances u ON u.id = c.utterance_id
                    JOIN utterance_embeddings e ON e.utterance_id = c.utterance_id
                    WHERE c.status IN ('accepted', 'rejected') AND c.code_key IN ({marks}) ORDER BY c.id"""
        hits = list(db.query(query, keys))
        beside = _beside(db, {hit["interview_id"] for hit in hits})
        for hit in hits:
            question, neighbours = beside.get(hit["utterance_id"], (None, None))
            decided.append(Decided(hit["code_key"], hit["text"], np.frombuffer(hit["vector"], dtype=np.float32), hit["status"] == "accepted", question, neighbours))
    return LearnedModels(
        {row["code_key"]: LearnedCode(np.frombuffer(row["coef"], dtype=np.float32), row["intercept"], row["positives"], row["negatives"]) for row in rows if row["coef"]},
        decided,
    )


def _beside(db: Database, interview_ids: set[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """{utterance id: (question, neighbours)} for the customer turns of these interviews (`answer_context`), from
    their stored embeddings; an interview with a turn not yet embedded is left out (its decisions read alone)."""
    out = {}
    for interview_id in sorted(interview_ids):
        rows = list(db.query("""SELECT u.id, u.role, e.vector FROM utterances u LEFT JOIN utterance_embeddings e ON e.utterance_id = u.id
                                WHERE u.interview_id = ? ORDER BY u.idx""", [interview_id]))
        if not rows or any(row["vector"] is None for row in rows):
            continue
        customer, questions, neighbours = answer_context([row["role"] for row in rows], np.stack([np.frombuffer(row["vector"], dtype=np.float32) for row in rows]))
        out |= {rows[position]["id"]: (questions[n], neighbours[n]) for n, position in enumerate(customer)}
    return out


def kept_codings(db: Database, utterance_ids: list[int]) -> dict[int, dict[str, str]]:
    """{utterance id: {code key: status}} of the codings re-coding keeps as they are: decided ones and suggestions
    that carry a researcher's memo (`save_suggestions`)."""
    kept: dict[int, dict[str, str]] = {}
    for row in rows_in(db, "SELECT utterance_id, code_key, status FROM codings WHERE (status != 'suggested' OR memo IS NOT NULL) AND utterance_id IN ({ids})", utterance_ids):
        kept.setdefault(row["utterance_id"], {})[row["code_key"]] = row["status"]
    return kept


def save_suggestions(db: Database, codebook: Codebook, utterance_ids: list[int], suggestions: list[Suggestion]) -> int:
    """Replace an interview's suggestions, keeping every decided coding and every suggestion that carries
    a researcher's memo (re-suggested, it takes the new confidence). Returns how many were stored."""
    if not utterance_ids:
        return 0
    marks = ",".join("?" * len(utterance_ids))
    decided = {(r["utterance_id"], r["code_key"]): r["status"] for r in db.query(f"SELECT utterance_id, code_key, status FROM codings WHERE status IN ('accepted','rejected') AND utterance_id IN ({marks})", utterance_ids)}
    memoed = {(r["utterance_id"], r["code_key"]): r["id"] for r in db.query(f"SELECT id, utterance_id, code_key FROM codings WHERE status = 'suggested' AND memo IS NOT NULL AND utterance_id IN ({marks})", utterance_ids)}
    settled = {(u, key.split(":")[0]) for (u, key), status in decided.items() if status == "accepted" and codebook.codes.get(key, (None,))[0] and codebook.codes[key][0].kind == "single"}
    stamp = now()
    rows = [
        {"utterance_id": s.turn_id, "code_key": s.code_key, "source": s.source, "confidence": s.confidence, "status": "suggested", "created_at": stamp, "updated_at": stamp}
        for s in suggestions
        if (s.turn_id, s.code_key) not in decided and (s.turn_id, s.code_key.split(":")[0]) not in settled
    ]
    with db.atomic():
        db.execute(f"DELETE FROM codings WHERE status = 'suggested' AND memo IS NULL AND utterance_id IN ({marks})", utterance_ids)
        for row in [r for r in rows if (r["utterance_id"], r["code_key"]) in memoed]:
            db["codings"].update(memoed[(row["utterance_id"], row["code_key"])], {"source": row["source"], "confidence": row["confidence"], "updated_at": stamp})
        fresh = [r for r in rows if (r["utterance_id"], r["code_key"]) not in memoed]
        if fresh:
            db["codings"].insert_all(fresh)
    return len(rows)


def run_code(study: Study, force: bool = False, learn: bool = False, codes: list[str] | None = None) -> dict[str, str]:
    """Code every anonymized interview; with `learn`, first train on the researcher's decisions."""
    codebook, path = study_codebook(study)
    db = study.db
    sync_codes(db, codebook)
    model = study.config.coding.embedding_model
    if learn:
        learn_from_decisions(study, codebook)
    learned = load_learned(db)
    engine: list[CodingEngine] = []  # built on first use: loading spaCy and the models takes seconds

    def coding_engine() -> CodingEngine:
        if not engine:
            from research.coding.emotion_model import EmotionModel
            from research.coding.rules import RuleMatcher
            from research.nlp import load_spacy

            engine.append(CodingEngine(codebook, RuleMatcher(codebook, load_spacy()), EmotionModel.load(), learned, embedding_model=model))  # the full pipeline: the parts and advocacy read the same Docs
        return engine[0]

    def prepare(interview_ids: list[int]) -> None:
        """Embed, read the feelings of, parse and split into parts a group's utterances in large batches: survey and ticket
        rows are one-utterance sources, and one model call each made coding 2,000 rows take many minutes."""
        rows = [row for interview_id in interview_ids for row in interview_turns(db, interview_id)]
        utterance_vectors(db, rows, model)
        customer = {row["id"]: row["text"] for row in rows if is_customer(row["role"])}
        coding_engine().read_emotions_ahead(list(customer.values()))
        stored_five_ws(db, customer)
        stored_readings(db, customer)
        stored_parts(db, codebook, customer, coding_engine())

    def work(interview_id: int, code: str, params: dict) -> str | None:
        rows = interview_turns(db, interview_id)
        vectors = utterance_vectors(db, rows, model)
        turns = [Turn(r["id"], r["role"], r["text"]) for r in rows]
        customer = {t.id: t.text for t in turns if is_customer(t.role)}
        readings = stored_readings(db, customer)  # loop codes say what the feedback reader finds, as the map does
        coded = coding_engine().code_turns(turns, vectors, kept_codings(db, list(customer)), readings)
        save_suggestions(db, codebook, [r["id"] for r in rows], coded.suggestions)
        save_scopes(db, [r["id"] for r in rows], coded.scopes)
        stored_five_ws(db, customer)  # parsed now, so building the map is quick
        stored_parts(db, codebook, customer, coding_engine())
        if not any(is_customer(t.role) for t in turns):
            return f"{code}: no customer speech to code"
        return None

    params = {"codebook": hashlib.sha256(path.read_bytes()).hexdigest()[:16], "engine": ENGINE_VERSION, "embedding": model, "learned": learned.signature}
    return run_stage(study, STAGE, "anonymize", lambda _, upstream: params | {"anonymize": upstream}, work, codes=codes, force=force,
                     prepare=prepare, groups=lambda ids: prepare_groups(db, ids))


def prepare_groups(db: Database, interview_ids: list[int], limit: int | None = None) -> list[list[int]]:
    """The interviews in order, in groups of at most `limit` (PREPARE_CHARACTERS) characters of customer speech;
    an interview with more is a group of its own."""
    limit = limit or PREPARE_CHARACTERS
    counts = dict.fromkeys(interview_ids, 0)
    query = "SELECT interview_id, sum(length(text)) AS n FROM utterances WHERE role LIKE 'customer%' AND interview_id IN ({ids}) GROUP BY interview_id"
    counts |= {row["interview_id"]: row["n"] for row in rows_in(db, query, interview_ids)}
    groups: list[list[int]] = []
    size = 0
    for interview_id in interview_ids:
        if not groups or size + counts[interview_id] > limit:
            groups.append([])
            size = 0
        groups[-1].append(interview_id)
        size += counts[interview_id]
    return groups


def learn_from_decisions(study: Study, codebook: Codebook) -> LearnedModels:
    """Train a classifier per code of the multi-choice groups from accepted (positive) and rejected
    (negative) codings, over the codebook's examples (see `learned`); every decided code is marked
    adapted, so the engine also adapts to its decisions (`adaptation`). Stored in study.db."""
    db = study.db
    model = study.config.coding.embedding_model
    decisions = list(db.query("SELECT c.utterance_id, c.code_key, c.status, u.interview_id FROM codings c JOIN utterances u ON u.id = c.utterance_id WHERE c.status IN ('accepted', 'rejected')"))
    labels = decision_labels(codebook, [(d["utterance_id"], d["code_key"], d["status"]) for d in decisions])
    features = _decision_features(db, {u for per in labels.values() for u in per}, model)
    single = {key for key in labels if codebook.codes[key][0].kind == "single"}
    examples = {key: (np.stack([features[u] for u in per]), np.array(list(per.values()))) for key, per in labels.items() if per and key not in single}
    learned = train(examples, codebook_background(codebook, Prototypes.build(codebook, model).examples))
    with db.atomic():
        db.execute("DELETE FROM learned_models")
        for key, per in labels.items():
            m = learned.codes.get(key)
            positives = sum(per.values())
            row = {"code_key": key, "coef": b"", "intercept": 0.0, "positives": positives, "negatives": len(per) - positives, "trained_at": now()}
            if m is not None:
                row |= {"coef": m.coef.tobytes(), "intercept": m.intercept, "positives": m.positives, "negatives": m.negatives}
            db["learned_models"].insert(row)
    return load_learned(db)


def _decision_features(db: Database, utterance_ids: set[int], model: str) -> dict[int, np.ndarray]:
    """[utterance, the interviewer question before it] embeddings, as the engine's learned features."""
    features = {}
    interviews = {r["interview_id"] for r in rows_in(db, "SELECT DISTINCT interview_id FROM utterances WHERE id IN ({ids})", utterance_ids)}
    for interview_id in interviews:
        rows = interview_turns(db, interview_id)
        customer, rows_features = answer_features([r["role"] for r in rows], utterance_vectors(db, rows, model))
        for position, row_features in zip(customer, rows_features):
            if rows[position]["id"] in utterance_ids:
                features[rows[position]["id"]] = row_features
    return features
