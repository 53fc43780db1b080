"""Coding accuracy and speed, the new engine beside a reference commit's engine in the same run.

    python benchmarks/coding.py [--study demo-study] [--reference 44598ed] [--quick] [--sizes 0 20] [--orders N]

- Stage and emotion macro-F1 on the demo scripts' labels and on ../shared/data/journey-stages-dev
  (single utterances from other domains, coded alone), for the engine and two baselines (keywords
  only, embedding zero-shot only); the reference commit's engine is run in a subprocess on the same
  data with the same scoring code (`--reference ''` skips it).
- Adaptation (a learning curve, for both engines): a simulated researcher decides 0, 10, 20 and 30
  journey-stages-dev utterances (accepts right suggestions, rejects wrong ones, adds the right code),
  `--learn` trains, and utterances nobody decided are scored: four folds of 10, each coded after
  decisions on the other 30, all 40 scored together; the mean of 10 random orders. (40 decisions
  would leave nothing to score.)
- The same (stage scores and learning curve) on small studies in new domains (`--domain-study DIR`, by default
  each folder of benchmarks/domain_studies: self-written interviews, a mortgage lender's and a commercial
  waste collector's customers, each customer turn labelled with its stage before any engine coded it):
  each turn coded in its interview, decisions drawn from the study itself and scored on its other turns.
- The same (scores and learning curve) on a coded demo study's speech-recognised utterances, when --study is
  given: there each utterance is coded in its interview, and decided as its script turn's labels say.
- MELD dev (spoken dialogue, Ekman 7 classes) and GoEmotions dev (Ekman macro-F1) for the emotion
  model (skipped with --quick).
- Time to code a 60-minute interview (demo turns repeated to ~400 customer utterances), 1 thread.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from at_revision import run_at_revision

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
DEV = SHARED / "journey-stages-dev" / "stages.tsv"
LEARNING_SIZES, LEARNING_ORDERS = [0, 10, 20, 30], 10  # issue 15: the gain from 20 decisions, averaged over at least ten decision orders
DOMAIN_STUDIES = REPO / "benchmarks" / "domain_studies"
DEFAULT_REFERENCE = "44598ed"  # the engine before --learn fitted decisions in their context (session 10); revisions before d7c3550 cannot run this evaluation code


def engines(with_emotions: bool = True) -> dict:
    from research import codebook as codebooks
    from research.coding.emotion_model import EmotionModel
    from research.coding.engine import CodingEngine
    from research.coding.rules import RuleMatcher
    from research.nlp import load_spacy

    book = codebooks.load(codebooks.resolve("cx-journey"))
    rules = RuleMatcher(book, load_spacy(("parser", "ner")))
    return {
        "full": CodingEngine(book, rules, EmotionModel.load() if with_emotions else None),
        "keywords only": CodingEngine(book, rules, None, use_model=False, smooth=False),
        "zero-shot only": CodingEngine(book, rules, None, use_rules=False, smooth=False),
    }


def accuracy(domain_studies: list[Path], sizes: list[int], orders: int) -> dict:
    """{engine: {data set: [stage macro-F1, emotion macro-F1]}}, the learning curves (at `sizes` decisions, `orders` orders)
    and the time to code a 60-minute interview."""
    from research.coding.evaluate import evaluate, evaluate_utterances, learning_curve, read_domain_study, read_journey_stages, script_turns, scripts_learning_curve
    from research.demo_corpus import reference_scripts
    from research.embeddings import embed

    built = engines()
    out: dict = {}
    for name, engine in built.items():
        demo = evaluate(engine, reference_scripts())
        out[name] = {"demo scripts": [demo.stage_macro_f1, demo.emotion_macro_f1]}
        if DEV.is_file():
            dev = evaluate_utterances(engine, read_journey_stages(DEV))
            out[name]["journey-stages-dev"] = [dev.stage_macro_f1, dev.emotion_macro_f1]
        for folder in domain_studies:
            domain = evaluate(engine, read_domain_study(folder))
            out[name][f"{folder.name} study"] = [domain.stage_macro_f1, domain.emotion_macro_f1]
    if DEV.is_file():
        out["learning"] = {n: list(pair) for n, pair in learning_curve(built["full"], read_journey_stages(DEV), sizes, seeds=orders).items()}
    out["domain learning"] = {folder.name: {n: list(pair) for n, pair in scripts_learning_curve(built["full"], read_domain_study(folder), sizes, seeds=orders).items()}
                              for folder in domain_studies}
    turns = [t for turns, _ in script_turns(reference_scripts()) for t in turns]
    long_interview = turns * max(1, round(400 / sum(t.role == "customer" for t in turns)))
    started = time.perf_counter()
    built["full"].code(long_interview, embed([t.text for t in long_interview]))
    out["seconds for a 60-minute interview"] = time.perf_counter() - started
    return out


def reference_accuracy(revision: str, domain_studies: list[Path], sizes: list[int], orders: int) -> dict | None:
    """`accuracy()` of `revision`'s research package and codebooks, scored by this checkout's evaluation code."""
    def scored_here(folder: Path) -> list[str]:
        shutil.copy(REPO / "research" / "coding" / "evaluate.py", folder / "research" / "coding" / "evaluate.py")  # the scoring, not the method
        return ["--accuracy-json", *[f"--domain-study={study.resolve()}" for study in domain_studies], "--sizes", *map(str, sizes), f"--orders={orders}"]

    return run_at_revision(revision, __file__, scored_here, paths=("research", "codebooks", "interviews/demo/scripts"))


def show_accuracy(new: dict, old: dict | None, revision: str, orders: int) -> None:
    for name in [k for k in new if isinstance(new[k], dict) and k not in ("learning", "domain learning")]:
        for data, (stage, emotion) in new[name].items():
            line = f"{name:<15} {data:<19} stage macro-F1 {stage:.3f}  emotion macro-F1 {emotion:.3f}"
            if old and data in old.get(name, {}):
                line += f"   | {revision}: stage {old[name][data][0]:.3f}  emotion {old[name][data][1]:.3f}"
            print(line.replace("emotion macro-F1 nan", "(no emotion labels)").replace("  emotion nan", ""))
    curves = {"journey-stages-dev": (new.get("learning"), (old or {}).get("learning", {}))}
    curves |= {f"the {study} study": (curve, (old or {}).get("domain learning", {}).get(study, {})) for study, curve in new.get("domain learning", {}).items()}
    for data, (curve, before_curve) in curves.items():
        if not curve:
            continue
        print(f"Adaptation on {data} (`--learn` after a researcher decided n utterances; every utterance scored once, decided by nobody; mean of {orders} orders):")
        for n, (stage, emotion, *spread) in curve.items():
            line = f"  {n:>2} decisions: stage macro-F1 {stage:.3f} ({_spread(spread)})  emotion macro-F1 {emotion:.3f}"
            before = before_curve.get(str(n))
            if before:
                line += f"   | {revision}: stage {before[0]:.3f} ({_spread(before[2:])})  emotion {before[1]:.3f}"
            print(line.replace("  emotion macro-F1 nan", "").replace("  emotion nan", ""))
    key = "seconds for a 60-minute interview"
    ratio = f"; {revision}: {old[key]:.2f} s, ratio new/old {new[key] / old[key]:.2f}" if old else ""
    print(f"coding a 60-minute interview (embedding + scoring): {new[key]:.2f} s{ratio}")


def _spread(low_high: list[float]) -> str:
    """The lowest and highest stage macro-F1 of one order."""
    return f"orders {low_high[0]:.3f}-{low_high[1]:.3f}"


def emotion_data_sets(engine) -> None:
    import numpy as np
    from sklearn.metrics import f1_score

    from research.coding.emotion_model import HEAD_FILE
    from research.coding.evaluate import meld_macro_f1
    from research.coding.train_emotion_model import ekman_matrix, read_split, to_ekman

    emotions = engine.emotions
    meld = SHARED / "emotion-meld-dialogue" / "dev_sent_emo.csv"
    if meld.is_file():
        print(f"MELD dev (Ekman 7 classes, text only): macro-F1 {meld_macro_f1(emotions, meld, SHARED / 'goemotions'):.3f}")
    folder = SHARED / "goemotions"
    if folder.is_dir():
        dev = read_split(folder, "dev", emotions.labels)
        meta = json.loads(str(np.load(HEAD_FILE)["meta"]))
        _, matrix = ekman_matrix(folder, emotions.labels)
        predicted = to_ekman(emotions.predict(dev.texts), matrix) >= np.array(meta["ekman_thresholds"])
        per_class = f1_score((dev.labels @ matrix > 0).astype(int), predicted, average=None, zero_division=0)
        print(f"GoEmotions dev ({len(dev.texts)} rows), Ekman macro-F1 {per_class.mean():.3f}:", dict(zip(meta["ekman_classes"], per_class.round(3))))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--study", type=Path, help="a demo study coded with `research demo`")
    parser.add_argument("--reference", default=DEFAULT_REFERENCE, help="a git revision whose engine runs beside this one ('' skips it)")
    parser.add_argument("--domain-study", type=Path, action="append", help="a folder of labelled interviews in a new domain (see benchmarks/domain_studies); default: each folder there")
    parser.add_argument("--quick", action="store_true", help="skip MELD and GoEmotions (the emotion model's own scores)")
    parser.add_argument("--sizes", type=int, nargs="+", default=LEARNING_SIZES, help="decisions at which the learning curves are scored (default 0 10 20 30)")
    parser.add_argument("--orders", type=int, default=LEARNING_ORDERS, help="decision orders averaged (default 10)")
    parser.add_argument("--accuracy-json", action="store_true", help=argparse.SUPPRESS)  # the reference subprocess
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)  # two cores shared: more threads than cores only thrash
    domain_studies = args.domain_study or sorted(p for p in DOMAIN_STUDIES.iterdir() if p.is_dir())
    if args.accuracy_json:
        print(json.dumps(accuracy(domain_studies, args.sizes, args.orders)))
        return
    old = reference_accuracy(args.reference, domain_studies, args.sizes, args.orders) if args.reference else None
    new = accuracy(domain_studies, args.sizes, args.orders)
    show_accuracy(new, old, args.reference, args.orders)
    engine = engines()["full"]
    if args.study:
        from research.coding.evaluate import engine_codes, evaluate_study, study_learning_curve
        from research.demo_corpus import DEMO_DIR, reference_scripts
        from research.study import Study

        study = Study.open(args.study)
        timings, model = json.loads((DEMO_DIR / "timings.json").read_text()), study.config.coding.embedding_model
        scores = evaluate_study(study.db, reference_scripts(), timings, engine_codes(engine, study.db, model))
        print(f"demo study {args.study} (speech-recognised): stage macro-F1 {scores.stage_macro_f1:.3f}  emotion macro-F1 {scores.emotion_macro_f1:.3f}")
        started = time.process_time()
        curve = study_learning_curve(engine, study.db, reference_scripts(), timings, model, args.sizes, seeds=args.orders)
        print(f"Adaptation on the demo study (`--learn` after n utterances decided; each coded in its interview; mean of {args.orders} orders; {time.process_time() - started:.0f} CPU s):")
        for n, (stage, emotion, *spread) in curve.items():
            print(f"  {n:>2} decisions: stage macro-F1 {stage:.3f} ({_spread(spread)})  emotion macro-F1 {emotion:.3f}")
    if not args.quick:
        emotion_data_sets(engine)


if __name__ == "__main__":
    main()
