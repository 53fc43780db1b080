"""Where a customer's own words begin, for the map's quotes and headlines.

Speaker separation cuts turns a word or two off. Cut early, the interviewer's "And since" ends one turn and the
customer's begins "then, [PERSON_4] sleeps through the night now": quoted as it stands, the customer seems to start
mid-sentence with the interviewer's words. A turn that opens in lower case right after another speaker's turn that
ended without a stop starts with the tail of that turn: the words up to the first punctuation within `TAIL_WORDS`
words, or a whole first sentence that is a question, are left out of the quote.

Cut late, the customer's first word ends the interviewer's turn ("… anyone outside the practice at" | "a dental
conference in October …"; "And the running costs. The" | "filter subscription invoice is confusing."). A turn
cannot end on an article, a possessive or a preposition with nothing after it, so where no tail is found those words
open the customer's sentence and the quote starts with them. A preposition stranded at the end of a wh-question ("what did you compare it
to") is the question's own, and a reply that opens with a response word ("yes", "well") begins its own sentence.
"""

from __future__ import annotations

import re

TAIL_WORDS = 4  # a cut that late is no tail: the customer's own sentence began in lower case
FINISHED = re.compile(r"[.!?…\"”)\]]\s*$")
TAIL = re.compile(r"^(?:\S+\s+){0,%d}?\S*?[,;:?!.](?=\s)\s+" % (TAIL_WORDS - 1))
QUESTION = re.compile(r"^[^.!?]*\?\s+")
ARTICLES = {"a", "an", "the", "my", "our", "your", "their"}  # never end a turn: the noun they point to follows
PREPOSITIONS = {"at", "for", "with", "from", "of", "about", "during", "into", "between", "to"}  # not particles that end a clause ("log in", "turn on")
WH_WORDS = {"what", "who", "whom", "which", "where", "when", "how"}  # "what did you compare it to": the preposition is the question's
REPLIES = {"yes", "yeah", "yep", "no", "nope", "well", "so", "oh", "um", "uh", "okay", "ok", "right", "sure", "mm", "hmm"}  # a reply's own first word
BORROWED_WORDS = 3  # "at the", "in our": a cut later than this is no cut


def own_words(text: str, before: str | None) -> str:
    """`text` from where its speaker's own words begin, given the turn before it by another speaker (None: no such
    turn). "then, [PERSON_4] sleeps through the night now." after "And since" → "[PERSON_4] sleeps through the night
    now."; "then? We moved." after "What happened" → "We moved."; "a dental conference in October …" after "… outside
    the practice at" → "At a dental conference in October …"; any other text as it is."""
    if before is None or FINISHED.search(before.strip()) or not text[:1].islower():
        return text
    found = QUESTION.match(text) or TAIL.match(text)
    if found:
        return _from(text, found.end())
    borrowed = _unfinished_end(before)
    if borrowed and text.split()[0].strip(",.").lower() not in REPLIES:
        return borrowed[:1].upper() + borrowed[1:] + " " + text
    return text


def _from(text: str, start: int) -> str:
    rest = text[start:]
    if not rest.strip():
        return text
    return rest[:1].upper() + rest[1:]


def _unfinished_end(before: str) -> str:
    """The words that end `before` without finishing it, after its last stop: "at" of "… outside the practice at",
    "The" of "And the running costs. The"; "" when it ends as a phrase can."""
    last = re.split(r"[.!?…]\s+", before.strip())[-1]
    words = last.split()
    opening = [w.lower().strip(",") for w in words[:2]]
    stranded_ok = not set(opening) & WH_WORDS  # "what did you …", "and who did you …"
    taken: list[str] = []
    for word in reversed(words[-BORROWED_WORDS:]):
        lower = word.lower()
        if lower in ARTICLES or (lower in PREPOSITIONS and stranded_ok):
            taken.insert(0, word)
        else:
            break
    if len(taken) == len(before.split()):  # the whole turn: no words of the speaker's own before them to tell a cut by
        return ""
    return " ".join(taken)
