"""Which 20 decisions teach `--learn` most: random orders beside the review order (uncertain first), same run.

    python benchmarks/learning_order.py [--domain-study DIR ...] [--sizes 0 10 20 30] [--orders 10] [--batch 5] [--dev]

Each domain study's labelled customer turns (benchmarks/domain_studies) are split once into two halves (every
other labelled turn, in interview order). Each half is in turn the POOL (decisions come only from it) and the
other the TEST half (never decided). A simulated researcher decides n pool turns' stages (accepts a right
suggestion, rejects a wrong one, adds the right stage), `--learn` adapts the engine and the study is coded
again. Reported at n = 0/10/20/30, for each order:
- stage macro-F1 on the two test halves together (every turn scored once, by an engine that learned only
  from the other half): what `--learn` carries to turns nobody decided;
- stage macro-F1 of the whole study as the researcher leaves it (decided turns as decided, the rest as
  coded after `--learn`), the mean of the two pools;
- how many wrong stage suggestions (or missing stages) the first 10 and 20 decisions corrected.
Orders:
- random: the pool in a random order (mean of `--orders` orders, with the lowest and highest);
- review, --learn every `--batch`: `research.coding.review_order` over the pool's open stage suggestions,
  a batch decided at a time, then `--learn` and coding again (the suggestions and the ranking follow the refit);
- review, one --learn: the same ranking on the unadapted suggestions alone (a researcher who works down the
  queue, pressing `N` in the review app, and runs `--learn` once).
The review order holds the pool's open stage suggestions and its turns with no clear stage (as the review
app's queue does); when it runs dry, the rest of the pool follows in a fixed random order.
With `--dev`, the same on ../shared/data/journey-stages-dev (utterances coded alone).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DOMAIN_STUDIES = REPO / "benchmarks" / "domain_studies"
ASKED = (10, 20)  # decisions whose corrections are counted (issue 15: "after a researcher decides 20 codings")
DEV = REPO.parent / "shared" / "data" / "journey-stages-dev" / "stages.tsv"


@dataclass(frozen=True)
class Outcome:
    """What one decision order came to, per number n of decisions in each pool: stage macro-F1 on the test halves
    (`--learn` alone), on every item with the decided ones as decided (the study as the researcher leaves it,
    mean of the two pools), and the wrong suggestions (or missing stages) the first 10 and 20 decisions corrected."""

    tested: dict[int, float]
    reviewed: dict[int, float]
    corrected: dict[int, int]


class Simulation:
    """One labelled data set split into two halves, coded by one engine. Each half is in turn the POOL (decisions
    come from it) and the other the TEST half (scored, never decided); the two test halves are scored together,
    so every labelled item is scored once, by an engine that learned only from the other half."""

    def __init__(self, engine, texts, vectors, truths, labels, code_all, beside=None):
        from research.coding.learned import codebook_background

        self.engine, self.texts, self.vectors, self.truths = engine, texts, vectors, truths
        self.labels, self.code_all, self.beside = labels, code_all, beside
        self.halves = (np.arange(0, len(texts), 2), np.arange(1, len(texts), 2))
        self.background = codebook_background(engine.codebook, engine.prototypes.examples)
        self.confidence: dict[tuple[int, str], float] = {}  # (item, code key): the confidence of its latest suggestion
        self.unplaced: set[int] = set()  # items coding found on the journey but placed at no stage (`scope` weak)
        self.turn_ids: list[int] = list(range(len(texts)))  # each item's turn id where it was coded

    def coded(self, decisions: list[tuple[int, str, str]]) -> list[list[str]]:
        """Every item's code keys after `--learn` on these decisions."""
        from research.coding.evaluate import learned_from
        from research.coding.learned import LearnedModels

        self.engine.adapt(learned_from(self.engine, decisions, self.texts, self.vectors, self.background, self.beside) if decisions else LearnedModels({}))
        return self.code_all()

    def score(self, codes: dict[int, list[str]]) -> float:
        """Stage macro-F1 over every item, each coded as in `codes`."""
        from research.coding.evaluate import _study_scored

        return _study_scored([({}, label) for label in self.labels], [codes[i] for i in range(len(self.labels))]).stage_macro_f1

    def decide(self, item: int, suggested: list[str]) -> list[tuple[int, str, str]]:
        from research.coding.evaluate import labelled_decisions

        return labelled_decisions(item, {"stage": self.truths[item]}, [k for k in suggested if k.startswith("stage:")])

    def wrong(self, item: int, suggested: list[str]) -> bool:
        """Whether the item's stage suggestion (or its lack of one) is wrong: a decision on it corrects the engine."""
        return any(status == "rejected" or key not in suggested for _, key, status in self.decide(item, suggested))

    def random_curve(self, sizes: list[int], orders: int) -> list[Outcome]:
        """Per random order, what n decisions of each pool (in that order) came to."""
        unadapted = self.coded([])
        out = []
        for seed in range(orders):
            rng = np.random.default_rng(seed)
            orders_of = [[int(i) for i in rng.permutation(pool)] for pool in self.halves]
            runs: dict[int, list[tuple[list[int], list[list[str]]]]] = {n: [] for n in sizes}
            for n in sizes:
                for order in orders_of:
                    runs[n].append((order[:n], self.coded([d for i in order[:n] for d in self.decide(i, unadapted[i])])))
            out.append(self._outcome(runs, [[self.wrong(i, unadapted[i]) for i in order] for order in orders_of]))
        return out

    def review_curve(self, sizes: list[int], batch: int | None) -> Outcome:
        """What the review order's first n decisions of each pool came to; `batch`: decisions between refits (the
        ranking re-read after each), None: the whole order on the unadapted suggestions (one `--learn` at the end)."""
        runs: dict[int, list[tuple[list[int], list[list[str]]]]] = {n: [] for n in sizes}
        flags = [self._review(pool, sizes, batch, runs) for pool in self.halves]
        return self._outcome(runs, flags)

    def _outcome(self, runs: dict[int, list[tuple[list[int], list[list[str]]]]], flags: list[list[bool]]) -> Outcome:
        """`runs[n]`: per pool, the items decided and every item's codes after `--learn` on them; `flags`: per pool,
        whether each decision (in order) corrected a wrong suggestion."""
        tested, reviewed = {}, {}
        for n, per_pool in runs.items():
            codes: dict[int, list[str]] = {}
            for (_, coded), test in zip(per_pool, self.halves[::-1]):
                codes |= {int(i): coded[i] for i in test}
            tested[n] = self.score(codes)
            reviewed[n] = float(np.mean([self.score(dict(enumerate(coded)) | {i: [f"stage:{t}" for t in self.truths[i]] for i in decided}) for decided, coded in per_pool]))
        return Outcome(tested, reviewed, {asked: sum(sum(f[:asked]) for f in flags) for asked in ASKED})

    def _review(self, pool: np.ndarray, sizes: list[int], batch: int | None, runs: dict) -> list[bool]:
        from research.coding.review_order import review_order

        rest = [int(i) for i in np.random.default_rng(0).permutation(pool)]
        codes = self.coded([])
        decided: list[int] = []
        decisions: list[tuple[int, str, str]] = []
        flags: list[bool] = []
        if 0 in sizes:
            runs[0].append(([], codes))
        while len(decided) < max(sizes):
            step = min(batch or max(sizes), max(sizes) - len(decided))
            picks = self._ranked(pool, codes, decided, decisions, step, review_order)
            picks += [i for i in rest if i not in decided and i not in picks][: step - len(picks)]
            for i in picks:
                flags.append(self.wrong(i, codes[i]))
                decisions += self.decide(i, codes[i])
                decided.append(i)
            if batch is None:
                for n in sizes:
                    if 0 < n <= len(decided):
                        runs[n].append((decided[:n], self.coded([d for d in decisions if d[0] in decided[:n]])))
            else:
                codes = self.coded(decisions)
                if len(decided) in sizes:
                    runs[len(decided)].append((list(decided), codes))
        return flags

    def _ranked(self, pool: np.ndarray, codes: list[list[str]], decided: list[int], decisions: list[tuple[int, str, str]], count: int, review_order) -> list[int]:
        """The pool's open stage suggestions and turns with no clear stage, in review order (at most `count`)."""
        asked = {int(i): next((k for k in codes[i] if k.startswith("stage:")), "stage:") for i in pool if int(i) not in decided}
        open_items = [i for i, key in asked.items() if key != "stage:" or i in self.unplaced]
        if not open_items:
            return []
        confidence = np.array([self.confidence[(i, asked[i])] for i in open_items])
        decided_on: dict[int, str] = {}
        for i, key, _ in decisions:
            decided_on.setdefault(i, key)  # the suggestion decided, or the stage added where none was
        known_codes = [decided_on.get(i, "stage:") for i in decided]
        known = self.vectors[decided] if decided else np.zeros((0, self.vectors.shape[1]), np.float32)
        order = review_order(confidence, self.vectors[open_items], [asked[i] for i in open_items], known, known_codes, count)
        return [open_items[n] for n in order]

    def read(self, item: int, coded) -> list[str]:
        """One item's code keys from `engine.code_turns`' result, keeping what the review order reads: the
        confidence of each suggestion, and for a turn with no clear stage (`scope` weak) its best stage's."""
        keys = [s.code_key for s in coded.suggestions if s.turn_id == self.turn_ids[item]]
        self.confidence |= {(item, s.code_key): s.confidence for s in coded.suggestions if s.turn_id == self.turn_ids[item]}
        scope = coded.scopes.get(self.turn_ids[item])
        self.unplaced.discard(item)
        if scope is not None and scope.scope == "weak" and not any(k.startswith("stage:") for k in keys):
            self.unplaced.add(item)
            self.confidence[(item, "stage:")] = scope.confidence
        return keys


def domain_simulation(engine, folder: Path) -> Simulation:
    from research.coding.evaluate import _beside, read_domain_study, script_turns
    from research.embeddings import embed

    interviews = script_turns(read_domain_study(folder))
    vectors_of = [embed([t.text for t in turns]) for turns, _ in interviews]
    items = [(k, n) for k, (turns, _) in enumerate(interviews) for n, turn in enumerate(turns) if turn.role == "customer"]
    labels = [interviews[k][1][n] for k, n in items]
    simulation: Simulation

    def code_all() -> list[list[str]]:
        coded = {k: engine.code_turns(turns, vectors) for k, ((turns, _), vectors) in enumerate(zip(interviews, vectors_of))}
        return [simulation.read(n, coded[k]) for n, (k, _) in enumerate(items)]

    simulation = Simulation(engine, [interviews[k][0][n].text for k, n in items], np.stack([vectors_of[k][n] for k, n in items]),
                            [{label["stage"]} if label.get("stage") else set() for label in labels], labels, code_all,
                            _beside([[t.role for t in turns] for turns, _ in interviews], vectors_of, items))
    simulation.turn_ids = [interviews[k][0][n].id for k, n in items]
    return simulation


def dev_simulation(engine) -> Simulation:
    from research.coding.engine import Turn
    from research.coding.evaluate import read_journey_stages
    from research.embeddings import embed

    items = read_journey_stages(DEV)
    texts = [item.text for item in items]
    vectors = embed(texts)
    simulation: Simulation

    def code_all() -> list[list[str]]:  # each utterance alone, as a one-turn interview
        return [simulation.read(n, engine.code_turns([Turn(n, "customer", text)], vectors[n : n + 1])) for n, text in enumerate(texts)]

    stages = [item.stage if item.stage != "none" else None for item in items]
    simulation = Simulation(engine, texts, vectors, [{stage} if stage else set() for stage in stages], [{"stage": stage} for stage in stages], code_all)
    return simulation


def report(name: str, simulation: Simulation, sizes: list[int], orders: int, batch: int) -> None:
    pool = min(map(len, simulation.halves))
    if max(sizes) > pool:
        print(f"{name}: a pool holds {pool} items, so {', '.join(str(n) for n in sizes if n > pool)} decisions are left out")
        sizes = [n for n in sizes if n <= pool]
    started = time.process_time()
    random = simulation.random_curve(sizes, orders)
    review = {f"review, --learn every {batch}": simulation.review_curve(sizes, batch), "review, one --learn": simulation.review_curve(sizes, None)}
    print(f"{name}: halves of {len(simulation.halves[0])} and {len(simulation.halves[1])} items, each the pool in turn ({time.process_time() - started:.0f} CPU-s)")
    for title, field in (("stage macro-F1 on the test halves (never decided)", "tested"), ("stage macro-F1 of the study as reviewed (decided items as decided)", "reviewed")):
        print(f"  {title}:")
        print(f"    {'decided':>7}  {'random (mean, orders low-high)':<31}" + "".join(f"  {k:<26}" for k in review))
        for n in sizes:
            scores = [getattr(r, field)[n] for r in random]
            print(f"    {n:>7}  {np.mean(scores):.3f} ({min(scores):.3f}-{max(scores):.3f}){'':<14}" + "".join(f"  {getattr(r, field)[n]:.3f}{'':<21}" for r in review.values()))
    for asked in ASKED:
        counts = [r.corrected[asked] for r in random]
        print(f"  wrong stages corrected by the first {asked} decisions of each pool: random {np.mean(counts):.1f} ({min(counts)}-{max(counts)})"
              + "".join(f", {k} {r.corrected[asked]}" for k, r in review.items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--domain-study", type=Path, action="append", help="a labelled study folder (default: each of benchmarks/domain_studies)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 10, 20, 30])
    parser.add_argument("--orders", type=int, default=10, help="random orders averaged")
    parser.add_argument("--batch", type=int, default=5, help="decisions between `--learn` refits in the batched review order")
    parser.add_argument("--dev", action="store_true", help="also journey-stages-dev (utterances coded alone)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    import sys

    sys.path.insert(0, str(REPO / "benchmarks"))
    from coding import engines

    engine = engines()["full"]
    for folder in args.domain_study or sorted(p for p in DOMAIN_STUDIES.iterdir() if p.is_dir()):
        report(f"the {folder.name} study", domain_simulation(engine, folder), args.sizes, args.orders, args.batch)
    if args.dev and DEV.is_file():
        report("journey-stages-dev", dev_simulation(engine), args.sizes, args.orders, args.batch)


if __name__ == "__main__":
    main()
