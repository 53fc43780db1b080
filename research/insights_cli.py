"""`research insights`: list the map's insights and edit them (rename, hide, pin a quote, merge, undo).

Edits live in study.db and are re-applied on every rebuild of the map, so `research run` and the
review app's pipeline never revert them. Insights are named by the short key `research insights`
prints (e.g. `adoption:3f9c0e12ab`); any unique prefix of at least 8 characters after the stage works.
"""

from __future__ import annotations

import click
from rich.markup import escape

from research.console import console
from research.errors import ResearchError


def _map(ctx: click.Context):
    from research.cli import _study
    from research.coding.stage import study_codebook
    from research.journey import build_and_store

    study = _study(ctx)
    return study, build_and_store(study, study_codebook(study)[0])


def _find(journey, key: str):
    """The insight with this key (or a unique prefix of it), or a one-line error."""
    matches = [i for lane in journey.stages for i in lane.patterns if i.key.startswith(key)]
    if len(matches) != 1:
        known = ", ".join(i.key for i in journey.insights()) or "none"
        raise ResearchError(f"{'no' if not matches else 'more than one'} insight matches '{key}'; insights: {known}")
    return matches[0]


@click.group()
def insights() -> None:
    """List the journey map's insights and edit them; edits survive every re-run.

    Example:

        research insights rename adoption:3f9c0e12 "Wi-Fi pairing fails at setup"
    """


@insights.command("list")
@click.pass_context
def insights_list(ctx: click.Context) -> None:
    """Every insight with its key, stage, reach and lead quote, and the edits made so far.

    Example:

        research insights list
    """
    from research.journey.edits import load_edits

    study, journey = _map(ctx)
    for insight in journey.insights():
        mark = " [yellow](edited)[/]" if insight.edited else ""
        console.print(f"[bold]{insight.key}[/]{mark} {escape(insight.statement)}", soft_wrap=True)
        for quote in insight.quotes[:1]:
            console.print(f"    [dim]#{quote.utterance_id} “{escape(quote.text)}” ({quote.interview})[/]", soft_wrap=True)
    for edit in load_edits(study.db):
        console.print(f"edit {edit.id}: {edit.action} in {edit.stage}" + (f": {escape(edit.text)}" if edit.text else ""), soft_wrap=True)


@insights.command("rename")
@click.argument("key")
@click.argument("text")
@click.pass_context
def insights_rename(ctx: click.Context, key: str, text: str) -> None:
    """Replace an insight's sentence with your own words.

    Example:

        research insights rename adoption:3f9c0e12 "Wi-Fi pairing fails at setup"
    """
    from research.journey import edits

    study, journey = _map(ctx)
    edit = edits.rename(study.db, _find(journey, key), text)
    console.print(f"Renamed (edit {edit}).")


@insights.command("hide")
@click.argument("key")
@click.pass_context
def insights_hide(ctx: click.Context, key: str) -> None:
    """Take an insight off the map (undo brings it back).

    Example:

        research insights hide retention:0a1b2c3d
    """
    from research.journey import edits

    study, journey = _map(ctx)
    console.print(f"Hidden (edit {edits.hide(study.db, _find(journey, key))}).")


@insights.command("pin")
@click.argument("key")
@click.argument("utterance", type=int)
@click.pass_context
def insights_pin(ctx: click.Context, key: str, utterance: int) -> None:
    """Show this quote (an utterance id from `list`) first for the insight.

    Example:

        research insights pin adoption:3f9c0e12 412
    """
    from research.journey import edits

    study, journey = _map(ctx)
    console.print(f"Pinned (edit {edits.pin(study.db, _find(journey, key), utterance)}).")


@insights.command("merge")
@click.argument("source")
@click.argument("target")
@click.pass_context
def insights_merge(ctx: click.Context, source: str, target: str) -> None:
    """Fold SOURCE's evidence into TARGET (same stage).

    Example:

        research insights merge adoption:77aa01bc adoption:3f9c0e12
    """
    from research.journey import edits

    study, journey = _map(ctx)
    console.print(f"Merged (edit {edits.merge(study.db, _find(journey, source), _find(journey, target))}).")


@insights.command("undo")
@click.argument("edit_id", type=int)
@click.pass_context
def insights_undo(ctx: click.Context, edit_id: int) -> None:
    """Remove one edit (its number is in `list`).

    Example:

        research insights undo 3
    """
    from research.cli import _study
    from research.journey import edits

    edits.undo(_study(ctx).db, edit_id)
    console.print(f"Edit {edit_id} undone; the next map shows the insight as found.")
