"""The analyst's journey map as Markdown: the HTML page's content, with every piece of study text escaped.

Study text (quotes, titles, personas, segments, theme labels) can hold markup. `md` writes `<`, `>`
and `&` as HTML entities, as the HTML page does, so no viewer renders a tag, and backslash-escapes
Markdown's own punctuation, so no text opens a link, a table cell or emphasis.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from research.coding.memos import Memo
from research.export import wording
from research.export.document import QUOTE_LANES, STATISTIC_LANES, W_LANES
from research.journey.model import JourneyMap, Opportunity, Quote, shown

ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
MARKDOWN_PUNCTUATION = "\\`*_[]#|~"  # what opens markup mid-line; study text never starts a line


def md(text: object) -> str:
    """Text that renders as itself in Markdown: no HTML, no markup, no line breaks."""
    out = []
    for char in str(text):
        if char in ENTITIES:
            out.append(ENTITIES[char])
        elif char in MARKDOWN_PUNCTUATION:
            out.append("\\" + char)
        else:
            out.append(char)
    return " ".join("".join(out).split())


def _quote(q: Quote, words: int = 60) -> str:
    if q.see:
        return md(wording.reference(q))
    return f"“{md(wording.shorten(q.text, words))}” ({md(wording.cite(q))})"


def _stage(journey: JourneyMap, lane) -> list[str]:
    out = ["", f"## {md(lane.name)}", "", md(wording.lane_line(lane))] + (["", md(lane.summary)] if lane.summary else []) + ["", "### Insights", ""]
    for number, insight in enumerate(lane.patterns, start=1):
        out.append(f"- **{number}. {md(insight.claim)}**  ")
        out.append(f"  {md(wording.insight_facts(insight))}")
        out += [f"  - {_quote(q)}" for q in shown(insight.quotes)]
    if not lane.patterns:
        out.append(wording.no_insight_line(lane))
    for title, attr in QUOTE_LANES:
        quotes = shown(getattr(lane, attr))
        if quotes:
            out += ["", f"### {title}", ""] + [f"- {_quote(q, 40)}" for q in quotes]
    if lane.moments_of_truth:
        out += ["", "### Moments of truth", ""]
        out += [f"- **{md(m.touchpoint)}** ({wording.moment_feeling(m.valence)}): {md(m.why)}  \n  {_quote(m.quote, 40)}" for m in lane.moments_of_truth[:3]]
    if lane.outliers:
        out += ["", "### Outliers", ""]
        for o in lane.outliers[:4]:
            quote = f"  \n  {_quote(o.quote, 40)}" if o.quote else ""
            out.append(f"- **{md(o.label)}** ({o.kind.replace('-', ' ')}): {md(o.why)}{quote}")
    loops = [(state, quotes) for state, quotes in lane.feedback_loops.items() if quotes]
    if loops:
        out += ["", "### Feedback loops", ""] + [f"- **{md(state)}** ({len(quotes)}): {_quote(shown(quotes)[0], 30)}" for state, quotes in loops]
    phrases = [(title, wording.shared(getattr(lane, attr))[:5]) for title, attr in W_LANES if wording.shared(getattr(lane, attr))]
    if phrases:
        out += ["", "### The 5 W's", ""] + [f"- **{title}**: " + "; ".join(f"{md(i.label)} ({i.participants})" for i in items) for title, items in phrases]
    statistics = [(title, getattr(lane, attr)[:6]) for title, attr in STATISTIC_LANES if getattr(lane, attr)]
    if statistics:
        out += ["", "### Statistics", ""] + [f"- {title}: " + ", ".join(f"{md(i.label)} ({i.participants})" for i in items) for title, items in statistics]
    return out


def _recurring(journey: JourneyMap) -> list[str]:
    """Each kind of problem told at several stages, with one quote from each place."""
    if not journey.recurring_pains:
        return []
    out = ["", f"## {wording.RECURRING_HEADING}", "", md(wording.RECURRING_NOTE)]
    for pain in journey.recurring_pains:
        out += ["", f"- **{md(pain.statement)}**"] + [f"  - {md(place.name)}: {_quote(place.quote, 40)}" for place in pain.places]
    return out


def _personas(journey: JourneyMap) -> list[str]:
    if not journey.personas:
        return []
    out = ["", "## Personas by stage", "", "Participants of the persona who speak about the stage, quotes, how they felt on balance and evidence strength; thin cells are in italics.", "",
           "| persona | " + " | ".join(md(lane.name) for lane in journey.stages) + " |", "|---" * (len(journey.stages) + 1) + "|"]
    for row in journey.personas:
        cells = []
        for cell in row.cells:
            if cell.strength == "none":
                cells.append("no evidence")
                continue
            valence = f", {wording.valence_words(cell.valence)}" if cell.valence is not None else ""
            text = f"{cell.participants} of {cell.of}, {cell.quotes} quote{'s' if cell.quotes != 1 else ''}{valence}, {cell.strength}"
            cells.append(f"*{text}*" if cell.strength == "thin" else text)
        out.append(f"| {md(row.persona)} ({row.participants}) | " + " | ".join(cells) + " |")
    return out


def _memos(memos: Sequence[Memo]) -> list[str]:
    if not memos:
        return []
    out = ["", "## Memos", "", "The researchers' memos on utterances and on codings, in transcript order.", ""]
    for m in memos:
        code = f" · {md(m.code)}{' (suggestion)' if m.status == 'suggested' else ''}" if m.code else ""
        out.append(f"- **{md(m.interview)} {wording.clock(m.start)}**{code}: {md(m.text)}  \n  “{md(wording.shorten(m.quote, 40))}”")
    return out


def _opportunities(journey: JourneyMap) -> list[str]:
    """The shared pains' "How might we" in words (who feels it, how strongly, the quote it rests on), then the single voices apart."""
    patterns, singles = wording.opportunity_patterns(journey), wording.single_voices(journey)
    out = [md(wording.OPPORTUNITY_ORDER), ""] if patterns else []
    if patterns:
        out += ["| # | opportunity | stage | who feels it | the quote it rests on |", "|---|---|---|---|---|"]
        out += [f"| {n} | {md(o.statement)} | {md(wording.opportunity_stage(journey, o))} | {md(wording.opportunity_line(journey, o))} | {_cell_quote(journey, o)} |"
                for n, o in enumerate(patterns, 1)]
    else:
        out.append(md(wording.no_opportunity_line(journey)))
    if singles:
        out += ["", "### Single voices", "", md(wording.SINGLE_VOICES), ""]
        out += [f"- {md(o.statement)} ({md(wording.opportunity_stage(journey, o))} · {md(wording.opportunity_line(journey, o))}){_line_quote(journey, o)}" for o in singles]
    return out


def _cell_quote(journey: JourneyMap, opportunity: Opportunity) -> str:
    quote = wording.opportunity_quote(journey, opportunity)
    return md(f"“{wording.shorten(quote.text)}” ({quote.participant})") if quote else ""


def _line_quote(journey: JourneyMap, opportunity: Opportunity) -> str:
    quote = wording.opportunity_quote(journey, opportunity)
    return f": {md(f'“{wording.shorten(quote.text)}” ({quote.participant})')}" if quote else ""


def write_markdown(journey: JourneyMap, path: Path, memos: Sequence[Memo] = ()) -> Path:
    out = [f"# {md(journey.study)}: customer journey map", "", md(wording.heading(journey)) + ".", "", md(journey.coverage.line) + "."]
    empty = wording.nothing_placed_line(journey)
    if empty:
        out += ["", md(empty)]
    else:
        out += ["", "| stage | people | utterances | feelings | top insight |", "|---|---|---|---|---|"]
        for lane in journey.stages:
            valence = md(wording.feelings_line(lane))
            top = md(f"{lane.patterns[0].claim} ({wording.count(lane.patterns[0])})") if lane.patterns else ""
            out.append(f"| {md(lane.name)} | {lane.participants} | {lane.utterances} | {valence} | {top} |")
        out += [line for lane in journey.stages for line in _stage(journey, lane)]
    out += _recurring(journey)
    out += ["", f"## {wording.ADVOCACY_HEADING}", "", md(wording.advocacy_line(journey))]
    for title, attr in wording.ADVOCATES:
        if getattr(journey.advocacy, attr):
            out += ["", f"### {title}", ""] + [f"- {_quote(q)}" for q in getattr(journey.advocacy, attr)]
    out += ["", "## Opportunities", ""] + _opportunities(journey)
    out += _personas(journey)
    out += ["", "## Outside the journey", ""]
    out += [f"- {md(t.label)} ({wording.utterances(t.utterances)}, {wording.plural(t.participants, 'participant')})" for t in journey.hidden_themes] or [md(wording.outside_line(journey))]
    out += ["", "## Saturation", "", md(wording.saturation_line(journey))]
    out += _memos(memos)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path
