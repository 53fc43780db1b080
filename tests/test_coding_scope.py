"""Outside the journey is a real outcome: logistics and weak utterances get no stage, smoothing never
lifts a stage over its threshold, and `journey_scope` follows the researcher's decisions."""

from __future__ import annotations

import re

import numpy as np
import pytest

from research.coding.scope import journey_scope
from research.coding.smoothing import smooth_ordered

INTRODUCTION = re.compile(r"\b(i'm|my name is) \[participant \d+\]")  # near the start of the answer
THANKS_OR_CONSENT = ("thank you for having me", "thanks for having me", "you can record", "happy to help")


def test_smoothing_never_lifts_a_weak_stage_over_its_threshold():
    confident = np.array([0.9, 0.05, 0.02, 0.02, 0.01])
    weak = np.array([0.30, 0.25, 0.20, 0.05, 0.05])  # nothing reaches 0.35
    path = smooth_ordered(np.stack([confident, confident, weak, confident]), np.full(4, 0.05), threshold=0.35)
    assert path == [0, 0, None, 0]
    unsure = np.array([0.05, 0.36, 0.40, 0.05, 0.05])  # both reach the threshold: the neighbours may choose
    assert smooth_ordered(np.stack([confident * 0 + [0.05, 0.9, 0.02, 0.02, 0.01], unsure]), np.full(2, 0.05), threshold=0.35) == [1, 1]


def test_on_the_demo_no_introduction_consent_or_thanks_has_a_stage(coded_demo):
    db = coded_demo.db
    scopes = journey_scope(db)
    customer = {r["id"]: r["text"] for r in db.query("SELECT id, text FROM utterances WHERE role LIKE 'customer%'")}
    assert set(scopes) == set(customer)
    staged = {r["utterance_id"] for r in db.query("SELECT utterance_id FROM codings WHERE code_key LIKE 'stage:%' AND status != 'rejected'")}
    logistics = [u for u, text in customer.items() if INTRODUCTION.search(text.lower()[:40]) or any(p in text.lower() for p in THANKS_OR_CONSENT)]
    assert len(logistics) >= 5  # every demo interview opens with an introduction
    assert not [customer[u] for u in logistics if u in staged]
    assert all(scopes[u] == "logistics" for u in logistics), [customer[u] for u in logistics if scopes[u] != "logistics"]
    assert {u for u, s in scopes.items() if s == "journey"} == staged  # the contract: journey iff a stage coding
    signals = list(db.query("SELECT c.code_key FROM codings c JOIN utterance_scope s USING (utterance_id) WHERE s.scope = 'logistics' AND c.code_key NOT LIKE 'emotion:%'"))
    assert not signals  # logistics keep only their emotion
    assert sum(s == "journey" for s in scopes.values()) >= 0.75 * len(customer)


def test_no_stage_is_suggested_below_its_threshold_between_strong_neighbours(engine_full):
    from research.coding.engine import Turn
    from research.embeddings import embed

    texts = ["How did you first hear about the product?", "I saw an advert for it on the bus and looked it up that night.",
             "And then?", "We went to the park on Sunday, the weather was nice.",
             "And the setup?", "Setting it up took the whole afternoon because the app would not connect."]
    turns = [Turn(n, "interviewer" if n % 2 == 0 else "customer", text) for n, text in enumerate(texts)]
    coded = engine_full.code_turns(turns, embed(texts))
    stages = {s.turn_id: s.code_key for s in coded.suggestions if s.code_key.startswith("stage:")}
    assert stages.get(1) == "stage:discovery" and stages.get(5) == "stage:adoption"
    assert all(s.confidence >= 0.35 for s in coded.suggestions if s.code_key.startswith("stage:"))  # weak ones stay outside
    assert {t for t, scope in coded.scopes.items() if scope.scope == "journey"} == set(stages)


def test_journey_scope_follows_the_researchers_decisions(coded_copy):
    from research.coding.decisions import add_coding, decide

    db = coded_copy.db
    scopes = journey_scope(db)
    on = next(u for u, s in scopes.items() if s == "journey")
    off = next(u for u, s in scopes.items() if s != "journey")
    for row in db.query("SELECT id FROM codings WHERE utterance_id = ? AND code_key LIKE 'stage:%'", [on]):
        decide(db, row["id"], "rejected")
    add_coding(db, off, "stage:retention")
    after = journey_scope(db)
    assert after[on] == "weak" and after[off] == "journey"


def test_real_speech_about_something_else_is_weak_not_logistics(engine_full, shared_data):
    """A speech (JFK) and a book read aloud (LJ Speech) are about something: if no stage places them they are
    weak. The stage classifier's "outside" class alone called JFK and three book passages logistics."""
    import csv

    from research.coding.engine import Turn
    from research.embeddings import embed

    jfk = next(r["reference_text"] for r in csv.DictReader((shared_data / "asr-faster-whisper-jfk" / "references.tsv").open(), delimiter="\t") if r["file"] == "jfk.flac")
    book = [r["text_normalized"] for r in csv.DictReader((shared_data / "asr-ljspeech" / "transcripts.tsv").open(), delimiter="\t")]
    for text in [jfk, *book]:
        scope = engine_full.code_turns([Turn(0, "customer", text)], embed([text])).scopes[0]
        assert scope.scope != "logistics", text
    talk = ["Hello, yes, I can hear you fine now.", "Sure, I'm happy for you to record the call.", "Okay, I think that covers it, thanks very much."]
    scopes = [engine_full.code_turns([Turn(0, "customer", text)], embed([text])).scopes[0].scope for text in talk]
    assert scopes == ["logistics"] * len(talk)  # interview logistics the codebook does not list stay logistics


SELF_INTRODUCTIONS = [  # each with background whose words lean to a stage (signature, budget, contracts, which kit to buy)
    "Hi, I'm [Participant 1]. I head procurement at [Company 1], so every contract above fifty thousand needs my signature.",
    "Sure. My name is [Participant 2], I'm a landlord with four flats, and I'm the one tenants ring when the boiler stops.",
    "I'm [Participant 3], and I look after the budget for our family, so I compare every bill we pay.",
    "And I'm [Participant 4], his wife. I'm the one who actually reads the contracts before we sign anything.",
    "Hello, I'm Dana Whitfield. I manage three dental clinics and approve what we buy for them.",
    "Of course. I'm [PERSON_1], I coach a youth football team, and parents always ask me which kit to buy.",
]


def test_a_self_introduction_is_interview_logistics_not_an_unplaced_journey_answer(engine_full):
    """A speaker who gives their name and says who they are is introducing themself: background, set apart as
    logistics, even where their role's words lean to a stage that smoothing does not confirm (the old scope
    called three of these six "with no clear stage"). The answers after it stay on the journey."""
    from research.coding.engine import Turn
    from research.embeddings import embed

    after = ["How did you first come across us?", "A colleague mentioned your service at a trade fair, and I looked at the website that evening.",
             "And how did you decide?", "We compared three quotes, and yours had the clearest pricing, so we signed within a week."]
    for intro in SELF_INTRODUCTIONS:
        texts = ["Could you tell me a bit about yourself?", intro, *after]
        turns = [Turn(n, "interviewer" if n % 2 == 0 else "customer", text) for n, text in enumerate(texts)]
        coded = engine_full.code_turns(turns, embed(texts))
        assert {t: s.scope for t, s in coded.scopes.items()} == {1: "logistics", 3: "journey", 5: "journey"}, intro
        assert not [s for s in coded.suggestions if s.turn_id == 1 and not s.code_key.startswith("emotion:")]  # logistics keep only their emotion


def test_a_question_to_the_interviewer_is_interview_logistics_not_journey_evidence(engine_full):
    """"Can I ask what you do with this?" is about the interview: no stage, only its emotion; the answers around it
    stay on the journey. A customer's own rhetorical question or one told inside a story is not the interviewer's."""
    from research.coding.asides import asks_the_interviewer, only_asks_the_interviewer
    from research.coding.engine import Turn
    from research.embeddings import embed

    texts = ["How did you decide?", "We compared three quotes, and yours had the clearest pricing, so we signed within a week.",
             "And how has the billing been since?", "Sorry, can I ask what you do with this? Is that what you mean?",
             "I mean the invoices.", "The invoice lists a service fee and nobody could tell me what it was for."]
    turns = [Turn(n, "interviewer" if n % 2 == 0 else "customer", text) for n, text in enumerate(texts)]
    coded = engine_full.code_turns(turns, embed(texts))
    assert {t: s.scope for t, s in coded.scopes.items()} == {1: "journey", 3: "logistics", 5: "journey"}
    assert not [s for s in coded.suggestions if s.turn_id == 3 and not s.code_key.startswith("emotion:")]
    assert only_asks_the_interviewer("Cheers. Do you need me to sign anything for the voucher? No? Okay, lovely.")
    assert not only_asks_the_interviewer("They charged me twice. Is that normal?")  # the complaint is evidence; the question in it is not
    assert asks_the_interviewer("Is that normal?") and not asks_the_interviewer("Why would I pay twice for one filter?")
    assert not asks_the_interviewer("I asked them why the price went up.")
    assert only_asks_the_interviewer("Thank you. Oh, is the report going to be anonymous? Okay, good.")  # a yes-or-no question about now
    assert not only_asks_the_interviewer("Was it worth it? Absolutely.")  # told in the past: the customer asks themself


def test_only_a_speaker_naming_themself_reads_as_a_self_introduction():
    from research.coding.introductions import introduces_self

    assert all(introduces_self(text) for text in SELF_INTRODUCTIONS)
    assert introduces_self("That's fine. I'm [Participant 8], retired, and you can call me on [PHONE_1].")
    not_naming = ["I'm sure the second invoice was a mistake.", "I'm the one who deals with suppliers.", "I think I'm [PERSON_2]'s favourite client.",
                  "Then I am Happy to pay more for it.", "My name was on the wrong contract.", "Honestly I'm not sure we would buy it again."]
    assert not [text for text in not_naming if introduces_self(text)]


def test_the_logistics_floor_is_set_on_the_codebook(engine_full):
    """Held out, most of the codebook's outside examples resemble the rest; most of its stage examples do not."""
    from research.coding.scope import LogisticsLikeness

    group = engine_full.codebook.groups[0]
    outside = engine_full.prototypes.examples[f"{group.id}:"]
    content = np.concatenate([engine_full.prototypes.examples[f"{group.id}:{code.id}"] for code in group.codes])
    likeness = engine_full.logistics
    assert likeness is not None and 0 < likeness.floor < 1
    assert likeness.resembles(content).mean() <= 0.15
    refit = LogisticsLikeness.fit(outside, outside, content)  # each held out from the others
    held_out = np.array([LogisticsLikeness(np.delete(outside, n, axis=0), refit.floor).resembles(outside[n : n + 1])[0] for n in range(len(outside))])
    assert held_out.mean() >= 0.85
    assert LogisticsLikeness.fit(outside[:1], outside[:1], content) is None  # one example cannot be held out


@pytest.fixture(scope="module")
def engine_full():
    from research import codebook as codebooks
    from research.coding.engine import CodingEngine
    from research.coding.rules import RuleMatcher
    from research.nlp import load_spacy

    book = codebooks.load(codebooks.resolve("cx-journey"))
    return CodingEngine(book, RuleMatcher(book, load_spacy(("parser", "ner"))))


def test_scope_summary_counts_what_is_on_and_off_the_journey():
    from sqlite_utils import Database

    from research.coding.scope import TurnScope, save_scopes, scope_summary
    from research.store import migrations

    db = Database(memory=True)
    migrations.apply(db)
    assert scope_summary(db) == "No customer utterances coded yet."
    db["interviews"].insert({"id": 1, "code": "INT-001", "sha256": "0" * 64, "added_at": "t"}, alter=True)
    for n in range(1, 5):
        db["utterances"].insert({"id": n, "interview_id": 1, "idx": n, "role": "customer", "text": f"turn {n}"}, alter=True)
    db["codings"].insert({"utterance_id": 1, "code_key": "stage:adoption", "source": "model", "confidence": 0.8, "status": "suggested", "created_at": "t", "updated_at": "t"})
    save_scopes(db, [1, 2, 3, 4], {1: TurnScope("journey", 0.8), 2: TurnScope("logistics", 0.7), 3: TurnScope("weak", 0.2), 4: TurnScope("journey", 0.6)})
    db["codings"].insert({"utterance_id": 4, "code_key": "stage:retention", "source": "model", "confidence": 0.6, "status": "rejected", "created_at": "t", "updated_at": "t"})
    assert journey_scope(db) == {1: "journey", 2: "logistics", 3: "weak", 4: "weak"}
    assert scope_summary(db) == "On the journey: 1 of 4 customer utterances; outside it: 2 with no clear stage, 1 interview logistics."


def test_the_cli_and_the_map_name_what_is_off_the_journey_in_the_same_words(coded_copy):
    """`research code` prints the same reasons, in the same words, as the map's coverage line (every format
    and the review app show that line); a researcher's rejected stage is counted as no clear stage in both."""
    from research.coding.decisions import decide
    from research.coding.scope import OUTSIDE_WORDS, scope_summary
    from research.coding.stage import study_codebook
    from research.journey import build_and_store

    db = coded_copy.db
    on = next(r["id"] for r in db.query("SELECT id FROM codings WHERE code_key LIKE 'stage:%' AND status != 'rejected'"))
    decide(db, on, "rejected")
    line = build_and_store(coded_copy, study_codebook(coded_copy)[0]).coverage.line
    summary = scope_summary(db)
    assert line.split("; outside it: ")[1] == summary.split("; outside it: ")[1].rstrip(".")
    assert OUTSIDE_WORDS["weak"] in line and "journey" not in line.split("; outside it: ")[1]  # the rejected one is not "1 journey"
    assert "below every" not in summary
