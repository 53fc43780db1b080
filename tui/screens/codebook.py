"""The codebook: codes with their definitions and how often each is suggested, accepted, rejected."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from research.review import code_counts


class CodebookScreen(Screen):
    DEFAULT_CSS = """
    CodebookScreen DataTable { height: 1fr; }
    CodebookScreen #definition { height: auto; max-height: 5; border-top: solid $primary; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="codebook.back")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="codes", cursor_type="row", zebra_stripes=True)
        yield Static(id="definition")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"Codebook: {self.app.study.config.coding.codebook}"
        table = self.query_one(DataTable)
        table.add_columns("group", "code", "open", "✓", "✗", "definition")
        self.counts = code_counts(self.app.study)
        for c in self.counts:
            table.add_row(c.group, Text("■ ", style=c.color) + Text(c.name), str(c.suggested), str(c.accepted), str(c.rejected), c.definition[:60], key=c.key)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.counts):
            c = self.counts[event.cursor_row]
            self.query_one("#definition", Static).update(f"[b]{c.group} › {c.name}[/b] ({c.key}): {c.definition}")
