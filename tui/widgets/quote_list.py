"""A list of quotes (search hits, a code's quotes) whose footer says that enter opens the highlighted one, and the
row they share: where the quote is from in a column of its own, its words wrapping in the next."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList


class QuoteList(OptionList):
    BINDINGS = [Binding("enter", "select", "Open in transcript", id="quotes.open")]


def quote_row(where: Text, words: Text, where_width: int) -> Table:
    """`where` (interview, time, speaker…) in a column `where_width` wide, `words` wrapping beside it: at 80 columns a
    quote's second line began under the interview code, and the list read as one block of text."""
    row = Table.grid(padding=(0, 1), expand=True)
    row.add_column(width=where_width, no_wrap=True)
    row.add_column(ratio=1)
    row.add_row(where, words)
    return row
