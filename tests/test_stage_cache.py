"""The stages' groups and insights kept between builds in a process (`research.journey.stage_cache`): a filter built
again reuses them, and every decision that feeds a stage builds it afresh, into the map a build that keeps nothing makes."""

from __future__ import annotations

import json

import research.journey.build as build_module
from research.coding import decisions
from research.coding.stage import study_codebook
from research.journey import build_and_store, edits, stage_cache

FILTERS = {"segment": "Household"}


def content(journey) -> dict:
    data = json.loads(journey.model_dump_json())
    data.pop("built_at")
    return data


def built(study, book) -> dict:
    return content(build_and_store(study, book, FILTERS))


def afresh(study, book) -> dict:
    """The map of a build that keeps nothing from earlier builds."""
    stage_cache.clear()
    return built(study, book)


def test_a_filter_built_again_tells_no_stage_anew(mapped_copy, monkeypatch):
    book = study_codebook(mapped_copy)[0]
    first = afresh(mapped_copy, book)
    assert stage_cache.kept_bytes() > 0

    def no_telling(*args, **kwargs):
        raise AssertionError("a kept stage was grouped or told again")

    monkeypatch.setattr(build_module, "group_utterances", no_telling)
    monkeypatch.setattr(build_module, "make_insight", no_telling)
    journey = build_and_store(mapped_copy, book, FILTERS)
    assert content(journey) == first and any(stage["patterns"] for stage in first["stages"])
    next(i for lane in journey.stages for i in lane.patterns).quotes.clear()  # a reader's change to its map is not kept
    assert built(mapped_copy, book) == first


def _pattern(journey: dict) -> dict:
    return next(i for lane in journey["stages"] for i in lane["patterns"])


def _stage_coding(study, journey: dict) -> int:
    insight = _pattern(journey)
    return next(study.db.query("SELECT id FROM codings WHERE utterance_id = ? AND code_key = ? AND status != 'rejected'",
                               [insight["utterance_ids"][0], f"stage:{insight['stage']}"]))["id"]


def _reject(study, book, journey) -> None:
    decisions.decide(study.db, _stage_coding(study, journey), "rejected")


def _accept(study, book, journey) -> None:
    decisions.decide(study.db, _stage_coding(study, journey), "accepted")


def _recode(study, book, journey) -> None:
    stage = _pattern(journey)["stage"]
    other = next(c.id for c in next(g for g in book.groups if g.ordered).codes if c.id != stage)
    decisions.recode(study.db, _stage_coding(study, journey), f"stage:{other}")


def _rewrite(study, book, journey) -> None:
    insight = next(i for lane in build_and_store(study, book, FILTERS).stages for i in lane.patterns)
    edits.rename(study.db, insight, "The analyst's own words")


def _memo(study, book, journey) -> None:
    decisions.set_memo(study.db, _stage_coding(study, journey), "read again with the recording")


def _edit_text(study, book, journey) -> None:
    study.db.execute("UPDATE utterances SET text = text || ' It broke again the next week.' WHERE id = ?", [_pattern(journey)["utterance_ids"][0]])


def test_each_decision_builds_the_map_it_changes(mapped_copy):
    """One change after another, each built with the stages of the map before it kept: the map of a build that keeps nothing."""
    book = study_codebook(mapped_copy)[0]
    before = afresh(mapped_copy, book)
    for change in (_accept, _reject, _recode, _rewrite, _memo, _edit_text):
        change(mapped_copy, book, before)
        after = built(mapped_copy, book)
        assert after == afresh(mapped_copy, book), change.__name__
        assert after != before or change in (_accept, _memo), change.__name__  # accepting what was suggested places nothing anew; a memo feeds no map
        before = after


def test_a_changed_codebook_tells_its_stages_anew(mapped_copy):
    book = study_codebook(mapped_copy)[0]
    before = afresh(mapped_copy, book)
    renamed = book.model_copy(deep=True)
    stage = next(c for c in next(g for g in renamed.groups if g.ordered).codes if c.id == _pattern(before)["stage"])
    stage.name = "First contact"
    after = built(mapped_copy, renamed)
    assert after == afresh(mapped_copy, renamed) and after != before
    assert "First contact" in _pattern(after)["statement"]
