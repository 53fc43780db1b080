"""The anonymizer that memos are redacted with, loaded in a worker as soon as a memo dialog opens.

Memos are redacted before they are saved, and the anonymizer (Presidio on spaCy) takes seconds of CPU to
load: started with the dialog, it mostly loads while the researcher types, and the save that follows waits
only for what is left. The screen keeps answering keys throughout (`research.held_collections`, which the load holds).
"""

from __future__ import annotations

from threading import Event

from textual.app import App


def load_anonymizer() -> None:
    """Presidio's engine with the project's recognizers, loaded once per process (it is cached)."""
    from research.anonymize.detect import analyzer

    analyzer()


class AnonymizerLoad:
    """One load per app, started by the first memo dialog; a save waits for it before it redacts."""

    def __init__(self) -> None:
        self._done = Event()
        self._started = False

    @property
    def loading(self) -> bool:
        return self._started and not self._done.is_set()

    def start_after_refresh(self, app: App) -> None:
        """Start the load once the screen has been painted (a dialog just pushed shows first); a save waits for it from now on."""
        if not self._started:
            self._started = True
            app.call_after_refresh(self._start, app)

    def _start(self, app: App) -> None:
        app.run_worker(self._load, thread=True, group="anonymizer", name="load the anonymizer", exit_on_error=False)

    def _load(self) -> None:
        try:
            load_anonymizer()
        finally:  # a failed load fails the save itself, with the error the save reports
            self._done.set()

    def wait(self) -> None:
        """Until the load started by `start` has ended (at once when none was started: the save loads it itself)."""
        if self._started:
            self._done.wait()
