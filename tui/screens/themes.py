"""Themes: rename, merge, and promote a theme to a code in the study's codebook."""

from __future__ import annotations

import json

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from research.errors import ResearchError
from research.review import merge_themes, promote_theme, rename_theme
from tui.dialogs import Prompt
from tui.widgets.footer import KeyFooter


class ThemesScreen(Screen):
    DEFAULT_CSS = """
    ThemesScreen DataTable { height: 1fr; }
    ThemesScreen #quote { height: auto; max-height: 6; border-top: solid $primary; padding: 0 1; }
    """
    BINDINGS = [
        Binding("e", "rename", "Rename", id="themes.rename"),
        Binding("space", "mark", "Mark to merge", id="themes.mark"),
        Binding("M", "merge", "Merge marked here", id="themes.merge"),
        Binding("P", "promote", "Promote to code", id="themes.promote"),
        Binding("escape", "app.pop_screen", "Back", id="themes.back"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="themes", cursor_type="row")
        yield Static(id="quote")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Themes"
        self.marked: int | None = None
        self.query_one(DataTable).add_columns("id", "theme", "utterances", "people", "stage", "top words")
        self.refresh_table()

    def refresh_table(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for t in self.app.study.db.query("SELECT * FROM themes ORDER BY size DESC"):
            mark = "◆ " if t["id"] == self.marked else ""
            table.add_row(str(t["id"]), Text(mark + t["label"]), str(t["size"]), str(t["participants"]), Text(t["stage"] or "–"), Text(", ".join(json.loads(t["words"] or "[]")[:5])), key=str(t["id"]))
        if not table.row_count:
            from research.themes import why_no_themes  # the topic model itself is not loaded

            reason = why_no_themes(self.app.study) or "No themes yet: run `research themes` (or r on the dashboard)."
            self.query_one("#quote", Static).update(Text(reason))

    def current(self) -> int | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return int(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)

    def on_data_table_row_highlighted(self) -> None:
        theme = self.current()
        if theme is not None:
            quotes = json.loads(self.app.study.db["themes"].get(theme)["quotes"] or "[]")
            text = Text("\n".join("“" + self.app.study.db["utterances"].get(q)["text"][:150] + "”" for q in quotes[:2]))
            self.query_one("#quote", Static).update(text)

    def action_rename(self) -> None:
        theme = self.current()
        if theme is None:
            return

        def done(label: str | None) -> None:
            if label:
                try:
                    rename_theme(self.app.study, theme, label)
                except ResearchError as error:
                    self.notify(str(error), severity="error", markup=False)
                    return
                self.app.map_is_stale = True
                self.refresh_table()

        self.app.push_screen(Prompt("Rename theme", self.app.study.db["themes"].get(theme)["label"]), done)

    def action_mark(self) -> None:
        self.marked = self.current()
        self.refresh_table()
        self.notify("Marked; move to the theme to keep and press M to merge.")

    def action_merge(self) -> None:
        keep = self.current()
        if self.marked is None or keep is None or keep == self.marked:
            self.notify("Mark a theme with space, then press M on another one.", severity="warning")
            return
        try:
            merge_themes(self.app.study, keep, self.marked)
        except ResearchError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.marked = None
        self.app.map_is_stale = True
        self.refresh_table()

    def action_promote(self) -> None:
        theme = self.current()
        if theme is None:
            return
        try:
            key = promote_theme(self.app.study, theme)
        except ResearchError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.notify(f"Added code {key} to the study's codebook (codebook.yaml); `research code` will use it.", markup=False)
