"""`research review` (the terminal app) and `research role` (speakers' roles by hand)."""

from __future__ import annotations

import click

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
