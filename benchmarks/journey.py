"""Themes + journey map on a synthetic 100-interview study (2 threads).

    python benchmarks/journey.py [--interviews 100] [--reference /path/to/other/checkout] [--keep DIR | --study DIR]

The study is built straight into study.db from the demo scripts' anonymized-style turns (each
interview walks the stages in order, drawing answers from every script), then coded; the timed part
is what the issue sets a goal for: `research themes` + `research map` after coding (< 30 s).
The themes fit before issue 14 (benchmarks/legacy_themes.py) runs on the same utterances and
embeddings in the same process, after a warm-up fit that pays numba's compilation for both.

With --reference, `research themes` + `research map` of another checkout (e.g. the main branch) are
timed in the same run on a copy of the same coded study: each side runs in its own process (the code
under test first on PYTHONPATH), after its own warm-up fit, and reports wall and CPU seconds.
--keep saves the coded study to DIR, and --study reuses one, so coding runs once.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from research.coding.stage import run_code, study_codebook, utterance_vectors
from research.demo_corpus import reference_scripts
from research.journey import build_and_store
from research.store import now, set_stage
from research.study import Study
from research.themes import run_themes
from research.themes.stage import PLACEHOLDER, _documents

from legacy_themes import legacy_fit

STAGES = ["discovery", "decision", "adoption", "retention", "advocacy"]
PERSONAS = ["Operations buyer", "Budget approver", "Health-conscious parent", "Owner-operator", "Gift recipient"]


def build_study(root: Path, interviews: int, seed: int = 7) -> Study:
    rng = random.Random(seed)
    study = Study.create(root, "synthetic")
    turns = [(t, s["turns"][i - 1]["text"] if i else "") for s in reference_scripts() for i, t in enumerate(s["turns"]) if t["speaker"].startswith("customer") and t.get("stage")]
    by_stage = {stage: [(t["text"], q) for t, q in turns if t["stage"] == stage] for stage in STAGES}
    db = study.db
    for n in range(1, interviews + 1):
        interview_id = db["interviews"].insert({"code": f"INT-{n:03d}", "title": f"Synthetic {n}", "sha256": f"{n:064x}", "duration": 3600.0, "added_at": now(),
                                                 "industry": rng.choice(["Healthcare", "Consumer", "Hospitality"]), "region": rng.choice(["West", "Midwest"])}).last_pk
        db["participants"].insert({"interview_id": interview_id, "slot": "customer", "label": f"Participant {n}", "persona": rng.choice(PERSONAS), "segment": rng.choice(["Household", "Small business"])})
        rows, clock = [], 0.0
        for stage in STAGES:
            for _ in range(rng.randint(3, 7)):
                answer, question = rng.choice(by_stage[stage])
                for role, text in (("interviewer", question or "Could you tell me more?"), ("customer", answer)):
                    rows.append({"interview_id": interview_id, "idx": len(rows), "speaker": "S1" if role == "interviewer" else "S2", "role": role, "start": clock, "end": clock + 10, "text": text, "words": "[]"})
                    clock += 10
        db["utterances"].insert_all(rows)
        set_stage(db, interview_id, "anonymize", "done", params_hash="synthetic")
    return study


def timed_themes_and_map(root: Path) -> dict:
    """Themes + map on a coded study, after a warm-up fit (numba's compilation), with wall and CPU seconds."""
    study = Study.open(root)
    docs = _documents(study)
    vectors = utterance_vectors(study.db, docs, study.config.coding.embedding_model)
    legacy_fit([PLACEHOLDER.sub("", d["text"]) for d in docs[:200]], vectors[:200])
    cpu, started = time.process_time(), time.perf_counter()
    themes = run_themes(study)
    themed = time.perf_counter()
    journey = build_and_store(study, study_codebook(study)[0])
    mapped = time.perf_counter()
    return {"themes_s": themed - started, "map_s": mapped - themed, "total_s": mapped - started, "cpu_s": time.process_time() - cpu,
            "themes": [t.label for t in themes], "patterns": sum(len(s.patterns) for s in journey.stages)}


def compare_with(reference: Path, coded: Path) -> None:
    """Themes + map of `reference`'s code and of this checkout's, one after the other, on copies of one coded study."""
    here = Path(__file__).resolve().parent.parent
    results = {}
    for name, repo in (("reference", reference.resolve()), ("this checkout", here)):
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / "study"
            shutil.copytree(coded, copy)
            env = {**os.environ, "PYTHONPATH": str(repo)}  # its research package; this file's own folder gives legacy_themes
            out = subprocess.run([sys.executable, __file__, "--time-only", str(copy)], env=env, capture_output=True, text=True, check=True, cwd=repo)
            results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    for name, r in results.items():
        print(f"{name:>14}: themes {r['themes_s']:.1f} s + map {r['map_s']:.1f} s = {r['total_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU; "
              f"{len(r['themes'])} themes, {r['patterns']} patterns")
        print(f"{'':>14}  labels: {json.dumps(r['themes'][:12])}")
    ref, now_ = results["reference"], results["this checkout"]
    print(f"themes + map now / reference: wall {now_['total_s'] / ref['total_s']:.2f}, CPU {now_['cpu_s'] / ref['cpu_s']:.2f} (goal < 30 s wall on 2 idle cores)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interviews", type=int, default=100)
    parser.add_argument("--reference", type=Path, help="another checkout whose themes + map to time on the same coded study")
    parser.add_argument("--study", type=Path, help="a coded study made by --keep: skip building and coding")
    parser.add_argument("--keep", type=Path, help="save the coded study here")
    parser.add_argument("--time-only", type=Path, help=argparse.SUPPRESS)  # one side of --reference, in its own process
    args = parser.parse_args()
    torch.set_num_threads(2)
    if args.time_only:
        print(json.dumps(timed_themes_and_map(args.time_only)))
        return
    if args.study:
        print(f"load {os.getloadavg()[0]:.1f}; coded study {args.study}")
        compare_with(args.reference or Path(__file__).resolve().parent.parent, args.study)
        return
    with tempfile.TemporaryDirectory() as folder:
        study = build_study(Path(folder) / "study", args.interviews)
        customer = study.db.execute("SELECT COUNT(*) FROM utterances WHERE role = 'customer'").fetchone()[0]
        started = time.perf_counter()
        run_code(study)
        coded = time.perf_counter()
        if args.keep:
            study.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copytree(study.root, args.keep)
        if args.reference:
            print(f"{args.interviews} interviews, {customer} customer utterances; coding: {coded - started:.1f} s; load {os.getloadavg()[0]:.1f}")
            compare_with(args.reference, study.root)
            return
        docs = _documents(study)
        texts = [PLACEHOLDER.sub("", d["text"]) for d in docs]
        vectors = utterance_vectors(study.db, docs, study.config.coding.embedding_model)
        legacy_fit(texts[:200], vectors[:200])  # warm-up: numba compiles UMAP and HDBSCAN once per process
        started_legacy = time.perf_counter()
        legacy_topics, legacy_labels = legacy_fit(texts, vectors)
        legacy_seconds = time.perf_counter() - started_legacy
        fitting = time.perf_counter()
        themes = run_themes(study)
        themed = time.perf_counter()
        journey = build_and_store(study, study_codebook(study)[0])
        mapped = time.perf_counter()
        print(f"{args.interviews} interviews, {customer} customer utterances")
        print(f"coding: {coded - started:.1f} s")
        legacy_sizes = np.unique(legacy_topics, return_counts=True)[1]
        print(f"themes before issue 14: {legacy_seconds:.1f} s ({len(legacy_sizes)} themes, median size {np.median(legacy_sizes):.0f})")
        print(f"themes now:             {themed - fitting:.1f} s ({len(themes)} themes, {sum(t.journey for t in themes)} on the journey, "
              f"median size {np.median([t.size for t in themes]):.0f}); now / before {(themed - fitting) / legacy_seconds:.2f}")
        print(f"map:    {mapped - themed:.1f} s ({sum(len(s.patterns) for s in journey.stages)} patterns, {sum(len(s.outliers) for s in journey.stages)} outliers)")
        print(f"themes + map: {mapped - fitting:.1f} s (goal < 30 s)")
        print("themes before:", json.dumps(sorted(set(legacy_labels.values()))[:10]))
        print("themes now:   ", json.dumps([t.label for t in themes][:10]))


if __name__ == "__main__":
    main()
