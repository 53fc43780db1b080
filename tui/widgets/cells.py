"""What one map cell shows: study text as plain `Text` (never markup), wrapped on word boundaries and clipped.

An `Entry` is one selectable thing on the map (an insight, a quote, an outlier, a lane statistic) with
the full text and the evidence the evidence panel shows when it is selected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.text import Text

from research.journey.model import Insight, Quote

_CONSOLE = Console(width=200, color_system=None)  # only measures and wraps; never prints
POLARITY = {"pain": ("▼", "red"), "delight": ("▲", "green"), "mixed": ("◆", "yellow"), "neutral": ("•", "")}


@dataclass
class Entry:
    lane: str
    cell: Text  # what the map cell shows (clipped later to the column)
    detail: Text  # the full text, for the evidence panel
    quotes: list[Quote] = field(default_factory=list)  # the evidence to show first
    utterance_ids: list[int] = field(default_factory=list)  # every utterance behind it
    insight: Insight | None = None


def clip(text: Text, width: int, lines: int) -> Text:
    """`text` wrapped to `width` on word boundaries, at most `lines` lines; a cut ends in '…' after a whole word."""
    wrapped = text.wrap(_CONSOLE, max(width, 4))
    if len(wrapped) <= lines:
        return Text("\n").join(wrapped)
    kept = list(wrapped)[:lines]
    last = kept[-1].copy()
    last.rstrip()
    if len(last) > width - 1:
        space = last.plain.rfind(" ", 0, width - 1)
        last = last[: space if space > 0 else width - 1]
        last.rstrip()
    kept[-1] = last + Text("…", style="dim")
    return Text("\n").join(kept)


def column_width_for(room: int, columns: int, least: int) -> int:
    """The widest equal column width (each cell has one cell of padding a side) so that whole columns fill `room`."""
    fit = max(1, min(columns, room // (least + 2)))
    return max(least, room // fit - 2)


def insight_cell(insight: Insight, number: int | None = None) -> Text:
    """▼ 1. headline (or the analyst's own text), then its reach and feeling, coloured by polarity. The number
    is the one other rows refer to ("see insight 1")."""
    mark, colour = POLARITY[insight.polarity]
    sentence = insight.claim if number is None else f"{number}. {insight.claim}"
    text = Text(f"{mark} ", style=colour)
    text.append(sentence, style=f"bold {colour}".strip())
    reach = f" {insight.participants} of {insight.cohort}" + (f" · {insight.emotion.lower()}" if insight.emotion else "")
    text.append(reach, style="dim")
    if insight.edited:
        text.append(" ✎", style="italic")
    return text


def quote_line(quote: Quote) -> Text:
    """INT-002 · Participant 2 · 03:14  “the words”: where a quote comes from, then what was said."""
    from research.timecode import clock

    text = Text(f"{quote.interview} · {quote.participant} · {clock(quote.start)}  ", style="dim")
    text.append(f"“{quote.text}”")
    return text


def valence_bar(value: float | None, half: int = 5) -> Text:
    """A signed bar around a centre line: red to the left for negative, green to the right for positive; the words
    beside it say the feeling (a reader never sees the valence as a number)."""
    if value is None:
        return Text("no feeling coded", style="dim")
    cells = round(min(abs(value), 1.0) * half)
    text = Text(" " * (half - cells))
    text.append("█" * cells if value < 0 else "", style="red")
    text.append("│")
    text.append(("█" * cells if value >= 0 else "") + " " * (half - (cells if value >= 0 else 0)), style="green")
    return text


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> Text:
    """A tiny valence curve, one character per stage (-1 lowest, +1 highest; '·' where nothing was felt)."""
    text = Text()
    for value in values:
        if value is None:
            text.append("·", style="dim")
        else:
            level = min(len(SPARK) - 1, int((max(-1.0, min(1.0, value)) + 1) / 2 * len(SPARK)))
            text.append(SPARK[level], style="red" if value < -0.15 else "green" if value > 0.15 else "")
    return text
