"""The executive story: one printable HTML page with the top insights per stage, the emotion curve and the top opportunities, one quote each."""

from __future__ import annotations

from pathlib import Path

from research.export.chart import emotion_curve_svg
from research.export.document import templates
from research.export.wording import opportunity_patterns
from research.journey.model import JourneyMap

INSIGHTS_PER_STAGE = 2
OPPORTUNITIES = 3


def write_story(journey: JourneyMap, path: Path) -> Path:
    page = templates().get_template("story.html.j2").render(
        journey=journey, curve=emotion_curve_svg(journey, width=11, height=2.2), insights_per_stage=INSIGHTS_PER_STAGE, opportunities=opportunity_patterns(journey)[:OPPORTUNITIES])
    path.write_text(page, encoding="utf-8")
    return path
