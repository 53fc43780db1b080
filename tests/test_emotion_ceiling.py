"""The MELD ceiling benchmark's decision rule and dialogue context (benchmarks/emotion_ceiling.py)."""

import csv
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parent.parent
MELD = ROOT.parent / "shared" / "data" / "emotion-meld-dialogue" / "dev_sent_emo.csv"
GOEMOTIONS = ROOT.parent / "shared" / "data" / "goemotions"
CLASSES = ["anger", "joy", "neutral"]


def ceiling():
    spec = importlib.util.spec_from_file_location("emotion_ceiling", ROOT / "benchmarks" / "emotion_ceiling.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_previous_line_stays_inside_each_dialogue():
    assert ceiling().previous_line(np.array(["7", "7", "9", "9", "9"])).tolist() == [0, 0, 2, 2, 3]


def test_neutral_unless_an_emotion_reaches_the_margin():
    ratio = np.array([[1.3, 0.2, 9.0], [0.9, 0.5, 0.1], [0.4, 1.1, 0.0]])  # the neutral column never competes
    decide = ceiling().decide
    assert decide(ratio, CLASSES, 1.0).tolist() == ["anger", "neutral", "joy"]
    assert decide(ratio, CLASSES, 1.2).tolist() == ["anger", "neutral", "neutral"]


def test_context_mixes_in_the_previous_line():
    ratio = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    mixed = ceiling().with_context(ratio, np.array([0, 0]), 0.25)
    assert mixed.tolist() == [[1.0, 0.0, 0.0], [0.25, 0.75, 0.0]]


@pytest.mark.skipif(not MELD.is_file(), reason="MELD dev is not in ../shared/data")
def test_zero_shot_rule_is_the_one_coding_evaluates_with(tmp_path):
    """At tau 1 and no context, the benchmark's rule gives what research.coding.evaluate scores MELD with."""
    from research.coding.emotion_model import HEAD_FILE, EmotionModel
    from research.coding.evaluate import meld_macro_f1
    from research.coding.train_emotion_model import ekman_matrix, to_ekman

    with MELD.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = [row for _, row in zip(range(120), reader)]
    subset = tmp_path / "meld.csv"
    with subset.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    model = EmotionModel.load()
    classes, matrix = ekman_matrix(GOEMOTIONS, model.labels)
    thresholds = np.array(json.loads(str(np.load(HEAD_FILE)["meta"]))["ekman_thresholds"])
    ratio = to_ekman(model.predict([row["Utterance"] for row in rows]), matrix) / thresholds
    predicted = ceiling().decide(ratio, classes, 1.0)
    gold = [row["Emotion"] for row in rows]
    expected = f1_score(gold, predicted, labels=classes, average="macro", zero_division=0)
    assert meld_macro_f1(model, subset, GOEMOTIONS) == pytest.approx(expected)
