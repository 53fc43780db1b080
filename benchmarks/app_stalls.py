"""How the review app answers keys while a worker loads models: the first memo save and a map filter's first use.

    python benchmarks/app_stalls.py STUDY [--reference 0a2bbca] [--rounds 2]

STUDY is a coded study with a stored map (the demo after `research code`, `themes` and `map`). Each side runs in
a fresh process of its own (this checkout; with --reference, that revision's research, tui and codebooks), on a
copy of STUDY, headless at 80x24 with Textual's Pilot, so every model loads as it does on a researcher's first use:

- memo: the first interview at its first suggestion, `m`, a memo with a name and a phone number typed one key
  every 0.1 s, Enter, then `down`/`up` every 0.1 s until the memo is saved;
- filter: `j`, then the first persona chosen, until its map is on screen; then a second persona and at once a
  third, until the third's map is on screen. Every 0.1 s meanwhile, a call is put on the app's queue: how long
  it waits to run is how long a key would wait before the app starts on it.

For each part: the slowest and the median key (memo: from the key sent until what it does shows in the app;
filter: the wait above; wall ms), the longest
stall of the UI's event loop (wall ms), the UI thread's CPU seconds, the seconds until done, and what was shown:
whether the memo was saved redacted, and how many samples (every 0.1 s) showed a map for other filters while the
screen said it was building the one for the filters chosen.
Wall times move with the machine's load: compare the two sides of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MEMO = "call Margaret Okonkwo on 555-123-4567"
STEP = 0.1


class Stalls:
    """The longest gap between ticks of a 10 ms loop on the app's event loop."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last)
            last = now

    def stop(self) -> float:
        self._task.cancel()
        return round(self.longest * 1000)


async def press(app, key: str, keys: list[tuple[float, str]], effect) -> None:
    """Send `key` as a terminal would, and wait until `effect()` changes (what the key does, seen in the app's state).
    The Pilot's own press waits until the process is idle, which a busy worker thread never is."""
    from textual import events

    before = effect()
    event = events.Key(key, key if len(key) == 1 else {"enter": "\r"}.get(key))
    event.set_sender(app)
    started = time.perf_counter()
    app._driver.send_message(event)
    while effect() == before and time.perf_counter() - started < 60:
        await asyncio.sleep(0.002)
    keys.append((time.perf_counter() - started, key))


async def answer(app, waits: list[tuple[float, str]]) -> None:
    """How long a key would wait before the app starts on it: a call put on the app's queue, until it runs."""
    ran = asyncio.Event()
    started = time.perf_counter()
    app.call_later(ran.set)
    await ran.wait()
    waits.append((time.perf_counter() - started, "wait"))


def summary(keys: list[tuple[float, str]], stalls: Stalls, cpu: float, seconds: float) -> dict:
    slowest = sorted(keys, reverse=True)[:3]
    return {"slowest keys ms": ", ".join(f"{ms * 1000:.0f} ({key})" for ms, key in slowest), "median key ms": round(statistics.median(k for k, _ in keys) * 1000),
            "longest stall ms": stalls.stop(), "UI thread CPU s": round(time.thread_time() - cpu, 2), "seconds": round(seconds, 1)}


async def memo_part(app, pilot) -> dict:
    await pilot.pause()
    await pilot.press("enter", "n")
    await pilot.pause()
    coding = app.screen.current_coding
    keys: list[tuple[float, str]] = []
    screen = app.screen
    stalls, cpu = Stalls(), time.thread_time()
    await press(app, "m", keys, lambda: app.screen)
    for char in MEMO:
        await press(app, char, keys, lambda: app.screen.query_one("Input").value)
        await asyncio.sleep(STEP)
    started = time.perf_counter()
    await press(app, "enter", keys, lambda: app.screen)
    cursor = lambda: screen.query_one("#utterances").highlighted  # noqa: E731
    shown_saving = False
    while any(w.group == "memo" and not w.is_finished for w in app.screen.workers):
        line = app.screen.query("#memo-saving")  # this checkout's line; the reference said it in a notification
        told = [str(line.first().visual)] if line else [n.message for n in app._notifications]
        shown_saving = shown_saving or any("Saving the memo" in text for text in told)
        for key in ("down", "up"):
            await press(app, key, keys, cursor)
            await asyncio.sleep(STEP)
    result = summary(keys, stalls, cpu, time.perf_counter() - started)
    saved = app.study.db["codings"].get(coding.id)["memo"] or ""
    return result | {"redacted": "Okonkwo" not in saved and "4567" not in saved and "[PHONE" in saved, "said it was saving": shown_saving}


async def filter_part(app, pilot) -> dict:
    from textual.widgets import ContentSwitcher, Select

    await pilot.press("j")
    screen = app.screen
    while screen.journey is None:
        await pilot.pause(STEP)
    select = screen.query_one("#filter-persona", Select)
    personas = [value for _, value in select._options if isinstance(value, str)]
    keys: list[tuple[float, str]] = []
    stale = 0

    async def until(persona: str) -> None:
        nonlocal stale
        await answer(app, keys)  # once at least, however soon the map comes
        while screen.journey is None or screen.journey.filters != {"persona": persona}:
            knows = screen.sub_title.startswith("building the map for")  # the screen has taken the change in
            if knows and screen.journey is not None and screen.journey.filters != screen.filters() and screen.query_one(ContentSwitcher).visible:
                stale += 1
            await answer(app, keys)
            await asyncio.sleep(STEP)

    stalls, cpu, started = Stalls(), time.thread_time(), time.perf_counter()
    select.value = personas[0]
    await asyncio.sleep(0.05)  # the change's message handled (the Pilot's pause would wait for the busy worker too)
    await until(personas[0])
    first = summary(keys, stalls, cpu, time.perf_counter() - started) | {"stale samples": stale}
    keys.clear()
    stale = 0
    stalls, cpu, started = Stalls(), time.thread_time(), time.perf_counter()
    select.value = personas[1]
    await asyncio.sleep(0.05)
    select.value = personas[2]
    await asyncio.sleep(0.05)
    await until(personas[2])
    second = summary(keys, stalls, cpu, time.perf_counter() - started) | {"stale samples": stale}
    return {"first filter": first, "two quick filters": second}


async def measure(root: Path, part: str) -> dict:
    from research.study import Study
    from tui.app import ResearchApp

    app = ResearchApp(Study.open(root))
    async with app.run_test(size=(80, 24)) as pilot:
        result = {"memo": await memo_part(app, pilot)} if part == "memo" else await filter_part(app, pilot)
        await app.workers.wait_for_complete()
    return result


def side(study: Path, part: str) -> None:
    """One part on one side, in this process (nothing loaded yet): prints one JSON line."""
    from at_revision import study_copy

    with study_copy(study) as copy:
        print(json.dumps(asyncio.run(measure(copy, part))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path)
    parser.add_argument("--reference", help="a git revision to measure beside this checkout")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--side", choices=("memo", "filter"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        side(args.study, args.side)
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from at_revision import run_at_revision, run_here

    script, argv = str(Path(__file__).resolve()), [str(args.study.resolve()), "--side"]
    for round_ in range(args.rounds):
        sides: dict[str, dict] = {}
        for part in ("memo", "filter"):
            if args.reference:
                sides.setdefault(args.reference, {}).update(run_at_revision(args.reference, script, [*argv, part], paths=("research", "tui", "codebooks")) or {})
            sides.setdefault("this checkout", {}).update(run_here(script, [*argv, part]))
        for part in ("memo", "first filter", "two quick filters"):
            print(f"round {round_ + 1}, {part}:")
            for name, result in sides.items():
                print(f"  {name:>14}: {json.dumps(result[part], ensure_ascii=False) if part in result else 'failed'}")


if __name__ == "__main__":
    main()
