"""`research review`: the Textual app. Thin: it holds the study and routes between screens.

Only the dashboard, the first screen, is imported up front; every other screen (and what it reads:
the map's model, comparisons, search) loads when it is first opened, so the first frame comes sooner.
"""

from __future__ import annotations

import gc
from functools import partial

from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape

from research.store import is_read_only
from research.study import Study
from tui.anonymizer_load import AnonymizerLoad
from tui.dialogs import highlight
from tui.screens.dashboard import DashboardScreen


class StudyCommands(Provider):
    """Command palette entries: screens, interviews and the pipeline."""

    def _commands(self) -> list[tuple[str, object, str]]:
        app = self.app
        commands = [
            ("Dashboard", app.action_dashboard, "interviews and stages"),
            ("Journey map", app.action_journey, "insights per stage with their quotes; edit them"),
            ("Personas side by side", partial(app.open_journey_view, "personas"), "persona × stage, thin evidence dimmed"),
            ("Opportunities and advocacy", partial(app.open_journey_view, "outlook"), "How might we …?, promoters and detractors"),
            ("Themes", app.action_themes, "rename, merge, promote"),
            ("Codebook", app.action_codebook, "codes and counts"),
            ("Search transcripts", app.action_search, "full-text search"),
            ("Waves compared", app.action_compare, "the last `research compare`: stage shifts, patterns, opportunities"),
            ("Help", app.action_help, "keys"),
        ]
        if not app.read_only:  # as the dashboard's r: a read-only study can't be written
            commands.insert(-1, ("Run pipeline", app.action_run_pipeline, "transcribe → map in the background"))
        for row in app.study.db.query("SELECT code, title FROM interviews ORDER BY id"):
            commands.append((f"Review {row['code']}", partial(app.open_interview, row["code"]), row["title"] or ""))
        return commands

    async def discover(self) -> Hits:
        for name, action, help_text in self._commands():
            yield DiscoveryHit(Content(name), action, text=name, help=escape(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, highlight(matcher, name), action, text=name, help=escape(help_text))


class ResearchApp(App):
    TITLE = "research review"
    COMMANDS = App.COMMANDS | {StudyCommands}
    BINDINGS = [
        Binding("d", "dashboard", "Dashboard", id="app.dashboard"),
        Binding("j", "journey", "Map", id="app.journey"),
        Binding("t", "themes", "Themes", id="app.themes"),
        Binding("k", "codebook", "Codebook", id="app.codebook"),
        Binding("slash", "search", "Search", id="app.search"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("w", "compare", "Waves", show=False, id="app.compare"),
        Binding("ctrl+t", "toggle_theme", "Light/dark", show=False, id="app.theme"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(self, study: Study):
        super().__init__()
        self.study = study
        # Each decision is saved at once. In WAL mode, NORMAL keeps every committed decision through a
        # crash or kill of the app and skips the disk flush per decision that made a keypress wait on a
        # busy disk; only a power cut can lose the last few (the pipeline's own connections are unchanged).
        study.db.execute("PRAGMA synchronous = NORMAL")
        self.map_is_stale = False  # set by any decision; the journey screen rebuilds when it comes back
        self.read_only = is_read_only(study.db)  # saving keys are dimmed and do nothing (tui.read_only)
        self._startup_frozen = False
        self.anonymizer = AnonymizerLoad()  # loaded in a worker when the first memo dialog opens

    def on_mount(self) -> None:
        self.push_screen(DashboardScreen())
        if self.read_only:
            self.notify("This study is read-only: you can read it, but no decision or memo can be saved.", severity="warning", timeout=10)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The key that leads to the screen already shown (`d` on the dashboard) is left out of its footer."""
        return action != getattr(self.screen, "SHOWN_BY", None)

    def freeze_startup_objects(self) -> None:
        """Once per run, before the first transcript opens: collect garbage, then take every object alive
        (modules, Textual, the study) out of the garbage collector's way. A full collection during a
        keypress then walks only what came later: about 35-45 ms instead of 75-90 ms of CPU with a
        560-utterance transcript open, measured on a loaded machine."""
        if not self._startup_frozen:
            gc.collect()
            gc.freeze()
            self._startup_frozen = True

    def _fatal_error(self) -> None:
        """Textual's crash report, without the local variables it shows by default: those hold what the researcher
        typed (a memo before its names are replaced) and the vault's raw words, which never reach the terminal."""
        from rich.traceback import Traceback
        from rich.segment import Segments

        self.bell()
        self._exit_renderables.append(Segments(self.console.render(Traceback(show_locals=False, width=None), self.console.options)))
        self._close_messages_no_wait()

    def on_unmount(self) -> None:
        if self._startup_frozen:  # the app is done: what it froze may be collected again
            gc.unfreeze()

    def _show(self, screen_type: type) -> None:
        """Go to a screen, reusing it when it is already on the stack."""
        for screen in self.screen_stack:
            if isinstance(screen, screen_type) and screen is not self.screen_stack[0]:
                while self.screen is not screen:
                    self.pop_screen()
                return
        self.push_screen(screen_type())

    def action_dashboard(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def action_journey(self) -> None:
        from tui.screens.journey import JourneyScreen

        self._show(JourneyScreen)

    def action_themes(self) -> None:
        from tui.screens.themes import ThemesScreen

        self._show(ThemesScreen)

    def action_codebook(self) -> None:
        from tui.screens.codebook import CodebookScreen

        self._show(CodebookScreen)

    def action_search(self) -> None:
        from tui.screens.search import SearchScreen

        self._show(SearchScreen)

    def action_compare(self) -> None:
        from tui.screens.compare import CompareScreen

        self._show(CompareScreen)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme != "textual-light" else "textual-dark"

    def action_run_pipeline(self) -> None:
        self.action_dashboard()
        self.screen.action_run_pipeline()

    def open_journey_view(self, view: str) -> None:
        """The journey map, on one of its views (board, personas, outlook)."""
        self.action_journey()
        self.call_after_refresh(self.screen.show_view, view)

    def open_interview(self, code: str) -> None:
        from tui.screens.transcript import TranscriptScreen

        self.push_screen(TranscriptScreen(code))
