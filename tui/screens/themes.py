"""Themes: rename, merge, and promote a theme to a code in the study's codebook."""

from __future__ import annotations

import json
import textwrap

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from research.review import merge_themes, promote_theme, rename_theme
from tui.dialogs import Prompt
from tui.read_only import SavesToStudy
from tui.widgets.cells import clip
from tui.widgets.footer import KeyFooter

WIDE = 100  # from this width the table shows each theme's id
QUOTE_CHARS = 150  # a theme's quote under the table: about two lines at 80 columns


def quote_excerpt(text: str) -> str:
    """A quote cut at a word with … when long (a cut at 150 characters ended "mentioned the s”", as if the speaker had)."""
    return textwrap.shorten(text, QUOTE_CHARS, placeholder=" …")


class ThemesScreen(SavesToStudy, Screen):
    SHOWN_BY = "themes"  # the app's action that leads here: its key is hidden on this screen
    DEFAULT_CSS = """
    ThemesScreen DataTable { height: 1fr; }
    ThemesScreen #quote { height: auto; max-height: 7; border-top: solid $primary; padding: 0 1; }
    """
    SAVING = frozenset({"rename", "merge", "promote"})
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
        self.refresh_table()

    def on_resize(self) -> None:
        self.refresh_table()

    def refresh_table(self) -> None:
        """One row per theme, fitted to the screen's width: the top words take what the other columns leave
        and end in … when cut (the highlighted theme's are shown whole below); the id shows from WIDE columns."""
        table = self.query_one(DataTable)
        row = table.cursor_row
        themes = list(self.app.study.db.query("SELECT * FROM themes ORDER BY size DESC"))
        labels = [("◆ " if t["id"] == self.marked else "") + t["label"] for t in themes]
        wide = self.app.size.width >= WIDE
        widths = {"id": 3 if wide else 0, "theme": min(max(map(len, labels), default=5), 30), "quotes": 6, "people": 6,
                  "stage": min(max((len(t["stage"] or "–") for t in themes), default=5), 12)}
        shown = {name: width for name, width in widths.items() if width}
        words = max(10, self.app.size.width - sum(shown.values()) - 2 * (len(shown) + 1) - 2)  # cell padding, the scrollbar
        table.clear(columns=True)
        for name, width in (*shown.items(), ("top words", words)):
            table.add_column(name, width=width, key=name)
        for t, label in zip(themes, labels):
            cells = [str(t["id"])] if wide else []
            cells += [clip(Text(label), widths["theme"], 1), str(t["size"]), str(t["participants"]), Text(t["stage"] or "–"),
                      clip(Text(", ".join(json.loads(t["words"] or "[]")[:5])), words, 1)]
            table.add_row(*cells, key=str(t["id"]))
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
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
            row = self.app.study.db["themes"].get(theme)
            text = Text(f"Top words: {', '.join(json.loads(row['words'] or '[]'))}", style="dim")
            for q in json.loads(row["quotes"] or "[]")[:2]:
                text.append("\n“" + quote_excerpt(self.app.study.db["utterances"].get(q)["text"]) + "”", style="")
            self.query_one("#quote", Static).update(text)

    def action_rename(self) -> None:
        theme = self.current()
        if theme is None:
            return

        def done(label: str | None) -> None:
            if label:
                with self.saving():
                    rename_theme(self.app.study, theme, label)
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
        with self.saving():
            merge_themes(self.app.study, keep, self.marked)
            self.marked = None
            self.app.map_is_stale = True
            self.refresh_table()

    def action_promote(self) -> None:
        theme = self.current()
        if theme is None:
            return
        with self.saving():
            key = promote_theme(self.app.study, theme)
            self.notify(f"Added code {key} to the study's codebook (codebook.yaml); `research code` will use it.", markup=False)
