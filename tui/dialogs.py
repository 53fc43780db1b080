"""Small modal dialogs: a fuzzy code picker and a one-line text prompt. Their text is never read as markup."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option


def highlight(matcher: Matcher, candidate: str) -> Content:
    """`candidate` with the letters `matcher` found in bold, read as plain text (Matcher.highlight reads markup)."""
    content = Content(candidate)
    score, offsets = matcher.fuzzy_search.match(matcher.query, candidate)
    for offset in offsets if score else ():
        if not candidate[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class CodePicker(ModalScreen[str | None]):
    """Type to filter codes fuzzily; Enter picks, Escape cancels. Returns a code key."""

    DEFAULT_CSS = """
    CodePicker { align: center middle; }
    CodePicker > Vertical { width: 70; max-width: 95%; height: 22; max-height: 90%; border: round $accent; background: $surface; padding: 0 1; }
    CodePicker OptionList { height: 1fr; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="picker.cancel")]

    def __init__(self, codes: list[tuple[str, str]], title: str = "Pick a code", placeholder: str = "type to filter, e.g. 'ret' or 'pain'"):
        super().__init__()
        self.codes = codes  # (key, "Group › Name")
        self.title_text = title
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text))
            yield Input(placeholder=self.placeholder, id="filter")
            yield OptionList(*[Option(Text(label), id=key) for key, label in self.codes], id="codes")

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        options = self.query_one("#codes", OptionList)
        options.clear_options()
        if not event.value:
            options.add_options([Option(Text(label), id=key) for key, label in self.codes])
        else:
            matcher = Matcher(event.value)
            scored = sorted(((matcher.match(label), key, label) for key, label in self.codes), reverse=True)
            options.add_options([Option(highlight(matcher, label), id=key) for score, key, label in scored if score > 0])
        options.highlighted = 0 if options.option_count else None

    @on(Input.Submitted, "#filter")
    def _submit(self) -> None:
        options = self.query_one("#codes", OptionList)
        if options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected, "#codes")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def on_key(self, event) -> None:
        if event.key in ("down", "up"):
            options = self.query_one("#codes", OptionList)
            options.action_cursor_down() if event.key == "down" else options.action_cursor_up()
            event.stop()

    def action_cancel(self) -> None:
        self.dismiss(None)


class Prompt(ModalScreen[str | None]):
    """One line of text: a memo, a theme name, a confidence."""

    DEFAULT_CSS = """
    Prompt { align: center middle; }
    Prompt > Vertical { width: 70; max-width: 95%; height: auto; border: round $accent; background: $surface; padding: 0 1; }
    Prompt Label { width: 1fr; }
    Prompt #keys { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, question: str, value: str = "", placeholder: str = "", keys: str = "Enter saves · Escape cancels"):
        super().__init__()
        self.question, self.value, self.placeholder, self.keys = question, value, placeholder, keys

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.question))
            yield Input(value=self.value, placeholder=self.placeholder, id="answer")
            yield Label(Text(self.keys), id="keys")

    @on(Input.Submitted, "#answer")
    def _submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
