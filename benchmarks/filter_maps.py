"""Filtered journey maps on a built study, as the review app builds one on each filter change: CPU seconds per
build and peak memory, this checkout beside a reference revision in the same run, and whether the maps are the same.

    python benchmarks/filter_maps.py STUDY [--reference cbeac78] [--rounds 2] [--seeds 1 2]

Each side works on its own copy of STUDY (a coded study with themes, e.g. one `benchmarks/scale.py --keep` built),
in a process of its own, with what earlier builds kept removed first: it builds the whole map once (as `research map`
and `research run` do), then the map for every value of persona, segment and role in turn, `--rounds` times (the
first round is each filter's first use; later rounds come back to it). CPU seconds are user + system of that
process; the maps are compared with their build time left out. This checkout builds them once per `--seeds` value,
each as PYTHONHASHSEED in a process of its own, and says whether every map came out the same under each (the map must
not depend on set order; at cbeac78 it did); its first run's timings are the ones shown.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import time
from pathlib import Path

from at_revision import run_side, study_copy

FIELDS = ("persona", "segment", "role")
KEPT = ("headline_parses", "headline_readings", "pattern_hits")  # what this checkout or an older one keeps between builds


def worker(study_root: Path, rounds: int) -> dict:
    """Build the maps in this process (its `research` is the revision measured); the timings and each map's digest."""
    from research.coding.stage import study_codebook
    from research.journey import build_and_store, filter_values
    from research.study import Study

    study = Study.open(study_root)
    for table in KEPT:
        if table in study.db.table_names():
            study.db.execute(f"DELETE FROM {table}")
    book = study_codebook(study)[0]
    builds, digests = [], {}
    sets = [{}] + [{name: value} for name in FIELDS for value in filter_values(study, name)]
    for round_ in range(1 + rounds):
        for filters in sets if round_ else sets[:1]:
            started = time.process_time()
            journey = build_and_store(study, book, filters)
            cpu = time.process_time() - started
            data = json.loads(journey.model_dump_json())
            data.pop("built_at")
            name = ", ".join(f"{k} = {v}" for k, v in filters.items()) or "whole study"
            digests[name] = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
            builds.append([name, round_, cpu])
    return {"builds": builds, "digests": digests, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def side(study: Path, rounds: int, reference: str | None, seed: str | None = None) -> dict | None:
    with study_copy(study) as copy:
        return run_side(str(Path(__file__).resolve()), ["--worker", str(copy), "--rounds", str(rounds)], reference, {"PYTHONHASHSEED": seed} if seed else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path, nargs="?")
    parser.add_argument("--reference", default="cbeac78", help="the revision to measure beside this checkout")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seeds", nargs="+", default=["1", "2"], help="PYTHONHASHSEED of each run of this checkout; its maps must be the same under each")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)  # internal: build the maps of this study copy, print JSON
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.rounds)))
        return
    new, *again = [side(args.study, args.rounds, None, seed) for seed in args.seeds]
    old = side(args.study, args.rounds, args.reference)
    print(f"{'map':<40} {'round':>5} {args.reference + ' cpu s':>14} {'new cpu s':>10}")
    for (name, round_, cpu), other in zip(new["builds"], old["builds"] if old else [None] * len(new["builds"])):
        print(f"{name:<40} {round_:>5} {other[2] if other else float('nan'):>14.2f} {cpu:>10.2f}")
    if old:
        for round_ in range(1, args.rounds + 1):
            pairs = [(o[2], n[2]) for n, o in zip(new["builds"], old["builds"]) if n[1] == round_ and n[0] != "whole study"]
            print(f"round {round_}: filtered maps, mean cpu s {sum(o for o, _ in pairs) / len(pairs):.2f} -> {sum(n for _, n in pairs) / len(pairs):.2f}, "
                  f"max {max(o for o, _ in pairs):.2f} -> {max(n for _, n in pairs):.2f}")
        print(f"peak MB: {old['peak_mb']:.0f} -> {new['peak_mb']:.0f}")
        same = [name for name in new["digests"] if old["digests"].get(name) == new["digests"][name]]
        print(f"maps the same as {args.reference}'s: {len(same)} of {len(new['digests'])}" + "".join(f"\n  differs: {n}" for n in new["digests"] if n not in same))
    for seed, run in zip(args.seeds[1:], again):
        moved = [name for name in new["digests"] if run["digests"].get(name) != new["digests"][name]]
        print(f"maps the same under PYTHONHASHSEED {args.seeds[0]} and {seed}: {len(new['digests']) - len(moved)} of {len(new['digests'])}" + "".join(f"\n  differs: {n}" for n in moved))


if __name__ == "__main__":
    main()
