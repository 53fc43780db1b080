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
