"""A real-size text study, stage by stage at two sizes: CPU seconds and peak memory against utterance count.

    python benchmarks/scale.py [--sizes 5 20] [--words 8000] [--keep DIR]

For each size, `benchmarks/scale_corpus.py` writes that many interviews of about --words words (Zoom and
Teams VTT, Zoom and Otter TXT, Teams DOCX, a sheet with two roles per company, names, emails and phone
numbers said aloud), and each stage runs as the researcher runs it: `research add`, `speakers`,
`anonymize`, `code`, `themes`, `map`, `export` (every format), each in a process of its own. Per stage it
prints the CPU seconds (user + system, the process and its children; a loaded machine changes these far
less than wall time) and the peak resident memory, at each size, and the growth: the CPU ratio between
the sizes against the utterance ratio, as an exponent (1.0 is linear; each command's fixed start-up and
model loading pull it below 1, so a stage reading well above 1 grows faster than its input).

Last it greps study.db, the vault-free logs (each command's output) and every export, zip members
included, for each raw name, email address and phone number the corpus put in: any hit is a leak.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from scale_corpus import write_study

STAGES = ["add", "speakers", "anonymize", "code", "themes", "map", "export"]


@dataclass(frozen=True)
class Measured:
    cpu: float  # seconds, user + system, the command and its children
    peak_mb: float
    returncode: int


def run(study: Path, args: list[str], log: Path) -> Measured:
    """One `research` command in a process of its own; its output to `log`."""
    env = os.environ | {"HF_HUB_OFFLINE": "1"}
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "research", "--study", str(study), *args], stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measured(usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode)


def stage_args(stage: str, corpus: Path) -> list[str]:
    if stage == "add":
        return ["add", str(corpus / "transcripts"), "--meta", str(corpus / "participants.csv")]
    return ["export", "--format", "all"] if stage == "export" else [stage]


def utterances(study: Path) -> tuple[int, int]:
    """(all utterances, customer utterances) in study.db."""
    with sqlite3.connect(study / "study.db") as db:
        total, customer = db.execute("SELECT count(*), sum(role LIKE 'customer%') FROM utterances").fetchone()
    return total, customer or 0


def measure(root: Path, interviews: int, words: int) -> tuple[dict[str, Measured], tuple[int, int], list[str]]:
    corpus, study, logs = root / f"corpus-{interviews}", root / f"study-{interviews}", root / f"logs-{interviews}"
    write_study(corpus, interviews, words)
    logs.mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "research", "init", str(study)], check=True, capture_output=True)
    results = {}
    for stage in STAGES:
        results[stage] = run(study, stage_args(stage, corpus), logs / f"{stage}.log")
        print(f"  {interviews:3d} interviews  {stage:<10} cpu {results[stage].cpu:8.1f} s  peak {results[stage].peak_mb:6.0f} MB"
              + ("" if results[stage].returncode == 0 else f"  exit {results[stage].returncode}"), flush=True)
    return results, utterances(study), leaks(corpus / "pii.txt", [study / "study.db", study / "exports", logs])


def leaks(pii_list: Path, places: list[Path]) -> list[str]:
    """'count  what  where' for each raw PII string found (case-insensitive) in the files under `places`."""
    patterns = [(p, re.compile(re.escape(p).encode(), re.IGNORECASE)) for p in pii_list.read_text(encoding="utf-8").splitlines() if p]
    found = []
    for place in places:
        files = [place] if place.is_file() else sorted(p for p in place.rglob("*") if p.is_file())
        for path in files + [Path(str(place) + suffix) for suffix in ("-wal",) if place.is_file() and Path(str(place) + suffix).exists()]:
            blobs = [(str(path), path.read_bytes())]
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as archive:
                    blobs += [(f"{path}!{name}", archive.read(name)) for name in archive.namelist()]
            for where, data in blobs:
                found += [f"{len(hits)}  {text!r}  {where}" for text, pattern in patterns if (hits := pattern.findall(data))]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[5, 20], metavar=("SMALL", "LARGE"))
    parser.add_argument("--words", type=int, default=8000, help="words per interview (8,000 is about 50 minutes)")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temporary folder)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="scale-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    small, large = (measure(root, size, args.words) for size in args.sizes)
    (n_small, c_small), (n_large, c_large) = small[1], large[1]
    print(f"\nutterances: {n_small:,} ({c_small:,} customer) at {args.sizes[0]} interviews, {n_large:,} ({c_large:,} customer) at {args.sizes[1]}; ratio {n_large / n_small:.2f}")
    a_n, b_n = args.sizes
    print(f"{'stage':<10} {f'cpu s@{a_n}':>9} {f'cpu s@{b_n}':>9} {'ratio':>6} {'exponent':>9} {f'ms/u@{a_n}':>8} {f'ms/u@{b_n}':>8} {f'MB@{a_n}':>8} {f'MB@{b_n}':>8}")
    for stage in STAGES:
        a, b = small[0][stage], large[0][stage]
        ratio = b.cpu / a.cpu if a.cpu else float("nan")
        exponent = math.log(ratio) / math.log(n_large / n_small) if ratio > 0 else float("nan")
        print(f"{stage:<10} {a.cpu:9.1f} {b.cpu:9.1f} {ratio:6.2f} {exponent:9.2f} {a.cpu / n_small * 1000:8.1f} {b.cpu / n_large * 1000:8.1f} {a.peak_mb:8.0f} {b.peak_mb:8.0f}")
    found = small[2] + large[2]
    print(f"\nraw PII in study.db, command output and exports: {'none' if not found else f'{len(found)} LEAKS'}")
    for line in found[:20]:
        print("  " + line)
    if args.keep:
        print(f"\nstudies kept in {root}")
    else:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
