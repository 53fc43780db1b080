"""The transcript's rows: an OptionList that repaints only the rows that changed.

OptionList forgets every row's rendering and height when one prompt is replaced, and repaints the
whole list when the highlight moves, so each decision on a long transcript re-wrapped, re-measured
and repainted all of it (560 rows: most of a keypress's time). Here a changed row forgets only its
own rendering and repaints only its own lines; heights are measured again only from that row on,
and only when its height changed (a chip moved onto a new line).
"""

from __future__ import annotations

from textual.reactive import reactive
from textual.visual import VisualType
from textual.widgets import OptionList


class UtteranceList(OptionList):
    highlighted: reactive[int | None] = reactive(None, repaint=False)  # the watcher repaints the two rows it moved between

    def watch_highlighted(self, old: int | None, new: int | None) -> None:
        for index in {old, new} - {None}:
            self._refresh_row(index)
        super().watch_highlighted(new)

    def replace_prompts(self, prompts: dict[int, VisualType]) -> None:
        """New prompts for the rows at these indexes; the other rows keep their rendering."""
        remeasure_from: int | None = None
        width = self.scrollable_content_region.width - self._get_left_gutter_width()
        padding = self.get_component_styles("option-list--option").padding.width
        for index, prompt in prompts.items():
            option = self.get_option_at_index(index)
            option._set_prompt(prompt)
            for key in [key for key in self._option_render_cache.keys() if key[0] is option]:
                self._option_render_cache.discard(key)
            measured = self._line_cache.heights.get(index)
            if measured is not None and measured != self._get_visual(option).get_height(self.styles, width - padding) + option._divider:
                remeasure_from = index if remeasure_from is None else min(remeasure_from, index)
        if remeasure_from is not None:
            self._forget_heights_from(remeasure_from)
            self.refresh()
            return
        for index in prompts:
            self._refresh_row(index)

    def _refresh_row(self, index: int) -> None:
        """Repaint one row's lines (the whole list when it has not been measured yet)."""
        cache = self._line_cache
        if index in cache.heights and index in cache.index_to_line:
            self.refresh_lines(cache.index_to_line[index], cache.heights[index])
        else:
            self.refresh()

    def _forget_heights_from(self, index: int) -> None:
        """Drop the measured lines of the rows from `index` on; the next render measures them again."""
        cache = self._line_cache
        del cache.lines[cache.index_to_line[index]:]
        for later in [n for n in cache.heights if n >= index]:
            del cache.heights[later]
            cache.index_to_line.pop(later, None)
