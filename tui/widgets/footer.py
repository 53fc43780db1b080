"""A footer that lists help and quit first, so a narrow terminal never cuts them off."""

from __future__ import annotations

from textual.widgets import Footer

FIRST = ("help", "quit")


class KeyFooter(Footer):
    def compose(self):
        keys = list(super().compose())
        yield from sorted(keys, key=lambda key: FIRST.index(key.action) if getattr(key, "action", None) in FIRST else len(FIRST))
