"""The journey map: insights with evidence per stage, built from codings and themes (see `build`).

Names load on first use, so `from research.journey import FILTER_FIELDS` (the CLI's options) does not
import scikit-learn or spaCy.
"""

from importlib import import_module

_WHERE = {
    "MapBuilder": "build", "build_and_store": "build", "filters_key": "build", "stored_map": "build",
    "FILTER_FIELDS": "filters", "filter_values": "evidence", "participants_matching": "evidence",
    **{name: "model" for name in ("Advocacy", "Coverage", "Insight", "Item", "JourneyMap", "Moment", "Opportunity", "Outlier",
                                  "ParticipantJourney", "PersonaRow", "Quote", "StageLane")},
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'research.journey' has no attribute '{name}'")
    return getattr(import_module(f"research.journey.{_WHERE[name]}"), name)
