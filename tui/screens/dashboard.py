"""The study at a glance: interviews, their metadata and stage status; the pipeline runs from here."""

from __future__ import annotations

import sqlite3

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, ProgressBar, Static

from research.faults import machine_fault
from research.status import STAGE_HEADERS, STATUS_SYMBOLS, interview_statuses
from research.store import STAGES
from tui.read_only import SavesToStudy
from tui.resume import load
from tui.widgets.footer import KeyFooter

FIXED_COLUMNS = 48  # code, open, the four stages and min, with every column's padding: people and title share the rest


def text_widths(width: int, people: list[str], titles: list[str]) -> tuple[int, int]:
    """Widths for the people and title columns: as they are when both fit, else people up to half the room and the title the rest."""
    room = width - FIXED_COLUMNS
    longest_people, longest_title = max(map(len, people), default=0), max(map(len, titles), default=0)
    if longest_people + longest_title <= room:
        return longest_people, longest_title
    people_width = max(12, min(longest_people, room // 2))
    return people_width, max(12, room - people_width)


def _cut(text: str, width: int) -> Text:
    """`text` on one line of at most `width` cells, ending in … when cut."""
    shown = Text(text, no_wrap=True)
    shown.truncate(width, overflow="ellipsis")
    return shown


class PipelineProgress(Message):
    def __init__(self, step: str, done: int, total: int):
        super().__init__()
        self.step, self.done, self.total = step, done, total


class PipelineFinished(Message):
    def __init__(self, summary: str, failed: bool):
        super().__init__()
        self.summary, self.failed = summary, failed


class DashboardScreen(SavesToStudy, Screen):
    SHOWN_BY = "dashboard"  # the app's action that leads here: its key is hidden on this screen
    DEFAULT_CSS = """
    DashboardScreen DataTable { height: 1fr; }
    DashboardScreen #pipeline { height: 1; padding: 0 1; }
    DashboardScreen ProgressBar { height: 1; padding: 0 1; }
    """
    SAVING = frozenset({"run_pipeline"})
    BINDINGS = [
        Binding("enter", "open", "Review", priority=True, id="dashboard.open"),  # before the table's own enter, so the footer shows it
        Binding("r", "run_pipeline", "Run pipeline", id="dashboard.run"),
        Binding("N", "most_needed", "Most needed", id="dashboard.most_needed"),
    ]
    _resume = None  # where the last session left off, until the table is first filled

    def __init__(self) -> None:
        super().__init__()
        self._needed_shown: set[tuple[int, int | None]] = set()  # (utterance, coding) the most-needed key went to, in the transcripts opened from here too

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="interviews", cursor_type="row", zebra_stripes=True)
        yield Static("", id="pipeline")
        yield ProgressBar(id="progress", show_eta=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = f"{self.app.study.config.name}: interviews"
        table = self.query_one(DataTable)
        table.add_columns("code", "open", *[STAGE_HEADERS[s] for s in STAGES], "people", "min", "title")  # what a narrow terminal must show first; stages as `research status` heads them
        self.query_one(ProgressBar).display = False
        self._resume = load(self.app.study.root)  # the interview reviewed last: the cursor starts on it

    def on_resize(self) -> None:
        self.refresh_table()

    def on_screen_resume(self) -> None:
        """Fill the table: when the screen first shows (this follows its mount) and on every return to it."""
        self.refresh_table()

    def refresh_table(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        open_counts = {r["code"]: r["n"] for r in self.app.study.db.query(
            "SELECT i.code, COUNT(c.id) AS n FROM interviews i JOIN utterances u ON u.interview_id = i.id JOIN codings c ON c.utterance_id = u.id WHERE c.status = 'suggested' GROUP BY i.code")}
        statuses = interview_statuses(self.app.study)
        people = [", ".join(status.participants) for status in statuses]
        titles = [status.title if status.source_type == "interview" else f"{status.title} · {status.source_type}" for status in statuses]
        people_width, title_width = text_widths(self.size.width, people, titles)
        for column, width in zip((column for column in table.columns.values() if str(column.label) in ("people", "title")), (people_width, title_width)):
            column.auto_width, column.width = False, max(width, len(str(column.label)))  # an auto width only ever grows: set it for this width
        for status, names, title in zip(statuses, people, titles):
            table.add_row(status.code, str(open_counts.get(status.code, 0)), *[STATUS_SYMBOLS.get(status.stages[s], s) for s in STAGES],
                          _cut(names, people_width), f"{status.duration / 60:.1f}", _cut(title, title_width), key=status.code)
        if self._resume is not None and self._resume.interview in table.rows:
            row = table.get_row_index(self._resume.interview)
        self._resume = None
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            from tui.screens.transcript import TranscriptScreen

            code = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
            self.app.push_screen(TranscriptScreen(code, needed_shown=self._needed_shown))  # one queue for `N`, here and there

    def action_most_needed(self) -> None:
        """Open the study's stage coding that most needs the researcher (`review_order`) in its transcript; again, the
        next one (the transcript's `N` shares what was shown)."""
        from research.coding.review_order import next_needed
        from tui.screens.transcript import TranscriptScreen

        study = self.app.study
        target = next_needed(study.db, study.config.coding.embedding_model, None, self._needed_shown)
        if target is None:
            self.notify("No open stage suggestions in the study.")
            return
        self.app.push_screen(TranscriptScreen(target.interview, needed=target, needed_shown=self._needed_shown))

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open()

    def action_run_pipeline(self) -> None:
        self.query_one(ProgressBar).display = True
        self.query_one("#pipeline", Static).update("Starting the pipeline…")
        self.run_pipeline()

    @work(thread=True, exclusive=True, group="pipeline")
    def run_pipeline(self) -> None:
        """Every stage in order in a worker thread; the UI only hears about it through messages."""
        from research.anonymize.stage import run_anonymize
        from research.coding.stage import run_code, study_codebook
        from research.errors import ResearchError
        from research.journey import build_and_store
        from research.speakers import run_speakers
        from research.study import Study
        from research.themes import run_themes
        from research.transcribe.batch import TranscriptionBatch

        study = Study.open(self.app.study.root)  # a connection of this thread's own
        steps = ["transcribe", "speakers", "anonymize", "code", "themes", "map"]
        failed = False
        coverage = ""
        try:
            for n, step in enumerate(steps):
                self.post_message(PipelineProgress(step, n, len(steps)))
                if step == "transcribe":
                    failed |= bool(TranscriptionBatch(study, study.config.transcribe).run().failed)
                elif step == "speakers":
                    run_speakers(study)
                elif step == "anonymize":
                    run_anonymize(study)
                elif step == "code":
                    run_code(study)
                elif step == "themes":
                    try:
                        run_themes(study)
                    except ResearchError:
                        pass  # too few utterances for themes: the map is still built
                else:
                    coverage = build_and_store(study, study_codebook(study)[0]).coverage.line  # re-applies the analyst's insight edits
            self.post_message(PipelineFinished("Pipeline finished." + (f" {coverage}." if coverage else ""), failed))
        except ResearchError as error:
            self.post_message(PipelineFinished(f"Pipeline stopped: {error}", True))
        except (OSError, sqlite3.DatabaseError) as error:  # a full disk or read-only study: one line, as `research run` says it
            self.post_message(PipelineFinished(f"Pipeline stopped: {machine_fault(error, study.root)}", True))

    @on(PipelineProgress)
    def _progress(self, message: PipelineProgress) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(total=message.total, progress=message.done)
        self.query_one("#pipeline", Static).update(f"Running {message.step} ({message.done + 1}/{message.total})…")
        self.refresh_table()

    @on(PipelineFinished)
    def _finished(self, message: PipelineFinished) -> None:
        self.query_one(ProgressBar).display = False
        self.query_one("#pipeline", Static).update(Text(message.summary))
        self.app.map_is_stale = True
        self.notify(message.summary, severity="error" if message.failed else "information", markup=False)
        self.refresh_table()
