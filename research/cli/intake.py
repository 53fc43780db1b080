"""`research init` and `research add`: a study, and what goes into it."""

from __future__ import annotations

from pathlib import Path

import click

from research.cli.app import _study, cli
from research.console import console
from research.study import Study


@cli.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--name", help="Study name (default: the folder name).")
def init(path: Path, name: str | None) -> None:
    """Create a study folder: research.toml, study.db, vault/ and exports/.

    Example:

        research init acme-onboarding-2026
    """
    study = Study.create(path, name)
    console.print(f"Created study [bold]{study.config.name}[/] in {study.root}")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--meta", "sheet_path", type=click.Path(dir_okay=False, path_type=Path), help="CSV or YAML metadata sheet (one row per participant).")
@click.option("--tracks", "track_folders", multiple=True, type=click.Path(file_okay=False, path_type=Path), help="A folder of per-participant recordings of one interview (one speaker per track). Repeatable.")
@click.option("--feedback", "feedback_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path), help="Survey CSV/XLSX or ticket CSV/JSON: each response becomes a source. Repeatable.")
@click.option("--source", "source_type", type=click.Choice(["survey", "ticket"]), help="What the feedback is (default: survey for CSV/XLSX, ticket for JSON).")
@click.option("--text", "text_columns", multiple=True, help="Feedback column(s) holding the text (default: a column named comment, feedback, answer, text ...). Repeatable.")
@click.option("--id", "id_column", help="Feedback column with the response or ticket id (kept in the vault).")
@click.option("--column", "columns", multiple=True, metavar="FIELD=COLUMN", help="Feedback metadata: persona, segment, date, industry, region, product, or any other name (nps=Score). Repeatable.")
@click.pass_context
def add(ctx: click.Context, paths: tuple[Path, ...], sheet_path: Path | None, track_folders: tuple[Path, ...], feedback_files: tuple[Path, ...], source_type: str | None, text_columns: tuple[str, ...], id_column: str | None, columns: tuple[str, ...]) -> None:
    """Import recordings, transcripts, per-participant tracks and text feedback, deduplicated by content.

    Recordings: wav, mp3, m4a, flac, ogg, opus, webm, mp4. Transcripts: vtt (Zoom, Teams), srt (Otter),
    docx (Teams, Otter, Word), txt (`Speaker: text`, Zoom's tab-separated), html (noScribe), json
    (WhisperX, faster-whisper); a recording with the same name beside a transcript is paired with it.
    Participant, company and speaker names are kept in the vault; the study database gets pseudonymous
    labels. A bad file gets one line and the rest are added.

    Example:

        research add ~/recordings --meta participants.csv
        research add --tracks "~/Zoom/2026-09-14 Acme/Audio Record"
        research add --feedback nps.xlsx --text Comment --id ResponseId --column nps=Score --column persona=Plan
    """
    if not (paths or track_folders or feedback_files):
        raise click.UsageError("give recordings or transcripts, --tracks FOLDER or --feedback FILE")
    from research.importers.add import add_sources
    from research.importers.feedback import FeedbackColumns, add_feedback
    from research.metadata import MetadataSheet

    study = _study(ctx)
    sheet = MetadataSheet.load(sheet_path) if sheet_path else None
    report = add_sources(study, list(paths), sheet, list(track_folders))
    if feedback_files:
        mapping = FeedbackColumns.from_options(text_columns, id_column, columns)
        for file in feedback_files:
            report.merge(add_feedback(study, file, mapping, source_type))
    updated = f" (metadata updated: {', '.join(report.updated)})" if report.updated else ""
    console.print(f"Added {len(report.added)}, already present {len(report.duplicates)}{updated}, failed {len(report.failed)}.", soft_wrap=True)
    for line in report.failed:
        console.print(f"[red]✗[/] {line}", soft_wrap=True)
    for line in report.notes:
        console.print(f"[yellow]![/] {line}", soft_wrap=True)
    if report.failed or not (report.added or report.duplicates):  # as `transcribe` and `watch --once`: any failed file fails the batch
        ctx.exit(1)
