"""A footer that lists help and quit first and wraps onto more lines when the keys do not fit on one,
so a narrow terminal (80 columns) still shows every key the screen offers."""

from __future__ import annotations

from rich.cells import cell_len
from textual.containers import HorizontalGroup
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

FIRST = ("help", "quit")


def key_width(key: FooterKey, compact: bool) -> int:
    """Cells a key takes in the footer: its key, its description and the space around them."""
    if compact:  # key, a space, the description, and a margin of one after it
        return cell_len(key.key_display) + (1 + cell_len(key.description) if key.description else 0) + 1
    return cell_len(key.key_display) + 2 + (cell_len(key.description) + 1 if key.description else 0)


def rows(widths: list[int], room: int) -> list[list[int]]:
    """Indexes of the keys on each line, in order, filling each line before starting the next."""
    lines: list[list[int]] = [[]]
    used = 0
    for n, width in enumerate(widths):
        if lines[-1] and used + width > room:
            lines.append([])
            used = 0
        lines[-1].append(n)
        used += width
    return lines


class KeyFooter(Footer):
    DEFAULT_CSS = """
    KeyFooter.-wrapped { layout: vertical; height: auto; }
    KeyFooter.-wrapped HorizontalGroup { height: 1; }
    """

    def compose(self):
        keys = sorted(super().compose(), key=lambda key: FIRST.index(key.action) if getattr(key, "action", None) in FIRST else len(FIRST))
        room = self.app.size.width
        self._laid_out_for = room
        if not room or sum(key_width(key, compact=False) for key in keys) <= room:
            self.compact = False
            self.set_class(False, "-wrapped")
            yield from keys
            return
        self.compact = True
        self.set_class(True, "-wrapped")
        for key in keys:
            key.remove_class("-command-palette")  # on a line of its own like the others, not docked over them
            key.compact = True
        for line in rows([key_width(key, compact=True) for key in keys], room):
            yield HorizontalGroup(*(keys[n] for n in line))

    def on_resize(self) -> None:
        if getattr(self, "_laid_out_for", None) != self.app.size.width:
            self.call_after_refresh(self.recompose)
