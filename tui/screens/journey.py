"""The journey map: insights per stage with their evidence, personas side by side, opportunities and advocacy.

Three views share one map and one evidence panel: the board (`MapBoard`, stages as columns), personas
(`v`) and opportunities with advocacy (`o`). An analyst's edits to insights (rewrite, hide, pin a quote,
merge, undo) go through `research.journey.edits` and the map is rebuilt in a worker, so the UI never
waits; the edits are stored in study.db and re-applied on every rebuild, the pipeline's included.
"""

from __future__ import annotations

import sqlite3
from threading import Lock

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import ContentSwitcher, DataTable, Header, OptionList, Select, Static
from textual.worker import get_current_worker

from research.errors import ResearchError
from research.export.wording import nothing_placed_line
from research.faults import machine_fault
from research.journey.model import Insight, JourneyMap
from tui.dialogs import Prompt
from tui.read_only import SavesToStudy
from tui.widgets.evidence import EvidencePanel
from tui.widgets.footer import KeyFooter
from tui.widgets.map_board import MapBoard
from tui.widgets.outlook import OutlookList
from tui.widgets.persona_matrix import PersonaMatrix

FILTERS = ("persona", "segment", "role", "participation", "industry", "region", "product")
WIDE = 120  # from this width the filter bar shows from the start; `f` shows or hides it
VIEWS = {"board": "Map", "personas": "Personas", "outlook": "Opportunities and advocacy"}
BUILDING = Lock()  # one map build at a time: a cancelled worker's thread runs on, and two builds at once share one
# spaCy pipeline and its parse cache (two quick filter changes failed with spaCy's E030 "Sentence boundaries unset")
BOARD_ONLY = {"rewrite", "hide", "pin", "mark", "merge"}  # edits of the insight selected on the map: out of the footer on the other views
ON_THE_MAP = BOARD_ONLY | {"goto", "quotes"}  # keys that act on what the map shows: inert while it is put away for new filters


class MapReady(Message):
    """A map for `filters`; `final` False: the one stored earlier, shown while its rebuild runs."""

    def __init__(self, journey: JourneyMap, filters: dict[str, str], final: bool = True):
        super().__init__()
        self.journey, self.filters, self.final = journey, filters, final


class MapFailed(Message):
    def __init__(self, error: str):
        super().__init__()
        self.error = error


class JourneyScreen(SavesToStudy, Screen):
    SHOWN_BY = "journey"  # the app's action that leads here: its key is hidden on this screen
    DEFAULT_CSS = """
    JourneyScreen #filters { height: 1; }
    JourneyScreen #filters Select { width: 1fr; }
    JourneyScreen #filters.-narrow { layout: grid; grid-size: 4; grid-rows: 1; height: auto; }
    JourneyScreen #filters SelectCurrent #label { text-wrap: nowrap; text-overflow: ellipsis; }
    JourneyScreen #filters SelectOverlay { width: auto; min-width: 100%; max-width: 40; text-wrap: nowrap; text-overflow: ellipsis; }
    JourneyScreen #summary { height: auto; max-height: 5; padding: 0 1; color: $text-muted; }
    JourneyScreen ContentSwitcher { height: 1fr; }
    """
    SAVING = frozenset({"rewrite", "hide", "pin", "merge", "undo"})
    BINDINGS = [
        Binding("enter", "quotes", "Quotes", show=False, id="journey.quotes"),
        Binding("v", "view('personas')", "Personas", id="journey.personas"),
        Binding("v", "map_from('personas')", "Map", id="journey.personas_back"),  # the same key goes back: the footer says so
        Binding("o", "view('outlook')", "Opportunities", id="journey.outlook"),
        Binding("o", "map_from('outlook')", "Map", id="journey.outlook_back"),
        Binding("g", "goto", "Go to quote", id="journey.goto"),
        Binding("e", "rewrite", "Rewrite", id="journey.rewrite"),
        Binding("h", "hide", "Hide", id="journey.hide"),
        Binding("P", "pin", "Pin quote", id="journey.pin"),
        Binding("u", "undo", "Undo edit", id="journey.undo"),
        Binding("f", "filters", "Filters", id="journey.filters"),
        Binding("space", "mark", "Mark", show=False, id="journey.mark"),
        Binding("M", "merge", "Merge marked here", show=False, id="journey.merge"),
        Binding("escape", "back", "Back", id="journey.back"),
    ]

    def __init__(self):
        super().__init__()
        self.journey: JourneyMap | None = None
        self.marked: Insight | None = None
        self.filters_chosen = False  # whether `f` showed or hid the filter bar; until then it follows the width
        self.building = False  # the map on screen is for other filters: put away until the new one is built

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="filters"):
            for name in FILTERS:
                yield Select([], prompt=f"any {name}", id=f"filter-{name}", allow_blank=True, compact=True)
        yield Static(Text("Loading the map…"), id="summary")
        with ContentSwitcher(initial="board"):
            yield MapBoard(id="board")
            yield PersonaMatrix(id="personas")
            yield OutlookList(id="outlook")
        yield EvidencePanel()
        yield KeyFooter()

    def on_mount(self) -> None:
        from research.journey import filter_values

        self.title = "Journey map"
        for name in FILTERS:
            values = filter_values(self.app.study, name)
            select = self.query_one(f"#filter-{name}", Select)
            select.set_options([(v, v) for v in values])
            select.display = len(values) > 1  # a filter with one value or none chooses nothing
        self._fit_filters()
        self.query_one(MapBoard).focus()
        self.load(rebuild=self.app.map_is_stale)

    # --- building ---

    def filters(self) -> dict[str, str]:
        chosen = {}
        for name in FILTERS:
            value = self.query_one(f"#filter-{name}", Select).value
            if isinstance(value, str) and value:
                chosen[name] = value
        return chosen

    @on(Select.Changed)
    def _filter_changed(self) -> None:
        self.load(rebuild=True)  # a stored filtered map may predate the latest decisions

    def load(self, rebuild: bool) -> None:
        """Show the stored map for the filters (or build it, when asked or none is stored) in a worker. A rebuild
        for a map not on screen yet (on opening, for new filters) shows the stored one meanwhile: a rebuild loads
        the coding models and takes a while, and "Loading the map…" alone left the screen empty that long."""
        self.sub_title = "rebuilding…" if rebuild else "loading…"
        filters = self.filters()
        if self.journey is not None and self.journey.filters != filters:  # the map on screen is not for these filters yet
            self._put_away(filters)
        self.build(filters, rebuild, meanwhile=rebuild and (self.journey is None or self.journey.filters != filters))

    def _put_away(self, filters: dict[str, str]) -> None:
        """Hide the map on screen, which is for other filters, and say which map is being built (a later change
        of the filters replaces it: only the map for the filters shown comes on screen)."""
        wanted = ", ".join(f"{name} = {value}" for name, value in filters.items()) or "all participants"
        self.sub_title = f"building the map for {wanted}…"
        self._building(True)
        self.query_one("#summary", Static).update(Text(f"Building the map for {wanted}… Its first use takes a few seconds; the keys keep working.", style="bold"))

    @work(thread=True, exclusive=True, group="map")
    def build(self, filters: dict[str, str], rebuild: bool, meanwhile: bool = False) -> None:
        from research.study import Study

        study = Study.open(self.app.study.root)  # this thread's own connection
        try:
            journey = self._built(study, filters, rebuild, meanwhile)
        except ResearchError as error:
            self.post_message(MapFailed(str(error)))
            return
        except (OSError, sqlite3.DatabaseError) as error:  # a full disk or read-only study: one line, as `research map` says it
            self.post_message(MapFailed(machine_fault(error, study.root)))
            return
        if journey is not None and not get_current_worker().is_cancelled:
            self.post_message(MapReady(journey, filters))

    def _built(self, study, filters: dict[str, str], rebuild: bool, meanwhile: bool) -> JourneyMap | None:
        """In the worker: the stored map for `filters`, or a new one when asked or none is stored (None when newer
        filters came first); with `meanwhile`, the stored one goes on screen while the new one is built."""
        from research.journey import stored_map

        earlier = stored_map(study, filters) if meanwhile else None
        if earlier is not None and not get_current_worker().is_cancelled:
            self.post_message(MapReady(earlier, filters, final=False))
        journey = None if rebuild else stored_map(study, filters)
        if journey is None:  # only a rebuild loads the coding stage (and with it torch and spaCy)
            with BUILDING:
                if get_current_worker().is_cancelled:  # newer filters came while an earlier build ran
                    return None
                from research.coding.stage import study_codebook
                from research.journey import build_and_store

                journey = build_and_store(study, study_codebook(study)[0], filters)
        return journey

    def _building(self, building: bool) -> None:
        """Put the map and its evidence away (True) or back: their own visibility, not a class on the screen, which
        would restyle every widget on it."""
        self.building = building
        for part in (self.query_one(ContentSwitcher), self.query_one(EvidencePanel)):
            part.visible = not building  # laid out as before: showing them again lays nothing out anew
        # (check_action makes the keys that act on the map inert meanwhile; refresh_bindings would recompose the
        # footer twice per filter change for keys that look the same)

    @on(MapFailed)
    def _failed(self, message: MapFailed) -> None:
        self.sub_title = "map not built"
        if self.building:
            self.query_one("#summary", Static).update(Text(f"The map for these filters was not built: {message.error}"))
        self.notify(message.error, severity="error", markup=False)

    @on(MapReady)
    def _ready(self, message: MapReady) -> None:
        if message.filters != self.filters():
            return  # the filters changed while it was built; that build is on its way
        if not message.final:
            self.show(message.journey)
            self.sub_title = f"{self.sub_title} · rebuilding…"
            return
        self.app.map_is_stale = False
        self.show(message.journey)

    def show(self, journey: JourneyMap) -> None:
        if self.building:
            self._building(False)
        board = self.query_one(MapBoard)
        first = self.journey is None
        selected = board.entry.insight.key if board.entry and board.entry.insight else None
        self.journey = journey
        width = self.query_one(ContentSwitcher).size.width or self.size.width
        board.show(journey, width)
        if selected or first and journey.insights():
            board.select_insight(selected or journey.insights()[0].key)  # the selected insight, or the first one on opening
        self.query_one(PersonaMatrix).show(journey, width)
        self.query_one(OutlookList).show(journey)
        self.sub_title = journey.filter_line() or f"all {journey.participants} participants"
        summary = Text(journey.coverage.line)
        if journey.filters and not journey.coverage.customer_utterances:  # it read "0 of 0 customer utterances (0%) are placed"
            summary = Text(f"No participant is {journey.filter_line()}; f changes the filters.")
        if not journey.filters:
            summary.append(f" · {journey.participants} participants in {journey.interviews} interviews", style="dim")
        empty = nothing_placed_line(journey)
        if empty:
            summary.append(f"\n{empty}", style="bold")
        self.query_one("#summary", Static).update(summary)
        self._show_evidence()

    def _fit_filters(self) -> None:
        """Below WIDE columns the filters take two lines of four (one line of seven left each a few letters) and
        stay hidden until `f`; from WIDE on they are one line, shown unless `f` hid them."""
        self.query_one("#filters").set_class(self.app.size.width < WIDE, "-narrow")
        if not self.filters_chosen:
            self.query_one("#filters").display = self.app.size.width >= WIDE and any(select.display for select in self.query(Select))

    def on_resize(self) -> None:
        self._fit_filters()
        if self.journey is not None and not self.building:
            self.show(self.journey)

    def on_screen_resume(self) -> None:
        if self.app.map_is_stale:
            self.load(rebuild=True)

    # --- moving around ---

    def _view(self) -> MapBoard | PersonaMatrix | OutlookList:
        switcher = self.query_one(ContentSwitcher)
        return switcher.get_child_by_id(switcher.current)

    def _show_evidence(self) -> None:
        self.query_one(EvidencePanel).show(self._view().entry, self.app.study.db)

    @on(DataTable.CellHighlighted)
    @on(OptionList.OptionHighlighted, "#outlook")
    def _moved(self, event: DataTable.CellHighlighted | OptionList.OptionHighlighted) -> None:
        if event.control is self._view():  # a hidden view being laid out again moves nothing the reader sees
            self._show_evidence()

    @on(DataTable.CellSelected)
    @on(OptionList.OptionSelected, "#outlook")
    def _selected(self) -> None:
        self.action_quotes()

    @on(OptionList.OptionSelected, "#quotes")
    def _quote_selected(self) -> None:
        self.action_goto()

    def action_view(self, view: str) -> None:
        self.show_view(view)

    def action_map_from(self, view: str) -> None:
        """The key of the view shown takes it back to the map."""
        self.show_view("board")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """On the personas and opportunities views, their own key reads 'Map' (it goes back) and the insight edits leave the footer."""
        if super().check_action(action, parameters) is None:
            return None
        current = self.query_one(ContentSwitcher).current
        if action == "view":
            return parameters[0] != current
        if action == "map_from":
            return parameters[0] == current
        if self.building and action in ON_THE_MAP:
            return None
        return action not in BOARD_ONLY or current == "board"

    def show_view(self, view: str) -> None:
        switcher = self.query_one(ContentSwitcher)
        switcher.current = view
        self.refresh_bindings()
        self._view().focus()
        self.title = f"Journey map: {VIEWS[switcher.current].lower()}" if switcher.current != "board" else "Journey map"
        self._show_evidence()

    def action_filters(self) -> None:
        bar = self.query_one("#filters")
        bar.display = not bar.display
        self.filters_chosen = True
        visible = [select for select in self.query(Select) if select.display]
        if bar.display and visible:
            visible[0].focus()
        else:
            self._view().focus()

    def action_quotes(self) -> None:
        """Move into the evidence list of the selected entry."""
        if self.building:  # Enter on the map put away (it keeps the focus) reaches here without the binding's check
            return
        quotes = self.query_one("#quotes", OptionList)
        if not quotes.option_count:
            self.notify("Nothing behind this cell.")
            return
        quotes.focus()

    def action_back(self) -> None:
        """Leave the evidence list or the filters first, then a view, then the screen."""
        if self.query_one("#quotes", OptionList).has_focus or self.query_one("#filters").has_focus_within:
            self._view().focus()
        elif self.query_one(ContentSwitcher).current != "board":
            self.show_view("board")
        else:
            self.app.pop_screen()

    def action_goto(self) -> None:
        target = self.query_one(EvidencePanel).highlighted()
        if target is None:
            self.notify("No quote to open here.")
            return
        from tui.screens.transcript import TranscriptScreen

        self.app.push_screen(TranscriptScreen(target[0], target[1]))

    # --- the analyst's edits ---

    def _insight(self) -> Insight | None:
        entry = self.query_one(MapBoard).entry
        if self.query_one(ContentSwitcher).current != "board" or entry is None or entry.insight is None:
            self.notify("Select an insight on the map first (the Insights lane).")
            return None
        return entry.insight

    def _edited(self, done: str) -> None:
        self.notify(done + " Rebuilding the map…", markup=False)
        self.load(rebuild=True)

    def action_rewrite(self) -> None:
        insight = self._insight()
        if insight is None:
            return

        def save(text: str | None) -> None:
            if text is None:
                return
            from research.journey import edits

            with self.saving():
                edits.rename(self.app.study.db, insight, text)
                self._edited("Insight rewritten.")

        self.app.push_screen(Prompt("Rewrite the insight in your own words:", insight.statement), save)

    def action_hide(self) -> None:
        insight = self._insight()
        if insight is not None:
            from research.journey import edits

            with self.saving():
                edits.hide(self.app.study.db, insight)
                self._edited("Insight hidden (u undoes).")

    def action_pin(self) -> None:
        insight = self._insight()
        target = self.query_one(EvidencePanel).highlighted()
        if insight is None or target is None:
            return
        from research.journey import edits

        with self.saving():
            edits.pin(self.app.study.db, insight, target[1])
            self._edited("Quote pinned first.")

    def action_mark(self) -> None:
        insight = self._insight()
        if insight is None:
            return
        board = self.query_one(MapBoard)
        same = self.marked is not None and self.marked.key == insight.key
        self.marked = None if same else insight
        board.marked = None if same else insight.key
        if self.journey is not None:
            self.show(self.journey)
        self.notify("Unmarked." if same else "Marked: now select the insight to merge it into and press M.")

    def action_merge(self) -> None:
        insight = self._insight()
        if insight is None:
            return
        if self.marked is None:
            self.notify("Mark an insight with space first, then press M on the one to merge it into.")
            return
        from research.journey import edits

        with self.saving():
            edits.merge(self.app.study.db, self.marked, insight)
            self.marked = None
            self.query_one(MapBoard).marked = None
            self._edited("Insights merged.")

    def action_undo(self) -> None:
        from research.journey import edits

        db = self.app.study.db
        last = db.execute("SELECT id, action FROM insight_edits ORDER BY id DESC LIMIT 1").fetchone()
        if last is None:
            self.notify("No insight edit to undo.")
            return
        with self.saving():
            edits.undo(db, last[0])
            self._edited(f"Undid the last {last[1]}.")
