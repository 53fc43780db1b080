"""The analyst's journey map as one self-contained, printable HTML page (no scripts, no external files)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from research.coding.memos import Memo
from research.export import wording
from research.export.chart import emotion_curve_svg, persona_curves_svg
from research.journey.model import JourneyMap

W_LANES = [("Who", "who"), ("What", "what"), ("When", "when"), ("Where", "where"), ("Why", "why")]
STATISTIC_LANES = [("Touchpoints", "touchpoints"), ("Channels", "channels"), ("Silos", "silos"), ("Emotions", "emotions"), ("Themes", "themes")]
QUOTE_LANES = [("Pain points", "pain_points"), ("Delights", "delights"), ("Tollgates", "tollgates"), ("Gaps", "gaps")]


def templates() -> Environment:
    """The export templates, with every value escaped unless marked safe."""
    environment = Environment(loader=PackageLoader("research.export", "templates"), autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    environment.globals["w"] = wording
    return environment


def _persona_valences(journey: JourneyMap) -> bool:
    """Whether any persona has a mean valence at some stage, so that its curve has a point to draw."""
    return any(cell.valence is not None for row in journey.personas for cell in row.cells)


def shared_w_lanes(journey: JourneyMap) -> list[tuple[str, str]]:
    """The 5 W's rows with a phrase that two or more participants use at some stage (`wording.shared`); none else."""
    return [(title, attr) for title, attr in W_LANES if any(wording.shared(getattr(lane, attr)) for lane in journey.stages)]


def write_html(journey: JourneyMap, path: Path, memos: Sequence[Memo] = ()) -> Path:
    """The analyst's page; `memos` (the researchers' memos) close it, escaped like every piece of study text."""
    page = templates().get_template("map.html.j2").render(
        journey=journey, memos=memos, curve=emotion_curve_svg(journey), persona_curves=persona_curves_svg(journey) if _persona_valences(journey) else "", w_lanes=shared_w_lanes(journey), statistic_lanes=STATISTIC_LANES, quote_lanes=QUOTE_LANES)
    path.write_text(page, encoding="utf-8")
    return path
