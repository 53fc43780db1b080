"""Dialogs for correcting a transcript: edit an utterance's words, split it or give words to another
speaker, and a speaker's role (with a voice sample to listen to first, or a merge into another speaker).
Study text in them is plain `Text`, never markup."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

ROLES = ("interviewer", "customer", "customer_b", "customer_c")

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 90; max-width: 98%; height: auto; max-height: 95%; border: round $accent; background: $surface; padding: 0 1; }}
{name} .hint {{ color: $text-muted; }}
"""


class Paragraph(TextArea):
    """One paragraph, soft-wrapped: Enter saves instead of starting a new line."""

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.prevent_default()
            event.stop()
            self.screen.action_save()
            return
        await super()._on_key(event)


class EditDialog(ModalScreen[str | None]):
    """The utterance's text to correct; ctrl+r plays it again. Enter saves, Escape cancels."""

    DEFAULT_CSS = DIALOG_CSS.format(name="EditDialog") + "EditDialog Paragraph { height: auto; max-height: 10; }"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="edit.cancel"), Binding("ctrl+r", "replay", "Play again", id="edit.replay")]

    def __init__(self, text: str, replay: Callable[[], None]):
        super().__init__()
        self.text, self.replay = text, replay

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Correct what was said (Enter saves, Escape cancels, ctrl+r plays it again):"))
            yield Paragraph(self.text, soft_wrap=True, show_line_numbers=False, id="text")
            yield Static(Text("Pseudonyms such as [PERSON_1] stand for the real words; leave them as they are.", style="dim"), classes="hint")

    def on_mount(self) -> None:
        self.query_one(Paragraph).focus()

    def action_save(self) -> None:
        self.dismiss(" ".join(self.query_one(Paragraph).text.split()))

    def action_replay(self) -> None:
        self.replay()

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class WordsChoice:
    first: int  # 0-based, inclusive
    last: int
    speaker: str | None  # None: split before `first`


def parse_words_choice(answer: str, count: int, speakers: list[str]) -> WordsChoice | str:
    """'7' splits before word 7; '7-12 S1' gives words 7 to 12 to S1; '7- S1' to the end. Returns a choice or the problem."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:(-)\s*(\d+)?)?\s*(\S+)?\s*", answer)
    if not match:
        return "Type a word number (split there) or FIRST-LAST SPEAKER, e.g. 7-12 S1."
    first = int(match.group(1))
    last = int(match.group(3)) if match.group(3) else (count if match.group(2) else first)
    speaker = match.group(4)
    if speaker is not None and speaker not in speakers:
        return f"No speaker '{speaker}' here; the speakers are {', '.join(speakers)}."
    if not 1 <= first <= last <= count:
        return f"Words go from 1 to {count}."
    if speaker is None and (match.group(2) or first == 1):
        return "To split, give one word number after the first (the new utterance starts there)."
    return WordsChoice(first - 1, last - 1, speaker)


class WordsDialog(ModalScreen[WordsChoice | None]):
    """The utterance's words, numbered: split before one, or give a range to another speaker."""

    DEFAULT_CSS = DIALOG_CSS.format(name="WordsDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="words.cancel")]

    def __init__(self, words: list[str], speaker: str, speakers: list[str]):
        super().__init__()
        self.words, self.speaker, self.speakers = words, speaker, speakers

    def compose(self) -> ComposeResult:
        numbered = Text()
        for n, word in enumerate(self.words, start=1):
            numbered.append(f"{n}", style="dim")
            numbered.append(f"·{word} ")
        others = [s for s in self.speakers if s != self.speaker]
        with Vertical():
            yield Static(Text(f"Speaker {self.speaker}'s words:"))
            yield Static(numbered)
            yield Static(Text(f"Type N to split before word N, or FIRST-LAST SPEAKER to give words to {' or '.join(others) or 'another speaker'} (e.g. 7-12 {others[0] if others else 'S1'}).", style="dim"))
            yield Input(placeholder="e.g. 7   or   7-12 S1   or   7- S1", id="choice")

    @on(Input.Submitted, "#choice")
    def _submit(self, event: Input.Submitted) -> None:
        choice = parse_words_choice(event.value, len(self.words), self.speakers)
        if isinstance(choice, str):
            self.notify(choice, severity="warning", markup=False)
            return
        self.dismiss(choice)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class SpeakerChoice:
    action: str  # "role" or "merge"
    value: str  # the role, or the speaker to merge into


class RoleDialog(ModalScreen[SpeakerChoice | None]):
    """A speaker's role, or a merge into another speaker; `space` plays a sample of the voice first."""

    DEFAULT_CSS = DIALOG_CSS.format(name="RoleDialog") + "RoleDialog OptionList { height: auto; max-height: 12; }"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="role.cancel"), Binding("space", "sample", "Play a sample", id="role.sample")]

    def __init__(self, speaker: str, role: str, speakers: list[tuple[str, str, float]], play_sample: Callable[[str], None]):
        super().__init__()
        self.speaker, self.role, self.speakers, self.play_sample = speaker, role, speakers, play_sample

    def compose(self) -> ComposeResult:
        seconds = next((s for name, _, s in self.speakers if name == self.speaker), 0.0)
        options = [Option(Text(f"{role}" + ("  (now)" if role == self.role else "")), id=f"role|{role}") for role in ROLES]
        options += [Option(Text(f"merge into {name} ({role or 'no role'}, {s / 60:.1f} min)"), id=f"merge|{name}") for name, role, s in self.speakers if name != self.speaker]
        with Vertical():
            yield Static(Text(f"Speaker {self.speaker} ({self.role or 'no role'}, {seconds / 60:.1f} min of speech). Space plays a sample of this voice."))
            yield OptionList(*options, id="choices")

    def on_mount(self) -> None:
        choices = self.query_one(OptionList)
        choices.highlighted = next((n for n, role in enumerate(ROLES) if role == self.role), 0)
        choices.focus()

    @on(OptionList.OptionSelected, "#choices")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        action, value = event.option.id.split("|", 1)
        self.dismiss(SpeakerChoice(action, value))

    def action_sample(self) -> None:
        self.play_sample(self.speaker)

    def action_cancel(self) -> None:
        self.dismiss(None)
