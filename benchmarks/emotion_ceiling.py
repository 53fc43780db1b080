"""How far the installable models can go on MELD: a diagnostic ceiling for the emotion goal.

    python benchmarks/emotion_ceiling.py                          # the packaged MiniLM
    python benchmarks/emotion_ceiling.py --encoder PATH [PATH ...] # also any sentence-transformers folder

Every score is cross-validated over folds of whole MELD dev dialogues (GroupKFold on Dialogue_ID), so no
dialogue, and none of its speakers' lines, is on both sides of a split.

- Zero-shot: the shipped emotion model (trained on GoEmotions, never on MELD) with its GoEmotions
  thresholds; then the two changes the goal asks for, each parameter chosen on the other folds' dialogues
  and scored on the held-out fold: a neutral margin (an Ekman class wins only when its score is `tau`
  times its threshold) and dialogue context (the previous line's scores mixed in with weight `lambda`).
- In-domain ceiling: a balanced logistic regression trained on MELD dev itself, on the sentence
  embedding, on the emotion model's 28 GoEmotions log-odds, on both, and on both plus the same features
  of the dialogue's previous line. The shipped model cannot beat what a head trained in domain reaches.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
MELD = SHARED / "emotion-meld-dialogue" / "dev_sent_emo.csv"
FOLDS = 5
TAUS = (0.6, 0.8, 1.0, 1.2, 1.5, 2.0)
LAMBDAS = (0.0, 0.1, 0.2, 0.3, 0.5)


def cpu_seconds() -> float:
    """CPU time of this process and its threads (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def previous_line(dialogues: np.ndarray) -> np.ndarray:
    """Index of each line's previous line in the same dialogue (itself for a dialogue's first line)."""
    return np.array([i - 1 if i and dialogues[i - 1] == dialogues[i] else i for i in range(len(dialogues))])


def decide(ratio: np.ndarray, classes: list[str], tau: float) -> np.ndarray:
    """The Ekman class furthest above its threshold (score / threshold), or neutral when none reaches tau."""
    others = np.where(np.array(classes) == "neutral", 0, ratio)
    best = others.argmax(axis=1)
    return np.where(others[np.arange(len(best)), best] >= tau, np.array(classes)[best], "neutral")


def with_context(ratio: np.ndarray, previous: np.ndarray, weight: float) -> np.ndarray:
    return (1 - weight) * ratio + weight * ratio[previous]


def zero_shot(ratio: np.ndarray, labels: np.ndarray, dialogues: np.ndarray, classes: list[str]) -> None:
    """The shipped model's macro-F1, then neutral margin and context chosen by cross-validation over dialogues."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GroupKFold

    def macro(pred: np.ndarray, rows: np.ndarray) -> float:
        return f1_score(labels[rows], pred[rows], labels=classes, average="macro", zero_division=0)

    every = np.arange(len(labels))
    previous = previous_line(dialogues)
    print(f"shipped emotion model, zero-shot (GoEmotions thresholds): macro-F1 {macro(decide(ratio, classes, 1.0), every):.3f}")
    grid = [(tau, weight) for tau in TAUS for weight in LAMBDAS]
    predictions = {(tau, weight): decide(with_context(ratio, previous, weight), classes, tau) for tau, weight in grid}
    for name, options in [("neutral margin", [(tau, 0.0) for tau in TAUS]), ("context", [(1.0, w) for w in LAMBDAS]), ("both", grid)]:
        chosen, out_of_fold = [], np.empty(len(labels), dtype=object)
        for train, test in GroupKFold(FOLDS).split(ratio, labels, dialogues):
            best = max(options, key=lambda option: macro(predictions[option], train))
            chosen.append(best)
            out_of_fold[test] = predictions[best][test]
        print(f"  + {name:<15} chosen per fold on the other dialogues {chosen}: cross-validated macro-F1 {macro(out_of_fold, every):.3f}")


def in_domain(features: dict[str, np.ndarray], labels: np.ndarray, dialogues: np.ndarray, strengths=(0.1, 1.0)) -> None:
    """Balanced logistic regression trained on MELD dev, scored over held-out dialogues, per feature set and C."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GroupKFold, cross_val_predict

    for name, matrix in features.items():
        scores = []
        for strength in strengths:
            model = LogisticRegression(C=strength, max_iter=3000, class_weight="balanced")
            predicted = cross_val_predict(model, matrix, labels, cv=GroupKFold(FOLDS), groups=dialogues)
            scores.append(f"C={strength}: macro-F1 {f1_score(labels, predicted, average='macro'):.3f} weighted-F1 {f1_score(labels, predicted, average='weighted'):.3f}")
        print(f"  trained on MELD dev, {name}: " + "; ".join(scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", nargs="*", default=[], help="sentence-transformers model folders (or hub ids, online) to compare")
    args = parser.parse_args()
    if not MELD.is_file():
        raise SystemExit(f"{MELD} is absent: nothing to measure")
    from research.coding.emotion_model import HEAD_FILE, EmotionModel
    from research.coding.train_emotion_model import ekman_matrix, to_ekman
    from research.embeddings import PACKAGED, load_encoder

    with MELD.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    texts, labels = [row["Utterance"] for row in rows], np.array([row["Emotion"] for row in rows])
    dialogues = np.array([row["Dialogue_ID"] for row in rows])
    print(f"MELD dev: {len(rows)} utterances in {len(set(dialogues))} dialogues, 7 classes; {FOLDS} folds of whole dialogues; load {os.getloadavg()[0]:.1f}")
    model = EmotionModel.load()
    started = cpu_seconds()
    probabilities = model.predict(texts)
    print(f"emotion model read them in {cpu_seconds() - started:.1f} CPU s")
    classes, matrix = ekman_matrix(SHARED / "goemotions", model.labels)
    thresholds = np.array(json.loads(str(np.load(HEAD_FILE)["meta"]))["ekman_thresholds"])
    zero_shot(to_ekman(probabilities, matrix) / thresholds, labels, dialogues, classes)

    clipped = np.clip(probabilities, 1e-4, 1 - 1e-4)
    log_odds = np.log(clipped / (1 - clipped))
    previous = previous_line(dialogues)
    for name in [PACKAGED, *(str(path) for path in args.encoder)]:
        started = cpu_seconds()
        vectors = load_encoder(name).encode(texts, batch_size=64, normalize_embeddings=True)
        print(f"{name}: embedded in {cpu_seconds() - started:.1f} CPU s")
        both = np.hstack([vectors, log_odds / 10])  # log-odds reach about ±9; scaled to the unit vectors' range
        in_domain({"embedding": vectors, "GoEmotions log-odds": log_odds, "embedding + log-odds": both, "embedding + log-odds, with the previous line's": np.hstack([both, both[previous]])}, labels, dialogues)


if __name__ == "__main__":
    main()
