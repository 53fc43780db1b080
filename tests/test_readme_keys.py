"""The README's table of the review app's keys names only keys that are bound where it says, and every key a
screen binds (other than escape, which goes back) is in the table."""

from __future__ import annotations

import re
from pathlib import Path

from textual.binding import Binding

from tui.app import ResearchApp
from tui.screens.codebook import CodebookScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.journey import JourneyScreen
from tui.screens.search import QueryInput
from tui.screens.themes import ThemesScreen
from tui.screens.transcript import TranscriptScreen

WHERE = {"everywhere": ResearchApp, "dashboard": DashboardScreen, "transcript": TranscriptScreen, "journey map": JourneyScreen,
         "themes": ThemesScreen, "codebook": CodebookScreen, "search": QueryInput}
NAMES = {"/": "slash", "?": "question_mark", "+": "plus", "←": "left", "→": "right"}


def _readme_keys() -> dict[str, tuple[set[str], set[str]]]:
    """{where: (the keys its rows name in the key column, every key written in its rows)}."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = readme.split("## The review app", 1)[1].split("| where | key | does |", 1)[1].split("\n\n", 1)[0]
    keys: dict[str, tuple[set[str], set[str]]] = {}
    for where, column, does in re.findall(r"^\| ([a-z ]+) \| ([^|]*) \| (.*) \|$", table, re.M):
        named, written = keys.setdefault(where, (set(), set()))
        named.update(NAMES.get(k, k) for k in re.findall(r"`([^`]+)`", column))
        written.update(NAMES.get(k, k) for k in re.findall(r"`([^`]+)`", column + does))
    return keys


def _bound(owner: type) -> set[str]:
    keys = {key for b in owner.BINDINGS if isinstance(b, Binding) and b.key != "escape" for key in b.key.split(",")}
    return keys | ({ResearchApp.COMMAND_PALETTE_BINDING} if owner is ResearchApp else set())


def test_the_readme_key_table_matches_the_bindings():
    documented = _readme_keys()
    assert set(documented) == set(WHERE)
    for where, owner in WHERE.items():
        named, written = documented[where]
        assert named <= _bound(owner), (where, "not bound:", named - _bound(owner))
        assert _bound(owner) <= written, (where, "not in the README:", _bound(owner) - written)
