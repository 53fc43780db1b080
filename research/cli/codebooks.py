"""`research codebook`: list, check, import and export codebooks."""

from __future__ import annotations

from pathlib import Path

import click

from research.cli.app import cli
from research.console import console


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
    kinds = codebooks.pain_kinds_of(loaded)
    console.print(f"pain kinds: {', '.join(f'{k.id} ({len(k.cues) + len(k.due)} words)' for k in kinds)}", soft_wrap=True)
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
