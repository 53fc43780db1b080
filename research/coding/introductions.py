"""Self-introductions: a customer turn in which the speaker gives their own name.

Interviews open with one ("Hi, I'm [Participant 2]. I own the practice, so I sign off on what we buy."), and
what a speaker says about themself in the breath they give their name (their role, household, business) is
who they are, not a step of their journey, though its words ("sign off", "budget") can lean to a stage. The
name reads as the anonymizer left it: a participant's study label, a person placeholder, or a surrogate name.
"""

from __future__ import annotations

import re

NAME = r"(?:\[(?:Participant \d+|PERSON(?:_\d+)?)\]|[A-Z][a-z'-]+)"  # "[Participant 2]", "[PERSON_1]", "Dana"
OPENING = r"(?:^|[.!?]\s+|(?i:\b(?:hi|hello|hey|and|so|well|sure|yes|yeah|okay|ok|of course)\b),?\s+)"  # where a sentence starts, or after a greeting
SELF_NAMING = re.compile(rf"{OPENING}(?i:i'm|i am|my name is|my name's)\s+{NAME}")


def introduces_self(text: str) -> bool:
    """Whether the speaker gives their own name in a sentence of `text`: "I'm [Participant 5], her husband.",
    "Hello, my name is Dana Whitfield." ("I'm sure", "I'm the owner" name nobody)."""
    return SELF_NAMING.search(text) is not None
