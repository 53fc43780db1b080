"""Rich terminal output for the CLI: progress bars with ETA and real-time factor, a spinner with the
elapsed time for other waits, and the process's wall time for the times the CLI reports.

On a terminal, output uses its full width. Output that is not a terminal (a pipe, a file, CI) is
never wrapped: sentences stay on one line and tables take the width they need.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.constrain import Constrain
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text

if TYPE_CHECKING:
    from research.transcribe.batch import Outcome

UNWRAPPED_WIDTH = 1000  # off a terminal: wide enough that no line or table is wrapped
LOGGED_BAR_WIDTH = 40  # a progress bar's width off a terminal
_LOADED = time.monotonic()


def _console(stderr: bool = False) -> Console:
    stream = sys.__stderr__ if stderr else sys.__stdout__  # the process's own stream: an app that captures output (Textual) may claim a terminal
    if stream is not None and stream.isatty() or os.environ.get("COLUMNS"):
        return Console(stderr=stderr, highlight=False)
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=UNWRAPPED_WIDTH)


console = _console()  # results, on stdout
progress_console = _console(stderr=True)  # progress bars, on stderr


def wall_seconds() -> float:
    """Seconds since this process started, imports included: the time a user waited (from /proc on Linux;
    elsewhere, since this module loaded)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            started_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime
        with open("/proc/uptime", encoding="ascii") as uptime:
            return float(uptime.read().split()[0]) - started_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _LOADED


class Waiting:
    """The step under way, shown beside a spinner and the time elapsed."""

    def __init__(self, progress: Progress | None, task: TaskID | None):
        self._progress, self._task = progress, task

    def step(self, text: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=text)


@contextmanager
def waiting(text: str, on: Console | None = None) -> Iterator[Waiting]:
    """A spinner, the step under way and the time elapsed, on a terminal's stderr, from the first moment of a wait
    (`with waiting("Finding themes") as wait: ...; wait.step("fitting")`); nothing off a terminal, so piped output stays clean."""
    shown = on or progress_console
    if not shown.is_terminal:
        yield Waiting(None, None)
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=shown, transient=True) as progress:
        yield Waiting(progress, progress.add_task(text, total=None))


class RealTimeFactorColumn(ProgressColumn):
    """Processing time divided by audio time (lower is faster; 0.10 is ten times real time)."""

    def render(self, task: Task) -> Text:
        if not task.completed or not task.elapsed:
            return Text("RTF  -  ", style="progress.remaining")
        return Text(f"RTF {task.elapsed / task.completed:4.2f}", style="progress.data.speed")


class AudioSecondsColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{_clock(task.completed)}/{_clock(task.total or 0)}", style="progress.download")


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"


ECHO_ROOM = 3  # columns a terminal's bars leave free for the "^C" it echoes on Ctrl-C


class _Bars(Progress):
    """Bars that stop short of a terminal's last columns: a full-width line made the echoed "^C" wrap onto a new
    line, and the last render, counting lines up from there, left the batch's bar on screen above it."""

    def get_renderables(self):
        table = self.make_tasks_table(self.tasks)
        terminal = hasattr(self, "live") and self.console.is_terminal  # Live renders once while Progress is still being made
        yield Constrain(table, max(self.console.width - ECHO_ROOM, 1)) if terminal else table


class RichProgress:
    """A ProgressListener that draws one bar for the batch and one per file in flight; the bars take a
    terminal's width, and a fixed one in a log (a pipe or a file is 1000 columns wide: see `_console`)."""

    def __init__(self, console: Console = progress_console):
        self.progress = _Bars(
            TextColumn("{task.description:<10}"),
            BarColumn(bar_width=None if console.is_terminal else LOGGED_BAR_WIDTH),
            TextColumn("{task.percentage:>3.0f}%"),
            AudioSecondsColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            RealTimeFactorColumn(),
            console=console,
            transient=False,
        )
        self._lock = threading.Lock()
        self._files: dict[str, TaskID] = {}
        self._done: dict[str, float] = {}
        self._overall: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is not None:  # stopped (Ctrl-C) or failed: the batch bar and the files in flight would stay on screen as if still running
            self._drop_unfinished()
        self.progress.stop()

    def _drop_unfinished(self) -> None:
        """Remove the batch's bar and those of files not finished, so only the finished files' lines remain."""
        with self._lock:
            for task in [*self._files.values(), *([self._overall] if self._overall is not None else [])]:
                self.progress.remove_task(task)
            self._files.clear()
            self._overall = None

    def batch_started(self, total_audio_seconds: float, files: int) -> None:
        self._overall = self.progress.add_task(f"all ({files})", total=total_audio_seconds)

    def file_started(self, code: str, duration: float) -> None:
        with self._lock:
            self._files[code] = self.progress.add_task(code, total=max(duration, 0.001))
            self._done[code] = 0.0

    def file_progress(self, code: str, audio_seconds_done: float) -> None:
        with self._lock:
            task = self._files[code]
            total = self.progress.tasks[task].total or 0
            done = min(audio_seconds_done, total)
            self.progress.update(task, completed=done)
            self._advance_overall(done - self._done[code])
            self._done[code] = done

    def file_finished(self, outcome: Outcome) -> None:
        with self._lock:
            task = self._files.pop(outcome.code)
            total = self.progress.tasks[task].total or 0
            self._advance_overall(total - self._done.pop(outcome.code))
            self.progress.update(task, completed=total, description=f"{outcome.code} {_mark(outcome.status)}")
            self.progress.stop_task(task)

    def _advance_overall(self, seconds: float) -> None:
        if self._overall is not None and seconds:
            self.progress.advance(self._overall, seconds)


def _mark(status: str) -> str:
    return {"done": "✓", "empty": "∅", "failed": "✗"}[status]
