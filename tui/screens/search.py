"""Full-text search across the study; Enter jumps to the utterance in its transcript."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Input, OptionList
from textual.widgets.option_list import Option

from research.errors import ResearchError
from research.search import SearchHit, hits_line, search
from research.timecode import clock
from tui.widgets.footer import KeyFooter
from tui.widgets.quote_list import QuoteList, quote_row


def hit_line(hit: SearchHit, where_width: int) -> Table:
    """INT-003 02:14 customer    …the Wi-Fi kept failing…, the matched words highlighted (study text is never markup)."""
    snippet = Text(hit.snippet)
    for start, end in hit.matches:
        snippet.stylize("bold reverse", start, end)
    return quote_row(Text(where(hit), style="dim"), snippet, where_width)


def where(hit: SearchHit) -> str:
    return f"{hit.interview} {clock(hit.start)} {hit.role}"


class QueryInput(Input):
    """The search box; the footer shows that enter searches."""

    BINDINGS = [Binding("enter", "submit", "Search", id="search.submit")]


class SearchScreen(Screen):
    SHOWN_BY = "search"  # the app's action that leads here: its key is hidden on this screen
    DEFAULT_CSS = "SearchScreen OptionList { height: 1fr; }"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="search.back")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield QueryInput(placeholder="search every transcript, e.g. wifi pair*", id="query")
        yield QuoteList(id="hits")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Search"
        self.query_one(Input).focus()

    @on(Input.Submitted, "#query")
    def _search(self, event: Input.Submitted) -> None:
        hits = self.query_one("#hits", OptionList)
        hits.clear_options()
        try:
            found = search(self.app.study, event.value)
        except ResearchError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        width = max((len(where(hit)) for hit in found), default=0)
        hits.add_options([Option(hit_line(hit, width), id=f"{hit.interview}|{hit.utterance_id}") for hit in found])
        self.sub_title = hits_line(len(found))
        if found:
            hits.focus()
            hits.highlighted = 0

    @on(OptionList.OptionSelected, "#hits")
    def _open(self, event: OptionList.OptionSelected) -> None:
        from tui.screens.transcript import TranscriptScreen

        code, utterance = event.option.id.split("|")
        self.app.push_screen(TranscriptScreen(code, int(utterance)))
