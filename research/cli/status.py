"""`research status`: each interview's progress through the stages, as a table or JSON."""

from __future__ import annotations

import json

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from research.cli.app import _study, cli
from research.console import console
from research.status import STAGE_HEADERS, STATUS_SYMBOLS
from research.store import STAGES
from research.study import Study


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show each interview's progress through the stages, and any errors.

    Example:

        research status
    """
    from research.status import interview_statuses

    study = _study(ctx)
    if as_json:
        click.echo(json.dumps([row.model_dump() for row in interview_statuses(study)], indent=2))
    else:
        _print_status(study)


def _print_status(study: Study, out: Console = console) -> None:
    """The status table, as wide as the terminal: titles and names are cut with … only when it is narrow."""
    from research.status import interview_statuses

    rows = interview_statuses(study)
    people = [", ".join(row.participants) for row in rows]
    fixed = Measurement.get(out, out.options, _status_table(study, rows, people, 0, 0)).maximum  # every column but the two texts
    room = max(16, out.width - fixed - 1)
    people_width = max(8, min(max(map(len, people), default=6), room * 2 // 5))  # people as much as they need, up to 2/5
    out.print(_status_table(study, rows, people, max(8, room - people_width), people_width))
    out.print(_legend(out.width), style="dim")
    for row in rows:
        for note in row.notes:
            out.print(f"[yellow]![/] {escape(note)}", soft_wrap=True)


STATUS_MEANINGS = {"done": "done", "stale": "stale (an earlier stage was redone since: `research run` redoes it)", "empty": "no speech", "failed": "failed",
                   "running": "running", "interrupted": "interrupted (run again to resume)", "pending": "pending"}
STATUS_LEGEND = tuple(f"{STATUS_SYMBOLS[status]} {meaning}" for status, meaning in STATUS_MEANINGS.items())


def _legend(width: int) -> str:
    """The badges' legend, broken between entries (never inside one) to fit `width` columns."""
    lines = [""]
    for entry in STATUS_LEGEND:
        joined = f"{lines[-1]}  {entry}" if lines[-1] else entry
        if len(joined) > width and lines[-1]:
            lines.append(entry)
        else:
            lines[-1] = joined
    return "\n".join(lines)


def _status_table(study: Study, rows: list, people: list[str], title_width: int, people_width: int) -> Table:
    table = Table(title=f"{study.config.name}: {len(rows)} interviews", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, padding=(0, 1, 0, 0))
    table.add_column("code", no_wrap=True, min_width=7)
    table.add_column("title", overflow="ellipsis", no_wrap=True, max_width=title_width)
    table.add_column("people", overflow="ellipsis", no_wrap=True, max_width=people_width)
    table.add_column("min", justify="right", no_wrap=True, min_width=3)
    table.add_column("lang", no_wrap=True, min_width=4)
    for stage in STAGES:
        table.add_column(STAGE_HEADERS[stage], justify="center", no_wrap=True, min_width=len(STAGE_HEADERS[stage]))
    for row, names in zip(rows, people):
        table.add_row(escape(row.code), escape(row.title or ""), escape(names), f"{row.duration / 60:.1f}", row.language or "", *[_badge(s) for s in row.stages.values()])
    return table


BADGE_STYLES = {"done": "green", "stale": "yellow", "failed": "red", "running": "cyan", "interrupted": "yellow", "empty": "yellow", "pending": "dim"}


def _badge(status: str) -> str:
    return f"[{BADGE_STYLES[status]}]{STATUS_SYMBOLS[status]}[/]" if status in STATUS_SYMBOLS else status
