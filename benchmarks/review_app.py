"""The review app on a synthetic 100-interview study: time to first frame, time to quit, keypress latency.

    python benchmarks/review_app.py [--interviews 100] [--presses 40] [--rounds 3] [--against DIR] [--study DIR]

The study is built straight into study.db (see benchmarks/journey.py) with suggestions on every
customer utterance, so no model runs. Every time is given as wall time and as the CPU seconds
(user + system) of the process, which a loaded machine changes far less; and as a ratio to
`research status` on the same study, measured in the same run, so a loaded machine shows as slow for both:

- first frame: `research review` started in a pseudo-terminal (160x48), from the process start
  (interpreter and imports included) until the dashboard's first interview row is on the screen;
  then `q` until the process has exited. The reference is `research status` in the same terminal,
  from start to exit.
- keypress: headless with Textual's Pilot, in a process of its own that runs only the app (as
  `research review` does), from a key's binding running until the screen has composed the frame that
  shows the result, on a long interview (the Pilot's own idle waits left out). The reference is
  `research status`'s own work (reading the study and printing the table) in that process.

--against DIR measures the code of another checkout too (e.g. `git worktree add /tmp/main main`),
on the same study in the same run, alternated with this checkout's: old (DIR) against new.
--study DIR keeps the built study in DIR and reuses it on the next run (building takes minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import io
import json
import os
import pty
import random
import resource
import select
import shutil
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from contextlib import redirect_stdout
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SIZE = (160, 48)
KEYS = (("n", "n (next suggestion)"), ("a", "a (accept)"), ("down", "down (next utterance)"), ("z", "z (no binding)"))


def build(root: Path, interviews: int) -> None:
    """The synthetic study, with one 60-minute interview (the first, ten times longer) and suggestions
    on every customer utterance."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from journey import build_study  # torch, scikit-learn: only the build needs them

    from research.coding.stage import study_codebook
    from research.journey import build_and_store

    study = build_study(root, interviews)
    db = study.db
    rows = list(db.query("SELECT * FROM utterances WHERE interview_id = 1 ORDER BY idx"))
    extra = [{k: v for k, v in r.items() if k != "id"} | {"idx": r["idx"] + len(rows) * n, "start": r["start"] + 600 * n} for n in range(1, 10) for r in rows]
    db["utterances"].insert_all(extra)
    add_suggestions(study)
    build_and_store(study, study_codebook(study)[0])
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def add_suggestions(study, seed: int = 3) -> None:
    from research.coding.stage import study_codebook, sync_codes
    from research.store import set_stage

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


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a live process has used so far (/proc/PID/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def in_terminal(code: Path, args: list[str], study: Path, until: bytes | None, limit: float = 180.0) -> tuple[float, float, float]:
    """Run `research ARGS` with the code in `code`, in a 160x48 pseudo-terminal. Returns (seconds until
    `until` was printed, or until exit when None; the process's CPU seconds by then; seconds from sending
    `q` to the process's exit, 0 when `until` is None)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    env = os.environ | {"TERM": "xterm-256color", "COLUMNS": str(SIZE[0]), "LINES": str(SIZE[1]), "PYTHONPATH": str(code)}
    cpu_before = _children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "research", "--study", str(study), *args], stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True, cwd=code)
    os.close(slave)
    seen, shown, cpu, quit_time = b"", None, 0.0, 0.0
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
                    cpu = _cpu_seconds(process.pid)
                    asked = time.perf_counter()
                    os.write(master, b"q")
            if process.poll() is not None:
                if until is None:
                    shown = time.perf_counter() - started
                    cpu = _children_cpu() - cpu_before
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
    return shown, cpu, quit_time


async def key_latency(pilot, key: str) -> tuple[float, float]:
    """Seconds (wall, CPU) from a key's binding running to the screen's next frame being composed, with
    every message the key caused handled first (the Pilot's idle waits are left out)."""
    app = pilot.app
    await pilot.pause()
    started, cpu = time.perf_counter(), time.process_time()
    await app._check_bindings(key)  # the binding lookup and action a key press runs
    await pilot._wait_for_screen()
    app.screen._on_timer_update()
    return time.perf_counter() - started, time.process_time() - cpu


async def measure_keys(study, presses: int) -> dict:
    from tui.app import ResearchApp

    app = ResearchApp(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        longest = max(study.db.query("SELECT i.code, COUNT(*) AS n FROM utterances u JOIN interviews i ON i.id = u.interview_id GROUP BY i.code"), key=lambda r: r["n"])
        app.open_interview(longest["code"])
        await pilot.pause()
        timings: dict[str, list[tuple[float, float]]] = {label: [] for _, label in KEYS}
        for _ in range(presses):
            for key, label in KEYS:
                timings[label].append(await key_latency(pilot, key))
    return {"utterances": longest["n"], "timings": timings}


def status_work(study) -> float:
    """`research status`'s own work in this process: read every interview's status and print the table."""
    from research.cli import _print_status
    from research.console import console

    started = time.perf_counter()
    with redirect_stdout(io.StringIO()), console.capture():
        _print_status(study)
    return time.perf_counter() - started


def keys_in_process(study_root: Path, presses: int) -> None:
    """The keypress part, in this process (started with the code to measure): prints one JSON line."""
    from research.study import Study

    study = Study.open(study_root)
    work = statistics.median(status_work(study) for _ in range(5))
    print(json.dumps(asyncio.run(measure_keys(study, presses)) | {"work": work}))


def keys_with(code: Path, study: Path, presses: int) -> dict:
    """The keypress part on a copy of the study (the keys change it), in a process running `code`."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "study"
        shutil.copytree(study, copy)
        env = os.environ | {"PYTHONPATH": str(code)}
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--keys", str(copy), "--presses", str(presses)], env=env, cwd=code, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"the keypress measurement with {code} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _p95(values: list[float]) -> float:
    return sorted(values)[max(int(0.95 * len(values)) - 1, 0)]


def report(args, study: Path, codes: dict[str, Path]) -> None:
    runs = {name: {"status": [], "frame": [], "quit": []} for name in codes}
    for _ in range(args.rounds):  # alternated, so a change in the machine's load touches every measurement
        for name, code in codes.items():
            wall, cpu, _ = in_terminal(code, ["status"], study, None)
            runs[name]["status"].append((wall, cpu))
            wall, cpu, closed = in_terminal(code, ["review"], study, b"INT-001")
            runs[name]["frame"].append((wall, cpu))
            runs[name]["quit"].append((closed, 0.0))
    keys = {name: keys_with(code, study, args.presses) for name, code in codes.items()}
    load = os.getloadavg()
    with sqlite3.connect(study / "study.db") as connection:
        interviews = connection.execute("SELECT COUNT(*) FROM interviews").fetchone()[0]
    print(f"{interviews} interviews, {args.rounds} rounds in a {SIZE[0]}x{SIZE[1]} pseudo-terminal; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs.")
    print("Medians, wall s (CPU s of the process); x status = wall / the same code's `research status` wall:")
    names = list(codes)
    print(f"  {'':<40}" + "".join(f"{name + ' (' + str(codes[name]) + ')':>34}" for name in names))
    for label, part in (("research status, start to exit", "status"), ("research review, start to first frame", "frame"), ("research review, q to exit", "quit")):
        cells = []
        for name in names:
            wall = statistics.median(w for w, _ in runs[name][part])
            cpu = statistics.median(c for _, c in runs[name][part])
            reference = statistics.median(w for w, _ in runs[name]["status"])
            cells.append(f"{wall:6.2f} s" + (f" ({cpu:4.2f} s)" if part != "quit" else " " * 9) + f" = {wall / reference:4.2f} x status")
        print(f"  {label:<40}" + "".join(f"{cell:>34}" for cell in cells))
    print("  goal: first frame < 1.5 s when idle")
    first = keys[names[0]]
    print(f"Keypress to composed frame on a transcript of {first['utterances']} utterances, median (p95) wall ms [median CPU ms]; x work = wall / `research status`'s own work in that process:")
    print(f"  {'':<24}" + "".join(f"{name:>44}" for name in names))
    for _, label in KEYS:
        cells = []
        for name in names:
            timings = keys[name]["timings"][label]
            walls, cpus = [w for w, _ in timings], [c for _, c in timings]
            median = statistics.median(walls)
            cells.append(f"{median * 1000:6.1f} ({_p95(walls) * 1000:6.1f}) [{statistics.median(cpus) * 1000:5.1f}] = {median / keys[name]['work']:5.2f} x work")
        print(f"  {label:<24}" + "".join(f"{cell:>44}" for cell in cells))
    print("  status work: " + ", ".join(f"{name} {keys[name]['work'] * 1000:.1f} ms" for name in names) + "; goal: keypress < 50 ms when idle")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interviews", type=int, default=100)
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another checkout to measure in the same run (old), against this one (new)")
    parser.add_argument("--study", type=Path, help="build the study here, or reuse it when it exists")
    parser.add_argument("--keys", type=Path, help=argparse.SUPPRESS)  # internal: the keypress part on this study, as JSON
    args = parser.parse_args()
    if args.keys:
        keys_in_process(args.keys, args.presses)
        return
    codes = ({"old": args.against.resolve()} if args.against else {}) | {"new": REPO}
    with tempfile.TemporaryDirectory() as folder:
        study = (args.study or Path(folder) / "study").resolve()
        if not (study / "study.db").exists():
            build(study, args.interviews)
        report(args, study, codes)


if __name__ == "__main__":
    main()
