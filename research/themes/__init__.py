"""Emergent themes (BERTopic) over the customer utterances, and the analyst's edits to them."""

from research.themes.stage import ThemeSummary, run_themes

__all__ = ["ThemeSummary", "run_themes"]
