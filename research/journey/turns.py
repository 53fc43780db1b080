"""Where a customer's own words begin, for the map's quotes and headlines.

Speaker separation sometimes cuts a turn a word or two early: the interviewer's "And since" ends one turn and the
customer's begins "then, [PERSON_4] sleeps through the night now". Quoted as it stands, the customer seems to start
mid-sentence with the interviewer's words. A turn that opens in lower case right after another speaker's turn that
ended without a stop starts with the tail of that turn: the words up to the first punctuation within `TAIL_WORDS`
words, or a whole first sentence that is a question, are left out of the quote.
"""

from __future__ import annotations

import re

TAIL_WORDS = 4  # a cut that late is no tail: the customer's own sentence began in lower case
FINISHED = re.compile(r"[.!?…\"”)\]]\s*$")
TAIL = re.compile(r"^(?:\S+\s+){0,%d}?\S*?[,;:?!.](?=\s)\s+" % (TAIL_WORDS - 1))
QUESTION = re.compile(r"^[^.!?]*\?\s+")


def own_words(text: str, before: str | None) -> str:
    """`text` from where its speaker's own words begin, given the turn before it by another speaker (None: no such
    turn). "then, [PERSON_4] sleeps through the night now." after "And since" → "[PERSON_4] sleeps through the night
    now."; "then? We moved." after "What happened" → "We moved."; any other text as it is."""
    if before is None or FINISHED.search(before.strip()) or not text[:1].islower():
        return text
    found = QUESTION.match(text) or TAIL.match(text)
    if not found or not text[found.end() :].strip():
        return text
    rest = text[found.end() :]
    return rest[:1].upper() + rest[1:]
