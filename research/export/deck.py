"""The journey map as a PowerPoint deck (python-pptx): a summary slide, one slide per stage (with the opportunities
of pains told across stages that are told there), the pains told across stages (when any are), an opportunities slide.

Everything is editable text in PowerPoint, Keynote or LibreOffice; each slide's notes hold its quotes in full.
"""

from __future__ import annotations

import io
from pathlib import Path

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_AUTO_SIZE
from pptx.util import Emu, Inches, Pt

from research.export import wording
from research.export.chart import emotion_curve_png
from research.journey.model import JourneyMap, Quote, StageLane
from research.journey.model import shown as shown_quotes

TITLE_ONLY = 5  # the default template's "Title Only" layout
MUTED = RGBColor(0x66, 0x66, 0x66)
ACROSS = 3  # opportunities of pains told across the journey on a stage's slide, best first (the Opportunities slide ranks them all)


def _colour(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#"))


class _Box:
    """A text box filled paragraph by paragraph."""

    def __init__(self, slide, left: float, top: float, width: float, height: float):
        self.frame = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height)).text_frame
        self.frame.word_wrap = True
        self.frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE  # long quotes shrink rather than spill off the slide
        self.empty = True

    def add(self, text: str, size: int = 14, bold: bool = False, colour: RGBColor | None = None, space_before: int = 0) -> None:
        paragraph = self.frame.paragraphs[0] if self.empty else self.frame.add_paragraph()
        self.empty = False
        paragraph.space_before = Pt(space_before)
        run = paragraph.add_run()
        run.text = text
        run.font.size, run.font.bold = Pt(size), bold
        if colour is not None:
            run.font.color.rgb = colour

    def quote(self, quote: Quote, words: int = 30, size: int = 12) -> None:
        if quote.see:
            self.add(wording.reference(quote), size, colour=MUTED)
            return
        self.add(f"“{wording.shorten(quote.text, words)}”", size, colour=RGBColor(0x33, 0x33, 0x33))
        self.add(wording.cite(quote), size - 3, colour=MUTED)


def _slide(deck, title: str):
    slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY])
    heading = slide.shapes.title
    heading.left, heading.top, heading.width, heading.height = Inches(0.6), Inches(0.35), Inches(12.1), Inches(0.9)  # the template is 4:3
    heading.text = title
    heading.text_frame.paragraphs[0].runs[0].font.size = Pt(30)
    return slide


def _notes(slide, quotes: list[Quote]) -> None:
    """The slide's quotes in full, each once, as speaker notes."""
    unique: dict[int, Quote] = {}
    for quote in quotes:
        unique.setdefault(quote.utterance_id, quote)
    slide.notes_slide.notes_text_frame.text = "\n\n".join(f"“{q.text}” ({wording.cite(q)})" for q in unique.values())


def _summary(deck, journey: JourneyMap) -> None:
    slide = _slide(deck, f"{journey.study}: the customer journey")
    box = _Box(slide, 0.6, 1.5, 12.1, 1.4)
    box.add(wording.heading(journey), 16, bold=True)
    box.add(journey.coverage.line, 13, colour=MUTED)
    box.add(wording.advocacy_line(journey), 13, colour=MUTED)
    slide.shapes.add_picture(io.BytesIO(emotion_curve_png(journey)), Inches(0.6), Inches(2.9), width=Inches(12.1))
    top = _Box(slide, 0.6, 6.3, 12.1, 1.1)
    for lane in journey.stages:
        if lane.patterns:
            top.add(f"{lane.name}: {lane.patterns[0].claim} ({wording.count(lane.patterns[0])})", 12)
    for pain in journey.recurring_pains[:1]:  # the pain most told across stages, which no stage's line shows
        top.add(f"Across the journey: {pain.label} ({pain.reach})", 12)


def _stage(deck, journey: JourneyMap, lane: StageLane) -> None:
    slide = _slide(deck, lane.name)
    shown: list[Quote] = []
    left = _Box(slide, 0.6, 1.4, 7.4, 5.8)
    left.add(wording.lane_line(lane), 13, colour=MUTED)
    for number, insight in enumerate(lane.patterns[:3], start=1):
        left.add(f"{number}. {insight.claim}", 18, bold=True, colour=_colour(wording.POLARITY_COLOURS[insight.polarity]), space_before=12)
        left.add(wording.reach(insight), 11, colour=MUTED)
        if insight.quotes:
            first = shown_quotes(insight.quotes)[0]
            left.quote(first)
            shown.append(first)
    if not lane.patterns:
        left.add(wording.no_insight_line(lane), 14, space_before=12)
    right = _Box(slide, 8.3, 1.4, 4.5, 5.8)
    sections = [("Pain point", lane.pain_points), ("Delight", lane.delights), ("Moment of truth", [m.quote for m in lane.moments_of_truth]),
                ("Outlier", [o.quote for o in lane.outliers if o.quote])]
    if lane.promoters or lane.detractors or journey.advocacy.mixed:
        sections.append((journey.advocacy.line, lane.detractors + lane.promoters + journey.advocacy.mixed))
    for title, quotes in sections:
        fresh = next((q for q in quotes if not q.see and q.utterance_id not in {s.utterance_id for s in shown}), None)  # each quote once per slide
        if fresh:
            right.add(title, 14, bold=True, space_before=10)
            right.quote(fresh, 24, 11)
            shown.append(fresh)
    for opportunity in (o for o in wording.opportunity_patterns(journey) if o.stage == lane.stage):
        right.add("Opportunity", 14, bold=True, space_before=10)
        right.add(opportunity.statement, 12)
        break
    across = wording.recurring_at(journey, lane.stage)[:ACROSS]
    if across:
        right.add(f"{'Opportunities' if len(across) > 1 else 'Opportunity'} across the journey", 14, bold=True, space_before=10)
    for n, (opportunity, pain, place) in enumerate(across):
        right.add(opportunity.statement, 12, space_before=4 * bool(n))
        right.add(wording.told_here_line(pain, place), 10, colour=MUTED)
    _notes(slide, shown + [q for insight in lane.patterns[:3] for q in insight.quotes[1:]] + [place.quote for _, _, place in across])


def _recurring(deck, journey: JourneyMap) -> None:
    """The kinds of problem told at several stages, each with a quote from up to three places (all of them in the notes)."""
    slide = _slide(deck, wording.RECURRING_HEADING)
    box = _Box(slide, 0.6, 1.3, 12.1, 5.9)
    box.add(wording.RECURRING_NOTE, 11, colour=MUTED)
    for pain in journey.recurring_pains[:4]:
        box.add(pain.label, 18, bold=True, colour=_colour(wording.POLARITY_COLOURS["pain"]), space_before=10)
        box.add(pain.reach, 11, colour=MUTED)
        for place in pain.places[:3]:
            box.quote(place.quote, 24, 11)
    _notes(slide, [place.quote for pain in journey.recurring_pains[:4] for place in pain.places])


def _opportunities(deck, journey: JourneyMap) -> None:
    slide = _slide(deck, "Opportunities")
    note = _Box(slide, 0.6, 1.3, 12.1, 0.5)
    rows = wording.opportunity_patterns(journey)[:8]
    if not rows:
        note.add(wording.no_opportunity_line(journey), 16, space_before=12)
        return
    note.add(wording.OPPORTUNITY_ORDER, 11, colour=MUTED)
    header = ["#", "How might we …", "stage", "who feels it"]
    widths = [0.5, 7.4, 1.6, 2.6]
    table = slide.shapes.add_table(len(rows) + 1, len(header), Inches(0.6), Inches(1.9), Inches(sum(widths)), Inches(0.4 * (len(rows) + 1))).table
    for column, width in enumerate(widths):
        table.columns[column].width = Emu(Inches(width))
    cells = [header] + [[str(n), o.statement, wording.opportunity_stage(journey, o), wording.opportunity_line(journey, o)] for n, o in enumerate(rows, 1)]
    for r, values in enumerate(cells):
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            cell.text = value
            cell.text_frame.paragraphs[0].runs[0].font.size = Pt(12)
    _notes(slide, [q for q in (wording.opportunity_quote(journey, o) for o in rows) if q])


def write_deck(journey: JourneyMap, path: Path) -> Path:
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    _summary(deck, journey)
    for lane in journey.stages:
        _stage(deck, journey, lane)
    if journey.recurring_pains:
        _recurring(deck, journey)
    _opportunities(deck, journey)
    deck.save(str(path))
    return path
