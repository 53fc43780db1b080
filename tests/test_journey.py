"""Themes and the journey map on the demo corpus: the scripted patterns and outliers come back,
themes are reproducible, filters work, every number drills down, and nothing identifying leaks."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from research.cli import cli
from research.coding.stage import study_codebook
from research.journey import MapBuilder, build_and_store, stored_map
from research.themes import run_themes


@pytest.fixture(scope="module")
def mapped(coded_demo):
    themes = run_themes(coded_demo)
    journey = build_and_store(coded_demo, study_codebook(coded_demo)[0])
    return coded_demo, themes, journey


def lane(journey, stage):
    return next(l for l in journey.stages if l.stage == stage)


def participant_of(study, interview_code: str, slot: str = "customer") -> str:
    return next(study.db.query("SELECT p.label FROM participants p JOIN interviews i ON i.id = p.interview_id WHERE i.code = ? AND p.slot = ?", [interview_code, slot]))["label"]


def test_themes_are_reproducible_and_linked_to_stages(mapped):
    study, first, _ = mapped
    members = sorted(study.db.query("SELECT t.label, m.utterance_id FROM theme_members m JOIN themes t ON t.id = m.theme_id"), key=lambda r: r["utterance_id"])
    second = run_themes(study)
    again = sorted(study.db.query("SELECT t.label, m.utterance_id FROM theme_members m JOIN themes t ON t.id = m.theme_id"), key=lambda r: r["utterance_id"])
    assert [(t.label, t.size) for t in first] == [(t.label, t.size) for t in second]
    assert members == again
    assert len(first) >= 3
    assert all(t.stage for t in first)
    wifi = [t for t in first if "wi-fi" in t.label or "pair" in t.label]
    assert wifi and wifi[0].stage == "adoption"
    quotes = json.loads(study.db["themes"].get(wifi[0].id)["quotes"])
    assert quotes and all(study.db["utterances"].get(q)["role"].startswith("customer") for q in quotes)


def test_map_recovers_the_scripted_patterns(mapped):
    _, _, journey = mapped
    adoption, retention = lane(journey, "adoption"), lane(journey, "retention")
    # Pattern 1: the Wi-Fi pairing pain at setup, shared by most participants.
    assert "touchpoint:app" in {i.key for i in adoption.patterns}
    assert "emotion:frustration" in {i.key for i in adoption.patterns}
    assert adoption.valence_mean < 0
    # Pattern 2: filter subscription billing confusion.
    assert "touchpoint:billing" in {i.key for i in retention.patterns}
    assert {"emotion:confusion", "silo:billing"} & {i.key for i in retention.patterns}
    # The biggest opportunity is the app setup.
    assert journey.opportunities[0].label.startswith("App and setup") and journey.opportunities[0].stage == "adoption"
    # Patterns are shared by at least 30% of participants and at least 2.
    for stage in journey.stages:
        assert all(i.participants >= max(2, 0.3 * journey.participants) for i in stage.patterns)


def test_map_recovers_the_scripted_outliers(mapped):
    study, _, journey = mapped
    cafe_owner = participant_of(study, "INT-005")  # rain-soaked delivery rescued by a store manager
    rescue = [o for o in lane(journey, "adoption").outliers if o.participant == cafe_owner and o.kind == "unique-experience"]
    assert {"Moment of delight", "Physical store", "Delivery and packaging"} & {o.label for o in rescue}
    gift_recipient = participant_of(study, "INT-007")  # never chose the product, then churned
    journey_of = next(j for j in journey.participants_journeys if j.participant == gift_recipient)
    assert journey_of.deviates and "decision" not in journey_of.stages
    assert any(o.participant == gift_recipient and o.kind == "deviating-participant" for o in lane(journey, "decision").outliers)


def test_every_number_drills_down_to_customer_utterances(mapped):
    study, _, journey = mapped
    customer = {r["id"] for r in study.db.query("SELECT id FROM utterances WHERE role LIKE 'customer%'")}
    for stage in journey.stages:
        assert set(stage.utterance_ids) <= customer and len(stage.utterance_ids) == stage.utterances
        for item in stage.touchpoints + stage.emotions + stage.patterns + stage.who + stage.when + stage.themes:
            assert item.utterance_ids and set(item.utterance_ids) <= set(stage.utterance_ids)
            assert len(item.utterance_ids) == item.utterances
        for quote in stage.quotes + stage.pain_points:
            assert quote.utterance_id in customer and quote.interview.startswith("INT-")


def test_five_ws_and_lanes_are_filled(mapped):
    _, _, journey = mapped
    discovery, adoption = lane(journey, "discovery"), lane(journey, "adoption")
    assert {"last summer", "a week later"} & {i.label for i in discovery.when}
    assert any("manager" in i.label for i in adoption.who)
    assert adoption.what and adoption.emotions and adoption.silos and adoption.channels
    assert any(lane(journey, s).tollgates for s in ("decision", "discovery"))
    assert sum(len(l.feedback_loops["closed"]) for l in journey.stages) >= 1
    steps = journey.saturation.steps
    assert len(steps) == 7 and steps[0].new_codes > 0 and all(s.new_codes >= 0 for s in steps)


def test_filters_narrow_the_cohort(mapped):
    study, _, journey = mapped
    codebook = study_codebook(study)[0]
    households = MapBuilder(study, codebook).build({"segment": "household"})
    assert households.participants == 4  # int-03, both voices of int-04, int-07
    assert households.participants < journey.participants
    parents = MapBuilder(study, codebook).build({"persona": "Health-conscious parent", "region": "Southwest"})
    assert parents.participants == 1
    with pytest.raises(Exception, match="unknown filter"):
        MapBuilder(study, codebook).build({"colour": "red"})


def test_map_is_stored_and_has_no_raw_names(mapped):
    study, _, journey = mapped
    assert stored_map(study).model_dump(exclude={"built_at"}) == journey.model_dump(exclude={"built_at"})
    text = json.dumps(stored_map(study).model_dump()).lower()
    for name in ("okafor", "margaret", "patel", "sofia", "reyes", "becker", "rahman", "novak", "brightwater", "copper kettle"):
        assert name not in text


def test_map_command_prints_and_filters(mapped):
    study, _, _ = mapped
    result = CliRunner().invoke(cli, ["--study", str(study.root), "map", "--segment", "Small business"])
    assert result.exit_code == 0, result.output
    assert "Adoption" in result.output and "filtered by" in result.output
    as_json = CliRunner().invoke(cli, ["--study", str(study.root), "map", "--json"])
    data = json.loads(as_json.output)
    assert data["schema_version"] == "1.0" and len(data["stages"]) == 5


def test_themes_on_a_tiny_study_say_why(study):
    result = CliRunner().invoke(cli, ["--study", str(study.root), "themes"])
    assert result.exit_code == 1
    assert "need at least 8 customer utterances" in result.output
