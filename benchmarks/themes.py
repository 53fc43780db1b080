"""Do themes recover what human coders found? Ours, a reference commit's, the pre-issue-14 fit, KMeans and random.

    python benchmarks/themes.py [--serdif PATH/all_tags_20220303.csv] [--anes PATH/dataset1.csv] [--reference REV]

Two public, human-coded qualitative data sets, each read from where you keep it, never copied here:

- SERDIF think-aloud usability sessions (`--serdif`): A. Navarro-Gallinad, F. Orlandi, D. O'Sullivan,
  "Designing a usability study for health data researchers", Semantic Web Journal 2022;
  github.com/navarral/swj2022-usability-paper, data/transcripts/thematic-analysis/tags/csv/all_tags_20220303.csv.
  Each row is a participant quote highlighted in Taguette (`id`, `document`, `tag`, `content`); a quote with
  several tags has several rows. Licence: none stated (evaluation only). The moderator's lines and the
  "Moderator assist" tag are left out: themes are fitted on participant talk only.
- ANES 2008 Open Ended Coding Project, open answers to "why did Obama win / McCain lose" (`--anes`):
  github.com/mxli417/co_benchmark, clean_data/dataset1.csv (MIT licence), the cleaned verbatims with
  their human codes as 0/1 columns, from M. Meidinger and M. Assenmacher, "A New Benchmark for NLP in
  Social Sciences: Evaluating the Usefulness of Pre-trained Language Models for Classifying Open-ended
  Survey Responses", ICAART 2021; original data: The American National Election Studies, ANES 2008
  Time Series Study, ICPSR25383.v3 (principal investigators J. Krosnick, M. Berent, A. Lupia). Codes 90
  and above (no further reason, don't know, refused) are not themes and are left out, with the answers
  that have no other code.

Every method clusters the same packaged MiniLM embeddings. Scores, against the human codes:
- best-match F1: for each code, the F1 of the one theme that matches its quotes best, averaged over codes;
- NMI and ARI against each quote's first code.
KMeans gets our number of themes (k); random shuffles our theme sizes over the quotes. The reference
commit's fit (default: the one before themes were refined against these sets) runs in a subprocess on the
same texts and embeddings. Granularity: the same fits on the first half of the quotes and on all of them
show whether a larger corpus gets more themes or bigger ones.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from research.embeddings import embed
from research.themes.fit import cluster, fit_topics
from research.themes.labels import SPOKEN_FILLER

from legacy_themes import legacy_fit
from at_revision import run_at_revision

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
DEFAULT_REFERENCE = "51aa78a"
MODERATOR_TAG = "Moderator assist"
ANES_RESIDUAL = 90  # ANES codes from 90 up: no further reason, don't know, refused


@dataclass(frozen=True)
class CodedSet:
    name: str
    texts: list[str]
    gold: list[set[str]]


def load_serdif(path: Path) -> CodedSet:
    """Participant quotes with their Taguette tags, in the file's order."""
    quotes: dict[str, dict] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["tag"] == MODERATOR_TAG or row["content"].startswith("MODERATOR:"):
                continue
            quote = quotes.setdefault(row["id"], {"text": row["content"], "tags": set()})
            quote["tags"].add(row["tag"])
    return CodedSet("SERDIF usability", [q["text"] for q in quotes.values()], [q["tags"] for q in quotes.values()])


def load_anes(path: Path) -> CodedSet:
    """Open answers with their substantive ANES codes, in the file's order."""
    texts, gold = [], []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        codes = [c for c in reader.fieldnames or [] if c.isdigit() and int(c) < ANES_RESIDUAL]
        for row in reader:
            tags = {c for c in codes if row[c].strip() == "1"}
            if tags and row["verbatim"].strip():
                texts.append(row["verbatim"].strip())
                gold.append(tags)
    return CodedSet("ANES 2008 open answers", texts, gold)


def best_match_f1(gold: list[set[str]], labels: list[int]) -> float:
    """Mean over human codes of the best F1 any one theme reaches on that code's quotes."""
    themes: dict[int, set[int]] = defaultdict(set)
    for i, label in enumerate(labels):
        themes[label].add(i)
    scores = []
    for tag in sorted({t for tags in gold for t in tags}):
        truth = {i for i, tags in enumerate(gold) if tag in tags}
        scores.append(max(2 * len(truth & members) / (len(truth) + len(members)) for members in themes.values()))
    return float(np.mean(scores))


def scores(gold: list[set[str]], labels: list[int]) -> tuple[float, float, float]:
    first = [sorted(tags)[0] for tags in gold]
    return best_match_f1(gold, labels), normalized_mutual_info_score(first, labels), adjusted_rand_score(first, labels)


def topic_labels(topics) -> list[int]:
    labels = [0] * sum(len(t.members) for t in topics)
    for n, topic in enumerate(topics):
        for i in topic.members:
            labels[i] = n
    return labels


def reference_fit(revision: str, texts: list[str], vectors: np.ndarray) -> list[int] | None:
    """Theme per text from `revision`'s research package, fitted on the same texts and embeddings."""
    def with_inputs(folder: Path) -> list[str]:
        (folder / "texts.json").write_text(json.dumps(texts))
        np.save(folder / "vectors.npy", vectors)
        return ["--fit-json", str(folder)]

    return run_at_revision(revision, __file__, with_inputs)


def fit_json(folder: Path) -> None:
    """The reference subprocess: this PYTHONPATH's fit_topics on the given texts and embeddings."""
    from research.themes.fit import fit_topics as reference_topics

    torch.set_num_threads(2)
    topics = reference_topics(json.loads((folder / "texts.json").read_text()), np.load(folder / "vectors.npy"))
    print(json.dumps(topic_labels(topics)))


def measure(data: CodedSet, reference: str) -> None:
    texts, gold = data.texts, data.gold
    vectors = embed(texts)
    print(f"\n== {data.name}: {len(texts)} quotes, {len({t for g in gold for t in g})} human codes")

    legacy_fit(texts[:100], vectors[:100])  # warm-up: numba compiles UMAP and HDBSCAN once per process
    started = time.perf_counter()
    before, before_labels = legacy_fit(texts, vectors)
    before_seconds = time.perf_counter() - started
    started = time.perf_counter()
    topics = fit_topics(texts, vectors)
    now_seconds = time.perf_counter() - started
    now = topic_labels(topics)
    k = len(topics)

    rows = [(f"ours (k={k})", scores(gold, now))]
    old = reference_fit(reference, texts, vectors) if reference else None
    if old is not None:
        rows.append((f"reference {reference} (k={len(set(old))})", scores(gold, old)))
    rows.append((f"before issue 14 (k={len(set(before))})", scores(gold, before)))
    kmeans = [scores(gold, list(KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(vectors))) for seed in range(3)]
    rows.append(("KMeans, same k (3 seeds)", tuple(np.mean(kmeans, axis=0))))
    shuffled = [scores(gold, list(np.random.default_rng(seed).permutation(now))) for seed in range(5)]
    rows.append(("random, same sizes (5 seeds)", tuple(np.mean(shuffled, axis=0))))
    print(f"{'method':34s} {'best-match F1':>13s} {'NMI':>6s} {'ARI':>6s}")
    for name, (f1, nmi, ari) in rows:
        print(f"{name:34s} {f1:13.3f} {nmi:6.3f} {ari:6.3f}")
    print(f"fit time: ours {now_seconds:.1f} s, before issue 14 {before_seconds:.1f} s (ratio {now_seconds / before_seconds:.2f})")

    half = len(texts) // 2
    print("granularity (themes, median size): first half of the quotes -> all quotes")
    for name, fit in (("ours", lambda t, v: cluster(t, v)[1]), ("before issue 14", lambda t, v: legacy_fit(t, v)[0])):
        counts = [np.unique(fit(texts[:n], vectors[:n]), return_counts=True)[1] for n in (half, len(texts))]
        print(f"  {name:16s} {len(counts[0])} themes, median {np.median(counts[0]):.0f} -> {len(counts[1])} themes, median {np.median(counts[1]):.0f}")

    filler = lambda label: any(w in SPOKEN_FILLER for w in label.lower().replace("·", " ").split())  # noqa: E731
    print(f"labels naming a theme with spoken filler: ours {sum(filler(t.label) for t in topics)} of {k}, before issue 14 {sum(filler(l) for l in before_labels.values())} of {len(before_labels)}")
    print("ours:  ", "; ".join(t.label for t in sorted(topics, key=lambda t: -len(t.members))[:12]))
    print("before:", "; ".join(before_labels[t] for t in sorted(before_labels, key=lambda t: -before.count(t))[:12]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serdif", "--tags", type=Path, default=SHARED / "themes-usability-serdif" / "all_tags_20220303.csv", help="all_tags_20220303.csv from the SERDIF usability study's repository")
    parser.add_argument("--anes", type=Path, default=SHARED / "themes-anes-2008" / "dataset1.csv", help="clean_data/dataset1.csv from mxli417/co_benchmark")
    parser.add_argument("--reference", default=DEFAULT_REFERENCE, help="a git revision whose themes fit runs beside this one ('' skips it)")
    parser.add_argument("--fit-json", type=Path, help=argparse.SUPPRESS)  # the reference subprocess
    args = parser.parse_args()
    if args.fit_json:
        return fit_json(args.fit_json)
    sets = [load(path) for load, path in ((load_serdif, args.serdif), (load_anes, args.anes)) if path.is_file()]
    missing = [str(path) for path in (args.serdif, args.anes) if not path.is_file()]
    if missing:
        print(f"skipped, not found: {', '.join(missing)} (see this file's docstring for the sources)")
    if not sets:
        sys.exit("no coded data set found: pass --serdif PATH and/or --anes PATH")
    torch.set_num_threads(2)
    for data in sets:
        measure(data, args.reference)


if __name__ == "__main__":
    main()
