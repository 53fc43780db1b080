"""The last comparison of two waves (`research compare`): per stage shifts, patterns and opportunities that moved."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Markdown

from research.compare import latest_comparison, to_markdown
from tui.widgets.footer import KeyFooter


class CompareScreen(Screen):
    SHOWN_BY = "compare"  # the app's action that leads here: its key is hidden on this screen
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="compare.back")]

    def compose(self) -> ComposeResult:
        yield Header()
        comparison = latest_comparison(self.app.study)
        text = to_markdown(comparison) if comparison else "No comparison yet. Run `research compare EARLIER_STUDY THIS_STUDY` or `research compare THIS_STUDY --split-date YYYY-MM-DD`."
        with VerticalScroll():
            yield Markdown(text)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Waves compared"
