"""Every stage in order: `demo`, `run` and `watch`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from research.cli.app import _study, cli
from research.cli.maps import print_map
from research.cli.shared import redact_old_memos
from research.cli.stages import _print_batch_summary
from research.cli.status import _print_status
from research.console import RichProgress, console, waiting
from research.demo_corpus import BRAND_TERMS, DEMO_DIR
from research.errors import ResearchError
from research.study import Study

if TYPE_CHECKING:
    from research.config import TranscribeSettings


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
