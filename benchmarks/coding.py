"""Coding accuracy and speed.

    python benchmarks/coding.py [--study demo-study]

- Stage and emotion macro-F1 on the demo scripts' labels (never used in training), for the full
  engine and two baselines run side by side: keywords only, and embedding zero-shot only.
- The same on a coded demo study's speech-recognised utterances, when --study is given.
- GoEmotions dev split, Ekman macro-F1 of the committed emotion head (needs ../shared/data).
- Time to code a 60-minute interview (demo turns repeated to ~400 customer utterances), 2 threads.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import f1_score

from research import codebook as codebooks
from research.coding.emotion_model import HEAD_FILE, EmotionModel
from research.coding.engine import CodingEngine
from research.coding.evaluate import engine_codes, evaluate, evaluate_study, script_turns
from research.coding.rules import RuleMatcher
from research.coding.train_emotion_model import ekman_matrix, read_split, to_ekman
from research.demo_corpus import DEMO_DIR, reference_scripts
from research.embeddings import embed
from research.fivews import extract_five_ws
from research.nlp import load_spacy

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def show(name: str, scores) -> None:
    print(f"{name:<22} stage macro-F1 {scores.stage_macro_f1:.3f}  emotion macro-F1 {scores.emotion_macro_f1:.3f}  ({scores.turns} customer turns)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--study", type=Path, help="a demo study coded with `research demo`")
    args = parser.parse_args()
    torch.set_num_threads(2)
    book = codebooks.load(codebooks.resolve("cx-journey"))
    rules = RuleMatcher(book, load_spacy(("parser", "ner")))
    emotions = EmotionModel.load()
    engines = {
        "full (smoothed)": CodingEngine(book, rules, emotions),
        "full, no smoothing": CodingEngine(book, rules, emotions, smooth=False),
        "keywords only": CodingEngine(book, rules, None, use_model=False, smooth=False),
        "zero-shot only": CodingEngine(book, rules, None, use_rules=False, smooth=False),
    }
    print("Demo scripts (reference text):")
    results = {name: evaluate(engine, reference_scripts()) for name, engine in engines.items()}
    for name, scores in results.items():
        show(name, scores)
    print("  per stage (full):", {k: round(v, 2) for k, v in results["full (smoothed)"].stage_f1.items()})
    print("  per emotion (full):", {k: round(v, 2) for k, v in results["full (smoothed)"].emotion_f1.items()})
    if args.study:
        from research.study import Study

        study = Study.open(args.study)
        timings = json.loads((DEMO_DIR / "timings.json").read_text())
        print(f"Demo study {args.study} (speech-recognised utterances):")
        for name, engine in engines.items():
            show(name, evaluate_study(study.db, reference_scripts(), timings, engine_codes(engine, study.db, study.config.coding.embedding_model)))

    folder = SHARED / "goemotions"
    if folder.is_dir():
        dev = read_split(folder, "dev", emotions.labels)
        meta = json.loads(str(np.load(HEAD_FILE)["meta"]))
        _, matrix = ekman_matrix(folder, emotions.labels)
        predicted = to_ekman(emotions.predict(dev.texts), matrix) >= np.array(meta["ekman_thresholds"])
        truth = (dev.labels @ matrix > 0).astype(int)
        per_class = f1_score(truth, predicted, average=None, zero_division=0)
        print(f"GoEmotions dev ({len(dev.texts)} rows), Ekman macro-F1 {per_class.mean():.3f}:", dict(zip(meta["ekman_classes"], per_class.round(3))))
    else:
        print(f"GoEmotions: skipped ({folder} not found)")

    turns = [t for turns, _ in script_turns(reference_scripts()) for t in turns]
    repeat = max(1, round(400 / sum(t.role == "customer" for t in turns)))
    long_interview = turns * repeat
    engine = engines["full (smoothed)"]
    started = time.perf_counter()
    vectors = embed([t.text for t in long_interview])
    embedded = time.perf_counter()
    engine.code(long_interview, vectors)
    scored = time.perf_counter()
    load_spacy()  # loaded once per run, as in the stage
    parse_started = time.perf_counter()
    extract_five_ws({n: t.text for n, t in enumerate(long_interview) if t.role == "customer"})
    done = time.perf_counter()
    customer = sum(t.role == "customer" for t in long_interview)
    total = (scored - started) + (done - parse_started)
    print(f"60-minute interview ({len(long_interview)} utterances, {customer} customer): {total:.2f} s "
          f"(embedding {embedded - started:.2f} s, scoring {scored - embedded:.2f} s, 5 W's parse {done - parse_started:.2f} s); goal < 10 s")


if __name__ == "__main__":
    main()
