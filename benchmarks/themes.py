"""Do themes recover what human coders found? Ours, the fit before issue 14, KMeans and random, in one run.

    python benchmarks/themes.py --tags PATH/all_tags_20220303.csv

The data: a public thematic analysis of think-aloud usability sessions (Navarro-Gallinad, Orlandi and
O'Sullivan, "Designing a usability study for health data researchers", Semantic Web Journal 2022;
github.com/navarral/swj2022-usability-paper, data/transcripts/thematic-analysis/tags/csv). Each row is
a highlighted participant quote (`id`, `document`, `tag`, `content`); a quote with several tags has
several rows. The repository states no licence, so the file is read from where you keep it, never
copied into this one. The moderator's lines and the "Moderator assist" tag are left out: themes are
fitted on customer (participant) talk only.

Every method clusters the same packaged MiniLM embeddings. Scores, against the human tags:
- best-match F1: for each tag, the F1 of the one theme that matches its quotes best, averaged over tags;
- NMI and ARI against each quote's first tag.
KMeans gets our number of themes (k); random shuffles our theme sizes over the quotes. Granularity: the
same fits on the first half of the sessions' quotes and on all of them show whether a larger corpus
gets more themes or bigger ones.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from research.embeddings import embed
from research.themes.fit import cluster, fit_topics
from research.themes.labels import SPOKEN_FILLER

from legacy_themes import legacy_fit

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "themes-usability-serdif" / "all_tags_20220303.csv"
MODERATOR_TAG = "Moderator assist"


def load_quotes(path: Path) -> tuple[list[str], list[set[str]], list[str]]:
    """(quote texts, human tags per quote, session per quote), participant quotes only."""
    quotes: dict[str, dict] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["tag"] == MODERATOR_TAG or row["content"].startswith("MODERATOR:"):
                continue
            quote = quotes.setdefault(row["id"], {"text": row["content"], "tags": set(), "session": row["document"]})
            quote["tags"].add(row["tag"])
    return [q["text"] for q in quotes.values()], [q["tags"] for q in quotes.values()], [q["session"] for q in quotes.values()]


def best_match_f1(gold: list[set[str]], labels: list[int]) -> float:
    """Mean over human tags of the best F1 any one theme reaches on that tag's quotes."""
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", type=Path, default=DEFAULT, help="all_tags_20220303.csv from the usability study's repository")
    args = parser.parse_args()
    if not args.tags.is_file():
        sys.exit(f"no tagged quotes at {args.tags}: pass --tags PATH (see this file's docstring for the source)")
    torch.set_num_threads(2)
    texts, gold, sessions = load_quotes(args.tags)
    vectors = embed(texts)
    print(f"{len(texts)} participant quotes from {len(set(sessions))} sessions, {len({t for g in gold for t in g})} human tags")

    legacy_fit(texts[:100], vectors[:100])  # warm-up: numba compiles UMAP and HDBSCAN once per process
    started = time.perf_counter()
    before, before_labels = legacy_fit(texts, vectors)
    before_seconds = time.perf_counter() - started
    started = time.perf_counter()
    topics = fit_topics(texts, vectors)
    now_seconds = time.perf_counter() - started
    now = topic_labels(topics)
    k = len(topics)

    rows = [(f"ours (k={k})", scores(gold, now)), (f"before issue 14 (k={len(set(before))})", scores(gold, before))]
    kmeans = [scores(gold, list(KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(vectors))) for seed in range(3)]
    rows.append(("KMeans, same k (3 seeds)", tuple(np.mean(kmeans, axis=0))))
    shuffled = [scores(gold, list(np.random.default_rng(seed).permutation(now))) for seed in range(5)]
    rows.append(("random, same sizes (5 seeds)", tuple(np.mean(shuffled, axis=0))))
    print(f"\n{'method':34s} {'best-match F1':>13s} {'NMI':>6s} {'ARI':>6s}")
    for name, (f1, nmi, ari) in rows:
        print(f"{name:34s} {f1:13.3f} {nmi:6.3f} {ari:6.3f}")
    print(f"\nfit time: ours {now_seconds:.1f} s, before {before_seconds:.1f} s (ratio {now_seconds / before_seconds:.2f})")

    print("\ngranularity (themes, median size): first half of the sessions' quotes -> all quotes")
    half = len(texts) // 2
    for name, fit in (("ours", lambda t, v: cluster(t, v)[1]), ("before issue 14", lambda t, v: legacy_fit(t, v)[0])):
        counts = [np.unique(fit(texts[:n], vectors[:n]), return_counts=True)[1] for n in (half, len(texts))]
        print(f"  {name:16s} {len(counts[0])} themes, median {np.median(counts[0]):.0f} -> {len(counts[1])} themes, median {np.median(counts[1]):.0f}")

    filler = lambda label: any(w in SPOKEN_FILLER for w in label.lower().replace("·", " ").split())  # noqa: E731
    print(f"\nlabels naming a theme with spoken filler: ours {sum(filler(t.label) for t in topics)} of {k}, before {sum(filler(l) for l in before_labels.values())} of {len(before_labels)}")
    print("ours:  ", "; ".join(t.label for t in sorted(topics, key=lambda t: -len(t.members))[:12]))
    print("before:", "; ".join(before_labels[t] for t in sorted(before_labels, key=lambda t: -before.count(t))[:12]))


if __name__ == "__main__":
    main()
