"""The review app on a synthetic 100-interview study: time to interactive and keypress latency.

    python benchmarks/review_app.py [--interviews 100]

The study is built straight into study.db (see benchmarks/journey.py) with suggestions on every
customer utterance, so no model runs. Measured headless with Textual's Pilot: from creating the app
to the dashboard listing every interview, then the time from a keypress until the screen has
composed the frame that shows the result, on a long interview (the Pilot's own idle waits left out).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from journey import build_study  # noqa: E402

from research.coding.stage import study_codebook, sync_codes  # noqa: E402
from research.journey import build_and_store  # noqa: E402
from research.store import set_stage  # noqa: E402
from tui.app import ResearchApp  # noqa: E402


def add_suggestions(study, seed: int = 3) -> None:
    rng = random.Random(seed)
    db = study.db
    book = study_codebook(study)[0]
    sync_codes(db, book)
    keys = list(book.codes)
    stages = [k for k in keys if k.startswith("stage:")]
    rows = []
    for u in db.query("SELECT id FROM utterances WHERE role = 'customer'"):
        for key in [rng.choice(stages), *rng.sample(keys, 3)]:
            rows.append({"utterance_id": u["id"], "code_key": key, "source": "model", "confidence": round(rng.random(), 2), "status": "suggested", "created_at": "t", "updated_at": "t"})
    db["codings"].insert_all(rows, ignore=True)
    for interview in db.query("SELECT id FROM interviews"):
        set_stage(db, interview["id"], "code", "done")


async def key_latency(pilot, key: str) -> float:
    """Seconds from a key's binding running to the screen's next frame being composed, with every
    message the key caused handled first (the Pilot's idle waits are left out)."""
    app = pilot.app
    await pilot.pause()
    started = time.perf_counter()
    await app._check_bindings(key)  # the binding lookup and action a key press runs
    await pilot._wait_for_screen()
    app.screen._on_timer_update()
    return time.perf_counter() - started


async def measure(study, presses: int) -> dict[str, float]:
    started = time.perf_counter()
    app = ResearchApp(study)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        interactive = time.perf_counter() - started
        rows = app.screen.query_one("DataTable").row_count
        longest = max(study.db.query("SELECT i.code, COUNT(*) AS n FROM utterances u JOIN interviews i ON i.id = u.interview_id GROUP BY i.code"), key=lambda r: r["n"])
        app.open_interview(longest["code"])
        await pilot.pause()
        timings: dict[str, list[float]] = {"n (next suggestion)": [], "a (accept)": [], "down (next utterance)": [], "z (no binding)": []}
        for _ in range(presses):
            for key, label in (("n", "n (next suggestion)"), ("a", "a (accept)"), ("down", "down (next utterance)"), ("z", "z (no binding)")):
                timings[label].append(await key_latency(pilot, key))
    return {"interactive": interactive, "rows": rows, "utterances": longest["n"]} | {k: statistics.median(v) for k, v in timings.items()} | {f"{k} p95": sorted(v)[int(0.95 * len(v)) - 1] for k, v in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interviews", type=int, default=100)
    parser.add_argument("--presses", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        study = build_study(Path(folder) / "study", args.interviews)
        # one 60-minute interview: the first one, ten times longer
        db = study.db
        rows = list(db.query("SELECT * FROM utterances WHERE interview_id = 1 ORDER BY idx"))
        extra = [{k: v for k, v in r.items() if k != "id"} | {"idx": r["idx"] + len(rows) * n, "start": r["start"] + 600 * n} for n in range(1, 10) for r in rows]
        db["utterances"].insert_all(extra)
        add_suggestions(study)
        build_and_store(study, study_codebook(study)[0])
        result = asyncio.run(measure(study, args.presses))
    print(f"{args.interviews} interviews; dashboard interactive in {result['interactive']:.2f} s (goal < 1.5 s), {result['rows']} rows")
    print(f"transcript of {result['utterances']} utterances; keypress to render, median (p95):")
    for key in ("n (next suggestion)", "a (accept)", "down (next utterance)", "z (no binding)"):
        print(f"  {key:<30} {result[key] * 1000:6.1f} ms ({result[key + ' p95'] * 1000:.1f} ms)  goal < 50 ms")


if __name__ == "__main__":
    main()
