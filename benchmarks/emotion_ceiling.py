"""How far frozen sentence embeddings can go on MELD: a diagnostic ceiling for the emotion goal.

    python benchmarks/emotion_ceiling.py                          # the packaged MiniLM
    python benchmarks/emotion_ceiling.py --encoder PATH [PATH ...] # also any sentence-transformers folder

Trains a balanced logistic regression on MELD dev itself (../shared/data/emotion-meld-dialogue) and scores
it by 5-fold cross-validation: an in-domain upper bound for any head on these features, which the shipped
emotion model (trained on GoEmotions, never on MELD) cannot beat. Prints macro- and weighted-F1 per encoder
and regularisation strength, beside the shipped model's zero-shot macro-F1 from the same run.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
MELD = SHARED / "emotion-meld-dialogue" / "dev_sent_emo.csv"


def cross_validated(features, labels, strengths=(0.5, 2.0, 8.0)) -> list[tuple[float, float, float]]:
    """(C, macro-F1, weighted-F1) of a balanced logistic regression, 5-fold stratified, per C."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    scores = []
    for strength in strengths:
        model = LogisticRegression(C=strength, max_iter=3000, class_weight="balanced")
        predicted = cross_val_predict(model, features, labels, cv=folds)
        scores.append((strength, f1_score(labels, predicted, average="macro"), f1_score(labels, predicted, average="weighted")))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", nargs="*", default=[], help="sentence-transformers model folders (or hub ids, online) to compare")
    args = parser.parse_args()
    if not MELD.is_file():
        raise SystemExit(f"{MELD} is absent: nothing to measure")
    from research.coding.evaluate import meld_macro_f1
    from research.coding.emotion_model import EmotionModel
    from research.embeddings import PACKAGED, load_encoder

    rows = list(csv.DictReader(MELD.open(encoding="utf-8")))
    texts, labels = [row["Utterance"] for row in rows], [row["Emotion"] for row in rows]
    print(f"MELD dev: {len(rows)} utterances, 7 classes")
    print(f"shipped emotion model, zero-shot: macro-F1 {meld_macro_f1(EmotionModel.load(), MELD, SHARED / 'goemotions'):.3f}")
    for name in [PACKAGED, *(str(path) for path in args.encoder)]:
        started = time.process_time()
        features = load_encoder(name).encode(texts, batch_size=64, normalize_embeddings=True)
        print(f"{name}: embedded in {time.process_time() - started:.1f} CPU s")
        for strength, macro, weighted in cross_validated(features, labels):
            print(f"  trained on MELD dev, 5-fold CV, C={strength}: macro-F1 {macro:.3f}, weighted-F1 {weighted:.3f}")


if __name__ == "__main__":
    main()
