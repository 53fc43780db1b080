"""CPU seconds of `research code --force` on a copy of a study in a fresh process whose numba cache is empty (a machine's
first run) and again with that cache kept (a later run), this checkout beside a reference revision in the same run,
and whether both code it alike.

    python benchmarks/cold_code.py STUDY [--reference 5365a21]

STUDY: an anonymized study (e.g. the demo study the tests build into $RESEARCH_TEST_DEMO_CACHE). CPU seconds are user +
system of the coding process, imports included; the codings are compared as (utterance, code, status, confidence).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import sys
import tempfile
from pathlib import Path

from at_revision import run_side


def worker(study_root: Path) -> dict:
    """Code the study in this process (its `research` is the revision measured); CPU seconds and the codings' digest."""
    from research.coding.stage import run_code
    from research.study import Study

    study = Study.open(study_root)
    run_code(study, True)
    rows = study.db.execute("SELECT utterance_id, code_key, status, round(confidence, 12) FROM codings ORDER BY 1, 2").fetchall()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu": usage.ru_utime + usage.ru_stime, "digest": hashlib.sha256(json.dumps(rows).encode()).hexdigest(), "numba": "numba" in sys.modules}


def side(study: Path, reference: str | None) -> list[dict | None]:
    """A cold run (empty numba cache) and a warm one (the cache it left), each on a fresh copy of the study."""
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        os.environ["NUMBA_CACHE_DIR"] = str(Path(folder) / "numba")
        for run in ("cold", "warm"):
            copy = Path(folder) / run
            shutil.copytree(study, copy)
            runs.append(run_side(str(Path(__file__).resolve()), ["--worker", str(copy)], reference))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path, nargs="?")
    parser.add_argument("--reference", default="5365a21", help="the revision to measure beside this checkout")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)  # internal: code this study copy, print JSON
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return
    old, new = side(args.study, args.reference), side(args.study, None)
    print(f"{'run':<6} {args.reference + ' cpu s':>14} {'new cpu s':>10}   numba imported (old, new)")
    for run, o, n in zip(("cold", "warm"), old, new):
        print(f"{run:<6} {o['cpu'] if o else float('nan'):>14.1f} {n['cpu']:>10.1f}   {o['numba'] if o else '?'}, {n['numba']}")
    digests = {r["digest"] for r in [*old, *new] if r}
    print("codings the same in every run" if len(digests) == 1 else f"codings differ: {len(digests)} distinct results")


if __name__ == "__main__":
    main()
