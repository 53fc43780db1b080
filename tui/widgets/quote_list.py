"""A list of quotes (search hits, a code's quotes) whose footer says that enter opens the highlighted one."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import OptionList


class QuoteList(OptionList):
    BINDINGS = [Binding("enter", "select", "Open in transcript", id="quotes.open")]
