"""The review app on a synthetic 100-interview study: time to first frame, time to quit, keypress latency.

    python benchmarks/review_app.py [--interviews 100] [--presses 40] [--rounds 3]

The study is built straight into study.db (see benchmarks/journey.py) with suggestions on every
customer utterance, so no model runs. Every time is a ratio to `research status` on the same study,
measured in the same run, so a loaded machine shows as slow for both:

- first frame: `research review` started in a pseudo-terminal (160x48), from the process start
  (interpreter and imports included) until the dashboard's first interview row is on the screen;
  then `q` until the process has exited. The reference is `research status` in the same terminal,
  from start to exit.
- keypress: headless with Textual's Pilot, from a key's binding running until the screen has
  composed the frame that shows the result, on a long interview (the Pilot's own idle waits left out).
  The reference is `research status`'s own work (reading the study and printing the table) in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import io
import os
import pty
import random
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from contextlib import redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from journey import build_study  # noqa: E402

from research.coding.stage import study_codebook, sync_codes  # noqa: E402
from research.journey import build_and_store  # noqa: E402
from research.store import set_stage  # noqa: E402
from tui.app import ResearchApp  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SIZE = (160, 48)


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


def in_terminal(args: list[str], study: Path, until: bytes | None, limit: float = 120.0) -> tuple[float, float]:
    """Run `research ARGS` in a 160x48 pseudo-terminal. Returns (seconds until `until` was printed, or
    until exit when None; seconds from sending `q` to the process's exit, 0 when `until` is None)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    env = os.environ | {"TERM": "xterm-256color", "COLUMNS": str(SIZE[0]), "LINES": str(SIZE[1]), "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "research", "--study", str(study), *args], stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    seen, shown, quit_time = b"", None, 0.0
    try:
        while time.perf_counter() - started < limit:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    chunk = b""
                seen += chunk
                if until is not None and shown is None and until in seen:
                    shown = time.perf_counter() - started
                    asked = time.perf_counter()
                    os.write(master, b"q")
            if process.poll() is not None:
                if until is None:
                    shown = time.perf_counter() - started
                else:
                    quit_time = time.perf_counter() - asked if shown is not None else 0.0
                break
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        os.close(master)
    if shown is None:
        raise SystemExit(f"`research {' '.join(args)}` did not show {until!r} within {limit:.0f} s:\n{seen[-2000:].decode(errors='replace')}")
    return shown, quit_time


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


async def measure_keys(study, presses: int) -> dict[str, float]:
    app = ResearchApp(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        longest = max(study.db.query("SELECT i.code, COUNT(*) AS n FROM utterances u JOIN interviews i ON i.id = u.interview_id GROUP BY i.code"), key=lambda r: r["n"])
        app.open_interview(longest["code"])
        await pilot.pause()
        timings: dict[str, list[float]] = {"n (next suggestion)": [], "a (accept)": [], "down (next utterance)": [], "z (no binding)": []}
        for _ in range(presses):
            for key, label in (("n", "n (next suggestion)"), ("a", "a (accept)"), ("down", "down (next utterance)"), ("z", "z (no binding)")):
                timings[label].append(await key_latency(pilot, key))
    return {"utterances": longest["n"]} | {k: statistics.median(v) for k, v in timings.items()} | {f"{k} p95": sorted(v)[int(0.95 * len(v)) - 1] for k, v in timings.items()}


def status_work(study) -> float:
    """`research status`'s own work in this process: read every interview's status and print the table."""
    from research.cli import _print_status
    from research.console import console

    started = time.perf_counter()
    with redirect_stdout(io.StringIO()), console.capture():
        _print_status(study)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interviews", type=int, default=100)
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
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
        status, frame, quit_ = [], [], []
        for _ in range(args.rounds):  # alternated, so a change in the machine's load touches both
            status.append(in_terminal(["status"], study.root, None)[0])
            shown, closed = in_terminal(["review"], study.root, b"INT-001")
            frame.append(shown)
            quit_.append(closed)
        reference = statistics.median(status)
        first, leave = statistics.median(frame), statistics.median(quit_)
        work = statistics.median(status_work(study) for _ in range(5))
        keys = asyncio.run(measure_keys(study, args.presses))
    print(f"{args.interviews} interviews, {args.rounds} rounds in a {SIZE[0]}x{SIZE[1]} pseudo-terminal, medians:")
    print(f"  research status, start to exit        {reference:6.2f} s (reference = 1.00)")
    print(f"  research review, start to first frame {first:6.2f} s = {first / reference:.2f} x status  (goal < 1.5 s when idle)")
    print(f"  research review, q to exit            {leave:6.2f} s = {leave / reference:.2f} x status")
    print(f"transcript of {keys['utterances']} utterances; keypress to composed frame, median (p95), against status's own work ({work * 1000:.1f} ms):")
    for key in ("n (next suggestion)", "a (accept)", "down (next utterance)", "z (no binding)"):
        print(f"  {key:<24} {keys[key] * 1000:6.1f} ms ({keys[key + ' p95'] * 1000:5.1f} ms) = {keys[key] / work:5.2f} x status work  goal < 50 ms")


if __name__ == "__main__":
    main()
