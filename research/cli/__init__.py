"""The `research` command line: the group and its entry point (app.py), and its commands, one module per group of them.

Each command imports the stages it runs (audio decoding, models, importers) itself, so a light
command such as `research status` or `research review` starts without loading them.
"""

from research.cli import codebooks, intake, maps, models, pipeline, review, stages, status, vault  # noqa: F401 - each adds its commands to `cli`
from research.cli.app import _study, cli, keep_ctrl_c, main
from research.cli.pipeline import _run_pipeline
from research.cli.shared import _print_stage_results, redact_old_memos
from research.cli.status import _print_status
from research.decisions_cli import COMMANDS as DECISION_COMMANDS
from research.insights_cli import insights

__all__ = ["_print_stage_results", "_print_status", "_run_pipeline", "_study", "cli", "keep_ctrl_c", "main", "redact_old_memos"]

cli.add_command(insights)
for command in DECISION_COMMANDS:
    cli.add_command(command)
