"""The journey map: stages as columns, the map's lanes as rows, an emotion curve, filters, quotes."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, OptionList, Select, Static
from textual.widgets.option_list import Option

from research.journey import JourneyMap
from research.timecode import clock

LANES = [
    ("Coverage", None), ("Touchpoints", "touchpoints"), ("Channels", "channels"), ("Emotions", "emotions"), ("Who", "who"), ("What", "what"),
    ("When", "when"), ("Where", "where"), ("Why", "why"), ("Patterns", "patterns"), ("Outliers", "outliers"), ("Pain points", "pain_points"),
    ("Delights", "delights"), ("Tollgates", "tollgates"), ("Gaps", "gaps"), ("Silos", "silos"), ("Themes", "themes"),
]
FILTERS = ("persona", "role", "participation", "segment")


def curve(journey: JourneyMap, width: int = 14) -> Text:
    """Mean valence per stage as a bar from the middle: left is negative, right is positive."""
    text = Text()
    half = width // 2
    for lane in journey.stages:
        value = lane.valence_mean
        text.append(f"{lane.name[:18]:<19}")
        if value is None:
            text.append(" " * (width + 1) + "no emotion coded\n", style="dim")
            continue
        cells = round(abs(value) * half)
        left = " " * (half - cells) + ("█" * cells if value < 0 else "")
        right = ("█" * cells if value >= 0 else "") + " " * (half - (cells if value >= 0 else 0))
        text.append(left, style="red")
        text.append("│")
        text.append(right, style="green")
        text.append(f" {value:+.2f} ± {lane.valence_sd or 0:.2f}\n")
    return text


def cell(journey: JourneyMap, stage_index: int, attr: str | None, width: int = 28) -> tuple[Text, list[int]]:
    """What one cell of the map shows (patterns green, outliers magenta), and the utterances behind it."""
    lane = journey.stages[stage_index]
    if attr is None:
        return Text(f"{lane.participants} people, {lane.utterances} utt."), lane.utterance_ids
    values = getattr(lane, attr)
    if attr == "outliers":
        return Text("\n".join(o.label[:width] for o in values[:3]), style="magenta"), [i for o in values for i in o.utterance_ids]
    if attr in ("pain_points", "delights", "tollgates", "gaps"):
        return Text(f"{len(values)} quote{'s' * (len(values) != 1)}" if values else ""), [q.utterance_id for q in values]
    style = "bold green" if attr == "patterns" else ""
    return Text("\n".join(f"{i.label[: width - 5]} ({i.participants})" for i in values[:3]), style=style), [u for i in values for u in i.utterance_ids]


class JourneyScreen(Screen):
    journey: JourneyMap | None = None
    cells: dict[tuple[int, int], list[int]] = {}
    DEFAULT_CSS = """
    JourneyScreen #filters { height: 3; }
    JourneyScreen Select { width: 1fr; }
    JourneyScreen #curve { height: auto; padding: 0 1; }
    JourneyScreen DataTable { height: 1fr; }
    JourneyScreen #quotes { height: 8; border-top: solid $primary; }
    """
    BINDINGS = [
        Binding("enter", "quotes", "Quotes", id="journey.quotes"),
        Binding("g", "goto", "Go to quote", id="journey.goto"),
        Binding("escape", "back", "Back", id="journey.back"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="filters"):
            for name in FILTERS:
                yield Select([], prompt=f"any {name}", id=f"filter-{name}", allow_blank=True)
        yield Static(id="curve")
        yield DataTable(id="map", cursor_type="cell")
        yield OptionList(id="quotes")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Journey map"
        self.query_one("#quotes", OptionList).display = False
        self.query_one("#map", DataTable).focus()
        db = self.app.study.db
        for name in FILTERS:
            values = [r[0] for r in db.execute(f"SELECT DISTINCT {name} FROM participants WHERE {name} IS NOT NULL AND {name} != '' ORDER BY 1")]
            self.query_one(f"#filter-{name}", Select).set_options([(v, v) for v in values])
        self.load()

    def filters(self) -> dict[str, str]:
        chosen = {}
        for name in FILTERS:
            value = self.query_one(f"#filter-{name}", Select).value
            if value not in (Select.BLANK, None) and isinstance(value, str):
                chosen[name] = value
        return chosen

    @on(Select.Changed)
    def _filter_changed(self) -> None:
        self.load()

    def load(self) -> None:
        self.query_one("#curve", Static).update("Building the map…")
        self.build(self.filters())

    @work(thread=True, exclusive=True, group="map")
    def build(self, filters: dict[str, str]) -> None:
        from research.coding.stage import study_codebook
        from research.journey import build_and_store
        from research.study import Study

        study = Study.open(self.app.study.root)
        journey = build_and_store(study, study_codebook(study)[0], filters)
        self.app.call_from_thread(self.show, journey)

    def show(self, journey: JourneyMap) -> None:
        self.journey = journey
        self.app.map_is_stale = False
        self.query_one("#curve", Static).update(curve(journey))
        table = self.query_one("#map", DataTable)
        table.clear(columns=True)
        table.add_column("", key="lane", width=12)
        width = max(10, (self.size.width - 14) // max(len(journey.stages), 1) - 2)  # all stages fit on screen
        for lane in journey.stages:
            table.add_column(lane.name[: width - 1], key=lane.stage, width=width)
        self.cells = {}
        for row, (title, attr) in enumerate(LANES):
            values = []
            for column in range(len(journey.stages)):
                text, ids = cell(journey, column, attr, width)
                self.cells[(row, column + 1)] = ids
                values.append(text)
            height = max(1, max(len(v.plain.splitlines()) for v in values))
            table.add_row(Text(title, style="bold"), *values, height=height)
        self.sub_title = f"{journey.participants} participants" + (f" · {journey.filters}" if journey.filters else "")

    def on_resize(self) -> None:
        if self.journey is not None:
            self.show(self.journey)

    def action_back(self) -> None:
        """Close the quotes first, then the screen."""
        quotes = self.query_one("#quotes", OptionList)
        if quotes.display:
            quotes.display = False
            self.query_one("#map", DataTable).focus()
        else:
            self.app.pop_screen()

    def on_screen_resume(self) -> None:
        if self.app.map_is_stale:
            self.load()

    def action_quotes(self) -> None:
        """The quotes behind the selected cell."""
        table = self.query_one("#map", DataTable)
        ids = list(dict.fromkeys(self.cells.get((table.cursor_row, table.cursor_column), [])))
        quotes = self.query_one("#quotes", OptionList)
        quotes.clear_options()
        quotes.display = True
        if not ids:
            self.notify("Nothing behind this cell.")
            return
        marks = ",".join("?" * len(ids))
        rows = self.app.study.db.query(
            f"SELECT u.id, i.code, u.start, u.text FROM utterances u JOIN interviews i ON i.id = u.interview_id WHERE u.id IN ({marks}) ORDER BY i.id, u.idx", ids)
        for r in rows:
            quotes.add_option(Option(f"{r['code']} {clock(r['start'] or 0)}  {r['text']}", id=f"{r['code']}|{r['id']}"))
        quotes.focus()
        quotes.highlighted = 0

    @on(DataTable.CellSelected, "#map")
    def _cell_selected(self) -> None:
        self.action_quotes()

    @on(OptionList.OptionSelected, "#quotes")
    def _quote_selected(self) -> None:
        self.action_goto()

    def action_goto(self) -> None:
        quotes = self.query_one("#quotes", OptionList)
        if quotes.highlighted is None or not quotes.option_count:
            return
        code, utterance = quotes.get_option_at_index(quotes.highlighted).id.split("|")
        from tui.screens.transcript import TranscriptScreen

        self.app.push_screen(TranscriptScreen(code, int(utterance)))
