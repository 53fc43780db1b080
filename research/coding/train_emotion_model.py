"""Train the GoEmotions head (`goemotions-head.npz`) and report Ekman macro-F1 on the dev split.

    python -m research.coding.train_emotion_model ../shared/data/goemotions

Trains on train.tsv (4,000 rows held out to tune thresholds), evaluates on dev.tsv; the test
split is never read.
"""

from __future__ import annotations

import argparse
import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier

from research.coding.emotion_model import HEAD_FILE, EmotionModel
from research.embeddings import embed

HELD_OUT = 4000
THRESHOLDS = np.arange(0.05, 0.9, 0.025)


@dataclass
class Split:
    texts: list[str]
    labels: np.ndarray  # (rows, 28) multi-hot


def read_split(folder: Path, name: str, labels: list[str]) -> Split:
    with (folder / f"{name}.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    y = np.zeros((len(rows), len(labels)), dtype=np.int8)
    for i, row in enumerate(rows):
        for label in row[1].split(","):
            y[i, int(label)] = 1
    return Split([row[0] for row in rows], y)


def ekman_matrix(folder: Path, labels: list[str]) -> tuple[list[str], np.ndarray]:
    """(Ekman class names incl. neutral, a labels×classes 0/1 matrix)."""
    mapping = json.loads((folder / "ekman_mapping.json").read_text()) | {"neutral": ["neutral"]}
    classes = list(mapping)
    matrix = np.zeros((len(labels), len(classes)))
    for c, members in enumerate(mapping.values()):
        for member in members:
            matrix[labels.index(member), c] = 1
    return classes, matrix


def to_ekman(probabilities: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    return 1 - np.exp(np.log(np.clip(1 - probabilities, 1e-6, 1)) @ matrix)


def best_thresholds(probabilities: np.ndarray, truth: np.ndarray) -> np.ndarray:
    return np.array([max(THRESHOLDS, key=lambda t, k=k: f1_score(truth[:, k], probabilities[:, k] >= t, zero_division=0)) for k in range(truth.shape[1])])


def train(folder: Path, out: Path, embeddings_cache: Path | None = None) -> dict:
    labels = [line.strip() for line in (folder / "emotions.txt").read_text().splitlines() if line.strip()]
    train_split, dev = read_split(folder, "train", labels), read_split(folder, "dev", labels)
    x_train, x_dev = (_embeddings(s.texts, name, embeddings_cache) for s, name in ((train_split, "train"), (dev, "dev")))
    order = np.random.default_rng(0).permutation(len(train_split.texts))
    fit, held = order[HELD_OUT:], order[:HELD_OUT]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=20000).fit([train_split.texts[i] for i in fit])
    model = EmotionModel(labels, vectorizer, np.zeros(0), np.zeros(0), np.zeros(0))
    classifier = OneVsRestClassifier(LogisticRegression(C=4.0, max_iter=300), n_jobs=2)
    classifier.fit(model.features([train_split.texts[i] for i in fit], x_train[fit]), train_split.labels[fit])
    model.coef = np.stack([e.coef_[0] for e in classifier.estimators_], axis=1).astype(np.float32)
    model.intercept = np.array([e.intercept_[0] for e in classifier.estimators_], dtype=np.float32)
    held_probs = model.predict([train_split.texts[i] for i in held], x_train[held])
    model.thresholds = best_thresholds(held_probs, train_split.labels[held])
    classes, matrix = ekman_matrix(folder, labels)
    ekman_thresholds = best_thresholds(to_ekman(held_probs, matrix), (train_split.labels[held] @ matrix > 0).astype(int))
    predicted = to_ekman(model.predict(dev.texts, x_dev), matrix) >= ekman_thresholds
    truth = (dev.labels @ matrix > 0).astype(int)
    report = {
        "ekman_macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
        "ekman_f1": dict(zip(classes, map(float, f1_score(truth, predicted, average=None, zero_division=0)))),
        "dev_rows": len(dev.texts),
    }
    _save(model, out, {"ekman_classes": classes, "ekman_thresholds": [float(t) for t in ekman_thresholds]})
    return report


def _embeddings(texts: list[str], name: str, cache: Path | None) -> np.ndarray:
    path = cache / f"{name}.npy" if cache else None
    if path and path.is_file():
        return np.load(path)
    vectors = embed(texts, batch_size=128, progress=True)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors


def _save(model: EmotionModel, out: Path, extra: dict) -> None:
    vocabulary = sorted(model.vectorizer.vocabulary_, key=model.vectorizer.vocabulary_.get)
    meta = {"labels": model.labels, "ngram_range": list(model.vectorizer.ngram_range), "embedding": "all-MiniLM-L6-v2"} | extra
    np.savez_compressed(
        out, vocabulary=np.array(vocabulary), idf=model.vectorizer.idf_.astype(np.float32), coef=model.coef.astype(np.float16),
        intercept=model.intercept, thresholds=model.thresholds, meta=np.array(json.dumps(meta)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the goemotions folder (train.tsv, dev.tsv, emotions.txt, ekman_mapping.json)")
    parser.add_argument("--out", type=Path, default=HEAD_FILE)
    parser.add_argument("--cache", type=Path, help="keep the MiniLM embeddings of train/dev here between runs")
    args = parser.parse_args()
    report = train(args.data, args.out, args.cache)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
