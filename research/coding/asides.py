"""Questions the customer asks the interviewer: talk about the interview, not a step of the journey.

"Can I ask what you do with this?", "Is that what you mean?", "Where do you want to start?" are addressed to
the person asking the questions. A customer's question about the journey is told to the interviewer as a story
("I asked them why the price went up") or is rhetorical, with no "you" in it ("Why would I pay twice?"), so a
question that speaks to "you", a yes-or-no question about now ("Is the report going to be anonymous?"; the journey is
told in the past: "Was it worth it? Absolutely." is the customer's own) or a short check ("Is that okay?") is the
customer asking the interviewer. It
is no evidence of an experience: an answer made only of such questions is interview logistics, and in a longer
answer such a question carries no feeling and heads nothing on the map.
"""

from __future__ import annotations

import re

SENTENCES = re.compile(r"[^.!?]+[.!?]*")
YOU = re.compile(r"\b(you|your|yours|yourself)\b", re.IGNORECASE)
YES_NO = re.compile(r"^(?:\W*(?:oh|so|and|sorry|sure|okay|ok|right|well|um|uh)\b\W*)*(?:is|are|do|does|can|could|will|would|should|shall|may|might)\b",
                    re.IGNORECASE)  # "Oh, is the report going to be anonymous?": a yes-or-no question about now wants the listener's answer
PAST = re.compile(r"^\W*(?:was|were|did|had|has|have)\b", re.IGNORECASE)  # "Was it worth it?": the customer asking themself about the journey
SHORT_CHECK = 4  # "Is that okay?", "Does that help?": a question this short speaks to the listener
ACKNOWLEDGEMENT = 3  # "Sure.", "Okay, lovely.": words around such a question that say nothing of the journey


def asks_the_interviewer(sentence: str) -> bool:
    """Whether a sentence is a question to the listener: "Is that what you mean?", "Is that alright?"."""
    text = sentence.strip()
    if not text.endswith("?"):
        return False
    return bool(YOU.search(text) or YES_NO.match(text)) or (len(text.split()) <= SHORT_CHECK and not PAST.match(text))


def only_asks_the_interviewer(text: str) -> bool:
    """Whether a turn is nothing but questions to the interviewer and short acknowledgements around them."""
    sentences = [s.strip() for s in SENTENCES.findall(text) if s.strip()]
    asked = [s for s in sentences if asks_the_interviewer(s)]
    return bool(asked) and all(s in asked or len(s.split()) <= ACKNOWLEDGEMENT for s in sentences)
