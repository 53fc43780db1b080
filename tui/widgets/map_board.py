"""The journey map as a board: stages as columns, lanes as rows, one selectable entry per cell.

Insights come first (sentences coloured by polarity, with their reach), then the pains told across the
journey (one row per kind of problem, a cell at each stage where it is told, so the row shows where it
recurs; its first cell says how many tell it outside the stages, which have no column), then the lanes a CX
lead reads next (pain points, delights, moments of truth, outliers, tollgates, gaps, the 5 W's), then the code-count lanes. Lane names stay in a fixed column while wide maps scroll sideways to the cursor.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.widgets import DataTable

from research.export.wording import FEELING, feelings_line, moment_feeling, mood, people, plural, reference, strength, utterances
from research.journey.model import Insight, Item, JourneyMap, Moment, Outlier, PainAt, Quote, RecurringPain, StageLane, shown
from tui.widgets.cells import Entry, clip, column_width_for, insight_cell, valence_bar

LANE_WIDTH = 11
MIN_COLUMN = 24
OUTLIER_MARK = {"unique-experience": "◇", "opposite-feeling": "⇅", "skipped-stage": "∅", "deviating-participant": "≠"}


def _feeling(lane: StageLane) -> Entry:
    """Who speaks and how it felt, in words as `research map` says it, beside a bar that shows the balance."""
    cell = Text(f"{people(lane.participants)} · {plural(lane.utterances, 'quote')}\n", style="dim")
    if lane.valence_mean is not None:
        cell.append_text(valence_bar(lane.valence_mean, half=3))
        cell.append(" ")
    cell.append(mood(lane), style="dim" if lane.valence_mean is None else "")
    detail = Text(f"{lane.name}: {plural(lane.participants, 'participant')}, {utterances(lane.utterances)} on the journey; {feelings_line(lane)}")
    return Entry("Feeling", cell, detail, quotes=lane.quotes, utterance_ids=lane.utterance_ids)


def _insight(insight: Insight, number: int) -> Entry:
    detail = Text(insight.statement, style="bold")
    facts = [FEELING[insight.polarity]] + [strength(insight.intensity)] * (insight.polarity != "neutral")  # in words, as the exports say it
    facts += [f"{name}: {', '.join(values)}" for name, values in (("personas", insight.personas), ("touchpoints", insight.touchpoints)) if values]
    facts += [f"theme: {insight.theme}"] if insight.theme else []
    facts += ["edited by an analyst"] if insight.edited else []
    detail.append("\n" + " · ".join(facts), style="dim")
    return Entry("Insights", insight_cell(insight, number), detail, quotes=insight.quotes, utterance_ids=insight.utterance_ids, insight=insight)


def _quote(lane_name: str, quote: Quote, everything: list[Quote]) -> Entry:
    """A quote cell; its evidence is every quote of the lane at that stage, this one first."""
    style = "red" if (quote.valence or 0) < 0 else "green" if (quote.valence or 0) > 0 else ""
    others = [q for q in everything if q.utterance_id != quote.utterance_id]
    cell = Text(reference(quote), style="dim italic") if quote.see else Text(f"“{quote.text}”", style="yellow" if lane_name == "Gaps" else style)  # shown in a row above; a gap is a gap, not a feeling
    return Entry(lane_name, cell, Text(f"{lane_name}: “{quote.text}”"), quotes=[quote, *others],
                 utterance_ids=[q.utterance_id for q in [quote, *others]])


def _moment(moment: Moment) -> Entry:
    mark, style = ("▼", "red") if moment.valence < 0 else ("▲", "green")
    cell = Text(f"{mark} {moment.touchpoint}", style=f"bold {style}")
    cell.append(f" {people(moment.participants)}, {moment_feeling(moment.valence)}", style="dim")
    return Entry("Moments", cell, Text(moment.why), quotes=[moment.quote], utterance_ids=moment.utterance_ids)


def _outlier(outlier: Outlier) -> Entry:
    cell = Text(f"{OUTLIER_MARK.get(outlier.kind, '◇')} {outlier.label}", style="magenta")
    if outlier.kind == "skipped-stage":  # its label is the participant: not twice ("∅ Participant 7 Participant 7")
        cell.append(" never talks about this stage", style="dim")
    elif outlier.participant not in outlier.label:  # "⇅ Participant 7 felt better than the cohort" names them already
        cell.append(f" {outlier.participant}", style="dim")
    return Entry("Outliers", cell, Text(outlier.why), quotes=[outlier.quote] if outlier.quote else [], utterance_ids=outlier.utterance_ids)


def _items(lane_name: str, items: list[Item], limit: int = 4) -> Entry | None:
    """A lane statistic: its top items with how many participants say them; every item in the detail."""
    if not items:
        return None
    cell = Text(" · ").join(Text(item.label) + Text(f" {item.participants}", style="dim") for item in items[:limit])
    detail = Text(f"{lane_name}: ") + Text(", ").join(Text(f"{item.label} ({people(item.participants)}, {plural(item.utterances, 'quote')})") for item in items)
    return Entry(lane_name, cell, detail, utterance_ids=list(dict.fromkeys(i for item in items for i in item.utterance_ids)))


def _feedback(lane: StageLane) -> Entry | None:
    loops = {state: quotes for state, quotes in lane.feedback_loops.items() if quotes}
    if not loops:
        return None
    summary = ", ".join(f"{len(quotes)} {state}" for state, quotes in loops.items())
    quotes = [q for qs in loops.values() for q in qs]
    return Entry("Feedback", Text(summary), Text(f"Feedback loops: {summary}"), quotes=quotes, utterance_ids=[q.utterance_id for q in quotes])


def _recurring(pain: RecurringPain, place: PainAt, off: PainAt | None = None) -> Entry:
    """A pain told across the journey, at one stage: its kind, how many tell it here and in all, where given `off`
    how many tell it in talk too weak to place (which has no column), and this place's quote; its evidence is
    each place's quote, this one first."""
    cell = Text("● ", style="red") + Text(pain.label, style="bold red")
    cell.append(f"\n{place.participants} here · {pain.participants} of {pain.cohort} in all", style="dim")
    if off is not None:
        cell.append(f"\n+ {off.participants} outside the stages", style="red")
    cell.append(f"\n“{place.quote.text}”")
    others = [p.quote for p in pain.places if p is not place]
    return Entry("Recurring", cell, Text(pain.statement, style="bold"), quotes=[place.quote, *others], utterance_ids=pain.utterance_ids)


RECURRING_ROWS = 3  # pains told across the journey shown on the board, most participants first (the opportunities view lists them all)
RECURRING_LINES = 4


def _recurring_rows(journey: JourneyMap) -> list[tuple[str, int, list[Entry | None]]]:
    """A row per pain, a cell at each stage it is told at; talk outside the stages is told in its first cell."""
    rows = []
    for pain in journey.recurring_pains[:RECURRING_ROWS]:
        at = {place.stage: place for place in pain.places if place.stage}
        off = next((place for place in pain.places if not place.stage), None)
        first = next((lane.stage for lane in journey.stages if lane.stage in at), None)
        cells = [_recurring(pain, at[lane.stage], off if lane.stage == first else None) if lane.stage in at else None for lane in journey.stages]
        rows.append(("Recurring" if not rows else "", RECURRING_LINES + (off is not None), cells))
    return rows


# (lane title, entries of one stage, most rows shown, most lines per cell)
Lane = tuple[str, Callable[[StageLane], list[Entry | None]], int, int]
LANES: list[Lane] = [
    ("Feeling", lambda s: [_feeling(s)], 1, 2),
    ("Insights", lambda s: [_insight(i, n) for n, i in enumerate(s.patterns, start=1)], 6, 5),
    ("Pain points", lambda s: [_quote("Pain points", q, s.pain_points) for q in shown(s.pain_points)], 2, 3),
    ("Delights", lambda s: [_quote("Delights", q, s.delights) for q in shown(s.delights)], 2, 3),
    ("Moments", lambda s: [_moment(m) for m in s.moments_of_truth], 3, 2),
    ("Outliers", lambda s: [_outlier(o) for o in s.outliers], 3, 3),
    ("Tollgates", lambda s: [_quote("Tollgates", q, s.tollgates) for q in shown(s.tollgates)], 2, 3),
    ("Gaps", lambda s: [_quote("Gaps", q, s.gaps) for q in shown(s.gaps)], 2, 3),
    *[(w.title(), lambda s, w=w: [_items(w.title(), getattr(s, w))], 1, 3) for w in ("who", "what", "when", "where", "why")],
    ("Touchpoints", lambda s: [_items("Touchpoints", s.touchpoints)], 1, 2),
    ("Channels", lambda s: [_items("Channels", s.channels)], 1, 2),
    ("Emotions", lambda s: [_items("Emotions", s.emotions)], 1, 2),
    ("Silos", lambda s: [_items("Silos", s.silos)], 1, 2),
    ("Themes", lambda s: [_items("Themes", s.themes, 3)], 1, 3),
    ("Feedback", lambda s: [_feedback(s)], 1, 1),
]


def board_rows(journey: JourneyMap) -> list[tuple[str, int, list[Entry | None]]]:
    """(lane title or '' on its later rows, most lines per cell, one entry or None per stage); empty lanes are left out."""
    rows = []
    for title, entries_of, most, lines in LANES:
        per_stage = [[e for e in entries_of(lane) if e is not None][:most] for lane in journey.stages]
        depth = max((len(entries) for entries in per_stage), default=0)
        for n in range(depth):
            rows.append((title if n == 0 else "", lines, [entries[n] if n < len(entries) else None for entries in per_stage]))
        if title == "Insights":
            rows += _recurring_rows(journey)
    return rows


def nearest(cells: dict[tuple[int, int], Entry], row: int, column: int) -> dict[str, int]:
    """The cell with content nearest to (row, column), in rows and columns; on a tie, the one in the same stage,
    then the one above. Where no cell has content, (row, column) itself."""
    if not cells:
        return {"row": row, "column": column}
    r, c = min(cells, key=lambda cell: (abs(cell[0] - row) + abs(cell[1] - column), abs(cell[1] - column), cell[0] > row))
    return {"row": r, "column": c}


class MapBoard(DataTable):
    """The map's cells; the entry under the cursor is what the screen acts on."""

    DEFAULT_CSS = "MapBoard { height: 1fr; }"

    def __init__(self, **kwargs):
        super().__init__(cursor_type="cell", fixed_columns=1, zebra_stripes=False, **kwargs)
        self.entries: dict[tuple[int, int], Entry] = {}
        self.places: list[tuple[str, int]] = []  # each row's (lane, row within the lane)
        self.stage_keys: list[str] = []  # each stage column's stage
        self.marked: str | None = None  # the key of the insight marked for a merge

    def show(self, journey: JourneyMap, width: int) -> None:
        """Lay the map out for a table `width` cells wide. The cursor stays on its lane and stage while that cell
        has content (a filter may move the lane to another row); otherwise it goes to the nearest cell that has."""
        row, column = self.cursor_coordinate
        place = self.places[row] if row < len(self.places) else None
        stage = self.stage_keys[column - 1] if 0 < column <= len(self.stage_keys) else None
        self.clear(columns=True)
        stages = max(len(journey.stages), 1)
        column_width = column_width_for(width - LANE_WIDTH - 4, stages, MIN_COLUMN)
        self.add_column(Text("Lane", style="bold"), key="lane", width=LANE_WIDTH)
        for lane in journey.stages:
            self.add_column(clip(Text(lane.name, style="bold"), column_width, 1), key=lane.stage, width=column_width)
        self.entries = {}
        self.stage_keys = [lane.stage for lane in journey.stages]
        self.places = []
        for r, (title, lines, entries) in enumerate(board_rows(journey)):
            self.places.append((title, 0) if title else (self.places[-1][0], self.places[-1][1] + 1))
            cells = []
            for c, entry in enumerate(entries, start=1):
                if entry is None:
                    cells.append(Text(""))
                    continue
                self.entries[(r, c)] = entry
                text = entry.cell.copy()
                if entry.insight is not None and entry.insight.key == self.marked:
                    text = Text("⧉ ", style="reverse") + text
                cells.append(clip(text, column_width, lines))
            height = max([len(cell.plain.splitlines()) for cell in cells] + [1])
            self.add_row(clip(Text(title, style="bold"), LANE_WIDTH, 2), *cells, height=height)
        if self.row_count:
            lane_rows = [r for r, (lane, _) in enumerate(self.places) if place and lane == place[0]]
            row = lane_rows[min(place[1], len(lane_rows) - 1)] if place and lane_rows else min(row, self.row_count - 1)
            column = self.stage_keys.index(stage) + 1 if stage in self.stage_keys else max(1, min(column, stages))
            self.move_cursor(row=row, column=column)
            if self.entry is None:
                self.move_cursor(**nearest(self.entries, row, column))

    @property
    def entry(self) -> Entry | None:
        return self.entries.get((self.cursor_row, self.cursor_column))

    def select_insight(self, key: str) -> bool:
        for (r, c), entry in self.entries.items():
            if entry.insight is not None and entry.insight.key == key:
                self.move_cursor(row=r, column=c)
                return True
        return False
