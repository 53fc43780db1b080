"""The journey map and what leaves or enters the study with it: `map`, `export`, `compare`, `import`."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from research.cli.app import _study, cli
from research.cli.shared import _filter_options, _warn_uncoded, redact_old_memos
from research.console import console, waiting, wall_seconds
from research.study import Study


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
