"""The `research` group: one line for every expected error, the study a command works on, and the entry point."""

from __future__ import annotations

import _thread
import sqlite3
import sys
import threading
from pathlib import Path

import click

from research.errors import ResearchError
from research.faults import fault_line
from research.study import Study


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
