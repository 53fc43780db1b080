"""Keys that save to the study: dimmed and inert when the study can't be written (a read-only mount or copy), and
a machine fault met while saving (a full disk, a locked study) told in one line while the app goes on."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from research.errors import ResearchError
from research.faults import machine_fault


class SavesToStudy:
    """Mixed into a screen whose `SAVING` actions write study.db: on a read-only study the footer shows them dimmed
    and their keys do nothing, where they used to end the app with sqlite's "attempt to write a readonly database"."""

    SAVING: frozenset[str] = frozenset()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.SAVING and getattr(self.app, "read_only", False):
            return None
        return True

    @contextmanager
    def saving(self) -> Iterator[None]:
        """Around a write made on the UI thread (and what follows it): a refused input (ResearchError) or a fault of the
        machine (a full disk, a locked or read-only study: "Not saved: …") ends the block with one line, and the app
        goes on. The write's transaction was rolled back, so nothing is half-saved and the screen still shows what the
        study holds; any other error is a bug and still raised."""
        try:
            yield
        except ResearchError as error:
            self.notify(str(error), severity="error", markup=False)
        except (sqlite3.DatabaseError, OSError) as error:
            self.notify(f"Not saved: {machine_fault(error, self.app.study.root)}", severity="error", markup=False)
