"""The evidence behind the selected entry: its full text, then its quotes (interview, participant, time).

The quotes the map shows come first (★), then every other utterance behind the entry, so an analyst
can pin a better quote or jump to any of them in its transcript.
"""

from __future__ import annotations

from rich.text import Text
from sqlite_utils import Database
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from research.journey.model import Quote
from tui.widgets.cells import Entry, quote_line

MORE = 40  # further utterances listed beyond the entry's own quotes


def utterance_quotes(db: Database, ids: list[int]) -> list[Quote]:
    """Quotes for utterance ids, in the order given, with their interview and participant label."""
    if not ids:
        return []
    rows = db.query(
        "SELECT u.id, i.code, u.start, u.text, COALESCE(p.label, u.role, '?') AS who FROM utterances u JOIN interviews i ON i.id = u.interview_id "
        f"LEFT JOIN participants p ON p.interview_id = u.interview_id AND p.slot = u.role WHERE u.id IN ({','.join('?' * len(ids))})", ids)
    found = {r["id"]: Quote(utterance_id=r["id"], interview=r["code"], participant=r["who"], start=r["start"] or 0.0, text=r["text"]) for r in rows}
    return [found[i] for i in ids if i in found]


class EvidencePanel(Vertical):
    DEFAULT_CSS = """
    EvidencePanel { height: 35%; min-height: 6; border-top: solid $primary; }
    EvidencePanel #detail { height: auto; max-height: 3; padding: 0 1; }
    EvidencePanel #quotes { height: 1fr; border: none; padding: 0; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="detail")
        yield OptionList(id="quotes")

    def show(self, entry: Entry | None, db: Database) -> None:
        detail = self.query_one("#detail", Static)
        quotes = self.query_one("#quotes", OptionList)
        quotes.clear_options()
        if entry is None:
            detail.update(Text("Nothing here: move to a filled cell.", style="dim"))
            return
        detail.update(entry.detail)
        starred = [q for n, q in enumerate(entry.quotes) if q.utterance_id not in {p.utterance_id for p in entry.quotes[:n]}]  # two parts of one answer: one row
        shown = {q.utterance_id for q in starred}
        rest = [i for i in dict.fromkeys(entry.utterance_ids) if i not in shown][:MORE]
        for quote in starred:
            quotes.add_option(Option(Text("★ ", style="yellow") + quote_line(quote), id=f"{quote.interview}|{quote.utterance_id}"))
        for quote in utterance_quotes(db, rest):
            quotes.add_option(Option(Text("  ") + quote_line(quote), id=f"{quote.interview}|{quote.utterance_id}"))
        if quotes.option_count:
            quotes.highlighted = 0

    def highlighted(self) -> tuple[str, int] | None:
        """(interview, utterance id) of the highlighted quote."""
        quotes = self.query_one("#quotes", OptionList)
        if quotes.highlighted is None or not quotes.option_count:
            return None
        interview, utterance = quotes.get_option_at_index(quotes.highlighted).id.split("|")
        return interview, int(utterance)
