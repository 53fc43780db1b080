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
    docked = 2 if key.has_class("-command-palette") else 0  # ^p: a bar before it and a space after
    return cell_len(key.key_display) + 2 + (cell_len(key.description) + 1 if key.description else 0) + docked


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
        self._drop_removed_keys_watchers()
        keys = sorted(super().compose(), key=lambda key: FIRST.index(key.action) if getattr(key, "action", None) in FIRST else len(FIRST))
        room = self.app.size.width
        self._laid_out_for = room
        screen_keys = [key for key in keys if not key.has_class("-command-palette")]
        if not room or sum(key_width(key, compact=False) for key in keys) <= room:
            yield from self._one_line(keys)
        elif sum(key_width(key, compact=False) for key in screen_keys) <= room:
            yield from self._one_line(screen_keys)  # only ^p would not fit: the help screen lists it
        else:
            if sum(key_width(key, compact=True) for key in screen_keys) <= room:
                keys = screen_keys  # one compact line for the screen's keys rather than a second line for ^p
            self.compact = True
            self.set_class(True, "-wrapped")
            for key in keys:
                key.remove_class("-command-palette")  # on a line like the others, not docked over them
                key.compact = True
            for line in rows([key_width(key, compact=True) for key in keys], room):
                yield HorizontalGroup(*(keys[n] for n in line))

    def _drop_removed_keys_watchers(self) -> None:
        """Forget the `compact` bindings of the keys a recompose removed. Textual keeps each FooterKey's binding on
        the footer until `compact` changes (https://github.com/Textualize/textual/issues/6666, open in 8.2.8), so
        every refresh of the bindings kept the last footer's keys alive, whole widgets with their styles."""
        for bound in getattr(self, "__watchers", {}).values():
            bound[:] = [(node, callback) for node, callback in bound if not (node._closing or node._closed)]

    def _one_line(self, keys: list[FooterKey]):
        self.compact = False
        self.set_class(False, "-wrapped")
        yield from keys

    def on_resize(self) -> None:
        if getattr(self, "_laid_out_for", None) != self.app.size.width:
            self.call_after_refresh(self.recompose)
