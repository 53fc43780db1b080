"""Across the journey: the ranked "How might we …?" opportunities in words (who feels each pain, how strongly),
the pains told at several stages (each place's quote as evidence), single voices apart, advocacy (promoters, detractors, those who do both, the net line) and the themes kept
outside the journey."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from research.export.wording import (
    ADVOCACY_HEADING, OPPORTUNITY_ORDER, RECURRING_HEADING, RECURRING_NOTE, SINGLE_VOICES, advocacy_line, no_opportunity_line, opportunity_line, opportunity_patterns, people,
    single_voices, utterances,
)
from research.journey.model import JourneyMap, Opportunity, RecurringPain
from tui.widgets.cells import Entry, quote_line

TOP = 10


class OutlookList(OptionList):
    DEFAULT_CSS = "OutlookList { height: 1fr; }"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.entries: dict[int, Entry] = {}

    def _heading(self, text: str) -> None:
        self.add_option(Option(Text(text, style="bold underline"), disabled=True))

    def _entry(self, entry: Entry, prompt: Text) -> None:
        self.entries[self.option_count] = entry
        self.add_option(Option(prompt))

    def show(self, journey: JourneyMap) -> None:
        highlighted = self.highlighted
        self.clear_options()
        self.entries = {}
        self._heading("Opportunities")
        self.add_option(Option(Text(OPPORTUNITY_ORDER, style="dim"), disabled=True))
        patterns, singles = opportunity_patterns(journey), single_voices(journey)
        for n, opportunity in enumerate(patterns[:TOP], start=1):
            self._opportunity(journey, opportunity, Text(f"{n}. ", style="bold"))
        if not patterns:
            self.add_option(Option(Text(no_opportunity_line(journey), style="dim"), disabled=True))
        if journey.recurring_pains:
            self._heading(RECURRING_HEADING)
            self.add_option(Option(Text(RECURRING_NOTE, style="dim"), disabled=True))
            for pain in journey.recurring_pains[:TOP]:
                self._recurring(pain)
        if singles:
            self._heading("Single voices")
            self.add_option(Option(Text(SINGLE_VOICES, style="dim"), disabled=True))
            for opportunity in singles[:TOP]:
                self._opportunity(journey, opportunity, Text("· ", style="dim"))
        advocacy = journey.advocacy
        self._heading(ADVOCACY_HEADING)
        self.add_option(Option(Text(advocacy_line(journey), style="bold"), disabled=True))
        for side, quotes, style in (("Promoter", advocacy.promoters, "green"), ("Detractor", advocacy.detractors, "red"), ("Recommends and warns", advocacy.mixed, "yellow")):
            for quote in quotes:
                prompt = Text(f"{side}: ", style=f"bold {style}") + quote_line(quote)
                self._entry(Entry("Advocacy", prompt, Text(f"{side}: “{quote.text}”"), quotes=[quote], utterance_ids=[quote.utterance_id]), prompt)
        if journey.hidden_themes:
            self._heading("Themes outside the journey (interview logistics, talk with no clear stage)")
            for item in journey.hidden_themes:
                prompt = Text(item.label) + Text(f"  {people(item.participants)}, {utterances(item.utterances)}", style="dim")
                self._entry(Entry("Outside", prompt, Text(f"Outside the journey: {item.label}"), utterance_ids=item.utterance_ids), prompt)
        if self.option_count:
            first = min(self.entries, default=None)
            self.highlighted = highlighted if highlighted in self.entries else first

    def _opportunity(self, journey: JourneyMap, opportunity: Opportunity, mark: Text) -> None:
        prompt = mark + Text(opportunity.statement, style="bold") + Text(f"\n   {opportunity_line(journey, opportunity)}", style="dim")
        detail = Text(opportunity.statement, style="bold") + Text(f"\nAnswers: {opportunity.insight}", style="dim")
        self._entry(Entry("Opportunities", prompt, detail, utterance_ids=opportunity.utterance_ids), prompt)

    def _recurring(self, pain: RecurringPain) -> None:
        prompt = Text("● ", style="red") + Text(pain.label, style="bold") + Text(f"\n   {pain.reach}", style="dim")
        quotes = [place.quote for place in pain.places]
        self._entry(Entry("Across the journey", prompt, Text(pain.statement, style="bold"), quotes=quotes, utterance_ids=pain.utterance_ids), prompt)

    @property
    def entry(self) -> Entry | None:
        return self.entries.get(self.highlighted) if self.highlighted is not None else None
