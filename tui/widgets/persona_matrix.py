"""Personas side by side: a persona × stage matrix with evidence strength per cell and a valence curve per persona.

A cell says how many of the persona speak about the stage and how many quotes there are, how it feels
(a signed bar) and the insight they share. Thin evidence (one voice or under three quotes) is dimmed,
so a reader sees at once where a persona's story rests on little.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from research.export.wording import plural, valence_words
from research.journey.model import JourneyMap, PersonaCell
from tui.widgets.cells import Entry, clip, column_width_for, sparkline, valence_bar

NAME_WIDTH = 22
MIN_COLUMN = 22
STRENGTH_STYLE = {"none": "dim", "thin": "dim", "moderate": "", "strong": "bold"}


def persona_cell(cell: PersonaCell, width: int) -> Text:
    if cell.strength == "none":
        return Text(f"— none of {cell.of}", style="dim")
    style = STRENGTH_STYLE[cell.strength]
    text = Text(f"{cell.participants}/{cell.of} people · {cell.quotes} quote{'s' * (cell.quotes != 1)} · {cell.strength}\n", style=style)
    text.append_text(valence_bar(cell.valence, half=4))
    if cell.valence is not None:
        text.append(f" {valence_words(cell.valence)}")
    if cell.top_insight:
        text.append("\n")
        text.append_text(clip(Text(cell.top_insight, style=style or "italic"), width, 1))
    if cell.strength == "thin":
        text.stylize("dim")
    return text


class PersonaMatrix(DataTable):
    DEFAULT_CSS = "PersonaMatrix { height: 1fr; }"

    def __init__(self, **kwargs):
        super().__init__(cursor_type="cell", fixed_columns=1, **kwargs)
        self.entries: dict[tuple[int, int], Entry] = {}

    def show(self, journey: JourneyMap, width: int) -> None:
        row, column = self.cursor_coordinate
        self.clear(columns=True)
        stages = max(len(journey.stages), 1)
        column_width = column_width_for(width - NAME_WIDTH - 4, stages, MIN_COLUMN)
        self.add_column(Text("Persona · curve", style="bold"), key="persona", width=NAME_WIDTH)
        names = {lane.stage: lane.name for lane in journey.stages}
        for lane in journey.stages:
            self.add_column(clip(Text(lane.name, style="bold"), column_width, 1), key=lane.stage, width=column_width)
        lanes = {lane.stage: lane for lane in journey.stages}
        people = journey.participants_journeys
        self.entries = {}
        for r, persona in enumerate(journey.personas):
            label = Text(persona.persona, style="bold") + Text(f" ({persona.participants})\n", style="dim")
            label.append_text(sparkline([c.valence for c in persona.cells]))
            cells = []
            mine = {i for j in people if j.persona == persona.persona for i in j.utterance_ids}
            for c, cell in enumerate(persona.cells, start=1):
                cells.append(persona_cell(cell, column_width))
                lane = lanes.get(cell.stage)
                ids = [i for i in (lane.utterance_ids if lane else []) if i in mine]
                detail = Text(f"{persona.persona} at {names.get(cell.stage, cell.stage)}: {cell.participants} of {cell.of} participants, "
                              f"{plural(cell.quotes, 'quote')}, evidence {cell.strength}" + ("" if cell.valence is None else f", {valence_words(cell.valence)} on balance"))
                if cell.top_insight:
                    detail.append(f"\nShared insight: {cell.top_insight}", style="dim")
                self.entries[(r, c)] = Entry("Personas", Text(""), detail, utterance_ids=ids)
            self.add_row(clip(label, NAME_WIDTH, 3), *cells, height=3)
        if self.row_count:
            self.move_cursor(row=min(row, self.row_count - 1), column=max(1, min(column, stages)))

    @property
    def entry(self) -> Entry | None:
        return self.entries.get((self.cursor_row, self.cursor_column))
