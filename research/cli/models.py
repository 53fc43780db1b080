"""`research models`: Whisper models for offline use."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from research.cli.app import cli
from research.console import console
from research.errors import ResearchError


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
