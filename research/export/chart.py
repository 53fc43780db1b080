"""Pictures of the journey map with matplotlib: the emotion curve and a one-slide map (PNG, or SVG with editable text).

SVG text stays `<text>` (svg.fonttype 'none'), so the slide opens in Inkscape, Illustrator or Figma with
every sentence editable; each text has an id that says what it is (`adoption-pain`, `opportunity-1`).
"""

from __future__ import annotations

import io
import re
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from research.export.wording import NOT_DISCUSSED, POLARITY_COLOURS, count, heading, lane_line, no_opportunity_line, opportunity_line, opportunity_patterns, shorten  # noqa: E402
from research.journey.model import JourneyMap, StageLane  # noqa: E402

NEGATIVE, POSITIVE, INK, MUTED = "#c0392b", "#1e8449", "#333333", "#666666"
SVG_STYLE = {"svg.fonttype": "none", "svg.hashsalt": "research"}  # text as <text>, stable ids


def plain(text: str) -> str:
    """Study text that matplotlib shows as written: a '$' never starts mathtext."""
    return text.replace("$", r"\$")


def stage_runs(points: list[tuple]) -> list[list[tuple]]:
    """Points (stage index first) split into runs of neighbouring stages: [(0, ..), (1, ..)], [(4, ..)]."""
    runs: list[list[tuple]] = []
    for point in points:
        if runs and point[0] == runs[-1][-1][0] + 1:
            runs[-1].append(point)
        else:
            runs.append([point])
    return runs


def _curve(ax, journey: JourneyMap) -> None:
    names = [plain(lane.name) for lane in journey.stages]
    x = list(range(len(names)))
    means = [lane.valence_mean for lane in journey.stages]
    spreads = [lane.valence_sd or 0 for lane in journey.stages]
    known = [(i, m, s) for i, m, s in zip(x, means, spreads) if m is not None]
    ax.axhline(0, color="#999999", linewidth=0.8)
    for run in stage_runs(known):  # no line through a stage nobody's emotion was coded at: it would invent a value there
        xs, ms, ss = zip(*run)
        ax.fill_between(xs, [m - s for m, s in zip(ms, ss)], [m + s for m, s in zip(ms, ss)], color="#9ecae1", alpha=0.5, linewidth=0)
        ax.plot(xs, ms, color=INK, linewidth=2)
        ax.scatter(xs, ms, c=[POSITIVE if m >= 0 else NEGATIVE for m in ms], s=60, zorder=3)
    ax.set_xticks(x, names)
    ax.set_ylim(-1, 1)
    ax.set_ylabel("feeling")
    ax.spines[["top", "right"]].set_visible(False)


def _svg(fig) -> str:
    buffer = io.StringIO()
    with plt.rc_context(SVG_STYLE):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return re.sub(r"<metadata>.*?</metadata>", "", svg[svg.index("<svg") :], flags=re.S)  # no creator, date or RDF


def emotion_curve_svg(journey: JourneyMap, width: float = 9, height: float = 2.6) -> str:
    """The emotion curve as an inline SVG element (no external references)."""
    fig, ax = plt.subplots(figsize=(width, height))
    _curve(ax, journey)
    ax.set_title("Emotion curve: how each stage felt on average (−1 negative, +1 positive), with its spread", fontsize=10, loc="left")
    fig.tight_layout()
    svg = _svg(fig)
    plt.close(fig)
    return svg


def persona_curves_svg(journey: JourneyMap) -> str:
    """One emotion curve per persona (up to 5), from the persona × stage matrix; thin evidence is drawn hollow and faint."""
    fig, ax = plt.subplots(figsize=(9, 2.8))
    names = [plain(lane.name) for lane in journey.stages]
    ax.axhline(0, color="#999999", linewidth=0.8)
    for row, colour in zip(journey.personas[:5], plt.get_cmap("tab10").colors):
        points = [(x, cell) for x, cell in enumerate(row.cells) if cell.valence is not None]
        if not points:
            continue
        for n, run in enumerate(stage_runs(points)):
            ax.plot([x for x, _ in run], [c.valence for _, c in run], color=colour, linewidth=1.5, alpha=0.8, label=plain(row.persona) if n == 0 else None)
        for x, cell in points:
            thin = cell.strength == "thin"
            ax.scatter([x], [cell.valence], s=40, zorder=3, edgecolors=[colour], facecolors=["white" if thin else colour], alpha=0.5 if thin else 1)
    ax.set_xticks(range(len(names)), names)
    ax.set_ylim(-1, 1)
    ax.set_ylabel("feeling")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("Emotion curve per persona (hollow points: thin evidence)", fontsize=10, loc="left")
    if ax.get_legend_handles_labels()[0]:  # no persona has a coded emotion yet: nothing to name
        ax.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    svg = _svg(fig)
    plt.close(fig)
    return svg


def emotion_curve_png(journey: JourneyMap) -> bytes:
    """The emotion curve as PNG bytes (for the deck)."""
    fig, ax = plt.subplots(figsize=(10, 2.8), dpi=150)
    _curve(ax, journey)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.fill(line, width) for line in text.splitlines())


def _lane_blocks(lane: StageLane) -> list[tuple[str, str, str, str]]:
    """(id suffix, title, body, colour) for one stage column, in reading order. Each experience once: an insight
    shows another participant's words than its headline's (which it condenses), and a pain point, delight,
    moment or outlier whose utterance the column already covers is left out rather than told again."""
    if not lane.utterances:
        return [("empty", "", NOT_DISCUSSED, MUTED)]
    blocks, told = [], set()
    for n, insight in enumerate(lane.patterns[:2], 1):
        blocks.append((f"insight-{n}", "Insight", f"{insight.claim} ({count(insight)})", POLARITY_COLOURS[insight.polarity]))
        evidence = insight.quotes[1:2] or insight.quotes[:1]  # the first quote is the headline's own sentence
        if n == 1 and evidence:
            blocks.append((f"insight-{n}-quote", "", f"“{shorten(evidence[0].text, 16)}” {evidence[0].interview}", POLARITY_COLOURS[insight.polarity]))
        told |= set(insight.utterance_ids)
    for suffix, title, quotes, colour, words in (("pain", "Pain point", lane.pain_points, NEGATIVE, 20), ("delight", "Delight", lane.delights, POSITIVE, 16)):
        quote = next((q for q in quotes if q.utterance_id not in told), None)
        if quote is not None:
            blocks.append((suffix, title, f"“{shorten(quote.text, words)}” {quote.interview}", colour))
            told.add(quote.utterance_id)
    moment = next((m for m in lane.moments_of_truth if m.quote.utterance_id not in told), None)
    if moment is not None:
        blocks.append(("moment", "Moment of truth", f"{moment.touchpoint}: {shorten(moment.quote.text, 14)}", INK))
        told.add(moment.quote.utterance_id)
    outlier = next((o for o in lane.outliers if o.kind != "skipped-stage" and not told & set(o.utterance_ids)), None)
    if outlier is not None:
        blocks.append(("outlier", "Outlier", shorten(outlier.label, 14), INK))
    return blocks


def write_picture(journey: JourneyMap, path: Path) -> Path:
    """A one-slide picture of the map: the curve above, a column per stage with its insights and lead quotes, the top opportunities below."""
    stages = journey.stages
    fig = plt.figure(figsize=(16, 9), dpi=100)
    fig.text(0.02, 0.97, plain(f"{journey.study}: customer journey"), fontsize=16, fontweight="bold", va="top", gid="title")
    fig.text(0.02, 0.935, plain(f"{heading(journey)} · {journey.coverage.line}"), fontsize=9, color=MUTED, va="top", gid="subtitle")
    ax = fig.add_axes((0.05, 0.72, 0.92, 0.18))
    _curve(ax, journey)
    width = 0.92 / max(len(stages), 1)
    chars = max(int(width * 16 * 72 / 4.9), 20)  # characters of 8-point text that fit a column (4.4 points a character overran it)
    line = 8 * 1.3 / 72 / 9  # one 8-point line as a share of the figure's height
    for n, lane in enumerate(stages):
        left, y = 0.05 + n * width, 0.65
        fig.text(left, y, plain(lane.name), fontsize=10, fontweight="bold", va="top", gid=f"{lane.stage}-heading")
        fig.text(left, y - 0.025, _wrap(lane_line(lane), chars), fontsize=8, color=MUTED, va="top", gid=f"{lane.stage}-statistics")
        y -= 0.07
        for suffix, title, body, colour in _lane_blocks(lane):
            if y < 0.2:
                break
            if title:
                fig.text(left, y, title, fontsize=8, color=MUTED, va="top", gid=f"{lane.stage}-{suffix}-title")
                y -= line
            text = _wrap(plain(body), chars)
            fig.text(left, y, text, fontsize=8, color=colour, va="top", gid=f"{lane.stage}-{suffix}")
            y -= line * (1 + text.count("\n")) + 0.012
    fig.text(0.02, 0.155, "Top opportunities", fontsize=11, fontweight="bold", va="top", gid="opportunities-title")
    patterns = opportunity_patterns(journey)
    if not patterns:
        fig.text(0.02, 0.155 - 0.035, no_opportunity_line(journey), fontsize=9, color=MUTED, va="top", gid="opportunity-none")
    for n, opportunity in enumerate(patterns[:3], 1):
        fig.text(0.02, 0.155 - n * 0.035, plain(f"{n}. {opportunity.statement}  ({opportunity_line(journey, opportunity)})"),
                 fontsize=9, va="top", gid=f"opportunity-{n}")
    if path.suffix.lower() == ".svg":
        path.write_text('<?xml version="1.0" encoding="utf-8" standalone="no"?>\n' + _svg(fig), encoding="utf-8")
    else:
        fig.savefig(path, format=path.suffix.lstrip(".").lower())
    plt.close(fig)
    return path

