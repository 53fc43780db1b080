"""The map tells the interviews' story: a pain shared across stages is one pattern, and a count claims only who says it.

Sentences here are written for these tests (a gym, a parcel, a bank), never taken from a data set.
"""

from __future__ import annotations

import numpy as np
import pytest

from research.journey.evidence import Part, Utterance
from research.journey.model import Insight, reach_words
from research.journey.pain_kinds import kinds_of, recurring_pains

STAGES = {"discovery": "Discovery", "decision": "Decision", "adoption": "Adoption", "retention": "Retention"}


@pytest.mark.parametrize("text, expected", [
    ("We waited three weeks and nobody told us why.", ["waiting", "no-information"]),
    ("I didn't have to wait at all.", []),
    ("The parcel never arrived.", ["failure"]),
    ("They charged us twice for the same month.", ["cost"]),
    ("I had to ring them four times to get it sorted.", ["effort"]),
    ("The man at the counter was really dismissive.", ["staff"]),
    ("We heard nothing from the branch for a month.", ["no-information"]),
    ("It was not expensive, honestly.", []),
])
def test_the_kind_of_problem_is_read_from_what_went_wrong_and_its_denials(text, expected):
    assert kinds_of(text) == expected


def test_a_problem_supposed_in_the_sentence_a_part_was_split_from_is_none():
    """Coding splits "… tell them to ring the gym if the booking fails." after "if": the part alone reads as a failure."""
    assert kinds_of("the booking fails.") == ["failure"]
    assert kinds_of("the booking fails.", before="I tell friends to ring the gym if ") == []
    assert kinds_of("the booking failed again.", before="I rang them, and ") == ["failure"]


def _answer(n: int, who: int, stage: str | None, text: str, valence: float) -> Utterance:
    felt = frozenset({"negative"} if valence < 0 else {"positive"} if valence > 0 else set())
    return Utterance(n, f"INT-00{who}", who, f"Participant {who}", None, float(n), text, codes={f"stage:{stage}"} if stage else set(),
                     valence=valence, felt=felt, parts=[Part(text, valence, felt)])


def test_a_pain_told_at_several_stages_is_one_recurring_pain_with_a_quote_from_each():
    """Waiting is told at Decision by two people and at Retention by a third: one recurring pain of 3 of 4, quoted at
    both stages by different people. A calm "no waiting" and one person's rude clerk at one stage are none."""
    told = [_answer(1, 1, "decision", "The valuation took weeks and we were just waiting.", -0.6),
            _answer(2, 2, "decision", "The approval was delayed twice without a reason.", -0.5),
            _answer(3, 3, "retention", "The refund is still not through, I'm waiting on it.", -0.7),
            _answer(4, 4, "adoption", "There was no waiting at all, it was smooth.", 0.6),
            _answer(5, 4, "retention", "The clerk was rude to me.", -0.8)]
    pains = recurring_pains(told, STAGES, cohort=4, needed=2)
    assert [p.kind for p in pains] == ["waiting"]
    waiting = pains[0]
    assert waiting.participants == 3 and [p.name for p in waiting.places] == ["Decision", "Retention"]
    assert [p.participants for p in waiting.places] == [2, 1] and waiting.utterance_ids == [1, 2, 3]
    assert waiting.statement == "Waiting and delays — 3 of 4 participants, at Decision (2) and Retention (1)"
    assert recurring_pains(told[:2], STAGES, cohort=4, needed=2) == []  # one stage only: the stage's own insights tell it


def test_a_recurring_pain_counts_talk_the_map_could_not_place():
    told = [_answer(1, 1, "decision", "Nobody told us what was happening with the application.", -0.6),
            _answer(2, 2, None, "We never heard back from them about the survey date.", -0.5)]
    pains = recurring_pains(told, STAGES, cohort=2, needed=2)
    assert [(p.stage, p.name) for p in pains[0].places] == [("decision", "Decision"), (None, "Outside the stages")]
    assert pains[0].reach.endswith("at Decision (1) and outside the stages (1)")


@pytest.mark.parametrize("trust", [frozenset(), frozenset({"emotion:trust"})])
def test_a_headline_that_says_what_something_has_claims_only_who_says_it_has_that(trust):
    """The demo's "The Aeropure had the best filter rating — 3 of 8, trust" counted a participant whom a supplier they
    trust recommended it: a light verb's clause has no verb to compare, and a felt headline was matched on the feeling
    alone. What it says something has ("=timetable" here) must be said by each participant it counts, felt or not."""
    from research.journey.claims import Said, claim, verbs_of
    from research.nlp import load_spacy

    texts = ["The new gym had the best class timetable in town.", "It had the best timetable I could find, so I joined.",
             "A friend I trust recommended the new gym to me."]
    verbs = verbs_of(list(load_spacy().pipe(texts)))
    assert verbs[0] == {"=timetable"} and "recommend" in verbs[2]
    same = np.ones(4, dtype=np.float32) / 2  # as close as sentences can be: only what they say tells them apart
    said = [Said(f"Participant {n}", text, same, 1 if trust else 0, trust, v) for n, (text, v) in enumerate(zip(texts, verbs), start=1)]
    found = claim(said, [0], floor=0.4)
    assert found.claimed == {"Participant 1", "Participant 2"} and found.related == {"Participant 3"}


def test_a_statement_and_every_export_say_the_reach_in_the_same_words():
    """make_insight and the exports once each wrote "n of N participants and k more on …"; both use reach_words now."""
    from research.export import wording

    assert reach_words(3, 8, 4, "Billing") == "3 of 8 participants and 4 more on Billing"
    assert reach_words(1, 1) == "1 of 1 participant" and reach_words(2, 5, 1) == "2 of 5 participants and 1 more on a related point"
    insight = Insight(key="k", stage="retention", statement="x — 3 of 8 participants and 4 more on Billing, Retention", headline="x", participants=3, cohort=8,
                      personas=[], touchpoints=[], emotion=None, polarity="pain", valence=-0.5, intensity=0.5, theme=None, quotes=[], utterance_ids=[1],
                      related=4, related_about="Billing")
    assert wording.claim_with_reach(insight) == "x — 3 of 8 participants and 4 more on Billing"
    assert wording.count(insight) == "3 of 8 participants"


def test_a_recurring_pain_is_an_opportunity_worded_from_its_kind_and_places_and_ranked_with_the_others():
    """A kind of problem told at several stages made no "How might we": now its kind's goal at the places it is told,
    ranked by the same reach × intensity × evidence as a stage's pain (3 of 4 here outranks 2 of 4 on thin evidence)."""
    from research.journey.opportunities import across, rank

    told = [_answer(1, 1, "decision", "The valuation took weeks and we were just waiting.", -0.6),
            _answer(2, 2, "decision", "The approval was delayed twice without a reason.", -0.5),
            _answer(3, 3, None, "The refund is still not through, I'm waiting on it.", -0.7)]
    pain = recurring_pains(told, STAGES, cohort=4, needed=2)[0]
    lone = Insight(key="adoption:1", stage="adoption", statement="The app crashed — 2 of 4 participants", headline="The app crashed", participants=2, cohort=4,
                   personas=[], touchpoints=["App"], emotion="frustration", polarity="pain", valence=-0.9, intensity=0.9, theme=None, quotes=[], utterance_ids=[9])
    ranked = rank([lone], {}, {9: "Participant 4"}, 4, {9: {"App"}}, (), [pain])
    assert [o.statement for o in ranked] == ["How might we cut the waiting customers go through at Decision and elsewhere?",
                                             "How might we make app work for customers without frustration?"]
    assert ranked[0] == across(pain, 4) and ranked[0].places == ["Decision", "outside the stages"] and ranked[0].stage == ""
    assert ranked[0].score == round(3 / 4 * pain.intensity * 1.0, 4) and pain.intensity == 0.6


def test_a_sentence_is_quoted_under_the_one_kind_it_states_most_directly():
    """Waiting and no news often tell the same answer: "We waited three weeks and nobody told us why" counts for both,
    but is quoted under waiting only (its main verb); the no-news pain quotes another participant at Decision."""
    told = [_answer(1, 1, "decision", "We waited three weeks and nobody told us why.", -0.7),
            _answer(2, 2, "retention", "I waited on hold for an hour.", -0.6),
            _answer(3, 3, "retention", "Nobody rang to tell us the date had moved.", -0.5),
            _answer(4, 4, "decision", "Nobody explained the new rules to us.", -0.4)]
    pains = {p.kind: p for p in recurring_pains(told, STAGES, cohort=4, needed=2)}
    assert pains["no-information"].participants == 3 and pains["waiting"].participants == 2
    quoted = [(pain.kind, place.quote.text) for pain in pains.values() for place in pain.places]
    assert len({text for _, text in quoted}) == len(quoted)
    assert ("no-information", "Nobody explained the new rules to us.") in quoted and ("waiting", "We waited three weeks and nobody told us why.") in quoted


def test_a_codebook_names_its_own_kinds_of_problem_and_a_denial_of_ones_own_act_is_none():
    from research.codebook import PainKind

    outage = [PainKind(id="outage", name="Outages", goal="keep the service running", cues=["outage", "went down"], due=["restore", "reconnected"])]
    assert kinds_of("The broadband went down for two days.", kinds=outage) == ["outage"]
    assert kinds_of("They never restored the line.", kinds=outage) == ["outage"]
    assert kinds_of("They never reconnected the line.", kinds=outage) == ["outage"]  # spaCy's lemma is "reconnecte": matched as written
    assert kinds_of("There was no outage this year.", kinds=outage) == []
    assert kinds_of("I didn't know where to start.") == [] and kinds_of("Nobody knew where the parcel was.") == ["no-information"]


def test_a_word_a_codebook_adds_to_a_bundled_kind_is_read_as_that_kind():
    from research.codebook import PainKindsAdded, default_pain_kinds

    jargon = PainKindsAdded(extends="default", extra_cues={"waiting": ["parked"]}).over(default_pain_kinds())
    assert kinds_of("They parked my case for a month.") == []
    assert kinds_of("They parked my case for a month.", kinds=jargon) == ["waiting"]
    assert kinds_of("We waited a week.", kinds=jargon) == ["waiting"]


def test_the_b2b_codebook_keeps_the_bundled_kinds_and_tells_them_in_a_buying_journeys_words():
    from research.codebook import default_pain_kinds, load, pain_kinds_of, resolve

    b2b = pain_kinds_of(load(resolve("b2b-buying")))
    assert [k.id for k in b2b] == [k.id for k in default_pain_kinds()]
    assert kinds_of("The contract was stuck with legal over one clause.", kinds=b2b) == ["waiting"]
    assert kinds_of("The contract was stuck with legal over one clause.") == []
    assert kinds_of("After the demo the vendor went quiet for a month.", kinds=b2b) == ["no-information"]
    assert kinds_of("We never had any downtime.", kinds=b2b) == []  # denied, as the bundled cues are

