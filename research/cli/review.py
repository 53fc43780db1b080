"""`research review` (the terminal app), `research queue` (what most needs review) and `research role` (speakers' roles by hand)."""

from __future__ import annotations

import click
from rich.text import Text

from research.cli.app import _study, cli
from research.cli.shared import redact_old_memos
from research.console import console


@cli.command()
@click.pass_context
def review(ctx: click.Context) -> None:
    """Open the terminal review app: interviews, transcripts with code chips, the journey map, themes.

    Press ? inside for the keys.

    Example:

        research review
    """
    from tui.app import ResearchApp  # the app drives the library; nothing in research/ imports Textual

    study = _study(ctx)
    redact_old_memos(study)  # before the app shows a memo
    ResearchApp(study).run()


@cli.command()
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="How many to show, most needed first.")
@click.pass_context
def queue(ctx: click.Context, limit: int) -> None:
    """List the study's stage codings that most need you, as the review app's N key goes to them: least sure first.

    Example:

        research queue --limit 10
    """
    from research.coding.review_order import review_queue
    from research.timecode import clock

    study = _study(ctx)
    rows = review_queue(study.db, study.config.coding.embedding_model, limit)
    if not rows:
        console.print("No open stage suggestions in the study.")
        return
    cells = [("interview", "time", "speaker", "stage", "conf")] + [(r.interview, clock(r.start), r.role, r.stage, f"{r.confidence:.2f}") for r in rows]
    widths = [max(len(cell[n]) for cell in cells) for n in range(5)]
    lines = [Text("  ".join(value.ljust(width) for value, width in zip(cell, widths)) + "  ") for cell in cells]
    console.print(lines[0] + Text("text"), style="bold", no_wrap=True, overflow="ellipsis")
    for line, row in zip(lines[1:], rows):  # one line each: cut to a terminal's width, whole in a pipe; study text never markup
        console.print(line + Text(row.text), no_wrap=True, overflow="ellipsis")


@cli.command()
@click.argument("code")
@click.argument("assignments", nargs=-1, required=True)
@click.pass_context
def role(ctx: click.Context, code: str, assignments: tuple[str, ...]) -> None:
    """Set the role of an interview's speakers by hand (interviewer, customer, customer_b ...).

    Example:

        research role INT-003 S1=customer S2=interviewer
    """
    study = _study(ctx)
    pairs = dict(item.split("=", 1) for item in assignments if "=" in item)
    if len(pairs) != len(assignments):
        raise click.BadParameter("use SPEAKER=ROLE, e.g. S2=interviewer", param_hint="ASSIGNMENTS")
    from research.speakers import apply_roles

    apply_roles(study, code, pairs)
    console.print(f"{code}: " + ", ".join(f"{k} is {v}" for k, v in pairs.items()))
