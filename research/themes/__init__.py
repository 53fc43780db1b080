"""Emergent themes (BERTopic) over the customer utterances, and the analyst's edits to them.

`run_themes` loads on first use, so `from research.themes import edits` (the review app's theme
edits) does not import the topic model, torch or spaCy.
"""

from importlib import import_module

__all__ = ["ThemeSummary", "run_themes", "why_no_themes"]


def __getattr__(name: str):
    if name not in __all__:
        raise AttributeError(f"module 'research.themes' has no attribute '{name}'")
    return getattr(import_module("research.themes.stage"), name)
