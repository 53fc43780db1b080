"""The review order (`research.coding.review_order`): the open stage suggestion that most needs the researcher,
the study's queue of them, and the review app's `N` key (dashboard and transcript) and `research queue` that show it."""

from __future__ import annotations

import numpy as np

from click.testing import CliRunner

from research.cli import cli
from research.timecode import clock
from research.coding.review_order import most_needed, next_needed, review_order
from tests.test_tui_review import markup_study, until  # noqa: F401 (a fixture: the small hand-built study)
from tui.app import ResearchApp
from tui.screens.dashboard import DashboardScreen
from tui.screens.transcript import TranscriptScreen

NOTHING_KNOWN = np.zeros((0, 3))


def unit(*rows: list[float]) -> np.ndarray:
    vectors = np.array(rows, dtype=float)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_the_least_certain_suggestion_comes_first():
    vectors = unit([1, 0, 0], [0, 1, 0], [0, 0, 1])
    assert review_order(np.array([0.9, 0.4, 0.6]), vectors, ["stage:a"] * 3, NOTHING_KNOWN, []) == [1, 2, 0]


def test_a_near_duplicate_of_one_asked_or_decided_waits_behind_a_different_one():
    vectors = unit([1, 0, 0], [1, 0.01, 0], [0, 0, 1])
    assert review_order(np.array([0.40, 0.41, 0.6]), vectors, ["stage:a"] * 3, NOTHING_KNOWN, []) == [0, 2, 1]
    decided = unit([0, 0.01, 1])  # the third's twin was already decided
    assert review_order(np.array([0.40, 0.6, 0.55]), unit([1, 0, 0], [0, 1, 0], [0, 0, 1]), ["stage:a"] * 3, decided, ["stage:a"]) == [0, 1, 2]


def test_every_suggested_stage_is_asked_about_in_turn():
    vectors = unit([1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0])
    codes = ["stage:decision", "stage:decision", "stage:decision", "stage:advocacy"]
    order = review_order(np.array([0.3, 0.35, 0.4, 0.95]), vectors, codes, NOTHING_KNOWN, [])
    assert order[:2] == [0, 3] and sorted(order) == [0, 1, 2, 3]
    assert review_order(np.array([0.3, 0.35, 0.4, 0.95]), vectors, codes, NOTHING_KNOWN, ["stage:advocacy"], count=2) == [0, 1]  # advocacy was asked already


def _embedded(study, confidence: dict[str, float]) -> None:
    """Embeddings for every utterance of the hand-built study, and new confidences for its stage suggestions."""
    db, model = study.db, study.config.coding.embedding_model
    rng = np.random.default_rng(0)
    for row in list(db.query("SELECT id FROM utterances")):
        vector = rng.normal(size=384).astype(np.float32)
        db["utterance_embeddings"].insert({"utterance_id": row["id"], "model": model, "text_hash": "x", "vector": (vector / np.linalg.norm(vector)).tobytes()})
    for key, value in confidence.items():
        db.execute("UPDATE codings SET confidence = ? WHERE code_key = ?", [value, key])
    db.conn.commit()


def test_most_needed_lists_open_stage_suggestions_of_one_interview_least_certain_first(markup_study):
    _embedded(markup_study, {"stage:adoption": 0.81, "stage:advocacy": 0.5})
    needed = most_needed(markup_study.db, markup_study.config.coding.embedding_model, "INT-001")
    assert [n.code_key for n in needed] == ["stage:advocacy", "stage:adoption"]  # no emotion, nothing decided, none of INT-002
    texts = [markup_study.db["utterances"].get(n.utterance_id)["text"] for n in needed]
    assert texts[0].startswith("Yes, I told my sister") and len(most_needed(markup_study.db, markup_study.config.coding.embedding_model)) == 4


async def test_N_goes_to_the_suggestion_that_most_needs_you_where_n_goes_to_the_next(markup_study):
    _embedded(markup_study, {"stage:adoption": 0.81, "stage:advocacy": 0.5})
    markup_study.db.execute("UPDATE codings SET confidence = 0.6 WHERE code_key = 'stage:adoption' AND utterance_id IN (SELECT id FROM utterances WHERE interview_id = 1)")
    markup_study.db.conn.commit()  # INT-001's adoption the study's most needed once advocacy is decided, unless shown
    app = ResearchApp(markup_study)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TranscriptScreen) and bool(app.screen.utterances))
        screen = app.screen
        await pilot.press("n")
        await pilot.pause()
        assert screen.current_coding.key == "stage:adoption"  # the next open suggestion in reading order
        await pilot.press("N")
        await pilot.pause()
        assert screen.current_coding.key == "stage:advocacy" and screen.current.text.startswith("Yes, I told my sister")
        await pilot.press("a", "N")
        await pilot.pause()
        assert screen.current_coding.key == "stage:adoption"  # decided: the other one needs you now
        await pilot.press("N")
        await until(pilot, lambda: app.screen is not screen and bool(app.screen.utterances))
        assert app.screen.interview == "INT-002" and app.screen.current_coding.key == "stage:advocacy"  # this interview's all shown: the study's next
        # (each stage was asked once here, advocacy decided and adoption shown, so the least sure comes first)
        await pilot.press("escape", "N")
        await until(pilot, lambda: isinstance(app.screen, TranscriptScreen) and bool(app.screen.utterances))
        assert (app.screen.interview, app.screen.current_coding.key) == ("INT-002", "stage:adoption")  # the dashboard's N goes on from the transcript opened with enter


def test_an_utterance_with_no_clear_stage_is_asked_about_and_a_decided_stage_is_not(markup_study):
    _embedded(markup_study, {"stage:adoption": 0.81, "stage:advocacy": 0.5})
    db, model = markup_study.db, markup_study.config.coding.embedding_model
    unplaced, decided = [r["utterance_id"] for r in db.query("SELECT utterance_id FROM codings WHERE code_key = 'stage:adoption' ORDER BY utterance_id")]
    db.execute("DELETE FROM codings WHERE utterance_id = ? AND code_key = 'stage:adoption'", [unplaced])
    db["utterance_scope"].insert_all([{"utterance_id": unplaced, "scope": "weak", "confidence": 0.2}, {"utterance_id": decided, "scope": "journey", "confidence": 0.81}])
    db.execute("UPDATE codings SET status = 'accepted' WHERE utterance_id = ? AND code_key = 'stage:adoption'", [decided])
    db.conn.commit()
    needed = most_needed(db, model)
    assert (needed[0].utterance_id, needed[0].coding_id, needed[0].code_key) == (unplaced, None, "stage:")
    assert decided not in [n.utterance_id for n in needed] and len(needed) == 3  # the weak one and both advocacy suggestions


def _two_interviews(study) -> tuple[dict[tuple[str, str], int], str]:
    """Embeddings for the hand-built study, INT-002's advocacy suggestion the least sure of all; its stage codings'
    ids by (interview, code) and the embedding model."""
    _embedded(study, {"stage:adoption": 0.81, "stage:advocacy": 0.5})
    ids = {(r["code"], r["code_key"]): r["id"] for r in study.db.query(
        "SELECT c.id, i.code, c.code_key FROM codings c JOIN utterances u ON u.id = c.utterance_id JOIN interviews i ON i.id = u.interview_id WHERE c.code_key LIKE 'stage:%'")}
    study.db.execute("UPDATE codings SET confidence = 0.3 WHERE id = ?", [ids["INT-002", "stage:advocacy"]])
    study.db.conn.commit()
    return ids, study.config.coding.embedding_model


def test_the_study_queue_finishes_an_interview_then_goes_on_to_the_study_and_round_again(markup_study):
    ids, model = _two_interviews(markup_study)
    db, shown = markup_study.db, set()
    order = most_needed(db, model)
    assert order[0].coding_id == ids["INT-002", "stage:advocacy"] and [n.code_key for n in order] == ["stage:advocacy", "stage:adoption"] * 2  # least sure first, stages in turn
    went = [next_needed(db, model, "INT-001", shown) for _ in range(5)]
    assert [(n.interview, n.code_key) for n in went] == [("INT-001", "stage:advocacy"), ("INT-001", "stage:adoption"), ("INT-002", "stage:advocacy"),
                                                        ("INT-002", "stage:adoption"), ("INT-001", "stage:advocacy")]  # all four shown: round again
    db.execute("UPDATE codings SET status = 'rejected' WHERE code_key LIKE 'stage:%'")
    assert next_needed(db, model, "INT-001", shown) is None and next_needed(db, model, None, set()) is None


async def test_N_on_the_dashboard_opens_the_study_s_most_needed_and_the_transcript_s_N_goes_on_across_interviews(markup_study):
    _two_interviews(markup_study)
    app = ResearchApp(markup_study)
    async with app.run_test(size=(120, 40)) as pilot:
        said, notify = [], app.notify
        app.notify = lambda message, **options: (said.append(message), notify(message, **options))[1]
        await pilot.pause()
        await pilot.press("N")
        await until(pilot, lambda: isinstance(app.screen, TranscriptScreen) and bool(app.screen.utterances))
        assert app.screen.interview == "INT-002" and app.screen.current_coding.key == "stage:advocacy" and app.screen.current.text.startswith("Yes, I told my sister")
        await pilot.press("N")
        await pilot.pause()
        assert app.screen.current_coding.key == "stage:adoption"
        screen = app.screen
        await pilot.press("N")
        await until(pilot, lambda: app.screen is not screen and bool(app.screen.utterances))
        assert app.screen.interview == "INT-001" and app.screen.current_coding.key == "stage:advocacy"
        assert said[-1] == f"Next most needed: INT-001 {clock(app.screen.current.start)}"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert isinstance(app.screen, DashboardScreen)  # the next interview took the transcript's place
        await pilot.press("N")
        await until(pilot, lambda: isinstance(app.screen, TranscriptScreen) and bool(app.screen.utterances))
        assert (app.screen.interview, app.screen.current_coding.key) == ("INT-001", "stage:adoption")  # the dashboard's N goes on where the transcript's left off


def test_research_queue_lists_the_study_s_most_needed_one_line_each(markup_study):
    _two_interviews(markup_study)
    result = CliRunner().invoke(cli, ["--study", str(markup_study.root), "queue", "--limit", "3"])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines() if line.strip().startswith("INT-")]
    assert len(lines) == 3 and lines[0].split()[:2] == ["INT-002", "00:30"] and "customer" in lines[0] and "0.30" in lines[0] and "Yes, I told my sister" in lines[0]
    assert "Advocacy" in lines[0] and "Adoption" in lines[1] and "INT-001" in lines[2] and "0.50" in lines[2] and "[b]three[/b]" in lines[1]  # study text is never markup
    markup_study.db.execute("UPDATE codings SET status = 'accepted' WHERE code_key LIKE 'stage:%'")
    markup_study.db.conn.commit()
    assert CliRunner().invoke(cli, ["--study", str(markup_study.root), "queue"]).output.strip() == "No open stage suggestions in the study."
