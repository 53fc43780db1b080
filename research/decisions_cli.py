"""Decisions from the command line: bulk accept with an explicit scope, undo, the decision log, memos,
and agreement (the machine against your decisions, or you against a second coder's QDPX)."""

from __future__ import annotations

from pathlib import Path

import click
from rich import box
from rich.markup import escape
from rich.table import Table

from research.console import console


def _study(ctx: click.Context):
    from research.cli import _study as study_of

    return study_of(ctx)


@click.command("bulk-accept")
@click.option("--scope", "scope_text", required=True, metavar="study|interview:CODE|code:KEY",
              help="What to accept in: the whole study, one interview (interview:INT-001), one code (code:stage:onboarding) or a group (code:stage:).")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=0.9, show_default=True, help="Only suggestions at or above this confidence.")
@click.option("--coder", default="researcher", show_default=True, help="Who the decisions are attributed to.")
@click.option("--dry-run", is_flag=True, help="Only say how many suggestions would be accepted.")
@click.pass_context
def bulk_accept(ctx: click.Context, scope_text: str, min_confidence: float, coder: str, dry_run: bool) -> None:
    """Accept every open suggestion in a scope at or above a confidence, as one decision (`research undo` takes it back).

    `research agreement` counts these decisions apart: they agree with the machine by construction.

    Example:

        research bulk-accept --scope interview:INT-001 --min-confidence 0.9
    """
    from research.coding.decisions import Scope, bulk_accept as accept, bulk_candidates

    study = _study(ctx)
    scope = Scope.parse(scope_text)
    if dry_run:
        console.print(f"Would accept {bulk_candidates(study.db, min_confidence, scope)} open suggestions with confidence ≥ {min_confidence:.2f} in {escape(scope.words)}.")
        return
    count = accept(study.db, min_confidence, scope, coder)
    console.print(f"Accepted {count} open suggestions with confidence ≥ {min_confidence:.2f} in {escape(scope.words)} (one decision; `research undo` takes it back).")


@click.command()
@click.option("-n", "count", type=click.IntRange(1), default=1, show_default=True, help="How many of the last decisions and memo edits to undo.")
@click.option("--bulk", is_flag=True, help="Undo the last bulk accept, leaving later decisions as they are.")
@click.pass_context
def undo(ctx: click.Context, count: int, bulk: bool) -> None:
    """Undo the last decisions (accept, reject, recode, add, bulk accept) and memo edits, newest first.

    A coding (or memo) that was changed again after the undone change is kept as it is, and counted.
    An undone memo edit brings back the memo before it, as it was saved (redacted).

    Example:

        research undo -n 3
        research undo --bulk
    """
    from research.coding.decision_log import undo as undo_last, undo_last_bulk

    study = _study(ctx)
    console.print(undo_last_bulk(study.db).line if bulk else undo_last(study.db, count).line)


@click.command()
@click.option("--limit", type=click.IntRange(1), default=30, show_default=True, help="How many changes to show, newest first.")
@click.pass_context
def decisions(ctx: click.Context, limit: int) -> None:
    """Show the decision log: who changed which coding, when, how (one by one or bulk, with its scope), and what was undone.

    Example:

        research decisions --limit 50
    """
    from research.coding.decision_log import history

    study = _study(ctx)
    table = Table("#", "when", "coder", "action", "scope", "utterance", "code", "now", box=box.SIMPLE_HEAD, pad_edge=False)
    for row in history(study.db, limit):
        table.add_row(str(row.batch), row.created_at.replace("T", " ")[:19], escape(row.coder), row.action, escape(row.scope or "–"), str(row.utterance_id), escape(row.code_key),
                      "undone" if row.undone else (row.after_status or "removed"))
    console.print(table if table.row_count else "No decisions yet.")


@click.command()
@click.argument("utterance_id", type=int)
@click.argument("text")
@click.option("--coder", default="researcher", show_default=True)
@click.pass_context
def memo(ctx: click.Context, utterance_id: int, text: str, coder: str) -> None:
    """Write a memo on an utterance (an empty TEXT removes it); it goes into the HTML/Markdown maps and the QDPX as a note.

    A participant's or company's real name in TEXT is saved as its pseudonym.

    Example:

        research memo 412 "Contradicts what she said about pricing earlier"
    """
    from research.cli import redact_old_memos
    from research.coding.memos import set_utterance_memo

    study = _study(ctx)
    redact_old_memos(study)
    saved = set_utterance_memo(study, utterance_id, text, coder)
    console.print(f"Memo {'saved' if saved else 'removed'} on utterance {utterance_id}{' (PII replaced by placeholders: ' + escape(saved) + ')' if saved != text.strip() else ''}.", soft_wrap=True)


@click.command()
@click.option("--with", "other", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="A second coder's REFI-QDA project (.qdpx): kappa between your accepted codings and theirs.")
@click.pass_context
def agreement(ctx: click.Context, other: Path | None) -> None:
    """Cohen's kappa per code group: the machine's suggestions against your decisions, or you against a second coder.

    Decisions from a bulk accept agree with the machine by construction, so they are counted apart
    and kappa is also given without them; a warning says when kappa rests on them.

    Example:

        research agreement
        research agreement --with maria-coded.qdpx
    """
    from research.coding.agreement import COLUMNS, coder_agreement, agreement as machine_agreement
    from research import codebook as codebooks
    from research.coding.second_coder import read_second_coder

    study = _study(ctx)
    codebook = codebooks.load(codebooks.resolve(study.config.coding.codebook, study.root))  # no coding models needed
    if other:
        second = read_second_coder(study, codebook, other)
        rows = coder_agreement(study.db, codebook, second.codings, second.units)
        console.print(f"You (accepted codings) against {escape(other.name)}: {len(second.interviews)} interviews, {len(second.units)} customer utterances, "
                      f"{len(second.codings)} of their codings matched.", soft_wrap=True)
        if second.unknown_codes:
            console.print(f"[yellow]![/] codes in {escape(other.name)} that this codebook lacks, left out: {escape(', '.join(sorted(second.unknown_codes)))}", soft_wrap=True)
    else:
        rows = machine_agreement(study.db, codebook)
        console.print("The machine's suggestions against your decisions (accepted codings).")
    table = Table(*COLUMNS, box=box.SIMPLE_HEAD)
    for row in rows:
        flag = " [yellow]![/]" if row.rubber_stamped and not other else ""
        table.add_row(escape(row.group), str(row.utterances), _kappa(row.kappa) + flag, f"{row.observed:.0%}" if row.utterances else "–", str(row.bulk), _kappa(row.kappa_without_bulk))
    console.print(table)
    for name, meaning in COLUMNS.items():
        console.print(f"[dim]{name}: {meaning}.[/]", soft_wrap=True)
    if not other and not any(row.utterances for row in rows):
        console.print("No decisions yet, so nothing to compare: accept, reject or recode suggestions in `research review`, then run this again.", soft_wrap=True)
    stamped = [row for row in rows if row.rubber_stamped]
    if stamped and not other:
        console.print(f"[yellow]![/] kappa rests on bulk-accepted decisions in {escape(', '.join(r.group for r in stamped))}: a bulk accept takes the machine's suggestion as it is, "
                      "so it agrees by construction. Read 'kappa w/o bulk', or review those suggestions one by one.", soft_wrap=True)
    elif stamped:
        console.print(f"[yellow]![/] your codings in {escape(', '.join(r.group for r in stamped))} are mostly bulk-accepted suggestions: this compares the machine with "
                      "the second coder there more than you. Read 'kappa w/o bulk'.", soft_wrap=True)


def _kappa(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


COMMANDS = (bulk_accept, undo, decisions, memo, agreement)
