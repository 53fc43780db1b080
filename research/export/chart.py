"""Pictures of the journey map with matplotlib: the emotion curve (SVG for HTML) and a slide (PNG/SVG)."""

from __future__ import annotations

import io
import re
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from research.journey import JourneyMap  # noqa: E402

NEGATIVE, POSITIVE, INK = "#c0392b", "#1e8449", "#333333"


def _curve(ax, journey: JourneyMap) -> None:
    names = [lane.name for lane in journey.stages]
    x = list(range(len(names)))
    means = [lane.valence_mean for lane in journey.stages]
    spreads = [lane.valence_sd or 0 for lane in journey.stages]
    known = [(i, m, s) for i, m, s in zip(x, means, spreads) if m is not None]
    ax.axhline(0, color="#999999", linewidth=0.8)
    if known:
        xs, ms, ss = zip(*known)
        ax.fill_between(xs, [m - s for m, s in zip(ms, ss)], [m + s for m, s in zip(ms, ss)], color="#9ecae1", alpha=0.5, linewidth=0)
        ax.plot(xs, ms, color=INK, linewidth=2)
        ax.scatter(xs, ms, c=[POSITIVE if m >= 0 else NEGATIVE for m in ms], s=60, zorder=3)
    ax.set_xticks(x, names)
    ax.set_ylim(-1, 1)
    ax.set_ylabel("valence")
    ax.spines[["top", "right"]].set_visible(False)


def emotion_curve_svg(journey: JourneyMap) -> str:
    """The emotion curve as an inline SVG element (no external references)."""
    fig, ax = plt.subplots(figsize=(9, 2.6))
    _curve(ax, journey)
    ax.set_title("Emotion curve: mean valence per stage, with its spread", fontsize=10, loc="left")
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    svg = buffer.getvalue()
    return re.sub(r"<metadata>.*?</metadata>", "", svg[svg.index("<svg") :], flags=re.S)  # no creator, date or RDF


def write_picture(journey: JourneyMap, path: Path) -> Path:
    """A one-slide picture of the map: the curve above, a column per stage with its key lanes."""
    stages = journey.stages
    fig = plt.figure(figsize=(16, 9), dpi=100)
    fig.suptitle(f"{journey.study}: customer journey ({journey.participants} participants)", x=0.02, ha="left", fontsize=16, fontweight="bold")
    ax = fig.add_axes((0.05, 0.66, 0.92, 0.22))
    _curve(ax, journey)
    width = 0.92 / max(len(stages), 1)
    for n, lane in enumerate(stages):
        left = 0.05 + n * width
        sections = [
            ("Touchpoints", [i.label for i in lane.touchpoints[:3]]),
            ("Patterns", [i.label for i in lane.patterns[:3]]),
            ("Outliers", [o.label for o in lane.outliers[:2]]),
            ("Pain points", [q.text for q in lane.pain_points[:1]]),
        ]
        y = 0.58
        fig.text(left, y, f"{lane.name}\n{lane.participants} people · {lane.utterances} utterances", fontsize=10, fontweight="bold", va="top")
        y -= 0.06
        for title, entries in sections:
            if not entries:
                continue
            body = "\n".join(textwrap.shorten(e, 60) for e in entries)
            body = "\n".join(textwrap.fill(line, 30) for line in body.splitlines())
            fig.text(left, y, title, fontsize=9, color="#555555", va="top")
            fig.text(left, y - 0.025, body, fontsize=8, va="top")
            y -= 0.035 + 0.022 * body.count("\n") + 0.03
    fig.savefig(path, format=path.suffix.lstrip(".").lower())
    plt.close(fig)
    return path
