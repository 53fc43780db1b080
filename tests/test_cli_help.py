"""Every command explains itself with an example."""

import click
import pytest
from click.testing import CliRunner

from research.cli import cli


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    yield prefix, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


@pytest.mark.parametrize("path", [p for p, _ in _commands(cli)], ids=lambda p: " ".join(p) or "research")
def test_every_command_has_help_with_an_example(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    assert "research " in result.output.split("Example:")[1]


def test_the_expected_commands_exist():
    names = {" ".join(p) for p, _ in _commands(cli)}
    assert {"init", "add", "transcribe", "status", "demo", "models list", "models convert", "code", "agreement", "themes", "map", "codebook check", "codebook export", "codebook import"} <= names


def test_errors_are_one_line_without_a_traceback(tmp_path):
    result = CliRunner().invoke(cli, ["--study", str(tmp_path / "nowhere"), "status"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
