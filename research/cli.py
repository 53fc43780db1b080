"""The `research` command line."""

from __future__ import annotations

import _thread
import json
import sqlite3
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from research.console import RichProgress, console, waiting, wall_seconds
from research.decisions_cli import COMMANDS as DECISION_COMMANDS
from research.demo_corpus import BRAND_TERMS, DEMO_DIR
from research.errors import ResearchError
from research.faults import fault_line
from research.insights_cli import insights
from research.journey import FILTER_FIELDS
from research.status import STAGE_HEADERS, STATUS_SYMBOLS
from research.store import STAGES
from research.study import Study

if TYPE_CHECKING:
    from research.config import TranscribeSettings
    from research.transcribe.batch import BatchReport

# Each command imports the stages it runs (audio decoding, models, importers) itself, so a light
# command such as `research status` or `research review` starts without loading them.


class ResearchGroup(click.Group):
    """Reports every ResearchError, and a full disk or read-only study, as one line (`Error: ...`) with exit status 1;
    Ctrl-C as one line saying what was kept, with exit status 130."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # click's own "Aborted!" says nothing of what was kept
            click.echo("Stopped. Finished work is kept; run the same command again to resume.", err=True)
            ctx.exit(130)
        except ResearchError as error:
            raise click.ClickException(str(error)) from None
        except (OSError, sqlite3.DatabaseError) as error:
            line = fault_line(error, ctx.obj or Path.cwd())
            if line is None:
                raise
            raise click.ClickException(line) from None


@click.group(cls=ResearchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--study", "study_path", type=click.Path(file_okay=False, path_type=Path), envvar="RESEARCH_STUDY", help="Study folder (default: the nearest one above the working directory).")
@click.version_option(package_name="research")
@click.pass_context
def cli(ctx: click.Context, study_path: Path | None) -> None:
    """Offline qualitative interview research for CX teams.

    Example:

        research init acme-study && cd acme-study && research add ~/recordings --meta sheet.csv && research transcribe
    """
    ctx.obj = study_path


def _study(ctx: click.Context) -> Study:
    path = ctx.find_root().obj
    if path:
        return Study.open(path)
    try:
        Path.cwd()
    except FileNotFoundError:  # a shell left in a folder since deleted (a study removed and made again)
        raise ResearchError("the working directory no longer exists; cd into the study again, or pass --study") from None
    return Study.find()


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


@cli.command()
@click.option("--engine", type=click.Choice(["faster-whisper", "openai-whisper"]), help="Transcription engine (default from research.toml: faster-whisper).")
@click.option("--model", help="Model name (tiny.en, base, small, large-v3 ...) or a local path.")
@click.option("--device", type=click.Choice(["cpu", "cuda", "auto"]), help="cuda: float16, one model per GPU; auto: cuda when a GPU is visible.")
@click.option("--compute-type", help="faster-whisper compute type: int8, int8_float16, float16, float32.")
@click.option("--beam-size", type=click.IntRange(1, 20))
@click.option("--language", help="Force a language code (e.g. en, de); default: detect.")
@click.option("--workers", type=click.IntRange(1, 64), help="Interviews transcribed in parallel on CPU (on CUDA: one per GPU).")
@click.option("--batching", type=click.Choice(["auto", "on", "off"]), help="faster-whisper's batched pipeline: auto uses it for a minute of audio or more on a GPU (on CPU it decodes sequentially).")
@click.option("--batch-size", type=click.IntRange(1, 64), help="30-second windows decoded at once when batched (default: 8 on CPU, from free memory on a GPU).")
@click.option("--vad/--no-vad", default=None, help="Skip non-speech with the Silero VAD (default on).")
@click.option("--stereo", type=click.Choice(["auto", "mix", "split"]), help="Two-party call recordings: transcribe each channel apart (split), mix them, or decide per file (auto).")
@click.option("--cluster", "cluster_address", metavar="ADDRESS", help="Run the models on a Ray cluster (ray://host:10001, auto, or local); default from [cluster] address. Needs the cluster extra.")
@click.option("--force", is_flag=True, help="Transcribe again even when a transcript with these settings exists.")
@click.pass_context
def transcribe(ctx: click.Context, force: bool, cluster_address: str | None, **overrides: object) -> None:
    """Transcribe every pending interview, with word timestamps, into the vault.

    Resumable: after an interruption, a re-run continues where each interview stopped.

    Example:

        research transcribe --engine faster-whisper --model base --workers 2
    """
    from research.config import TranscribeSettings
    from research.transcribe.batch import TranscriptionBatch

    study = _study(ctx)
    settings = TranscribeSettings.model_validate(study.config.transcribe.model_dump() | {k: v for k, v in overrides.items() if v is not None})
    with RichProgress() as progress:
        report = TranscriptionBatch(study, settings, progress, cluster_address or study.config.cluster.address).run(force=force)
    _print_batch_summary(report)
    if report.failed:
        ctx.exit(1)


def _print_batch_summary(report: BatchReport) -> None:
    if not report.outcomes:
        console.print("Nothing to transcribe: every interview is up to date.")
        return
    done = [o for o in report.outcomes if o.status == "done"]
    rtf = f", RTF {report.wall_seconds / report.audio_seconds:.2f}" if report.audio_seconds else ""
    console.print(f"Transcribed {len(done)} of {len(report.outcomes)} interviews ({report.audio_seconds / 60:.1f} min of audio in {report.wall_seconds:.1f} s{rtf}).")
    for outcome in report.empty:
        console.print(f"[yellow]∅[/] {outcome.message}", soft_wrap=True)
    if report.failed:
        console.print(f"[red]{len(report.failed)} failed:[/]")
        for outcome in report.failed:
            console.print(f"[red]✗[/] {outcome.message}", soft_wrap=True)


@cli.command()
@click.option("--speakers", "speaker_count", default="meta", show_default=True, help="Voices per interview: a number, 'auto', or 'meta' (the interviewer plus one per participant in the metadata sheet).")
@click.option("--interview", "codes", multiple=True, help="Only these interviews (e.g. INT-003); repeatable.")
@click.option("--force", is_flag=True, help="Separate again even when nothing changed.")
@click.option("--enrol", "enrol_source", metavar="CODE:SPEAKER|CLIP", help="First enrol the interviewer's voice (a separated speaker, e.g. INT-001:S1, or a clip of the researcher alone); it is recognised in every interview.")
@click.pass_context
def speakers(ctx: click.Context, speaker_count: str, codes: tuple[str, ...], force: bool, enrol_source: str | None) -> None:
    """Separate speakers: give every word a speaker and label interviewer and customers.

    Roles you set with `research role` are kept on every re-run. An enrolled interviewer
    voice (stored as an embedding, never as audio) names the interviewer in every file.

    Example:

        research speakers --speakers 3 --interview INT-004
        research speakers --enrol INT-001:S1
    """
    if speaker_count not in ("auto", "meta") and not (speaker_count.isdigit() and int(speaker_count) > 0):
        raise click.BadParameter("a number, 'auto' or 'meta'", param_hint="--speakers")
    from research.speakers import run_speakers

    study = _study(ctx)
    count = speaker_count if speaker_count in ("auto", "meta") else int(speaker_count)
    known = {row["code"] for row in study.db.query("SELECT code FROM interviews")}
    if unknown := [code for code in codes if code not in known]:  # else "Nothing to separate: every ... is up to date", which is no answer
        raise ResearchError(f"no interview {', '.join(unknown)} (see `research status`)")
    if enrol_source:
        from research.enrolment import enrol

        console.print(enrol(study, enrol_source))
    with waiting("Separating speakers"):  # minutes of silence otherwise: the first run also prepares the speaker models
        results = run_speakers(study, count, list(codes) or None, force)
    _print_stage_results(results, "Nothing to separate: every transcribed interview is up to date.")


@cli.command()
@click.option("--force", is_flag=True, help="Anonymize again even when nothing changed.")
@click.pass_context
def anonymize(ctx: click.Context, force: bool) -> None:
    """Redact PII into study.db (text) and redacted-audio/ (bleeped audio), with study-wide pseudonyms.

    Settings live in research.toml under [anonymize]: style (placeholder or surrogate),
    allow (terms to keep, e.g. your brand), deny (terms always redacted), audio (bleep or silence).

    Example:

        research anonymize
    """
    from research.anonymize.stage import run_anonymize

    study = _study(ctx)
    with waiting("Anonymizing"):
        results = run_anonymize(study, force)
    _print_stage_results(results, "Nothing to anonymize: every separated interview is up to date.")


@cli.command()
@click.option("--learn", is_flag=True, help="First train on your accepted and rejected codings, then re-code with what was learned.")
@click.option("--force", is_flag=True, help="Code again even when nothing changed.")
@click.pass_context
def code(ctx: click.Context, learn: bool, force: bool) -> None:
    """Suggest codes for every customer utterance: rules, embeddings, the emotion model, learned models.

    Your accepted and rejected codings are never overwritten. The codebook is set in research.toml
    under [coding] (default: the bundled cx-journey).

    Example:

        research code --learn
    """
    from research.coding.stage import run_code

    study = _study(ctx)
    redact_old_memos(study)
    with waiting("Coding"):
        results = run_code(study, force, learn)
    if learn:
        count = study.db["learned_models"].count
        console.print(f"Learned {count} code models from your decisions.")
    _print_stage_results(results, "Nothing to code: every anonymized interview is up to date.")
    from research.coding.scope import scope_summary

    console.print(scope_summary(study.db))


@cli.command()
@click.pass_context
def themes(ctx: click.Context) -> None:
    """Find emergent themes in the customer utterances (BERTopic on the stored embeddings): journey talk
    and talk outside the journey apart; your renames, merges, hidden themes and pinned quotes are kept.

    Example:

        research themes
    """
    from rich.markup import escape

    with waiting("Finding themes: loading the embedding and topic models") as wait:
        from research.themes import run_themes

        wait.step("Finding themes: embedding the customer utterances and fitting topics")
        found = run_themes(_study(ctx))
    console.print(f"Found {len(found)} themes in {wall_seconds():.1f} s.")
    for journey, title in ((True, "On the journey"), (False, "Outside the journey")):
        shown = [t for t in found if t.journey == journey]
        if shown:
            table = Table("id", "theme", "utterances", "participants", "stage", box=box.SIMPLE_HEAD, title=title)
            for theme in shown:
                table.add_row(str(theme.id), escape(theme.label), str(theme.size), str(theme.participants), theme.stage or "–")
            console.print(table)


def _filter_options(command):
    """The map's filters as options: --persona, --role, --participation, --segment, --industry, --region, --product, --source-type."""
    for name in reversed(FILTER_FIELDS):
        command = click.option(f"--{name.replace('_', '-')}", name, help=f"Only participants whose {name.replace('_', ' ')} is this (case-insensitive)" + (": interview, survey or ticket." if name == "source_type" else "."))(command)
    return command


@cli.command("map")
@_filter_options
@click.option("--pattern-share", type=click.FloatRange(0, 1), default=0.3, show_default=True, help="A pattern is shared by at least this share of participants (and at least 2).")
@click.option("--json", "as_json", is_flag=True, help="Print the stored map as JSON.")
@click.pass_context
def journey_map(ctx: click.Context, pattern_share: float, as_json: bool, **filters: str | None) -> None:
    """Build, store and print the journey map: per stage, insights with their evidence, outliers, opportunities.

    Example:

        research map --persona "Operations buyer"
    """
    with waiting("Building the journey map: loading") as wait:
        from research import codebook as codebooks
        from research.journey import build_and_store

        study = _study(ctx)
        chosen = {k: v for k, v in filters.items() if v}
        codebook = codebooks.load(codebooks.resolve(study.config.coding.codebook, study.root))  # no coding models needed
        wait.step("Building the journey map: placing insights, outliers and opportunities")
        journey = build_and_store(study, codebook, chosen, pattern_share)
    if as_json:
        click.echo(journey.model_dump_json(indent=2))
        return
    print_map(journey)
    _warn_uncoded(study)


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


def print_map(journey) -> None:
    """The map as a reader takes it in: per stage, the insights as sentences with a quote, then what stands out."""
    from rich.markup import escape

    from research.export.wording import (
        RECURRING_HEADING, advocacy_line, claim_with_reach, feelings_line, no_insight_line, nothing_placed_line, opportunity_line, opportunity_patterns, people,
        plural, saturation_line, single_voices, utterances,
    )

    scope = f" ({journey.filter_line()})" if journey.filters else ""
    console.print(f"[bold]{escape(journey.study)}[/]: journey map of {journey.participants} participants in {journey.interviews} interviews{escape(scope)}", soft_wrap=True)
    console.print(escape(journey.coverage.line), soft_wrap=True)
    empty = nothing_placed_line(journey)
    if empty:
        console.print(f"\n{escape(empty)}", soft_wrap=True)
    for lane in journey.stages if not empty else []:
        feedback = "".join(f", from {source}s: {n}" for source, n in lane.sources.items())
        console.print(f"\n[bold]{escape(lane.name)}[/]: {people(lane.participants)}, {utterances(lane.utterances)}, {feelings_line(lane)}{feedback}", soft_wrap=True)
        for insight in lane.patterns[:4]:
            colour = {"pain": "red", "delight": "green"}.get(insight.polarity, "cyan")
            console.print(f"  [{colour}]●[/] {escape(claim_with_reach(insight))}", soft_wrap=True)
            if insight.quotes:
                quote = insight.quotes[0]
                console.print(f"    [dim]“{escape(_short(quote.text))}” ({quote.interview}, {quote.participant})[/]", soft_wrap=True)
        if not lane.patterns:
            console.print(f"  [dim]{no_insight_line(lane)}[/]", soft_wrap=True)
        for outlier in lane.outliers[:2]:
            console.print(f"  [magenta]outlier[/]: {escape(outlier.label)}. {escape(outlier.why)}", soft_wrap=True)
        if lane.detractors or lane.promoters or lane.stage == journey.stages[-1].stage and journey.advocacy.mixed:
            console.print(f"  [yellow]advocacy[/]: {escape(advocacy_line(journey))}", soft_wrap=True)
    for n, pain in enumerate(journey.recurring_pains[:3]):
        console.print((f"\n[bold]{RECURRING_HEADING}[/]\n" if n == 0 else "") + f"  [red]●[/] {escape(pain.statement)}", soft_wrap=True)
    patterns, singles = opportunity_patterns(journey), single_voices(journey)
    if patterns or singles:
        console.print("\n[bold]Opportunities[/] [dim](by how many feel each pain, and how strongly)[/]", soft_wrap=True)
        for n, opportunity in enumerate(patterns[:3], 1):
            console.print(f"  {n}. {escape(opportunity.statement)} [dim]({escape(opportunity_line(journey, opportunity))})[/]", soft_wrap=True)
        if singles:
            console.print(f"  [dim]{'and ' * bool(patterns)}{plural(len(singles), 'pain')} told by one participant, apart in the exports[/]", soft_wrap=True)
    console.print(f"\nSaturation: {escape(saturation_line(journey))}", soft_wrap=True)


def _short(text: str, words: int = 30) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


@cli.command("export")
@_filter_options
@click.option("--format", "formats", default="all", show_default=True,
              help="Comma-separated: html, md, json, csv, png, svg, story (one-page HTML), pptx, txt, docx, srt, vtt, qdpx, qdc, or all.")
@click.option("--out", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write to (default: the study's exports/); a filtered export goes to a subfolder named after its filters.")
@click.option("--accepted-only", is_flag=True, help="The codings CSV and the memos hold only accepted codings (default: also open suggestions, marked as such).")
@click.option("--suggestions", is_flag=True, help="The REFI-QDA project also codes open suggestions, each with a note of its confidence (default: accepted codings only).")
@click.pass_context
def export_command(ctx: click.Context, formats: str, folder: Path | None, accepted_only: bool, suggestions: bool, **filters: str | None) -> None:
    """Export the journey map (analyst HTML, one-page story, PPTX, SVG ...), anonymized transcripts and a REFI-QDA project; never raw PII.

    Memos go into the HTML and Markdown maps and, as notes linked to their selections, into the
    REFI-QDA project, whose audio is AAC (.m4a) for NVivo, ATLAS.ti and MAXQDA.

    Example:

        research export --format story,pptx,qdpx --segment "Small business"
    """
    with waiting("Exporting: loading") as wait:
        from research.export.run import ALL_FORMATS, export

        chosen = list(ALL_FORMATS) if formats == "all" else [f.strip().lower() for f in formats.split(",") if f.strip()]
        unknown = sorted(set(chosen) - set(ALL_FORMATS))
        if unknown:
            raise click.BadParameter(f"unknown format {', '.join(unknown)}; use {', '.join(ALL_FORMATS)} or all", param_hint="--format")
        study = _study(ctx)
    redact_old_memos(study)
    with waiting("Exporting: loading") as wait:
        report = export(study, chosen, folder, {k: v for k, v in filters.items() if v}, not accepted_only, suggestions, lambda step: wait.step(f"Exporting: {step}"))
    console.print(f"Wrote {len(report.files)} file{'s' if len(report.files) != 1 else ''} to {report.folder} in {wall_seconds():.1f} s.", soft_wrap=True)
    for line in report.skipped:
        console.print(f"[yellow]![/] {escape(line)}", soft_wrap=True)
    _warn_uncoded(study)
    if report.skipped and formats != "all":  # a format asked for by name that could not be written, as other faults: status 1
        ctx.exit(1)


@cli.command("compare")
@click.argument("study_a", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("study_b", required=False, type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--split-date", type=click.DateTime(["%Y-%m-%d"]), help="One study in two waves: sources dated before this day, and from it.")
@click.option("--wave-column", help="One study in two waves: the two values of this feedback metadata column (--column wave=Wave at import).")
@click.option("--out", "folder", type=click.Path(file_okay=False, path_type=Path), help="Where compare.md and compare.html go (default: the later study's exports/).")
def compare_command(study_a: Path, study_b: Path | None, split_date, wave_column: str | None, folder: Path | None) -> None:
    """Compare two waves: per stage, coverage and valence shift (95% bootstrap CI), patterns and opportunities that moved.

    Two studies need a journey map each (`research map`); one study is split by date or wave column.
    Writes compare.md, compare.html and compare.json (for the review app).

    Example:

        research compare ~/studies/onboarding-2025 ~/studies/onboarding-2026
        research compare ~/studies/onboarding --split-date 2026-01-01
    """
    from research.compare import compare, compare_waves, save_comparison, to_markdown

    a = Study.open(study_a)
    if study_b and (split_date or wave_column):
        raise click.UsageError("compare two studies, or split one with --split-date or --wave-column, not both")
    later = Study.open(study_b) if study_b else a
    comparison = compare(a, later) if study_b else compare_waves(a, split_date.date() if split_date else None, wave_column)
    console.print(to_markdown(comparison), markup=False, soft_wrap=True)
    written = save_comparison(comparison, folder or later.exports_dir)
    console.print(f"Wrote {', '.join(str(path) for path in written)}; the review app shows it (ctrl+p, Waves compared)")


@cli.command("import")
@click.argument("project", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--coder", default="imported", show_default=True, help="Who the imported codings are attributed to.")
@click.pass_context
def import_command(ctx: click.Context, project: Path, coder: str) -> None:
    """Import codings from a REFI-QDA project (.qdpx) that another tool edited, as accepted codings.

    Sources must be this study's transcripts (matched by GUID and text); your decisions are never
    changed: a coding that contradicts one is listed as a conflict instead.

    Example:

        research import reviewed-in-nvivo.qdpx --coder maria
    """
    from research.coding.stage import study_codebook
    from research.export.qdpx_import import import_codings

    study = _study(ctx)
    report = import_codings(study, project, study_codebook(study)[0], coder)
    console.print(f"Imported {report.imported} codings from {project.name}; {report.unchanged} already as they are.", soft_wrap=True)
    if report.conflicts:
        console.print(f"[yellow]{len(report.conflicts)} conflicts with your decisions, kept as they are here (resolve them in `research review`):[/]")
        for line in report.conflicts:
            console.print(f"[yellow]![/] {line}", soft_wrap=True)
    for line in report.refused:  # last, so the reasons are what stays on screen; the good sources are imported
        console.print(f"[red]✗[/] {line}", soft_wrap=True)
    if report.refused:
        ctx.exit(1)


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


@cli.group()
def codebook() -> None:
    """Check, list, import and export codebooks (YAML or REFI-QDC .qdc).

    Example:

        research codebook check codebooks/cx-journey.yaml
    """


@codebook.command("list")
def codebook_list() -> None:
    """List the bundled codebooks.

    Example:

        research codebook list
    """
    from research import codebook as codebooks

    for path in sorted(codebooks.BUNDLED_DIR.glob("*.yaml")):
        loaded = codebooks.load(path)
        console.print(f"[bold]{path.stem}[/]: {loaded.name}, {len(loaded.groups)} groups, {len(loaded.codes)} codes")


@codebook.command("check")
@click.argument("source")
def codebook_check(source: str) -> None:
    """Validate a codebook and summarise it; errors name the file and line.

    Example:

        research codebook check my-codebook.yaml
    """
    from research import codebook as codebooks

    loaded = codebooks.load(codebooks.resolve(source))
    for group in loaded.groups:
        console.print(f"{group.id} ({group.kind}{', ordered' if group.ordered else ''}): {len(group.codes)} codes")
    console.print(f"OK: {loaded.name}, {len(loaded.codes)} codes")


@codebook.command("export")
@click.argument("source")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def codebook_export(source: str, target: Path) -> None:
    """Write a codebook as REFI-QDC (.qdc) for NVivo, ATLAS.ti, MAXQDA or QualCoder, or as YAML.

    Example:

        research codebook export cx-journey cx-journey.qdc
    """
    from research import codebook as codebooks
    from research.refi import write_qdc

    loaded = codebooks.load(codebooks.resolve(source))
    if target.suffix.lower() == ".qdc":
        write_qdc(loaded, target)
    else:
        target.write_text(loaded.to_yaml(), encoding="utf-8")
    console.print(f"Wrote {target} ({len(loaded.codes)} codes)")


@codebook.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def codebook_import(source: Path, target: Path) -> None:
    """Convert a REFI-QDC (.qdc) codebook from another tool into an editable YAML codebook.

    Example:

        research codebook import nvivo-codes.qdc codebooks/imported.yaml
    """
    from research import codebook as codebooks

    loaded = codebooks.load(source)
    target.write_text(loaded.to_yaml(), encoding="utf-8")
    console.print(f"Wrote {target} ({len(loaded.groups)} groups, {len(loaded.codes)} codes); add patterns, examples and prompts to improve coding")


def _print_stage_results(results: dict[str, str], nothing: str) -> None:
    """One line per interview a stage ran on, or `nothing` when it had nothing to do."""
    if not results:
        console.print(nothing)
    for code, result in results.items():  # a note names its interview already ("INT-001: no speech …")
        console.print(result if result.startswith(f"{code}: ") else f"{code}: {result}", soft_wrap=True)


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


@cli.group()
def models() -> None:
    """List and prepare Whisper models for offline use.

    Example:

        research models list
    """


@models.command("list")
def models_list() -> None:
    """Show where each model name would load from, for both engines.

    Example:

        research models list
    """
    from research.transcribe.models import model_availability

    table = Table("model", "faster-whisper", "openai-whisper")
    for name, ct2, openai in model_availability():
        table.add_row(name, ct2, openai)
    console.print(table)


@models.command("convert")
@click.argument("source")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Where to write the .pt checkpoint (default: the model cache).")
def models_convert(source: str, output: Path | None) -> None:
    """Make an openai-whisper checkpoint from CTranslate2 weights (a packaged name or a folder), offline.

    Example:

        research models convert tiny.en
    """
    from research.transcribe.ct2_to_openai import convert
    from research.transcribe.models import openai_cache_file, resolve_ct2

    resolved = resolve_ct2(source)
    if resolved.source == "download":
        raise ResearchError(f"model '{source}' is not on this machine; run faster-whisper once with a network, or pass a folder")
    name = Path(source).name if resolved.source == "path" else source
    target = convert(Path(resolved.location), output or openai_cache_file(name))
    console.print(f"Wrote {target}")


@cli.command()
@click.option("--path", "study_path", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-study"), show_default=True, help="Where to create the demo study.")
@click.option("--source", type=click.Path(exists=True, file_okay=False, path_type=Path), default=DEMO_DIR, help="Folder with the demo interviews and metadata.csv.")
@click.option("--model", help="Model to transcribe with (default from research.toml).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)
@click.pass_context
def demo(ctx: click.Context, study_path: Path, source: Path, model: str | None, workers: int) -> None:
    """Create a study from the bundled demo interviews and run the pipeline on it.

    Re-running resumes the same study and skips work already done.

    Example:

        research demo --path /tmp/demo-study
    """
    from research.ingest import add_files
    from research.metadata import MetadataSheet

    if (study_path / "research.toml").exists():
        study = Study.open(study_path)
    else:
        study = Study.create(study_path, "demo")
        study.config.anonymize.allow = BRAND_TERMS
        study.save_config()
    sheet = source / "metadata.csv"
    report = add_files(study, [source], MetadataSheet.load(sheet) if sheet.exists() else None)
    console.print(f"Demo study in {study.root}: {len(report.added)} interviews added, {len(report.duplicates)} already present.")
    settings = study.config.transcribe.model_copy(update={"workers": workers} | ({"model": model} if model else {}))
    failed = _run_pipeline(study, settings)
    if failed or report.failed:
        ctx.exit(1)


@cli.command("run")
@click.option("--workers", type=click.IntRange(1, 64), help="Interviews transcribed in parallel.")
@click.pass_context
def run_all(ctx: click.Context, workers: int | None) -> None:
    """Run every stage in order (transcribe, speakers, anonymize, code, themes, map), skipping work whose inputs are unchanged.

    Example:

        research run --workers 2
    """
    study = _study(ctx)
    redact_old_memos(study)
    settings = study.config.transcribe.model_copy(update={"workers": workers} if workers else {})
    if _run_pipeline(study, settings):
        ctx.exit(1)


PIPELINE = ("transcribe", "speakers", "anonymize", "code", "map")


def _run_pipeline(study: Study, settings: TranscribeSettings, through: str = "map") -> bool:
    """The stages in order, up to `through`; prints a summary of each and the status table. True when something failed."""
    from contextlib import ExitStack
    from importlib import import_module

    from research.audio import shared_decodes
    from research.transcribe.batch import BatchReport, TranscriptionBatch

    # each stage imported only when it runs: anonymization's and coding's libraries alone take ~9 CPU-s to import,
    # which `research watch --through transcribe` never needs
    steps = {"speakers": ("Separated speakers in", "research.speakers:run_speakers"), "anonymize": ("Anonymized", "research.anonymize.stage:run_anonymize"), "code": ("Coded", "research.coding.stage:run_code")}
    under_way = {"speakers": "Separating speakers", "anonymize": "Anonymizing", "code": "Coding"}  # what the spinner says meanwhile
    wanted = PIPELINE[1 : PIPELINE.index(through) + 1]
    stages = {}
    with ExitStack() as decoded:
        if study.config.vault_purged:  # the raw transcripts are gone: the stages before anonymized text can't run
            console.print("[yellow]![/] The vault was purged: transcribe, speakers and anonymize are skipped; coding, themes and the map run on the anonymized study.")
            batch, wanted = BatchReport(), [name for name in wanted if name not in ("speakers", "anonymize")]
        else:
            decoded.enter_context(shared_decodes(study.vault_dir / "decoded"))  # each recording decoded once for transcription and speakers
            with RichProgress() as progress:
                batch = TranscriptionBatch(study, settings, progress, study.config.cluster.address).run()
            _print_batch_summary(batch)
        for name in wanted:
            if name in steps:
                label, target = steps[name]
                module, function = target.split(":")
                with waiting(under_way[name]):
                    stages[label] = getattr(import_module(module), function)(study)
                console.print(f"{label} {len(stages[label])} interviews.")
            if name == "speakers":
                decoded.close()  # the decoded samples are removed once the speakers stage has read them
    if through == "map" and (any(stages.get("Coded", {}).values()) or not study.db["maps"].count):
        _refresh_map(study)
    _print_status(study)
    return bool(batch.failed) or any(result.startswith("failed") for results in stages.values() for result in results.values())


@cli.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--meta", "sheet_path", type=click.Path(dir_okay=False, path_type=Path), help="CSV or YAML metadata sheet, read again for every batch (it may grow too).")
@click.option("--settle", type=click.FloatRange(0, 3600), default=10.0, show_default=True, help="Seconds a file must stop growing before it is added.")
@click.option("--interval", type=click.FloatRange(0.1, 3600), default=2.0, show_default=True, help="Seconds between looks at the folder.")
@click.option("--through", type=click.Choice(PIPELINE), default="map", show_default=True, help="Run the pipeline up to this stage for each batch.")
@click.option("--once", is_flag=True, help="Handle what has landed now, then exit (for cron).")
@click.pass_context
def watch(ctx: click.Context, folder: Path, sheet_path: Path | None, settle: float, interval: float, through: str, once: bool) -> None:
    """Watch a team's drop folder: add each recording once it stops growing, then run the pipeline.

    Safe to stop (Ctrl-C) and start again: added files are recognised by their content
    and every stage resumes where it stopped.

    Example:

        research watch ~/Dropbox/interviews --meta ~/Dropbox/interviews/participants.csv
    """
    from research.importers.add import add_sources
    from research.metadata import MetadataSheet
    from research.watch import DropFolder, watch as watch_folder

    study = _study(ctx)
    failed: list[str] = []

    def handle(paths: list[Path]) -> None:
        sheet = MetadataSheet.load(sheet_path) if sheet_path and sheet_path.is_file() else None
        report = add_sources(study, paths, sheet)  # recordings and transcripts, as `research add` takes them
        console.print(f"Landed {len(paths)}: added {len(report.added)}, already present {len(report.duplicates)}, failed {len(report.failed)}.")
        for line in report.failed:
            console.print(f"[red]✗[/] {line}", soft_wrap=True)
        failed.extend(report.failed)
        if _run_pipeline(study, study.config.transcribe, through):  # also resumes work a stopped watch left
            failed.append("pipeline")

    if not once:
        console.print(f"Watching {folder} (a file is added {settle:g} s after it stops growing; Ctrl-C stops, a restart resumes).")
    try:
        watch_folder(DropFolder(folder, settle), handle, interval, once)
    except KeyboardInterrupt:
        console.print("Stopped; run the same command again to resume.")
    if once and failed:
        ctx.exit(1)


def _refresh_map(study: Study) -> None:
    """Themes and the journey map once coding changed; a study too small for themes still gets a map."""
    from research.coding.stage import study_codebook
    from research.journey import build_and_store
    from research.themes import run_themes

    try:
        with waiting("Finding themes"):
            found = run_themes(study)
        console.print(f"Found {len(found)} themes.")
    except ResearchError as error:
        console.print(f"[yellow]![/] No themes: {error}", soft_wrap=True)
    with waiting("Building the journey map"):
        journey = build_and_store(study, study_codebook(study)[0])
    print_map(journey)


cli.add_command(insights)
for command in DECISION_COMMANDS:
    cli.add_command(command)


def keep_ctrl_c() -> None:
    """Make a Ctrl-C that lands in a C callback stop the command. Python only prints such an interrupt as
    "Exception ignored" with a traceback and goes on: a first `research code`, when numba compiled librosa's
    Viterbi through llvmlite's callbacks, ran to the end that way (numba still compiles UMAP's functions on a first
    `research themes`). It is raised again in the main thread, from
    another thread a moment later: raised at once, it would land in this hook and be ignored again."""
    default = sys.unraisablehook

    def hook(unraisable) -> None:
        if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
            threading.Timer(0.01, _thread.interrupt_main).start()
        else:
            default(unraisable)

    sys.unraisablehook = hook


def main() -> None:
    keep_ctrl_c()
    cli(prog_name="research")
