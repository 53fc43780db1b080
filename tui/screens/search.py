"""Full-text search across the study; Enter jumps to the utterance in its transcript."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, OptionList
from textual.widgets.option_list import Option

from research.review import search
from research.timecode import clock


class SearchScreen(Screen):
    DEFAULT_CSS = "SearchScreen OptionList { height: 1fr; }"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="search.back")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="search every transcript, e.g. wifi pair*", id="query")
        yield OptionList(id="hits")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Search"
        self.query_one(Input).focus()

    @on(Input.Submitted, "#query")
    def _search(self, event: Input.Submitted) -> None:
        hits = self.query_one("#hits", OptionList)
        hits.clear_options()
        found = search(self.app.study, event.value)
        for hit in found:
            hits.add_option(Option(f"{hit.interview} {clock(hit.start)} {hit.role:<11} {hit.snippet}", id=f"{hit.interview}|{hit.utterance_id}"))
        self.sub_title = f"{len(found)} hits"
        if found:
            hits.focus()
            hits.highlighted = 0

    @on(OptionList.OptionSelected, "#hits")
    def _open(self, event: OptionList.OptionSelected) -> None:
        from tui.screens.transcript import TranscriptScreen

        code, utterance = event.option.id.split("|")
        self.app.push_screen(TranscriptScreen(code, int(utterance)))
