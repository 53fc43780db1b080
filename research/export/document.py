"""The journey map as a self-contained HTML page and as Markdown."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from research.export.chart import emotion_curve_svg
from research.journey import JourneyMap
from research.timecode import clock

ITEM_LANES = [("Touchpoints", "touchpoints"), ("Channels", "channels"), ("Emotions", "emotions"), ("Moments of truth", "moments_of_truth"),
              ("Who", "who"), ("What", "what"), ("When", "when"), ("Where", "where"), ("Why", "why"), ("Silos", "silos"), ("Themes", "themes")]
QUOTE_LANES = [("Pain points", "pain_points"), ("Delights", "delights"), ("Tollgates", "tollgates"), ("Gaps", "gaps"), ("Quotes", "quotes")]


def write_html(journey: JourneyMap, path: Path) -> Path:
    environment = Environment(loader=PackageLoader("research.export", "templates"), autoescape=select_autoescape(["html", "j2"]))
    page = environment.get_template("map.html.j2").render(journey=journey, curve=emotion_curve_svg(journey), item_lanes=ITEM_LANES, quote_lanes=QUOTE_LANES, clock=clock)
    path.write_text(page, encoding="utf-8")
    return path


def _md(text: str) -> str:
    """Text that can't break a Markdown table or start markup."""
    escaped = text.replace("\\", "\\\\")
    for char in "|*_`[]<>#":
        escaped = escaped.replace(char, "\\" + char)
    return " ".join(escaped.split())


def write_markdown(journey: JourneyMap, path: Path) -> Path:
    out = [f"# {_md(journey.study)}: customer journey map", "", f"{journey.participants} participants in {journey.interviews} interviews."]
    if journey.filters:
        out.append("Filtered by " + ", ".join(f"{_md(k)} = {_md(v)}" for k, v in journey.filters.items()) + ".")
    out += ["", "| stage | people | utterances | valence | top touchpoints | patterns | outliers |", "|---|---|---|---|---|---|---|"]
    for lane in journey.stages:
        valence = "" if lane.valence_mean is None else f"{lane.valence_mean:+.2f} ± {lane.valence_sd:.2f}"
        out.append(f"| {_md(lane.name)} | {lane.participants} | {lane.utterances} | {valence} | {', '.join(_md(i.label) for i in lane.touchpoints[:3])} | "
                   f"{', '.join(_md(i.label) for i in lane.patterns[:4])} | {', '.join(_md(o.label) for o in lane.outliers[:3])} |")
    for lane in journey.stages:
        out += ["", f"## {_md(lane.name)}", ""]
        for title, attr in ITEM_LANES:
            items = getattr(lane, attr)[:6]
            if items:
                out.append(f"- **{title}**: " + ", ".join(f"{_md(i.label)} ({i.participants})" for i in items))
        for o in lane.outliers[:6]:
            out.append(f"- **Outlier**: {_md(o.label)}, {_md(o.participant)}: {_md(o.reason)}")
        for title, attr in QUOTE_LANES:
            for q in getattr(lane, attr)[:3]:
                out.append(f"- **{title[:-1] if title.endswith('s') else title}** ({q.interview} at {clock(q.start)}): “{_md(q.text)}”")
    if journey.opportunities:
        out += ["", "## Opportunities", "", "| pain point | reach | intensity |", "|---|---|---|"]
        out += [f"| {_md(o.label)} | {o.reach:.0%} | {o.intensity:.2f} |" for o in journey.opportunities]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path
