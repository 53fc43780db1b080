"""Feelings are read where they are said: an answer's parts carry their own emotion, a calm answer stays
neutral, and a barely confident step back in the journey is not placed."""

from __future__ import annotations

import numpy as np

from research.codebook import Code, CodeGroup
from research.coding.engine import CodingEngine
from research.coding.negation import Negated
from research.coding.negation import negated as read_negation
from research.coding.sentences import reports_others, split_parts
from research.coding.smoothing import smooth_ordered
from research.nlp import load_spacy

EMOTION = CodeGroup(id="emotion", name="Emotion", threshold=0.5, at_least_one=True, fallback="neutral", codes=[
    Code(id="frustration", name="Frustration", definition="Blocked goals.", valence=-0.6),
    Code(id="relief", name="Relief", definition="A worry goes away.", valence=0.5),
    Code(id="neutral", name="Neutral", definition="No clear feeling.", valence=0.0),
])


def parts(text: str) -> list[str]:
    return split_parts(load_spacy()(text))


def test_an_answer_that_feels_two_ways_splits_into_parts_about_each_thing():
    mixed = parts("Setup was easy. It paired with the studio Wi-Fi straight away. But on the high setting it is loud, nothing like the advert.")
    assert mixed == ["Setup was easy.", "It paired with the studio Wi-Fi straight away.", "But on the high setting it is loud, nothing like the advert."]
    coordinated = parts("Unboxing was lovely, but the app would not connect to our Wi-Fi!")
    assert coordinated == ["Unboxing was lovely.", "the app would not connect to our Wi-Fi!"]  # each part ends as a sentence does


def test_a_piece_too_short_to_say_anything_stays_with_the_part_before_it():
    assert parts("The app refused to pair with the router. Seriously.") == ["The app refused to pair with the router. Seriously."]
    assert parts("I was furious.") == ["I was furious."]
    assert parts("") == []
    assert parts("The savings pots were lovely while they lasted.") == ["The savings pots were lovely while they lasted."]  # was "… lovely they lasted."
    assert parts("The filter subscription is where it gets murky.") == ["The filter subscription is where it gets murky."]  # was "… is." + "where it gets murky."
    assert parts("That was when I gave up, and I cancelled the plan.") == ["That was when I gave up.", "I cancelled the plan."]


def test_a_part_that_tells_what_someone_else_said_carries_their_feeling_not_the_speakers():
    nlp = load_spacy()
    assert reports_others(nlp("A friend who runs a gym said she had one and loved it."))
    assert not reports_others(nlp("I told her it was worth every penny."))
    assert not reports_others(nlp("My staff found the app confusing."))


def test_neutral_wins_when_it_clears_the_threshold_and_beats_every_feeling():
    frustration, neutral = 0, 2  # column 1 is relief
    calm = np.array([0.38, 0.34, 0.51])  # "None at all. I scanned the code on the back and it connected first time."
    assert CodingEngine._multi(calm, EMOTION) == [neutral]
    close = np.array([0.38, 0.10, 0.30])  # nothing clears the threshold: the best feeling near it still wins
    assert CodingEngine._multi(close, EMOTION) == [frustration]
    felt = np.array([0.62, 0.10, 0.55])
    assert CodingEngine._multi(felt, EMOTION) == [frustration]


def test_a_barely_confident_step_back_between_two_later_stages_is_not_placed():
    adoption = np.array([0.02, 0.05, 0.9, 0.02, 0.01])
    back = np.array([0.38, 0.05, 0.25, 0.16, 0.11])  # discovery just over the threshold, told between two adoption answers
    assert smooth_ordered(np.stack([adoption, back, adoption]), np.full(3, 0.05), threshold=0.35) == [2, None, 2]
    sure = np.array([0.8, 0.05, 0.25, 0.05, 0.05])  # a clear flashback keeps its stage
    assert smooth_ordered(np.stack([adoption, sure, adoption]), np.full(3, 0.05), threshold=0.35) == [2, 0, 2]


def negated(text: str) -> Negated | None:
    return read_negation(load_spacy()(text))


def test_a_negation_is_read_as_said_without_it_and_what_is_said_outside_it():
    assert negated("It wasn't a hassle to switch.") == Negated("It was a hassle to switch.", "It was.")
    assert negated("Nobody gave me a hard time about the return.").affirmed == "Somebody gave me a hard time about the return."
    assert negated("They swapped it without any fuss.").affirmed == "They swapped it with some fuss."
    assert negated("I couldn't get through to anyone.").affirmed == "I could get through to someone."
    assert negated("The printer won't connect.").outside == "The printer will."
    assert negated("No problem at all.").outside == ""  # all of it is denied
    assert negated("But on the high setting it is loud, nothing like the advert.").outside == "But on the high setting it is loud."
    assert negated("No, it was fine.") is None  # an answer's "no" negates nothing in it
    assert negated("It connected first time.") is None


def test_a_negation_denies_a_core_read_from_the_parse():
    from research.coding.negation import Denial, denied

    def cores(text: str) -> list[Denial]:
        return denied(load_spacy()(text))

    assert cores("Nobody bothered to ring me back.") == [Denial("ring me back", False, owed=True, led=True, quantified=True)]  # a verb that only leads to another gives way; nobody acted
    assert cores("I couldn't get through to anyone for two days.") == [Denial("get through", False)]  # no adverbials
    assert cores("It wasn't a hassle to switch.") == [Denial("a hassle", False)]  # the copula's complement
    assert cores("There were no hidden fees on the statement.") == [Denial("hidden fees", False, state=True)]  # what there was not
    assert cores("Not once has the boiler let us down.") == [Denial("let us down", False)]  # a thing, not a person or firm, acting on the customer
    assert cores("I didn't have to chase anyone.") == [Denial("chase anyone", True, own=True)]  # an obligation lifted
    assert cores("The refund came through without me having to ask.") == [Denial("ask", True)]


def test_a_negation_tells_what_was_owed_by_its_grammar_and_the_speakers_own_acts_apart():
    from research.coding.negation import denied

    def owed(text: str) -> list[bool]:
        return [d.owed for d in denied(load_spacy()(text))]

    assert owed("They still haven't sent the invoice.") == [True]  # expected ("still", "yet", "even")
    assert owed("The surveyor hasn't replied yet.") == [True]
    assert owed("They didn't email us the forms.") == [True]  # a person's or firm's act that was to reach the customer
    assert owed("No one came to read the meter.") == [True]  # an act nobody did
    assert owed("The courier never came.") == [True]  # another's single act that never happened
    assert owed("The refund wasn't processed.") == [True]  # a thing left undone
    assert owed("We never received the card reader.") == [True]  # what was to reach the customer
    assert owed("We don't eat out much.") == [False] and owed("The heating doesn't come on before six.") == [False]
    assert [d.own for d in denied(load_spacy()("We don't eat out much."))] == [True]
    assert [d.own for d in denied(load_spacy()("I can't open the attachment."))] == [False]  # what the speaker could not do
    assert [d.state for d in denied(load_spacy()("The hotel doesn't have a pool."))] == [True]  # what something has
    assert [d.state for d in denied(load_spacy()("The move didn't change anything."))] == [True]  # no such event at all
    assert [d.state for d in denied(load_spacy()("The app doesn't save my settings."))] == [False]  # a thing failing the customer
    assert [d.state for d in denied(load_spacy()("The cabin has no wifi."))] == [True]  # what something has not
    assert [d.state for d in denied(load_spacy()("I had no reply from the agent."))] == [True]
    assert [d.state for d in denied(load_spacy()("They gave no reason."))] == [False]

    def quantified(text: str) -> list[bool]:
        return [d.quantified for d in denied(load_spacy()(text))]

    assert quantified("Nothing the vet gave us worked.") == [True] and quantified("Not one of the taxis turned up.") == [True]  # the subject of an act
    assert quantified("No letter arrived.") == [True] and quantified("Nobody was at the desk.") == [False]  # not of a state
    assert quantified("The vet didn't prescribe anything.") == [False]


def test_a_denied_negative_feeling_is_cleared_when_the_negation_denies_a_trouble_and_nothing_outside_it_is_negative():
    from research.coding.negation import Denials, denies_trouble, says_negation, without_negated

    negative, positive = np.array([True, False, False]), np.array([False, True, False])  # frustration, relief, neutral
    assert denies_trouble(np.array([0.6, 0.1, 0.3]), False, -0.2, negative, positive, 0.35)  # "a hassle" is felt negative
    assert not denies_trouble(np.array([0.1, 0.2, 0.6]), False, 0.3, negative, positive, 0.35)  # "arrived" is not
    assert denies_trouble(np.array([0.1, 0.2, 0.6]), True, 0.3, negative, positive, 0.35)  # "didn't have to wait"
    assert not denies_trouble(np.array([0.6, 0.1, 0.3]), False, 0.5, negative, positive, 0.35)  # "explain" reads confused, but said without "n't" the text feels much better
    read = np.array([[0.7, 0.1, 0.4], [0.6, 0.1, 0.3], [0.6, 0.1, 0.3], [0.3, 0.1, 0.5], [0.6, 0.1, 0.4]])  # "It wasn't a hassle", "The parcel never
    # arrived", "It is loud, nothing like the advert", "Nobody turned up", "We didn't take the insurance"
    owed, own = np.array([False, True, False, True, False]), np.array([False, False, False, False, True])
    affirmed = np.array([[0.8, 0.0, 0.2], [0.1, 0.0, 0.8], [0.7, 0.0, 0.3], [0.1, 0.1, 0.8], [0.1, 0.3, 0.6]])
    outside = np.array([[0.1, 0.0, 0.8], [0.2, 0.0, 0.7], [0.6, 0.0, 0.3], [0.0, 0.0, 0.0], [0.1, 0.0, 0.8]])
    denial = Denials(np.array([True, False, True, False, False]), owed, own, affirmed, outside)
    none = np.zeros_like(read, dtype=bool)
    read_so = without_negated(read, denial, negative, positive, 2, 0.35, 0.5, none)
    assert read_so[:, 0].tolist() == [0.0, 0.6, 0.6, 0.5, 0.1]  # cleared; kept; kept (negative outside); felt; no worse than said without "n't"
    assert read_so[3, 2] == 0.5 and (read_so[owed, 1] == 0.0).all() and (read_so[~owed, 1] == read[~owed, 1]).all()  # the fallback no higher than what
    # was owed; nothing good felt inside what was owed
    keyword = none.copy()
    keyword[0, 0] = keyword[4, 0] = True  # the codebook's own negated keyword ("don't know" for confusion) says what the negation means
    assert without_negated(read, denial, negative, positive, 2, 0.35, 0.5, keyword)[[0, 4], 0].tolist() == [0.7, 0.6]
    hoped = np.array([[0.3, 0.5, 0.4], [0.3, 0.5, 0.4]])  # "Nothing they tried fixed it" ("fixed" reads relieved), "Thanks, though nobody told me"
    denial = Denials(np.array([False, False]), np.array([True, True]), np.array([False, False]), np.array([[0.1, 0.5, 0.4]] * 2), np.array([[0.0, 0.0, 0.0], [0.0, 0.6, 0.3]]))
    read_so = without_negated(hoped, denial, negative, positive, 2, 0.35, 0.5, np.zeros_like(hoped, dtype=bool))
    assert read_so[0].tolist() == [0.5, 0.0, 0.4] and read_so[1].tolist() == hoped[1].tolist()  # the good denied with it; said outside it, kept
    assert says_negation("don't know") and says_negation("cannot tell") and says_negation("no idea") and not says_negation("make sense")


def test_a_part_is_neutral_when_neutral_leads_its_faint_feeling_unless_its_answer_feels_that_way():
    frustration, neutral = 0, 2
    one_keyword = np.array([0.42, 0.05, 0.76])  # "I tried the blue one first."
    assert CodingEngine._multi(one_keyword, EMOTION, faintest=True, neutral_margin=0.1) == [neutral]
    assert CodingEngine._multi(one_keyword, EMOTION, faintest=True, neutral_margin=np.inf) == [frustration]  # a frustrated answer around it
    close = np.array([0.42, 0.05, 0.48])
    assert CodingEngine._multi(close, EMOTION, faintest=True, neutral_margin=0.1) == [frustration]
