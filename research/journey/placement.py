"""Each quote once per stage: a row shows the quotes that no row above it already shows.

Rows take their quotes in this order of precedence: the insights (their evidence, in the map's order), then
outliers' own quotes, then pain points and delights, then tollgates and gaps, then moments of truth and outliers, then feedback loops.
A row's quote that a row above shows is marked with where it is shown (`Quote.see`) and the row shows its
own quotes instead (`model.shown`); so is a quote that an insight above counts but has no room to show (its
fourth participant's words): a pain point that a pain insight counts, a delight that a delight insight counts,
a tollgate or gap that any insight counts. A quote an outlier is about (one participant's experience, and why it
stands out) is left to the outlier by the pain points, delights, tollgates and gaps: one quote, one role.
The rows then tell what lies beyond the insights, not the insights again; a moment or an outlier, which shows one quote, takes its next-best
distinct quote (`alternatives`), or refers to the row above when it has none. The evidence lists keep every
quote in their order, so the counts do not change: only which quotes are shown.
"""

from __future__ import annotations

from collections.abc import Callable

from research.journey.model import SHOWN, Quote, StageLane

Alternatives = Callable[[list[int], Quote], list[Quote]]  # (evidence ids, shown quote) → its evidence's quotes, best first
LISTS = (("pain points", "pain_points"), ("delights", "delights"), ("tollgates", "tollgates"), ("gaps", "gaps"))
DEFERS_TO = {"pain_points": ("pain",), "delights": ("delight",), "tollgates": ("pain", "delight", "mixed", "neutral"), "gaps": ("pain", "delight", "mixed", "neutral")}
"""The insights, by polarity, whose evidence a row leaves to them (a pain told inside a delight insight's mixed answer is still a pain point)."""


def place_quotes(lane: StageLane, alternatives: Alternatives) -> None:
    """Mark the lane's quotes, and pick its moments' and outliers', so that each quote is shown once, in the first row that has it."""
    shown: dict[int, str] = {}
    for n, insight in enumerate(lane.patterns, start=1):
        _place_list(insight.quotes, shown, f"insight {n}")
    singular = {o.quote.utterance_id for o in lane.outliers if o.quote is not None and o.quote.utterance_id not in shown}
    for name, attr in LISTS:
        deferred: dict[int, str] = {}  # the evidence of the insights this row leaves to them: the first that counts it
        for n, insight in enumerate(lane.patterns, start=1):
            for uid in insight.utterance_ids if insight.polarity in DEFERS_TO[attr] else []:
                deferred.setdefault(uid, f"insight {n}")
        for uid in singular:
            deferred.setdefault(uid, "outliers")
        told = {**deferred, **shown}  # where a row above shows it wins
        _place_list(getattr(lane, attr), told, name)
        shown |= {uid: row for uid, row in told.items() if row == name}
    for moment in lane.moments_of_truth[:SHOWN]:
        moment.quote = _place_one(moment.quote, moment.utterance_ids, shown, "moments of truth", alternatives)
    for outlier in lane.outliers:
        if outlier.quote is not None:
            outlier.quote = _place_one(outlier.quote, outlier.utterance_ids, shown, "outliers", alternatives)
    for state, quotes in lane.feedback_loops.items():
        _place_list(quotes, shown, f"feedback {state}")


def _place_list(quotes: list[Quote], shown: dict[int, str], row: str) -> None:
    """Mark the row's quotes that a row above shows (in place, in their order); its first own quotes count as shown."""
    quotes[:] = [q.model_copy(update={"see": shown[q.utterance_id]}) if q.utterance_id in shown else q for q in quotes]
    for q in [q for q in quotes if q.see is None][:SHOWN]:
        shown[q.utterance_id] = row


def _place_one(quote: Quote, ids: list[int], shown: dict[int, str], row: str, alternatives: Alternatives) -> Quote:
    """The quote itself when no row above shows it, else its next-best distinct one, else a reference to the row above."""
    if quote.utterance_id in shown:
        quote = next((q for q in alternatives(ids, quote) if q.utterance_id not in shown), None) or quote.model_copy(update={"see": shown[quote.utterance_id]})
    if quote.see is None:
        shown[quote.utterance_id] = row
    return quote
