"""The 5 W's "what": activities as a verb with a noun chunk that says something, never stop-word fragments."""

from __future__ import annotations

from research.fivews import extract_five_ws

SPOKEN = [
    "We have a, uh, a meeting every Monday.",
    "You know, I have a.",
    "I want to have a, um.",
    "We got a few.",
    "I had the same.",
    "So there was a lot of noise at first.",
    "It came up again last week.",
    "I looked into it.",
    "Well, we do have a, you know, kind of a budget.",
    "We set it up in the kitchen.",
    "I paid for it with my card.",
]


def test_what_is_a_verb_with_a_content_noun_phrase():
    from research.nlp import load_spacy

    found = extract_five_ws(dict(enumerate(SPOKEN)))
    what = {SPOKEN[n]: ws.what for n, ws in found.items()}
    assert what["We have a, uh, a meeting every Monday."] == ["have a meeting"]  # the filler and the false start are left out
    assert what["Well, we do have a, you know, kind of a budget."] == ["have a budget"]
    assert what["We set it up in the kitchen."] == ["set up in the kitchen"]
    assert what["I paid for it with my card."] == ["pay with their card"]
    for text in SPOKEN[1:8]:  # a determiner, a quantity, a state or a pronoun is no activity
        assert what[text] == [], text
    stop = load_spacy().Defaults.stop_words
    for phrase in (p for phrases in what.values() for p in phrases):
        words = phrase.split()
        assert len(words) >= 2 and words[-1].strip(".,").lower() not in stop and words[0] != "be", phrase


def test_placeholders_are_no_w_and_names_keep_their_capitals():
    found = extract_five_ws({0: "I emailed them from [EMAIL_2] and called on [PHONE_1].", 1: "In October I saw it on LinkedIn."})
    assert found[0].what == [] and not any("EMAIL" in w or "PHONE" in w for ws in found.values() for w in ws.what + ws.where)
    assert found[1].when == ["October"] and "LinkedIn" in found[1].where


PLACES = {
    "It started last summer with the Wildfire Smoke.": [],  # spaCy labels it a place: no preposition of place, an article
    "We moved to Denver in March.": ["Denver"],
    "Patients were coughing in the waiting room.": ["waiting room"],
    "The app refused to pair with the router.": [],  # a thing the sentence is about, not where it happened
    "I posted about it in our neighbourhood Facebook group.": ["neighbourhood Facebook group"],
    "The store manager called me back.": [],
    "We met them at a trade fair.": ["trade fair"],
    "Paying by cheque felt like living in the Middle Ages.": [],  # spaCy labels a period of history a place
}


def test_where_is_a_place_named_or_after_a_preposition_of_place():
    found = extract_five_ws(dict(enumerate(PLACES)))
    assert {text: ws.where for text, ws in zip(PLACES, found.values())} == PLACES


def test_when_is_a_point_in_time_and_who_a_person():
    texts = ["I waited on hold for an hour.", "It took six weeks.", "A week later the box arrived.", "Last spring the store manager called me.", "I spent a whole evening on it."]
    found = list(extract_five_ws(dict(enumerate(texts))).values())
    assert [ws.when for ws in found] == [[], [], ["a week later"], ["last spring"], []]  # a duration says how long, not when
    assert found[3].who == ["the store manager"] and all(ws.who == [] for ws in found[:3])
