"""Fine-tune MiniLM's top layers on GoEmotions (`goemotions-minilm.npz`); report Ekman macro-F1 on dev.

    python -m research.coding.train_emotion_model ../shared/data/goemotions [--epochs 3] [--layers 2]

Trains on train.tsv, with 4,000 rows held out to tune the thresholds and pick the epoch, and
evaluates on dev.tsv; the test split is never read. The lower layers stay frozen, so their
output is computed once; each epoch then takes about 4 minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import f1_score

from research.coding.emotion_model import HEAD_FILE, EmotionModel, TunedTop, encoder_layers, frozen_hidden

HELD_OUT = 4000
THRESHOLDS = np.arange(0.05, 0.9, 0.025)
BATCH_SIZE = 32
LAYER_RATE, HEAD_RATE = 5e-5, 1e-3
WARMUP = 0.06


@dataclass
class Split:
    texts: list[str]
    labels: np.ndarray  # (rows, 28) multi-hot


@dataclass
class Batch:
    rows: np.ndarray
    hidden: torch.Tensor  # float16, below the tuned layers
    mask: torch.Tensor


def read_split(folder: Path, name: str, labels: list[str]) -> Split:
    with (folder / f"{name}.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    y = np.zeros((len(rows), len(labels)), dtype=np.float32)
    for i, row in enumerate(rows):
        for label in row[1].split(","):
            y[i, int(label)] = 1
    return Split([row[0] for row in rows], y)


def ekman_matrix(folder: Path, labels: list[str]) -> tuple[list[str], np.ndarray]:
    """(Ekman class names incl. neutral, a labels×classes 0/1 matrix)."""
    mapping = json.loads((folder / "ekman_mapping.json").read_text()) | {"neutral": ["neutral"]}
    classes = list(mapping)
    matrix = np.zeros((len(labels), len(classes)), dtype=np.float32)
    for c, members in enumerate(mapping.values()):
        for member in members:
            matrix[labels.index(member), c] = 1
    return classes, matrix


def to_ekman(probabilities: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    return 1 - np.exp(np.log(np.clip(1 - probabilities, 1e-6, 1)) @ matrix)


def best_thresholds(probabilities: np.ndarray, truth: np.ndarray) -> np.ndarray:
    return np.array([max(THRESHOLDS, key=lambda t, k=k: f1_score(truth[:, k], probabilities[:, k] >= t, zero_division=0)) for k in range(truth.shape[1])])


def hidden_batches(texts: list[str], rows: np.ndarray, first_tuned: int, size: int) -> list[Batch]:
    """The frozen layers' output for `rows`, in batches of similar length."""
    rows = rows[np.argsort([len(texts[i]) for i in rows], kind="stable")]
    batches = []
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        hidden, mask = frozen_hidden([texts[i] for i in chunk], first_tuned)
        batches.append(Batch(chunk, hidden.half(), mask))
    return batches


def predict(top: TunedTop, batches: list[Batch], rows: int) -> np.ndarray:
    top.eval()
    out = np.zeros((rows, top.head.out_features), dtype=np.float32)
    with torch.inference_mode():
        for batch in batches:
            out[batch.rows] = torch.sigmoid(top(batch.hidden.float(), batch.mask)).numpy()
    return out


def ekman_f1(probabilities: np.ndarray, labels: np.ndarray, matrix: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    truth = (labels @ matrix > 0).astype(int)
    return f1_score(truth, to_ekman(probabilities, matrix) >= thresholds, average=None, zero_division=0)


def train(folder: Path, out: Path, epochs: int = 3, tuned_layers: int = 2) -> dict:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    labels = [line.strip() for line in (folder / "emotions.txt").read_text().splitlines() if line.strip()]
    classes, matrix = ekman_matrix(folder, labels)
    train_split, dev = read_split(folder, "train", labels), read_split(folder, "dev", labels)
    order = rng.permutation(len(train_split.texts))
    fit_rows, held_rows = order[HELD_OUT:], np.sort(order[:HELD_OUT])
    layers = encoder_layers()
    first_tuned = len(layers) - tuned_layers
    started = time.perf_counter()
    fit = hidden_batches(train_split.texts, fit_rows, first_tuned, BATCH_SIZE)
    held = hidden_batches(train_split.texts, held_rows, first_tuned, 256)
    dev_batches = hidden_batches(dev.texts, np.arange(len(dev.texts)), first_tuned, 256)
    print(f"frozen layers: {time.perf_counter() - started:.0f} s", flush=True)

    top = TunedTop(layers[first_tuned:], len(labels))
    ekman_head = torch.nn.Linear(top.head.in_features, len(classes))  # an auxiliary target while training
    optimizer = torch.optim.AdamW(
        [{"params": top.layers.parameters(), "lr": LAYER_RATE}, {"params": [*top.head.parameters(), *ekman_head.parameters()], "lr": HEAD_RATE}], weight_decay=0.01
    )
    steps = epochs * len(fit)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, step / (WARMUP * steps)) * max(0.0, 1 - step / steps))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    ekman_truth = torch.from_numpy((train_split.labels @ matrix > 0).astype(np.float32))
    best: tuple[float, dict] = (-1.0, {})
    for epoch in range(epochs):
        top.train()
        started = time.perf_counter()
        for index in rng.permutation(len(fit)):
            batch = fit[index]
            pooled = top.dropout(top.pooled(batch.hidden.float(), batch.mask))
            loss = loss_fn(top.head(pooled), torch.from_numpy(train_split.labels[batch.rows])) + loss_fn(ekman_head(pooled), ekman_truth[batch.rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        held_probs = predict(top, held, len(train_split.texts))[held_rows]
        truth = (train_split.labels[held_rows] @ matrix > 0).astype(int)
        score = ekman_f1(held_probs, train_split.labels[held_rows], matrix, best_thresholds(to_ekman(held_probs, matrix), truth)).mean()
        print(f"epoch {epoch + 1}: {time.perf_counter() - started:.0f} s, held-out Ekman macro-F1 {score:.3f}", flush=True)
        if score > best[0]:
            best = (score, copy.deepcopy(top.state_dict()))
    top.load_state_dict(best[1])
    held_probs = predict(top, held, len(train_split.texts))[held_rows]
    ekman_thresholds = best_thresholds(to_ekman(held_probs, matrix), (train_split.labels[held_rows] @ matrix > 0).astype(int))
    model = EmotionModel(labels, best_thresholds(held_probs, train_split.labels[held_rows]), top, first_tuned)
    per_class = ekman_f1(predict(top, dev_batches, len(dev.texts)), dev.labels, matrix, ekman_thresholds)
    model.save(out, {"ekman_classes": classes, "ekman_thresholds": [float(t) for t in ekman_thresholds]})
    return {"ekman_macro_f1": float(per_class.mean()), "ekman_f1": dict(zip(classes, map(float, per_class))), "dev_rows": len(dev.texts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the goemotions folder (train.tsv, dev.tsv, emotions.txt, ekman_mapping.json)")
    parser.add_argument("--out", type=Path, default=HEAD_FILE)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--layers", type=int, default=2, help="how many of MiniLM's top layers to fine-tune")
    args = parser.parse_args()
    print(json.dumps(train(args.data, args.out, args.epochs, args.layers), indent=2))


if __name__ == "__main__":
    main()
