"""Every command explains itself with an example, and the README's CLI reference matches the commands."""

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from research.cli import cli

FLAG = re.compile(r"(?<![\w-])(--?[a-z][\w-]*)")


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


def _readme_rows() -> dict[str, str]:
    """The README's CLI reference table: {command path: the synopsis in its row}, one entry per subcommand of a group row."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = readme.split("## CLI reference", 1)[1].split("\n\n")[1]
    rows = {}
    for synopsis in re.findall(r"^\| `research ([^`]*)` \|", table, re.M):
        synopsis = synopsis.replace("\\|", "|")
        name, _, rest = synopsis.partition(" ")
        group = cli.commands[name]
        subcommands = [sub.split()[0] for sub in rest.split("|") if sub.split() and sub.split()[0] in group.commands] if isinstance(group, click.Group) else []
        for sub in subcommands or [""]:
            rows[f"{name} {sub}".strip()] = synopsis
    return rows


def test_the_readme_cli_reference_lists_every_command_flag_and_choice():
    """Every command has a row, every flag in a row exists, every option is in its row, and a choice lists exactly its values
    (`research export --format`'s list is checked beside the exports, in test_export.py)."""
    rows = _readme_rows()
    commands = {" ".join(p): c for p, c in _commands(cli) if not isinstance(c, click.Group)}
    assert set(rows) == set(commands)
    for name, command in commands.items():
        options = [p for p in command.params if isinstance(p, click.Option) and p.name != "help"]
        known = {o for p in options for o in p.opts + p.secondary_opts}
        documented = set(FLAG.findall(rows[name]))
        if "filters as for map" in rows[name]:
            documented |= set(FLAG.findall(rows["map"])) & known
        assert documented <= known, (name, documented - known)
        assert all(set(p.opts) & documented for p in options), (name, [p.opts for p in options if not set(p.opts) & documented])
        for option in (p for p in options if isinstance(p.type, click.Choice)):
            listed = re.search(rf"{option.opts[-1]} ([a-z][\w-]*(?:\|[a-z][\w-]*)+)", rows[name])
            assert listed and set(listed[1].split("|")) == set(option.type.choices), (name, option.opts)
