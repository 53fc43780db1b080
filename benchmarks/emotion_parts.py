"""How the parts of answers are felt (what the map's pain points and delights stand on), this engine beside a
reference commit's in the same run.

    python benchmarks/emotion_parts.py [--reference REV] [--quick] [--verbose]
    python benchmarks/emotion_parts.py --calibrate     # chooses part_emotion.PART_NEUTRAL_MARGIN

- The self-written parts set (`benchmarks/interview_parts_emotion.tsv`: litotes, relief, negated positives and
  complaints, plain complaints, neutral parts with an emotion keyword, short parts), each part read as the map's
  parts are (`CodingEngine.feelings`): polarity accuracy (a part's codes read negative when one has a negative
  valence, positive when one has a valence of 0.3 or more, as `research.journey.evidence.feelings` reads them),
  the share of parts that are not negative read negative, recall of the negative ones, and code macro-F1 over
  the labelled codes; per kind. "all" is the development parts; the "held-" kinds (written in session 11 before
  the negation change they test, not read while developing it) are scored on their own, as "held apart"; the
  "held12-" kinds (written in session 12 before its change) likewise, as "held apart 12", and the "held13-" kinds
  (session 13) as "held apart 13", the "held14-" kinds (session 14) as "held apart 14" and the "held14x-" kinds (session 14's second set) as "held apart 14x".
- Emotion macro-F1 on ../shared/data/journey-stages-dev (whole utterances coded alone) and on the demo scripts.
- MELD dev and GoEmotions dev for the emotion model (skipped with --quick).

`--calibrate` reads the 4,000 GoEmotions training rows the emotion model was not fitted on (those
`train_emotion_model` holds out to tune its thresholds) as parts, and prints the polarity macro-F1 (negative,
neutral, positive; rows whose labels are all of one sentiment or only neutral) for each neutral margin; the
part reader's PART_NEUTRAL_MARGIN is the largest within one standard error of the best (the one-standard-error
rule). Neither this script's parts set nor any evaluation set chooses it.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
from at_revision import run_at_revision

REPO = Path(__file__).resolve().parents[1]
PARTS = REPO / "benchmarks" / "interview_parts_emotion.tsv"
DEV = REPO.parent / "shared" / "data" / "journey-stages-dev" / "stages.tsv"
GOEMOTIONS = REPO.parent / "shared" / "data" / "goemotions"
MARGINS = [round(m, 2) for m in np.arange(-0.2, 0.41, 0.05)]
BOOTSTRAP = 200
HELD = "held apart"  # the parts whose kind starts with "held-": written before the change they test, scored apart
HELD12 = "held apart 12"  # those whose kind starts with "held12-": written in session 12 before its change, scored apart
HELD13 = "held apart 13"  # those whose kind starts with "held13-": written in session 13 before its change, scored apart
HELD14 = "held apart 14"  # those whose kind starts with "held14-": written in session 14 before its change, scored apart
HELD14X = "held apart 14x"  # those whose kind starts with "held14x-": session 14's second set, no reading of it seen, scored apart


def read_parts() -> list[dict]:
    with PARTS.open() as handle:
        return list(csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t"))


def polarity(codes: list[str], valences: dict[str, float]) -> str:
    values = [valences[c] for c in codes if c in valences]
    if any(v < 0 for v in values):
        return "neg"
    return "pos" if any(v >= 0.3 for v in values) else "neu"


def measure(goemotions: bool) -> dict:
    """{measure: value} for the research package on PYTHONPATH; with `goemotions`, GoEmotions dev read as parts too."""
    import numpy as np
    from sklearn.metrics import f1_score

    from research import codebook as codebooks
    from research.coding.emotion_model import EmotionModel
    from research.coding.engine import CodingEngine
    from research.coding.evaluate import evaluate, evaluate_utterances, read_journey_stages
    from research.coding.rules import RuleMatcher
    from research.demo_corpus import reference_scripts
    from research.nlp import load_spacy

    book = codebooks.load(codebooks.resolve("cx-journey"))
    engine = CodingEngine(book, RuleMatcher(book, load_spacy(("parser", "ner"))), EmotionModel.load())
    valences = {key: code.valence for key, (_, code) in book.codes.items() if code.valence is not None}
    rows = read_parts()
    _, codes = engine.feelings([r["text"] for r in rows])
    out: dict = {"parts": {}}
    for kind in ["all", HELD, HELD12, HELD13, HELD14, HELD14X, *dict.fromkeys(r["kind"] for r in rows)]:
        chosen = [i for i, r in enumerate(rows) if _in(kind, r["kind"])]
        if not chosen:
            continue
        said = [polarity(codes[i], valences) for i in chosen]
        truth = [rows[i]["polarity"].split("|") for i in chosen]
        calm = [k for k, t in enumerate(truth) if "neg" not in t]
        felt = [k for k, t in enumerate(truth) if "neg" in t]
        out["parts"][kind] = {
            "n": len(chosen),
            "polarity accuracy": float(np.mean([s in t for s, t in zip(said, truth)])),
            "calm read negative": float(np.mean([said[k] == "neg" for k in calm])) if calm else None,
            "negative recall": float(np.mean([said[k] == "neg" for k in felt])) if felt else None,
        }
    for group in ("all", HELD, HELD12, HELD13, HELD14, HELD14X):
        chosen = [i for i, r in enumerate(rows) if _in(group, r["kind"])]
        if chosen:
            labels = sorted({rows[i]["code"] for i in chosen})
            truth = np.array([[rows[i]["code"] == label for label in labels] for i in chosen])
            guess = np.array([[f"emotion:{label}" in codes[i] for label in labels] for i in chosen])
            out["parts"][group]["code macro-F1"] = float(f1_score(truth, guess, average="macro", zero_division=0))
    out["read"] = {r["text"]: [c.split(":")[1] for c in c_] for r, c_ in zip(rows, codes)}
    out["demo scripts"] = evaluate(engine, reference_scripts()).emotion_macro_f1
    if DEV.is_file():
        out["journey-stages-dev"] = evaluate_utterances(engine, read_journey_stages(DEV)).emotion_macro_f1
    if goemotions and GOEMOTIONS.is_dir():
        truth, texts = one_sided(GOEMOTIONS, "dev", engine.emotions.labels)
        _, read = engine.feelings(texts)
        out["GoEmotions dev as parts"] = float(f1_score(truth, [polarity(codes, valences) for codes in read], average="macro"))
    return out


def _in(group: str, kind: str) -> bool:
    """Whether a part of `kind` counts in `group`: "all" is the development parts, HELD, HELD12, HELD13, HELD14 and HELD14X each held-apart set."""
    prefixes = {HELD: "held-", HELD12: "held12-", HELD13: "held13-", HELD14: "held14-", HELD14X: "held14x-"}
    if group == "all":
        return not kind.startswith(tuple(prefixes.values()))
    return kind.startswith(prefixes[group]) if group in prefixes else kind == group


def one_sided(folder: Path, split: str, labels: list[str], held_out: bool = False) -> tuple[list[str], list[str]]:
    """(polarities, texts) of a GoEmotions split's rows (with `held_out`, of the training rows the emotion model
    was not fitted on) whose labels are all of one sentiment (sentiment_dict.json) or only neutral."""
    from research.coding.train_emotion_model import HELD_OUT, read_split

    data = read_split(folder, split, labels)
    rows = np.sort(np.random.default_rng(0).permutation(len(data.texts))[:HELD_OUT]) if held_out else None  # as train_emotion_model holds them out
    sentiment = json.loads((folder / "sentiment_dict.json").read_text())
    side = {label: name[:3] for name in ("positive", "negative") for label in sentiment[name]} | {"neutral": "neu"}
    truth, texts = [], []
    for i in range(len(data.texts)) if rows is None else rows:
        sides = {side.get(labels[k]) for k in np.flatnonzero(data.labels[i])}
        if len(sides) == 1 and None not in sides:
            truth.append(sides.pop())
            texts.append(data.texts[i])
    return truth, texts


def calibrate() -> tuple[dict[float, float], float]:
    """{neutral margin: polarity macro-F1 on GoEmotions' held-out training rows read as parts}, and the standard
    error of the best one's (bootstrap)."""
    from sklearn.metrics import f1_score

    engine = engines()["full"]
    valences = {key: code.valence for key, (_, code) in engine.codebook.codes.items() if code.valence is not None}
    truth, texts = one_sided(GOEMOTIONS, "train", engine.emotions.labels, held_out=True)
    reading = engine.read_parts(texts)  # each row its own answer
    said = {margin: [polarity(codes, valences) for codes in engine.part_codes(reading, margin)] for margin in MARGINS}
    scores = {margin: float(f1_score(truth, said[margin], average="macro")) for margin in MARGINS}
    best = max(scores, key=scores.get)
    resamples = np.random.default_rng(0).integers(0, len(truth), size=(BOOTSTRAP, len(truth)))
    spread = float(np.std([f1_score(np.array(truth)[r], np.array(said[best])[r], average="macro") for r in resamples]))
    return scores, spread


def engines() -> dict:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from coding import engines as coding_engines

    return coding_engines()


def reference(revision: str, quick: bool) -> dict | None:
    """`measure()` of `revision`'s research package and codebooks."""
    return run_at_revision(revision, __file__, ["--json", *["--quick"] * quick], paths=("research", "codebooks", "interviews/demo/scripts"))


def show(new: dict, old: dict | None, revision: str, verbose: bool) -> None:
    def pair(value, before) -> str:
        text = "-" if value is None else f"{value:.3f}"
        return text + (f" (was {'-' if before is None else f'{before:.3f}'})" if old is not None else "")

    print(f"Parts of answers, self-written set ({PARTS.name}); this engine (and {revision}'s):")
    for kind, values in new["parts"].items():
        before = (old or {}).get("parts", {}).get(kind, {})
        print(f"  {kind:<18} n={values['n']:<3} " + "  ".join(f"{name} {pair(value, before.get(name))}" for name, value in values.items() if name != "n"))
    for name in ("journey-stages-dev", "demo scripts"):
        if name in new:
            print(f"emotion macro-F1 on {name}: {pair(new[name], (old or {}).get(name))}")
    if "GoEmotions dev as parts" in new:
        print(f"GoEmotions dev rows of one sentiment, each read as a part: polarity macro-F1 {pair(new['GoEmotions dev as parts'], (old or {}).get('GoEmotions dev as parts'))}")
    if verbose:
        for text, codes in new["read"].items():
            was = (old or {}).get("read", {}).get(text)
            change = "" if was is None or was == codes else f"(was {','.join(was) or '-'}) "
            print(f"  {','.join(codes) or '-':<24} {change}{text}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", default="44598ed", help="a git revision whose engine runs beside this one ('' skips it)")
    parser.add_argument("--quick", action="store_true", help="skip MELD and GoEmotions dev")
    parser.add_argument("--verbose", action="store_true", help="print each part's codes")
    parser.add_argument("--calibrate", action="store_true", help="choose the part neutral margin on GoEmotions' held-out training rows")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # the reference subprocess
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)  # two cores shared
    if args.json:
        print(json.dumps(measure(not args.quick)))
        return
    if args.calibrate:
        scores, spread = calibrate()
        for margin, score in scores.items():
            print(f"neutral margin {margin:+.2f}: polarity macro-F1 {score:.3f}")
        best = max(scores.values())
        chosen = max(m for m, score in scores.items() if score >= best - spread)
        print(f"chosen: {chosen:+.2f}, the largest margin (the least change to the parts' faint feelings) within one standard error ({spread:.3f}) of the best score")
        return
    old = reference(args.reference, args.quick) if args.reference else None
    new = measure(not args.quick)
    show(new, old, args.reference, args.verbose)
    if not args.quick:
        from coding import emotion_data_sets

        emotion_data_sets(engines()["full"])


if __name__ == "__main__":
    main()
