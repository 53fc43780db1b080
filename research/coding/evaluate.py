"""Scoring automatic coding against labelled interview scripts (the demo corpus), with baselines."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from research.coding.engine import CodingEngine, Suggestion, Turn
from research.embeddings import embed

STAGES = ["discovery", "decision", "adoption", "retention", "advocacy"]


@dataclass
class CodingScores:
    stage_macro_f1: float
    stage_f1: dict[str, float]
    emotion_macro_f1: float
    emotion_f1: dict[str, float]
    turns: int


def scores(gold_stage: list[str], predicted_stage: list[str], gold_emotions: list[set[str]], predicted_emotions: list[set[str]]) -> CodingScores:
    """Stage macro-F1 over the five stages ("none" predictions on labelled turns are misses, stages on
    unlabelled turns false positives) and multi-label emotion macro-F1 over the labelled emotions."""
    emotions = sorted(set().union(*gold_emotions))
    truth = np.array([[e in g for e in emotions] for g in gold_emotions])
    guess = np.array([[e in p for e in emotions] for p in predicted_emotions])
    stage_f1 = f1_score(gold_stage, predicted_stage, labels=STAGES, average=None, zero_division=0)
    emotion_f1 = f1_score(truth, guess, average=None, zero_division=0) if emotions else np.array([])
    return CodingScores(
        float(np.mean(stage_f1)), dict(zip(STAGES, map(float, stage_f1))),
        float(np.mean(emotion_f1)) if emotions else float("nan"), dict(zip(emotions, map(float, emotion_f1))), len(gold_stage),
    )


def script_turns(scripts: list[dict]) -> list[tuple[list[Turn], list[dict]]]:
    """(turns, labels per turn) per script; turn ids are unique across scripts."""
    out, next_id = [], 0
    for script in scripts:
        turns, labels = [], []
        for turn in script["turns"]:
            turns.append(Turn(next_id, "customer" if turn["speaker"].startswith("customer") else "interviewer", turn["text"]))
            labels.append(turn)
            next_id += 1
        out.append((turns, labels))
    return out


def evaluate(engine: CodingEngine, scripts: list[dict]) -> CodingScores:
    """Stage macro-F1 over the five stages (an unlabelled turn coded with a stage is a false positive)
    and multi-label emotion macro-F1 over the emotions that occur in the labels."""
    gold_stage, predicted_stage, gold_emotions, predicted_emotions = [], [], [], []
    for turns, labels in script_turns(scripts):
        suggestions = engine.code(turns, embed([t.text for t in turns]))
        by_turn: dict[int, list[Suggestion]] = {}
        for suggestion in suggestions:
            by_turn.setdefault(suggestion.turn_id, []).append(suggestion)
        for turn, label in zip(turns, labels):
            if turn.role != "customer":
                continue
            codes = [s.code_key for s in by_turn.get(turn.id, [])]
            gold_stage.append(label.get("stage") or "none")
            predicted_stage.append(next((c.split(":")[1] for c in codes if c.startswith("stage:")), "none"))
            gold_emotions.append(set(label.get("emotions") or []))
            predicted_emotions.append({c.split(":")[1] for c in codes if c.startswith("emotion:")})
    return scores(gold_stage, predicted_stage, gold_emotions, predicted_emotions)


def read_domain_study(folder: Path) -> list[dict]:
    """A labelled study in plain text (`benchmarks/domain_studies/*/`), as scripts like the demo's: one
    `.txt` per interview, each line `Interviewer: text` or `Customer [stage]: text`, the stage a codebook
    code id or `outside` (no stage). Emotions are not labelled."""
    scripts = []
    for path in sorted(folder.glob("*.txt")):
        turns = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            speaker, _, text = line.partition(": ")
            if speaker == "Interviewer":
                turns.append({"speaker": "interviewer", "text": text})
            elif speaker.startswith("Customer [") and speaker.endswith("]") and speaker[10:-1] in [*STAGES, "outside"]:
                stage = speaker[10:-1]
                turns.append({"speaker": "customer", "text": text, "stage": None if stage == "outside" else stage})
            else:
                raise ValueError(f"{path}:{number}: expected 'Interviewer: text' or 'Customer [stage]: text'")
        scripts.append({"id": path.stem, "turns": turns})
    return scripts


def scripts_learning_curve(engine: CodingEngine, scripts: list[dict], sizes: list[int], seeds: int = 5, folds: int = 4) -> dict[int, tuple[float, float, float, float]]:
    """The learning curve on labelled scripts (a study in one domain): its customer turns are decided
    (the stage only, as labelled) and scored, each coded in its interview (questions and neighbours)."""
    interviews = script_turns(scripts)
    vectors_of = [embed([t.text for t in turns]) for turns, _ in interviews]
    items = [(k, n) for k, (turns, _) in enumerate(interviews) for n, turn in enumerate(turns) if turn.role == "customer"]
    labels = [interviews[k][1][n] for k, n in items]
    texts = [interviews[k][0][n].text for k, n in items]
    vectors = np.stack([vectors_of[k][n] for k, n in items])
    truths = [{"stage": {label["stage"]} if label.get("stage") else set()} for label in labels]
    beside = _beside([[t.role for t in turns] for turns, _ in interviews], vectors_of, items)

    def interview_codes(wanted: set[int]) -> dict[int, list[str]]:
        codes: dict[int, list[str]] = {}
        for k in sorted(wanted):
            for suggestion in engine.code(interviews[k][0], vectors_of[k]):
                codes.setdefault(suggestion.turn_id, []).append(suggestion.code_key)
        return codes

    def held_codes(held: np.ndarray) -> list[list[str]]:
        codes = interview_codes({items[i][0] for i in held})
        return [codes.get(interviews[items[i][0]][0][items[i][1]].id, []) for i in held]

    per_order = _curve(engine, len(items), sizes, seeds, folds, lambda: held_codes(np.arange(len(items))),
                       lambda i, suggested: labelled_decisions(i, truths[i], suggested), texts, vectors, held_codes, beside)
    pairs = [({}, label) for label in labels]
    return {n: _mean([_study_scored(pairs, codes) for codes in order_codes]) for n, order_codes in per_order.items()}


def _beside(roles: list[list[str]], vectors: list[np.ndarray], items: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray] | None:
    """The question and neighbours vectors (`engine.answer_context`) of each item (interview, turn position);
    None for a reference commit's engine (benchmarks/coding.py), which adapts to decisions read alone."""
    try:
        from research.coding.engine import answer_context
    except ImportError:
        return None

    context = {}
    for k, (per_roles, per_vectors) in enumerate(zip(roles, vectors)):
        customer, question, neighbours = answer_context(per_roles, per_vectors)
        context |= {(k, position): (question[n], neighbours[n]) for n, position in enumerate(customer)}
    return np.stack([context[item][0] for item in items]), np.stack([context[item][1] for item in items])


def labelled_utterances(db, scripts: list[dict], timings: dict) -> list[tuple[dict, dict]]:
    """(utterance row, the script turn it overlaps most) for every customer utterance of a coded demo study."""
    interviews = {row["id"]: row["code"] for row in db.query("SELECT id, code FROM interviews")}
    by_file = {script["id"]: script for script in scripts}
    out = []
    for row in db.query("SELECT id, interview_id, role, start, end, text FROM utterances ORDER BY interview_id, idx"):
        if not (row["role"] or "").startswith("customer"):
            continue
        script_id = f"int-{interviews[row['interview_id']].split('-')[1][-2:]}"
        spans = timings.get(script_id, [])
        overlaps = [(min(row["end"], t["end"]) - max(row["start"], t["start"]), t["turn"]) for t in spans]
        overlap, turn = max(overlaps, default=(0, None))
        if turn is not None and overlap > 0:
            out.append((row, by_file[script_id]["turns"][turn]))
    return out


def engine_codes(engine: CodingEngine, db, model: str) -> dict[int, list[str]]:
    """What an engine suggests for every interview of a study (nothing is stored)."""
    from research.coding.stage import interview_turns, utterance_vectors

    codes: dict[int, list[str]] = {}
    for interview in db.query("SELECT id FROM interviews"):
        rows = interview_turns(db, interview["id"])
        turns = [Turn(r["id"], r["role"], r["text"]) for r in rows]
        for suggestion in engine.code(turns, utterance_vectors(db, rows, model)):
            codes.setdefault(suggestion.turn_id, []).append(suggestion.code_key)
    return codes


def evaluate_study(db, scripts: list[dict], timings: dict, codes: dict[int, list[str]] | None = None) -> CodingScores:
    """Stage and emotion macro-F1 on the study's (speech-recognised) utterances: of the stored
    suggestions, or of `codes` (e.g. from `engine_codes`)."""
    pairs = labelled_utterances(db, scripts, timings)
    if codes is None:
        codes = {}
        for row in db.query("SELECT utterance_id, code_key FROM codings WHERE status != 'rejected'"):
            codes.setdefault(row["utterance_id"], []).append(row["code_key"])
    gold_stage = [turn.get("stage") or "none" for _, turn in pairs]
    predicted_stage = [next((c.split(":")[1] for c in codes.get(u["id"], []) if c.startswith("stage:")), "none") for u, _ in pairs]
    gold_emotions = [set(turn.get("emotions") or []) for _, turn in pairs]
    predicted_emotions = [{c.split(":")[1] for c in codes.get(u["id"], []) if c.startswith("emotion:")} for u, _ in pairs]
    return scores(gold_stage, predicted_stage, gold_emotions, predicted_emotions)


JOURNEY_STAGE_LABELS = {"Discovery": "discovery", "Decision/Purchase": "decision", "Adoption": "adoption", "Retention": "retention", "Advocacy": "advocacy"}


@dataclass(frozen=True)
class LabelledUtterance:
    """A customer utterance with its journey stage (a codebook code id) and emotion, coded alone."""

    text: str
    stage: str
    emotion: str


def read_journey_stages(path: Path) -> list[LabelledUtterance]:
    """`journey-stages-dev/stages.tsv` (columns stage, emotion, text)."""
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [LabelledUtterance(row["text"], JOURNEY_STAGE_LABELS[row["stage"]], row["emotion"]) for row in rows]


def code_alone(engine: CodingEngine, texts: list[str], vectors: np.ndarray | None = None) -> list[list[str]]:
    """The code keys suggested for each text, each coded as a one-utterance interview (no question, no neighbours)."""
    vectors = embed(texts) if vectors is None else vectors
    out: list[list[str]] = []
    for n, text in enumerate(texts):
        out.append([s.code_key for s in engine.code([Turn(n, "customer", text)], vectors[n : n + 1])])
    return out


def evaluate_utterances(engine: CodingEngine, items: list[LabelledUtterance], vectors: np.ndarray | None = None) -> CodingScores:
    """Stage and emotion macro-F1 on utterances coded alone."""
    return _scored(items, code_alone(engine, [item.text for item in items], vectors))


def _scored(items: list[LabelledUtterance], codes: list[list[str]]) -> CodingScores:
    return scores(
        [item.stage for item in items],
        [next((c.split(":")[1] for c in keys if c.startswith("stage:")), "none") for keys in codes],
        [{item.emotion} for item in items],
        [{c.split(":")[1] for c in keys if c.startswith("emotion:")} for keys in codes],
    )


def researcher_decisions(item_id: int, item: LabelledUtterance, suggested: list[str]) -> list[tuple[int, str, str]]:
    """What a researcher who knows the labels does with one utterance's stage and emotion suggestions:
    accept the right ones, reject the wrong ones, add the right code where it was missing."""
    return labelled_decisions(item_id, {"stage": {item.stage}, "emotion": {item.emotion}}, suggested)


def labelled_decisions(item_id: int, truth: dict[str, set[str]], suggested: list[str]) -> list[tuple[int, str, str]]:
    """The same for any labels: `truth[group]` the right code ids of each group (empty: none of the group's codes)."""
    decisions = []
    for group, right in truth.items():
        keys = [key for key in suggested if key.startswith(group + ":")]
        decisions += [(item_id, key, "accepted" if key.split(":")[1] in right else "rejected") for key in keys]
        decisions += [(item_id, f"{group}:{code}", "accepted") for code in sorted(right) if f"{group}:{code}" not in keys]
    return decisions


def learned_from(engine: CodingEngine, decisions: list[tuple[int, str, str]], texts: list[str], vectors: np.ndarray, background: dict, beside: tuple[np.ndarray, np.ndarray] | None = None):
    """What `--learn` hands the engine after these decisions on utterances (ids index `texts` and `vectors`),
    each decided in its interview (`beside`: the question and neighbours vectors of each, see
    `engine.answer_context`) or, without it, alone."""
    from research.coding.learned import LearnedModels, decision_labels, train

    labels = decision_labels(engine.codebook, decisions)
    single = {key for key in labels if engine.codebook.codes[key][0].kind == "single"}
    features = np.hstack([vectors, np.zeros_like(vectors)])
    models = train({key: (features[list(per)], np.array(list(per.values()))) for key, per in labels.items() if key not in single}, background)
    return _learned(LearnedModels, models.codes, decisions, texts, vectors, beside)


def learning_curve(engine: CodingEngine, items: list[LabelledUtterance], sizes: list[int], seeds: int = 5, folds: int = 4) -> dict[int, tuple[float, float, float, float]]:
    """{utterances decided: (stage macro-F1, emotion macro-F1, lowest and highest stage macro-F1 of one order)}. In each of `seeds` random orders the
    utterances fall into `folds` folds; each fold is coded after a researcher decided the first n
    utterances of the other folds and `--learn` trained on them. The folds' codes are scored together
    (every utterance once) and the scores averaged over the orders. n is at most the other folds' size."""
    texts = [item.text for item in items]
    vectors = embed(texts)
    per_order = _curve(engine, len(items), sizes, seeds, folds, lambda: code_alone(engine, texts, vectors),
                       lambda i, suggested: researcher_decisions(i, items[i], suggested), texts, vectors,
                       lambda held: code_alone(engine, [texts[i] for i in held], vectors[held]))
    return {n: _mean([_scored(items, codes) for codes in rows]) for n, rows in per_order.items()}


def study_learning_curve(engine: CodingEngine, db, scripts: list[dict], timings: dict, model: str, sizes: list[int], seeds: int = 5, folds: int = 4) -> dict[int, tuple[float, float, float, float]]:
    """The same learning curve on a coded demo study's labelled customer utterances, each coded in its
    interview (questions and neighbouring turns), and each decided as the labels of its script turn say."""
    from research.coding.stage import interview_turns, utterance_vectors

    pairs = labelled_utterances(db, scripts, timings)
    rows = [row for row, _ in pairs]
    texts = [row["text"] for row in rows]
    vectors = utterance_vectors(db, rows, model)
    truths = [{"stage": {turn["stage"]} if turn.get("stage") else set(), "emotion": set(turn.get("emotions") or [])} for _, turn in pairs]
    interviews = [interview_turns(db, row["id"]) for row in db.query("SELECT id FROM interviews")]
    position = {t["id"]: (k, n) for k, turns in enumerate(interviews) for n, t in enumerate(turns)}
    beside = _beside([[t["role"] for t in turns] for turns in interviews], [utterance_vectors(db, turns, model) for turns in interviews], [position[row["id"]] for row in rows])

    def study_codes() -> list[list[str]]:
        codes = engine_codes(engine, db, model)
        return [codes.get(row["id"], []) for row in rows]

    def fold_codes(held: np.ndarray) -> list[list[str]]:
        wanted = {rows[i]["id"] for i in held}
        codes: dict[int, list[str]] = {}
        for turns in interviews:
            if wanted & {t["id"] for t in turns}:
                for suggestion in engine.code([Turn(t["id"], t["role"], t["text"]) for t in turns], utterance_vectors(db, turns, model)):
                    codes.setdefault(suggestion.turn_id, []).append(suggestion.code_key)
        return [codes.get(rows[i]["id"], []) for i in held]

    per_order = _curve(engine, len(rows), sizes, seeds, folds, study_codes, lambda i, suggested: labelled_decisions(i, truths[i], suggested), texts, vectors, fold_codes, beside)
    return {n: _mean([_study_scored(pairs, codes) for codes in order_codes]) for n, order_codes in per_order.items()}


def _curve(engine: CodingEngine, count: int, sizes: list[int], seeds: int, folds: int, code_all, decide, texts: list[str], vectors: np.ndarray, code_held, beside: tuple[np.ndarray, np.ndarray] | None = None) -> dict[int, list[list[list[str]]]]:
    """{n: per order, the code keys of every item}, each fold coded after `--learn` on n decided items of the others."""
    from research.coding.learned import LearnedModels, codebook_background

    engine.adapt(LearnedModels({}))
    suggested = code_all()
    background = codebook_background(engine.codebook, engine.prototypes.examples)
    results: dict[int, list[list[list[str]]]] = {n: [] for n in sizes}
    for seed in range(seeds):
        order = np.random.default_rng(seed).permutation(count)
        parts = np.array_split(order, folds)
        for n in sizes:
            codes: dict[int, list[str]] = {}
            for held in parts:
                pool = [int(i) for i in order if i not in held][:n]
                engine.adapt(learned_from(engine, [d for i in pool for d in decide(i, suggested[i])], texts, vectors, background, beside))
                codes |= dict(zip(held.tolist(), code_held(held)))
            results[n].append([codes[i] for i in range(count)])
    engine.adapt(LearnedModels({}))
    return results


def _mean(rows: list[CodingScores]) -> tuple[float, float, float, float]:
    """Mean stage and emotion macro-F1 over the orders, then the lowest and highest stage macro-F1 of one order."""
    stage = [r.stage_macro_f1 for r in rows]
    return float(np.mean(stage)), float(np.mean([r.emotion_macro_f1 for r in rows])), float(min(stage)), float(max(stage))


def _study_scored(pairs: list[tuple[dict, dict]], codes: list[list[str]]) -> CodingScores:
    return scores(
        [turn.get("stage") or "none" for _, turn in pairs],
        [next((c.split(":")[1] for c in keys if c.startswith("stage:")), "none") for keys in codes],
        [set(turn.get("emotions") or []) for _, turn in pairs],
        [{c.split(":")[1] for c in keys if c.startswith("emotion:")} for keys in codes],
    )


def _learned(learned_models: type, codes: dict, decisions: list[tuple[int, str, str]], texts: list[str], vectors: np.ndarray, beside: tuple[np.ndarray, np.ndarray] | None = None):
    """What `--learn` hands the engine after these decisions. A reference commit's engine (benchmarks/coding.py)
    takes the single-choice groups' accepted utterances instead of the decisions, or decisions without what was beside them."""
    if "decided" in learned_models.__dataclass_fields__:
        from research.coding.learned import Decided

        if beside is not None and "question" in Decided.__dataclass_fields__:
            return learned_models(codes, [Decided(key, texts[i], vectors[i], status == "accepted", beside[0][i], beside[1][i]) for i, key, status in decisions])
        return learned_models(codes, [Decided(key, texts[i], vectors[i], status == "accepted") for i, key, status in decisions])
    accepted: dict[str, list[int]] = {}
    for i, key, status in decisions:
        if status == "accepted" and key.startswith("stage:"):
            accepted.setdefault(key, []).append(i)
    return learned_models(codes, {key: vectors[rows] for key, rows in accepted.items()})


def meld_macro_f1(emotions, path: Path, goemotions: Path) -> float:
    """MELD (spoken dialogue): macro-F1 over its 7 classes (Ekman + neutral). Each utterance takes the Ekman
    class whose score is furthest above its GoEmotions-tuned threshold, or neutral when none passes."""
    from research.coding.emotion_model import HEAD_FILE
    from research.coding.train_emotion_model import ekman_matrix, to_ekman

    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    classes, matrix = ekman_matrix(goemotions, emotions.labels)
    thresholds = np.array(json.loads(str(np.load(HEAD_FILE)["meta"]))["ekman_thresholds"])
    ratio = to_ekman(emotions.predict([row["Utterance"] for row in rows]), matrix) / thresholds
    predicted = [classes[int(c)] if ratio[n, c] >= 1 else "neutral" for n, c in enumerate(np.where(np.array(classes) == "neutral", 0, ratio).argmax(axis=1))]
    return float(f1_score([row["Emotion"] for row in rows], predicted, labels=classes, average="macro", zero_division=0))
