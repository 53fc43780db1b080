"""`research vault`: the study's vault of raw transcripts, names and the pseudonym key."""

from __future__ import annotations

import click

from research.cli.app import _study, cli
from research.console import console
from research.errors import ResearchError


@cli.group()
def vault() -> None:
    """The study's vault of raw transcripts, names and the pseudonym key.

    Example:

        research vault purge
    """


@vault.command("purge")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def vault_purge(ctx: click.Context, yes: bool) -> None:
    """Delete the vault irreversibly; the anonymized study, redacted audio and exports stay.

    Example:

        research vault purge --yes
    """
    study = _study(ctx)
    if study.config.vault_purged:
        raise ResearchError("the vault was already purged")
    if not yes:
        click.confirm(f"Delete {study.vault_dir} with every raw transcript, name and the pseudonym key? This cannot be undone", abort=True)
    study.purge_vault()
    console.print("Vault purged: nothing identifiable is left in the study folder.")
