"""The codebook: codes with their definitions and counts; Enter lists every quote of a code across the interviews."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, OptionList, Static
from textual.widgets.option_list import Option

from research.review import CodeCount, CodeQuote, code_counts, code_quotes
from research.timecode import clock
from tui.widgets.cells import clip
from tui.widgets.footer import KeyFooter
from tui.widgets.quote_list import QuoteList, quote_row

MIN_DEFINITION = 20  # cells; a narrower definition column says too little to be worth its room
STATUS_MARK = {"suggested": ("?", ""), "accepted": ("✓", "green"), "rejected": ("✗", "red dim")}


def where(quote: CodeQuote) -> Text:
    """✓ INT-002 03:14 Participant 2 0.91"""
    mark, style = STATUS_MARK.get(quote.status, ("?", ""))
    return Text(f"{mark} ", style=style or "bold") + Text(f"{quote.interview} {clock(quote.start)} {quote.participant} {quote.confidence:.2f}", style="dim")


def code_quote_row(quote: CodeQuote, where_width: int) -> Table:
    """Where the quote is from, then its words (study text, never markup; struck through when rejected)."""
    return quote_row(where(quote), Text(quote.text, style="strike dim" if quote.status == "rejected" else ""), where_width)


class CodeQuotesScreen(Screen):
    """Every quote of one code; Enter opens it in its transcript, Escape comes back to the same place."""

    DEFAULT_CSS = "CodeQuotesScreen OptionList { height: 1fr; }"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="code_quotes.back")]

    def __init__(self, code: CodeCount):
        super().__init__()
        self.code = code

    def compose(self) -> ComposeResult:
        yield Header()
        yield QuoteList(id="quotes")
        yield KeyFooter()

    def on_mount(self) -> None:
        quotes = code_quotes(self.app.study, self.code.key)
        self.title = f"{self.code.group} › {self.code.name}"
        self.sub_title = f"{len(quotes)} quote{'s' * (len(quotes) != 1)}, {len({q.interview for q in quotes})} interviews"
        listing = self.query_one(OptionList)
        width = max((where(q).cell_len for q in quotes), default=0)
        listing.add_options([Option(code_quote_row(q, width), id=f"{q.interview}|{q.utterance_id}") for q in quotes])
        if not quotes:
            listing.add_option(Option(Text("No utterance has this code yet.", style="dim"), disabled=True))
        else:
            listing.highlighted = 0
        listing.focus()

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        from tui.screens.transcript import TranscriptScreen

        interview, utterance = event.option.id.split("|")
        self.app.push_screen(TranscriptScreen(interview, int(utterance)))


class CodebookScreen(Screen):
    SHOWN_BY = "codebook"  # the app's action that leads here: its key is hidden on this screen
    DEFAULT_CSS = """
    CodebookScreen DataTable { height: 1fr; }
    CodebookScreen #definition { height: auto; max-height: 5; border-top: solid $primary; padding: 0 1; }
    """
    BINDINGS = [
        Binding("enter", "open", "Quotes", priority=True, id="codebook.open"),  # before the table's own enter, so the footer shows it
        Binding("escape", "app.pop_screen", "Back", id="codebook.back"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="codes", cursor_type="row", zebra_stripes=True)
        yield Static(id="definition")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = f"Codebook: {self.app.study.config.coding.codebook}"
        self.counts = code_counts(self.app.study)
        self.fill()

    def on_resize(self) -> None:
        self.fill()

    def fill(self) -> None:
        """The codes, their definitions cut with … to the width the other columns leave (shown whole below), or left
        to the panel below when that is under MIN_DEFINITION cells (80 columns)."""
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        names = max((len(c.name) for c in self.counts), default=4) + 2
        groups = max((len(c.group) for c in self.counts), default=5)
        fixed = {"code": names, "open": 4, "✓": 3, "✗": 3, "group": groups}
        definition = self.app.size.width - sum(fixed.values()) - 2 * (len(fixed) + 1) - 2  # cell padding, the scrollbar
        shown = {**fixed, "definition": definition} if definition >= MIN_DEFINITION else fixed
        for name, width in shown.items():
            table.add_column(name, width=width, key=name)
        for c in self.counts:
            cells = [Text("■ ", style=c.color) + Text(c.name), str(c.suggested), str(c.accepted), str(c.rejected), Text(c.group)]
            table.add_row(*cells, *[clip(Text(c.definition), definition, 1)] * ("definition" in shown), key=c.key)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.counts):
            c = self.counts[event.cursor_row]
            self.query_one("#definition", Static).update(Text(f"{c.group} › {c.name}", style="bold") + Text(f" ({c.key}): {c.definition}"))

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if 0 <= table.cursor_row < len(self.counts):
            self.app.push_screen(CodeQuotesScreen(self.counts[table.cursor_row]))
