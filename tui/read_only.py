"""Keys that save to the study, dimmed and inert when the study can't be written (a read-only mount or copy)."""

from __future__ import annotations


class SavesToStudy:
    """Mixed into a screen whose `SAVING` actions write study.db: on a read-only study the footer shows them dimmed
    and their keys do nothing, where they used to end the app with sqlite's "attempt to write a readonly database"."""

    SAVING: frozenset[str] = frozenset()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.SAVING and getattr(self.app, "read_only", False):
            return None
        return True
