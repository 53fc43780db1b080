"""What several commands share: the map's filter options, memos redacted before they are shown, one line per interview."""

from __future__ import annotations

import sqlite3

import click

from research.console import console, waiting
from research.journey import FILTER_FIELDS
from research.study import Study


def _filter_options(command):
    """The map's filters as options: --persona, --role, --participation, --segment, --industry, --region, --product, --source-type."""
    for name in reversed(FILTER_FIELDS):
        command = click.option(f"--{name.replace('_', '-')}", name, help=f"Only participants whose {name.replace('_', ' ')} is this (case-insensitive)" + (": interview, survey or ticket." if name == "source_type" else "."))(command)
    return command


def redact_old_memos(study: Study) -> None:
    """The memos saved before memos were redacted on saving lose their PII the first time a command that
    shows, exports or codes them opens the study (one line when any changed); a read-only study keeps them
    until it can be written, and its exports redact them as always."""
    from research.coding.old_memos import pending, redact_old_memos as redact
    from research.faults import is_read_only

    waiting_memos = pending(study.db)
    if not waiting_memos:
        return
    try:
        with waiting("Replacing PII in memos saved before redaction"):
            done = redact(study)
    except sqlite3.DatabaseError as error:
        if not is_read_only(error):
            raise
        console.print(f"[yellow]![/] {waiting_memos} memo text{'s' if waiting_memos != 1 else ''} saved before redaction keep their PII in study.db until it can be written; exports replace it.")
        return
    if done.line:
        console.print(done.line)


def _warn_uncoded(study) -> None:
    from research.status import uncoded_line

    line = uncoded_line(study)
    if line:
        console.print(f"[yellow]note[/]: {line}", soft_wrap=True)


def _print_stage_results(results: dict[str, str], nothing: str) -> None:
    """One line per interview a stage ran on, or `nothing` when it had nothing to do."""
    if not results:
        console.print(nothing)
    for code, result in results.items():  # a note names its interview already ("INT-001: no speech …")
        console.print(result if result.startswith(f"{code}: ") else f"{code}: {result}", soft_wrap=True)
