"""What the app writes in a map cell and a dashboard header, checked without running the app."""

from __future__ import annotations

from research.journey.model import Outlier
from tui.widgets.map_board import _outlier


def test_a_skipped_stage_names_its_participant_once():
    """A skipped stage's label is the participant, and the cell added the participant again: "∅ Participant 7 Participant 7"."""
    skipped = Outlier(kind="skipped-stage", label="Participant 7", participant="Participant 7", why="Never talks about this stage, which 6 of 8 participants describe.", quote=None, utterance_ids=[])
    assert _outlier(skipped).cell.plain == "∅ Participant 7 never talks about this stage"
    unique = Outlier(kind="unique-experience", label="The courier left both boxes outside", participant="Participant 6", why="Only Participant 6 …", quote=None, utterance_ids=[1])
    assert _outlier(unique).cell.plain == "◇ The courier left both boxes outside Participant 6"
    opposite = Outlier(kind="opposite-feeling", label="Participant 7 felt better than the cohort", participant="Participant 7", why="Participant 7 felt strongly positive …", quote=None, utterance_ids=[2])
    assert _outlier(opposite).cell.plain == "⇅ Participant 7 felt better than the cohort"  # was "… than the cohort Participant 7"


def test_a_long_theme_quote_is_cut_at_a_word_and_says_so():
    """Cut at 150 characters, a quote ended "No body at the store had mentioned the s”", as if the speaker had stopped there."""
    from tui.screens.themes import QUOTE_CHARS, quote_excerpt

    said = "I was surprised when the first filter bill arrived, because I thought the first year of filters was included. No body at the store had mentioned the subscription at all."
    shown = quote_excerpt(said)
    assert shown.endswith(" …") and len(shown) <= QUOTE_CHARS and said.startswith(shown.removesuffix(" …"))
    assert shown.removesuffix(" …").split()[-1] in said.split()  # ends on a whole word
    assert quote_excerpt("Short and whole.") == "Short and whole."
