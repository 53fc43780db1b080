"""How the review app's memory grows as a researcher works: view switches, map filter changes, transcript moves.

    python benchmarks/app_memory.py STUDY [--reference 504265d] [--steps 12]

STUDY is a coded study with a stored map (the demo after `research code`, `themes` and `map`). Each side runs in
a fresh process of its own (this checkout; with --reference, that revision's research, tui and codebooks), on a
copy of STUDY, headless at 80x24 with Textual's Pilot and tracemalloc on (one frame). Three parts, one after the
other in the same app, each after two warm-up steps of its own:

- views: on the journey map, `v` STEPS times (personas, map, personas, ...), which rebinds keys and recomposes the footer;
- filters: the map's persona filter set STEPS times (each persona in turn, then none), each until its map is on screen;
- moves: in the first interview's transcript, `n` and `p` (next and previous suggestion) STEPS times.

For each part, over its first STEPS steps and over the next STEPS: the growth of the process's resident memory (RSS,
MB) and of the memory Python allocated and still holds (tracemalloc, MB), and the FooterKey objects alive before
and after (each after a full garbage collection). The first window also fills bounded caches (Textual's per-widget
render caches); what still grows in the next is what a researcher would see grow over hours. Memory is not wall
time, so the two sides of one run compare directly.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import tracemalloc
from pathlib import Path

MB = 1024 * 1024


def rss_mb() -> float:
    """The process's resident memory now (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS in /proc/self/status: this benchmark reads Linux's /proc")


def footer_keys() -> int:
    from textual.widgets._footer import FooterKey

    return sum(type(node) is FooterKey for node in gc.get_objects())


class Growth:
    """Memory and FooterKey objects, each read after a full collection, at the start and after each window of steps."""

    def __init__(self) -> None:
        self.marks = [self._now()]

    @staticmethod
    def _now() -> tuple[float, int, int]:
        gc.collect()
        return rss_mb(), tracemalloc.get_traced_memory()[0], footer_keys()

    def mark(self) -> None:
        self.marks.append(self._now())

    def windows(self, steps: int) -> dict:
        """Growth over each window: the first holds caches filling up, the next what keeps growing (a leak)."""
        result = {}
        for name, (before, after) in zip(("first", "next"), zip(self.marks, self.marks[1:])):
            result[f"{name} {steps}"] = {"RSS MB": round(after[0] - before[0], 1), "traced MB": round((after[1] - before[1]) / MB, 2),
                                         "FooterKey alive": f"{before[2]} -> {after[2]}"}
        return result


async def views(app, pilot, steps: int) -> dict:
    await pilot.press("j")
    await app.workers.wait_for_complete()
    await pilot.pause()
    for _ in range(2):
        await pilot.press("v")
        await pilot.pause()
    growth = Growth()
    for _ in range(2):
        for _ in range(steps):
            await pilot.press("v")
            await pilot.pause()
        growth.mark()
    return growth.windows(steps)


async def filters(app, pilot, steps: int) -> dict:
    from textual.widgets import Select

    screen = app.screen
    select = screen.query_one("#filter-persona", Select)
    choices: list[str | None] = [value for _, value in select._options if isinstance(value, str)] + [None]

    async def choose(n: int) -> None:
        value = choices[n % len(choices)]
        if value is None:
            select.clear()
        else:
            select.value = value
        wanted = {"persona": value} if value else {}
        await pilot.pause()
        while screen.journey is None or screen.journey.filters != wanted or screen.building:
            await app.workers.wait_for_complete()
            await pilot.pause()

    for n in range(2):
        await choose(n)
    growth = Growth()
    for window in range(2):
        for n in range(steps):
            await choose(2 + window * steps + n)
        growth.mark()
    return growth.windows(steps)


async def moves(app, pilot, steps: int) -> dict:
    await pilot.press("escape")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    for key in "np":
        await pilot.press(key)
        await pilot.pause()
    growth = Growth()
    for _ in range(2):
        for n in range(steps):
            await pilot.press("np"[n % 2])
            await pilot.pause()
        growth.mark()
    return growth.windows(steps)


async def measure(root: Path, steps: int) -> dict:
    from research.study import Study
    from tui.app import ResearchApp

    tracemalloc.start(1)
    app = ResearchApp(Study.open(root))
    result = {}
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for name, part in (("views", views), ("filters", filters), ("moves", moves)):
            result[name] = await part(app, pilot, steps)
        result["moves"]["screen"] = type(app.screen).__name__  # the transcript, or the moves went nowhere
        await app.workers.wait_for_complete()
    return result


def side(study: Path, steps: int) -> None:
    """Every part on one side, in this process: prints one JSON line."""
    from at_revision import study_copy

    with study_copy(study) as copy:
        print(json.dumps(asyncio.run(measure(copy, steps))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path)
    parser.add_argument("--reference", help="a git revision to measure beside this checkout")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--side", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        side(args.study, args.steps)
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from at_revision import run_at_revision, run_here

    script, argv = str(Path(__file__).resolve()), [str(args.study.resolve()), "--steps", str(args.steps), "--side"]
    sides: dict[str, dict] = {}
    if args.reference:
        sides[args.reference] = run_at_revision(args.reference, script, argv, paths=("research", "tui", "codebooks")) or {}
    sides["this checkout"] = run_here(script, argv)
    for part in ("views", "filters", "moves"):
        print(f"{part}:")
        for name, result in sides.items():
            print(f"  {name:>14}: {json.dumps(result[part], ensure_ascii=False) if part in result else 'failed'}")


if __name__ == "__main__":
    main()
