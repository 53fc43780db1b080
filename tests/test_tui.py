"""The review app as a user sees it: Pilot behaviour on the coded demo study, the review loop into
the stored map, and snapshots of the layout (the library's independence from Textual: test_library_imports.py)."""

from __future__ import annotations

import html
import json
import os
import re

import pytest

from tui.app import ResearchApp
from tui.screens.codebook import CodebookScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.help import HelpScreen
from tui.screens.journey import BUILDING, JourneyScreen
from tui.screens.search import SearchScreen
from tui.screens.themes import ThemesScreen
from tui.screens.transcript import TranscriptScreen
from tui.widgets.map_board import MapBoard
from tui.widgets.outlook import OutlookList
from tui.widgets.persona_matrix import PersonaMatrix

@pytest.fixture
def review_study(mapped_copy):
    """A private copy of the demo study, coded, with themes and a stored journey map."""
    return mapped_copy


async def settle(pilot, app) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_dashboard_lists_interviews_and_opens_a_transcript(review_study):
    app = ResearchApp(review_study)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        table = app.screen.query_one("DataTable")
        assert table.row_count == 7
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TranscriptScreen) and app.screen.interview == "INT-001"
        assert app.screen.utterances and any(u.role == "interviewer" for u in app.screen.utterances)


async def test_review_loop_accept_reject_recode_memo_and_the_map_follows(review_study):
    db = review_study.db
    app = ResearchApp(review_study)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter", "n")
        screen = app.screen
        first = screen.current_coding
        assert first.status == "suggested"
        await pilot.press("a")
        assert db["codings"].get(first.id)["status"] == "accepted"  # saved at once
        second = screen.current_coding
        assert second.id != first.id and second.status == "suggested"
        await pilot.press("x")
        assert db["codings"].get(second.id)["status"] == "rejected"
        third = screen.current_coding
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"advocacy", "enter")
        await pilot.pause()
        assert db["codings"].get(third.id)["status"] == "rejected"
        utterance = db["codings"].get(third.id)["utterance_id"]
        assert db.execute("SELECT status, source FROM codings WHERE utterance_id = ? AND code_key = 'stage:advocacy'", [utterance]).fetchone() in {("accepted", "human"), ("accepted", "model"), ("accepted", "rule")}
        await pilot.press("m")
        await pilot.pause()
        await pilot.press(*"needs a second look", "enter")
        await app.workers.wait_for_complete()  # memos are saved off the UI thread (the anonymizer loads)
        await pilot.pause()
        assert db.execute("SELECT COUNT(*) FROM codings WHERE memo = 'needs a second look'").fetchone()[0] == 1
        assert app.map_is_stale
        before = json.loads(db["maps"].get("{}")["data"])
        await pilot.press("j")
        await settle(pilot, app)
        assert isinstance(app.screen, JourneyScreen) and not app.map_is_stale
        after = json.loads(db["maps"].get("{}")["data"])
        assert after["built_at"] >= before["built_at"]
        advocacy = next(s for s in after["stages"] if s["stage"] == "advocacy")
        assert utterance in advocacy["utterance_ids"]  # the recoded utterance now counts at Advocacy


def footer_keys(app) -> list[str]:
    """The descriptions of the keys the footer shows now."""
    from textual.widgets._footer import FooterKey

    return [key.description for key in app.screen.query(FooterKey)]


async def test_bulk_accept_search_help_and_audio(review_study, tmp_path, monkeypatch):
    db = review_study.db
    app = ResearchApp(review_study)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter", "b")
        await pilot.pause()
        await pilot.press("enter")  # the first scope offered: this interview only
        await pilot.pause()
        await pilot.press("enter")  # confidence 0.9
        await pilot.pause()
        open_high = "SELECT i.code, COUNT(*) FROM codings c JOIN utterances u ON u.id = c.utterance_id JOIN interviews i ON i.id = u.interview_id WHERE c.status = 'suggested' AND c.confidence >= 0.9 GROUP BY i.code"
        left = dict(db.execute(open_high).fetchall())
        accepted = db.execute("SELECT COUNT(*) FROM codings WHERE status = 'accepted'").fetchone()[0]
        assert "INT-001" not in left and left and accepted > 0  # the other interviews' suggestions stay open
        await pilot.press("u")
        await pilot.pause()
        assert db.execute("SELECT COUNT(*) FROM codings WHERE status = 'accepted'").fetchone()[0] == 0 and "INT-001" in dict(db.execute(open_high).fetchall())
        assert any(n.message.startswith("Undid 1 decision") for n in app._notifications)
        player = tmp_path / "ffplay"  # whatever player the machine has, or none: this one plays, quietly
        player.write_text("#!/bin/sh\nexit 0\n")
        player.chmod(0o755)
        monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/bin{os.pathsep}/usr/bin")
        await pilot.press("space")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any(re.fullmatch(r"Playing INT-001 [0-9.]+–[0-9.]+ s with ffplay\.", m) for m in messages), messages
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"wi-fi pair*", "enter")
        await pilot.pause()
        hits = app.screen.query_one("#hits")
        assert hits.option_count >= 3
        await pilot.pause()
        assert "Open in transcript" in footer_keys(app)  # the hits say that enter opens one
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TranscriptScreen) and "pair" in app.screen.current.text.lower()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_a_memo_on_the_utterance_is_marked_and_shown(review_study):
    """M writes a memo on the utterance itself: saved as typed (markup stays text), marked ✎ on the row and read
    out in the detail line; u takes it back. (Names typed into it are saved as pseudonyms: tests/test_decisions.py.)"""
    db = review_study.db
    app = ResearchApp(review_study)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        target = screen.current
        await pilot.press("M")
        await pilot.pause()
        await pilot.press(*"Check the [b]pricing[/b] claim", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        saved = db.execute("SELECT memo FROM utterance_memos WHERE utterance_id = ?", [target.id]).fetchone()[0]
        assert saved == "Check the [b]pricing[/b] claim"
        assert screen.current.memo == saved
        row = str(screen.query_one("#utterances").get_option_at_index(screen.query_one("#utterances").highlighted).prompt)
        assert "✎" in row
        assert "Utterance memo: Check the [b]pricing[/b] claim" in str(screen.query_one("#detail").render())
        await pilot.press("u")  # right after the memo: undo takes the memo back (it said "Nothing to undo.")
        await pilot.pause()
        assert db.execute("SELECT memo FROM utterance_memos WHERE utterance_id = ?", [target.id]).fetchone() is None
        assert screen.current.id == target.id and not screen.current.memo
        assert app._notifications and list(app._notifications)[-1].message == "Undid the memo edit: the memo is removed (there was none before)."


async def test_themes_and_codebook_screens(review_study):
    db = review_study.db
    app = ResearchApp(review_study)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, CodebookScreen)
        assert app.screen.query_one("DataTable").row_count == db["codes"].count
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, ThemesScreen)
        themes = db["themes"].count
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("Input").value = ""
        await pilot.press(*"Wi-Fi setup pain", "enter")
        await pilot.pause()
        assert db.execute("SELECT COUNT(*) FROM themes WHERE label = 'Wi-Fi setup pain'").fetchone()[0] == 1
        await pilot.press("space", "down", "M")
        await pilot.pause()
        assert db["themes"].count == themes - 1
        await pilot.press("P")
        await pilot.pause()
        assert (review_study.root / "codebook.yaml").is_file()
        assert db.execute("SELECT COUNT(*) FROM codes WHERE group_id = 'theme'").fetchone()[0] == 1


async def test_changing_a_role_corrects_the_transcript(review_study):
    db = review_study.db
    app = ResearchApp(review_study)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        interviewer = next(u for u in screen.utterances if u.role == "interviewer")
        screen.highlight_utterance(interviewer.id)
        speaker = db["utterances"].get(interviewer.id)["speaker"]
        await pilot.press("R")
        await pilot.pause()
        options = app.screen.query_one("#choices")
        options.highlighted = next(n for n in range(options.option_count) if options.get_option_at_index(n).id == "role|customer")
        await pilot.press("enter")
        await settle(pilot, app)
        assert db["utterances"].get(interviewer.id)["role"] == "customer"
        assert db.execute("SELECT COUNT(*) FROM utterances WHERE speaker = ? AND interview_id = 1 AND role != 'customer'", [speaker]).fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM codings WHERE utterance_id = ?", [interviewer.id]).fetchone()[0] > 0  # now coded


async def test_journey_map_filters_and_quotes_at_80x24(review_study):
    app = ResearchApp(review_study)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("j")
        await settle(pilot, app)
        screen = app.screen
        assert screen.journey.participants == 8
        board = screen.query_one(MapBoard)
        assert len(board.columns) == 6 and any(e.insight for e in board.entries.values())
        await pilot.press("f")  # the filters, hidden at 80 columns: each says what it filters (they read "any ▼" on one line of seven)
        await pilot.pause()
        shown = screen_text(app)
        assert all(f"any {name}" in shown for name in ("persona", "segment", "role")), shown[:400]
        role = screen.query_one("#filter-role")  # "Budget holder in the household" wrapped in its dropdown, and read "Budget holder in" once chosen
        role.focus()
        await pilot.press("enter")
        await pilot.pause()
        lines = screen_lines(app)
        values = [value for _, value in role._options if isinstance(value, str)]
        assert max(map(len, values)) > role.size.width and all(any(value in line for line in lines) for value in values), "\n".join(lines)
        await pilot.press("escape")
        role.query_one("SelectCurrent").update(values[0])  # how a chosen value shows (choosing it would build its map)
        await pilot.pause()
        assert any(f"{values[0][:role.size.width - 4]}…" in line for line in screen_lines(app)[:4]), "\n".join(screen_lines(app)[:4])
        await pilot.press("f")
        with BUILDING:  # no build can finish while the test looks
            screen.query_one("#filter-segment").value = "Household"  # its message starts a second build: two quick changes do that
            screen.load(rebuild=True)  # what the change does
            assert screen.sub_title == "building the map for segment = Household…"
            assert not screen.query_one("ContentSwitcher").visible and not screen.check_action("goto", ())  # the whole study's map is put away
            await pilot.pause()
            shown = screen_text(app)
            assert "Building the map for segment = Household…" in shown and "participants in" not in shown and "Lane" not in shown
        await settle(pilot, app)
        assert screen.journey.participants == 4 and screen.sub_title == "segment = Household"
        assert screen.query_one("ContentSwitcher").visible and screen.check_action("goto", ())
        board.move_cursor(row=0, column=3)  # how Adoption feels, and every quote behind it
        await pilot.press("enter")
        await pilot.pause()
        quotes = screen.query_one("#quotes")
        assert quotes.has_focus and quotes.option_count >= 1
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, TranscriptScreen)


async def test_pipeline_runs_in_the_background(review_study, monkeypatch):
    import threading

    import research.coding.stage as coding_stage

    release = threading.Event()  # the real coding waits until the screen has been checked meanwhile, however fast it is
    real_run_code = coding_stage.run_code

    def run_code_once_released(study, *args, **kwargs):
        release.wait(120)
        return real_run_code(study, *args, **kwargs)

    monkeypatch.setattr(coding_stage, "run_code", run_code_once_released)
    db = review_study.db
    first = db.execute("SELECT min(id) FROM interviews").fetchone()[0]
    with db.conn:  # one interview's coding is out of date: the pipeline has work to do
        db.execute("DELETE FROM stage_status WHERE stage = 'code' AND interview_id = ?", [first])
    app = ResearchApp(review_study)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert app.screen.query_one("ProgressBar").display  # the UI is still answering while it runs
        await pilot.press("down")
        for _ in range(1200):  # the worker imports every stage before its first step: seconds on a loaded machine
            await pilot.pause(0.1)
            if "Running" in str(app.screen.query_one("#pipeline").render()):
                break
        assert app.screen.query_one("ProgressBar").display and "Running" in str(app.screen.query_one("#pipeline").render())
        release.set()
        await settle(pilot, app)
        assert any("Pipeline finished" in n.message for n in app._notifications)
        assert db.execute("SELECT status FROM stage_status WHERE stage = 'code' AND interview_id = ?", [first]).fetchone() == ("done",)


# --- layout snapshots, on a small study built by hand so that they are identical on every machine ---

@pytest.fixture
def snapshot_study(tmp_path):
    from research.coding.stage import study_codebook, sync_codes
    from research.journey import build_and_store
    from research.store import now, set_stage
    from research.study import Study

    study = Study.create(tmp_path / "snap", "snapshot study")
    db = study.db
    book = study_codebook(study)[0]
    sync_codes(db, book)
    lines = [
        ("interviewer", "How did you first hear about us?", []),
        ("customer", "A friend told me about it at a barbecue last summer.", [("stage:discovery", "accepted"), ("touchpoint:word-of-mouth", "suggested")]),
        ("interviewer", "And the setup?", []),
        ("customer", "The app would not pair with our Wi-Fi. I was furious.", [("stage:adoption", "suggested"), ("emotion:anger", "suggested"), ("touchpoint:app", "rejected")]),
        ("interviewer", "Would you recommend it?", []),
        ("customer", "Yes, I told my sister to get one.", [("stage:advocacy", "suggested"), ("emotion:trust", "accepted")]),
    ]
    for n in (1, 2):
        interview = db["interviews"].insert({"code": f"INT-00{n}", "title": f"Snapshot interview {n}", "sha256": f"{n:064x}", "duration": 600.0 * n, "added_at": now()}).last_pk
        db["participants"].insert({"interview_id": interview, "slot": "customer", "label": f"Participant {n}", "persona": "Buyer", "segment": "Household"})
        for idx, (role, text, codes) in enumerate(lines):
            utterance = db["utterances"].insert({"interview_id": interview, "idx": idx, "speaker": "S1" if role == "interviewer" else "S2", "role": role, "start": idx * 10.0, "end": idx * 10.0 + 8, "text": text, "words": "[]"}).last_pk
            for k, (key, status) in enumerate(codes):
                db["codings"].insert({"utterance_id": utterance, "code_key": key, "source": "model", "confidence": 0.9 - 0.1 * k, "status": status, "created_at": "t", "updated_at": "t"})
        for stage in ("transcribe", "speakers", "anonymize", "code"):
            set_stage(db, interview, stage, "done")
    build_and_store(study, book)
    return study


def test_snapshot_dashboard(snap_compare, snapshot_study):
    assert snap_compare(ResearchApp(snapshot_study), terminal_size=(100, 24))


def test_snapshot_transcript(snap_compare, snapshot_study):
    async def open_first(pilot):
        await pilot.press("enter", "n")
        await pilot.pause()

    assert snap_compare(ResearchApp(snapshot_study), terminal_size=(100, 24), run_before=open_first)


def test_snapshot_transcript_at_80x24(snap_compare, snapshot_study):
    async def open_first(pilot):
        await pilot.press("enter", "n", "n")
        await pilot.pause()

    assert snap_compare(ResearchApp(snapshot_study), terminal_size=(80, 24), run_before=open_first)


def test_snapshot_dashboard_at_160x48(snap_compare, snapshot_study):
    assert snap_compare(ResearchApp(snapshot_study), terminal_size=(160, 48))


def test_snapshot_code_quotes_at_80x24(snap_compare, snapshot_study):
    async def open_code(pilot):
        await pilot.press("k")
        await pilot.pause()
        await pilot.press("down", "down", "enter")
        await pilot.pause()

    assert snap_compare(ResearchApp(snapshot_study), terminal_size=(80, 24), run_before=open_code)


def test_snapshot_role_dialog_at_80x24(snap_compare, snapshot_study):
    async def open_role(pilot):
        await pilot.press("enter", "down", "R")
        await pilot.pause()

    assert snap_compare(ResearchApp(snapshot_study), terminal_size=(80, 24), run_before=open_role)


async def _open_map(pilot):
    await pilot.press("j")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_snapshot_journey_map(snap_compare, snapshot_study):
    assert snap_compare(ResearchApp(snapshot_study), terminal_size=(160, 48), run_before=_open_map)


def test_snapshot_journey_map_at_80x24(snap_compare, snapshot_study):
    assert snap_compare(ResearchApp(snapshot_study), terminal_size=(80, 24), run_before=_open_map)


def test_snapshot_personas_side_by_side(snap_compare, snapshot_study):
    async def open_personas(pilot):
        await _open_map(pilot)
        await pilot.press("v")
        await pilot.pause()

    assert snap_compare(ResearchApp(snapshot_study), terminal_size=(160, 48), run_before=open_personas)


async def test_refreshing_the_footer_keeps_no_old_keys_alive(snapshot_study):
    """Each `v` rebinds keys and recomposes the footer; the keys it replaced must be freed, not kept by their bindings."""
    import gc

    from textual.widgets._footer import FooterKey

    def live_keys() -> int:
        gc.collect()
        return sum(type(node) is FooterKey for node in gc.get_objects())

    app = ResearchApp(snapshot_study)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_map(pilot)
        counts = []
        for _ in range(3):
            for _ in range(4):  # to the personas and back, twice: the same view as before
                await pilot.press("v")
                await pilot.pause()
            counts.append(live_keys())
        assert "Personas" in footer_keys(app)
        assert counts[-1] <= counts[0], f"FooterKey objects alive after each 4 refreshes: {counts}"


def test_snapshot_help_in_light_theme(snap_compare, snapshot_study):
    async def help_light(pilot):
        await pilot.press("ctrl+t", "question_mark")
        await pilot.pause()

    assert snap_compare(ResearchApp(snapshot_study), terminal_size=(100, 30), run_before=help_light)


# --- the journey map as insights, on a small study whose quotes hold markup-like text ---

MARKUP = "[PERSON_6]"  # a pseudonym: Rich would read it as a markup tag and drop it


@pytest.fixture
def insight_study(tmp_path):
    """Three customers (personas Buyer, Buyer, Gift giver) who say the same things; the Wi-Fi pain names [PERSON_6] and holds [b]...[/b]."""
    from research.coding.stage import study_codebook, sync_codes
    from research.journey import build_and_store
    from research.store import now, set_stage
    from research.study import Study

    study = Study.create(tmp_path / "insights", "insight study")
    db = study.db
    book = study_codebook(study)[0]
    sync_codes(db, book)
    lines = [
        ("How did you hear about it?", "A friend told me about it at a barbecue last summer.", ["stage:discovery", "touchpoint:word-of-mouth"]),
        ("And the setup?", f"The app would not pair with our Wi-Fi, [b]three[/b] tries, and {MARKUP} had to reset the router. I was furious.",
         ["stage:adoption", "emotion:anger", "touchpoint:app", "signal:pain-point"]),
        ("How was the delivery?", "The delivery box arrived crushed and one of the filters was missing from it.", ["stage:adoption", "emotion:disappointment", "touchpoint:delivery"]),
        ("Would you recommend it?", "Yes, I told my sister to get one and she loves it.", ["stage:advocacy", "emotion:joy", "signal:delight"]),
    ]
    for n, persona in enumerate(("Buyer", "Buyer", "Gift giver"), start=1):
        interview = db["interviews"].insert({"code": f"INT-00{n}", "title": f"Interview {n}", "sha256": f"{n:064x}", "duration": 600.0, "added_at": now()}).last_pk
        db["participants"].insert({"interview_id": interview, "slot": "customer", "label": f"Participant {n}", "persona": persona, "segment": "Household"})
        for k, (question, answer, codes) in enumerate(lines):
            db["utterances"].insert({"interview_id": interview, "idx": 2 * k, "speaker": "S1", "role": "interviewer", "start": 20.0 * k, "end": 20.0 * k + 4, "text": question, "words": "[]"})
            utterance = db["utterances"].insert({"interview_id": interview, "idx": 2 * k + 1, "speaker": "S2", "role": "customer", "start": 20.0 * k + 5, "end": 20.0 * k + 15, "text": answer, "words": "[]"}).last_pk
            for key in codes:
                db["codings"].insert({"utterance_id": utterance, "code_key": key, "source": "model", "confidence": 0.9, "status": "accepted", "created_at": "t", "updated_at": "t"})
        for stage in ("transcribe", "speakers", "anonymize", "code"):
            set_stage(db, interview, stage, "done")
    build_and_store(study, book)
    return study


def screen_text(app) -> str:
    """What the terminal shows, as plain text (from the app's own SVG screenshot)."""
    svg = app.export_screenshot()
    return html.unescape("".join(re.findall(r"<text[^>]*>(.*?)</text>", svg))).replace("\xa0", " ")


def screen_lines(app) -> list[str]:
    """What the terminal shows, line by line, as plain text."""
    import io

    from rich.console import Console

    console = Console(width=app.size.width, height=app.size.height, file=io.StringIO(), record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text().splitlines()


def adoption(journey) -> list:
    return [i for i in journey.insights() if i.stage == "adoption"]


async def open_insight(pilot, app, about: str = "Wi-Fi"):
    """Open the map with the cursor on the Adoption insight whose quotes mention `about`."""
    await pilot.press("j")
    await settle(pilot, app)
    board = app.screen.query_one(MapBoard)
    assert board.select_insight(next(i.key for i in adoption(app.screen.journey) if about in i.quotes[0].text))
    await pilot.pause()
    return board


async def test_the_map_shows_insight_sentences_with_their_quotes_and_escapes_study_text(insight_study):
    app = ResearchApp(insight_study)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        board = await open_insight(pilot, app)
        insight = board.entry.insight
        assert insight.participants == 3 and insight.polarity == "pain" and len(insight.quotes) >= 2
        shown = screen_text(app)
        assert insight.headline.split()[0] in shown and "3 of 3" in shown  # the sentence and its reach, in the cell
        assert MARKUP in shown and "[b]three[/b]" in shown  # quotes in the evidence panel keep their brackets
        assert "Help" in shown and "Quit" in shown  # the footer lists ? and q first, even at 80 columns
        quotes = app.screen.query_one("#quotes")
        assert quotes.option_count >= len(insight.quotes)
        await pilot.press("enter", "g")
        await pilot.pause()
        assert isinstance(app.screen, TranscriptScreen) and app.screen.interview == insight.quotes[0].interview


async def test_insight_edits_from_the_app_persist_and_survive_a_rebuild(insight_study):
    from research.coding.stage import study_codebook
    from research.journey import build_and_store

    db = insight_study.db
    app = ResearchApp(insight_study)
    rewritten = f"Wi-Fi pairing [b]fails[/b] for {MARKUP}"
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        board = await open_insight(pilot, app)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("Input").value = rewritten
        await pilot.press("enter")
        await settle(pilot, app)
        assert db.execute("SELECT action, text FROM insight_edits").fetchall() == [("rename", rewritten)]
        assert board.entry.insight.statement == rewritten and board.entry.insight.edited
        assert rewritten in screen_text(app)
        await pilot.press("enter", "down", "P")  # pin the second quote of the evidence list
        await settle(pilot, app)
        pinned = db.execute("SELECT quote_id FROM insight_edits WHERE action = 'pin'").fetchone()[0]
        assert board.entry.insight.quotes[0].utterance_id == pinned
        await pilot.press("h")
        await settle(pilot, app)
        assert rewritten not in [i.statement for i in adoption(app.screen.journey)]
        await pilot.press("u")  # undo the hide
        await settle(pilot, app)
        assert rewritten in [i.statement for i in adoption(app.screen.journey)]
        delivery = next(i for i in adoption(app.screen.journey) if "delivery" in i.quotes[0].text)
        board.select_insight(delivery.key)
        await pilot.press("space")  # mark the delivery insight, then merge it into the Wi-Fi one
        board.select_insight(next(i.key for i in adoption(app.screen.journey) if i.statement == rewritten))
        await pilot.press("M")
        await settle(pilot, app)
        merged = adoption(app.screen.journey)
        assert len(merged) == 1 and set(delivery.utterance_ids) < set(merged[0].utterance_ids)
    rebuilt = adoption(build_and_store(insight_study, study_codebook(insight_study)[0]))  # as `research run` and the app's `r` do
    assert [i.statement for i in rebuilt] == [rewritten] and rebuilt[0].quotes[0].utterance_id == pinned
    assert set(delivery.utterance_ids) < set(rebuilt[0].utterance_ids)


async def test_insight_edits_met_by_a_full_locked_or_read_only_study_are_one_line_and_change_nothing(insight_study, monkeypatch):
    """The map's saving keys (rewrite, hide, pin, merge, undo) under each fault of the machine: the write runs and its
    commit fails as on a full disk; another program holds the study's write lock; the study turns read-only. Each key
    says one "Not saved: …" line, the app and its screen go on, no edit is half-written, and once the fault is gone
    the same key saves."""
    import sqlite3

    from research.journey import edits, stored_map
    from research.store import StudyDatabase
    from tests.fault_study import atomic_on_a_full_disk

    db = insight_study.db
    edits.hide(db, next(i for i in stored_map(insight_study).insights() if i.stage == "advocacy"))  # for u to undo
    before = db.execute("SELECT * FROM insight_edits").fetchall()
    real, full_disk = StudyDatabase.atomic, atomic_on_a_full_disk()
    other = sqlite3.connect(insight_study.root / "study.db", isolation_level=None)
    root = insight_study.root
    faults = {  # (start, end, the line it says)
        "full": (lambda: monkeypatch.setattr(StudyDatabase, "atomic", full_disk), lambda: monkeypatch.setattr(StudyDatabase, "atomic", real),
                 f"Not saved: disk full: no space left in {root}; free some space and run the command again (nothing half-written was kept)"),
        "locked": (lambda: (db.execute("PRAGMA busy_timeout = 50"), other.execute("BEGIN IMMEDIATE")), lambda: (other.execute("ROLLBACK"), db.execute("PRAGMA busy_timeout = 30000")),
                   f"Not saved: locked: another program is writing in {root}; wait for it to finish and try again"),
        "read-only": (lambda: db.execute("PRAGMA query_only = 1"), lambda: db.execute("PRAGMA query_only = 0"),
                      f"Not saved: read-only: cannot write in {root} (check the permissions of the folder and its files); nothing was changed"),
    }
    app = ResearchApp(insight_study)
    said, notify = [], app.notify
    app.notify = lambda message, **options: (said.append(message), notify(message, **options))[1]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        board = await open_insight(pilot, app)
        screen, wifi = app.screen, board.entry.insight.key
        for fault, (start, end, line) in faults.items():
            start()
            if screen.marked is None:  # marking saves nothing, and a merge that was not saved keeps the mark
                board.select_insight(next(i.key for i in adoption(screen.journey) if "delivery" in i.quotes[0].text))
                await pilot.press("space")
            for keys in (["e", "x", "enter"], ["h"], ["enter", "down", "P", "escape"], ["M"], ["u"]):
                board.select_insight(wifi)  # each key edits the Wi-Fi insight; M merges the marked delivery one into it
                await pilot.press(*keys)
                await pilot.pause()  # a refused edit starts no rebuild
                assert app.is_running and app.screen is screen and said[-1] == line, (fault, keys, said)
            end()
            assert db.execute("SELECT * FROM insight_edits").fetchall() == before, fault
        await pilot.press("u")
        await settle(pilot, app)
        assert said[-1] == "Undid the last hide. Rebuilding the map…" and db["insight_edits"].count == len(before) - 1
    other.close()


async def test_the_persona_view_dims_thin_evidence(insight_study):
    app = ResearchApp(insight_study)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("j")
        await settle(pilot, app)
        await pilot.press("v")
        await pilot.pause()
        matrix = app.screen.query_one(PersonaMatrix)
        assert matrix.display and matrix.has_focus and matrix.row_count == 2
        gift = app.screen.journey.personas[1]
        assert gift.persona == "Gift giver" and {c.strength for c in gift.cells} == {"thin", "none"}  # one voice at most
        cell = matrix.get_cell_at((1, 3))  # Gift giver at Adoption: one voice
        assert cell.plain.startswith("1/1 people") and any("dim" in str(span.style) for span in cell.spans)
        assert "Gift giver" in screen_text(app)
        footer = {key.key: key.description for key in app.screen.query("FooterKey")}
        assert footer["v"] == "Map" and footer["o"] == "Opportunities" and not {"e", "h", "P"} & set(footer)  # v goes back; the insight edits need the map
        await pilot.press("v")
        await pilot.pause()
        assert app.screen.query_one(MapBoard).has_focus
        footer = {key.key: key.description for key in app.screen.query("FooterKey")}
        assert footer["v"] == "Personas" and footer["e"] == "Rewrite"
        await pilot.press("d")
        app.open_journey_view("outlook")  # as the command palette's "Opportunities and advocacy" does
        await settle(pilot, app)
        outlook = app.screen.query_one(OutlookList)
        assert isinstance(app.screen, JourneyScreen) and outlook.has_focus and "advocacy" in screen_text(app).lower()


def test_the_feeling_cell_counts_and_feels_in_words_as_the_exports_do():
    """The map lane showed the mean valence as a number ("-0.60") where `research map` and the exports say the
    feeling in words; so does the cell now, and its detail says it as `research map` does."""
    from tests.test_export import _small_journey
    from tui.widgets.map_board import _feeling

    journey = _small_journey({"discovery": [-0.6], "retention": [-0.5, 0.4, -0.3], "advocacy": []})
    cells = [_feeling(lane) for lane in journey.stages]
    assert cells[0].cell.plain.startswith("1 person · 1 quote\n") and cells[0].cell.plain.endswith("all negative")
    assert cells[0].detail.plain == "Discovery: 1 participant, 1 utterance on the journey; all negative (1)"
    assert cells[1].cell.plain.endswith("mostly negative") and cells[1].detail.plain.endswith("mostly negative: 2 negative, 1 positive")
    assert cells[2].cell.plain.endswith("no emotion coded")
    assert not any(re.search(r"[+-]\d\.\d\d|valence", c.cell.plain + c.detail.plain) for c in cells)


async def test_the_dashboard_cuts_people_and_title_with_an_ellipsis_to_fit_80_columns(review_study):
    """At 80 columns the title was cut to its first five letters with no mark ('Denta'); now both texts share the room and say when cut."""
    from rich.cells import cell_len

    app = ResearchApp(review_study)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("DataTable")
        assert sum(column.get_render_width(table) for column in table.columns.values()) <= 80
        rows = [table.get_row_at(n) for n in range(table.row_count)]
        people, titles = [row[-3].plain for row in rows], [row[-1].plain for row in rows]
        assert "Participant 4, …" in people and "Parent of a chi…" in titles
        assert all(cell_len(title) >= 12 for title in titles if title.endswith("…"))
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        assert "Participant 4, Participant 5" in [table.get_row_at(n)[-3].plain for n in range(table.row_count)]


async def test_the_themes_screen_says_why_a_small_study_has_no_themes(coded_copy):
    """A study too small for themes is told so, with its counts and what would help, not sent to `research themes`."""
    from research.themes import why_no_themes

    db = coded_copy.db
    assert why_no_themes(coded_copy) is None  # the demo is large enough
    first = db.execute("SELECT MIN(interview_id) FROM stage_status").fetchone()[0]
    db.execute("UPDATE stage_status SET status = 'pending' WHERE stage = 'code' AND interview_id != ?", [first])
    reason = why_no_themes(coded_copy)
    assert reason.startswith("This study is too small for themes") and "4 or more words" in reason and "research add" in reason
    app = ResearchApp(coded_copy)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, ThemesScreen)
        shown = str(app.screen.query_one("#quote").render())
        assert "too small for themes" in shown and "run `research themes`" not in shown
    db.execute("UPDATE stage_status SET status = 'pending' WHERE stage = 'code'")
    assert why_no_themes(coded_copy).startswith("No interview is coded yet")


async def test_the_map_says_when_nothing_is_on_the_journey(coded_copy):
    from research.export.wording import nothing_placed_line

    coded_copy.db.execute("UPDATE codings SET status = 'rejected' WHERE code_key LIKE 'stage:%'")
    coded_copy.db.execute("DELETE FROM maps")  # a map stored before the rejections (another test may have built one) is rebuilt
    coded_copy.db.conn.commit()
    app = ResearchApp(coded_copy)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("j")
        await settle(pilot, app)
        assert isinstance(app.screen, JourneyScreen)
        shown = str(app.screen.query_one("#summary").render())
        assert shown.startswith("0 of 49 customer utterances") and nothing_placed_line(app.screen.journey) in shown


async def test_opening_a_stale_map_shows_the_stored_one_while_it_is_rebuilt(insight_study, monkeypatch):
    """After a decision the map is rebuilt on opening, which loads the coding models: the screen said only
    "Loading the map…" all that time. Now the stored map shows meanwhile, marked as rebuilding."""
    import threading

    import research.journey.build as journey_module  # the module, not the package: patching the package's lazy name pinned it there for later tests

    release = threading.Event()
    real_build = journey_module.build_and_store

    def build_once_released(*args, **kwargs):
        release.wait(120)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(journey_module, "build_and_store", build_once_released)
    app = ResearchApp(insight_study)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.map_is_stale = True  # as after a decision
        await pilot.press("j")
        for _ in range(50):
            await pilot.pause(0.05)
            if app.screen.journey is not None:
                break
        screen = app.screen
        assert screen.journey is not None and "rebuilding" in screen.sub_title and app.map_is_stale
        assert "Loading the map" not in screen_text(app) and "3 of 3" in screen_text(app)
        release.set()
        await settle(pilot, app)
        assert not app.map_is_stale and "rebuilding" not in screen.sub_title


async def test_after_a_filter_change_the_map_cursor_lands_on_a_cell_with_content(review_study):
    """The cursor keeps its lane and stage while that cell has content under the new filter (the lane may be on
    another row), and otherwise goes to the nearest cell that has some: never an empty cell."""
    from research.coding.stage import study_codebook
    from research.journey import build_and_store
    from research.study import Study
    from tui.widgets.map_board import board_rows

    filtered = build_and_store(Study.open(review_study.root), study_codebook(review_study)[0], {"segment": "Household"})
    filtered_rows = [entries for _, _, entries in board_rows(filtered)]
    app = ResearchApp(review_study)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("j")
        await settle(pilot, app)
        screen, board = app.screen, app.screen.query_one(MapBoard)
        stages = [lane.stage for lane in screen.journey.stages]
        assert stages == [lane.stage for lane in filtered.stages]
        emptied = [(r, c) for (r, c) in sorted(board.entries) if r < len(filtered_rows) and filtered_rows[r][c - 1] is None]  # the same row and column, empty
        assert emptied, "no cell of the whole map is empty under the filter: the test needs one"
        board.move_cursor(row=emptied[-1][0], column=emptied[-1][1])
        await pilot.pause()
        screen.query_one("#filter-segment").value = "Household"
        await settle(pilot, app)
        assert screen.sub_title == "segment = Household"
        assert board.entry is not None, f"the cursor is on an empty cell {board.cursor_coordinate}"
        lane, stage = board.places[board.cursor_row][0], stages[board.cursor_column - 1]
        screen.query_one("#filter-segment").clear()  # back to the whole map: that lane and stage still have content there
        await settle(pilot, app)
        assert board.entry is not None and board.places[board.cursor_row][0] == lane and stages[board.cursor_column - 1] == stage


async def test_the_footer_leaves_out_the_key_of_the_screen_shown(review_study):
    def keys(app) -> set[str]:
        return {key.action for key in app.screen.query("FooterKey")}

    app = ResearchApp(review_study)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert "dashboard" not in keys(app) and {"journey", "themes", "codebook", "search"} <= keys(app)
        for key, screen in (("t", "themes"), ("k", "codebook")):  # (on search, the letters go to its input)
            await pilot.press(key)
            await pilot.pause()
            assert screen not in keys(app) and "dashboard" in keys(app), (screen, keys(app))
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen) and "dashboard" not in keys(app)


async def test_the_themes_table_fits_80_columns_and_shows_the_top_words_whole_below(review_study):
    app = ResearchApp(review_study)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        await pilot.pause()
        table = app.screen.query_one("DataTable")
        assert table.virtual_size.width <= table.size.width, "the table scrolls sideways at 80 columns"
        shown = [str(table.get_cell_at((row, len(table.columns) - 1))) for row in range(table.row_count)]
        top = app.screen.current()
        words = json.loads(review_study.db["themes"].get(top)["words"])
        top5 = ", ".join(words[:5])
        assert shown[0] == top5 or (shown[0].endswith("…") and top5.startswith(shown[0].removesuffix("…").rstrip()))
        assert f"Top words: {', '.join(words)}" in str(app.screen.query_one("#quote").render())
    async with ResearchApp(review_study).run_test(size=(160, 48)) as pilot:  # wide: the ids too, and the words whole
        await pilot.press("t")
        await pilot.pause()
        table = pilot.app.screen.query_one("DataTable")
        assert [str(c.label) for c in table.columns.values()][:2] == ["id", "theme"]
        assert not any(str(table.get_cell_at((row, len(table.columns) - 1))).endswith("…") for row in range(table.row_count))


async def test_the_dashboard_says_how_to_open_an_interview(snapshot_study):
    """The table's own enter hid the screen's "⏎ Review" from the footer: a newcomer saw no way into an interview;
    nor did a code's list of quotes say that enter opens one."""
    app = ResearchApp(snapshot_study)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "Review" in footer_keys(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TranscriptScreen)
        await pilot.press("k")
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # a code's quotes: enter opens one, and the footer says so
        await pilot.pause()
        assert "Open in transcript" in footer_keys(app)


def test_opportunities_in_the_app_say_who_feels_each_pain_in_words_with_single_voices_apart():
    """The app's opportunities read as the exports do: "5 of 8 participants · strongly felt", not "reach 0.62 ×
    intensity 0.63 × evidence 1.00 = 0.394"; one participant's pain is listed under single voices, not ranked."""
    from research.journey.model import Opportunity
    from tests.test_export import _small_journey

    journey = _small_journey({"adoption": [-0.8, -0.7]})
    shared = Opportunity(stage="adoption", statement="How might we help customers pair with the Wi-Fi?", insight_key="a", insight="Pairing failed — 2 of 3 participants",
                         touchpoint=None, participants=2, reach=0.67, intensity=0.8, evidence=1.0, score=0.53, utterance_ids=[1, 2])
    single = shared.model_copy(update={"statement": "How might we deliver without damage?", "insight_key": "b", "participants": 1, "reach": 0.33, "score": 0.1})
    journey.opportunities = [shared, single]
    outlook = OutlookList()
    outlook.show(journey)
    lines = [str(outlook.get_option_at_index(i).prompt) for i in range(outlook.option_count)]
    text = "\n".join(lines)
    assert "2 of 3 participants · strongly felt" in text and "reach" not in text and "×" not in text
    assert lines.index("Single voices") < next(i for i, line in enumerate(lines) if "deliver without damage" in line)
    assert next(i for i, line in enumerate(lines) if "pair with the Wi-Fi" in line) < lines.index("Single voices")


def test_the_app_shows_pains_told_across_the_journey_with_each_places_quote():
    """The exports and `research map` list a kind of problem told at several stages; the app did not. Its
    opportunities view now lists each after the ranked ones, and a pain's evidence is one quote from each place."""
    from research.journey.model import PainAt, Quote, RecurringPain
    from tests.test_export import _small_journey

    journey = _small_journey({"adoption": [-0.8, -0.7], "retention": [-0.6]})
    said = [Quote(utterance_id=n, interview=f"INT-00{n}", participant=f"Participant {n}", start=30.0 * n, text=text)
            for n, text in ((1, "Three weeks of silence, nobody called."), (2, "The portal just said pending."))]
    places = [PainAt(stage=key, name=key.title(), participants=1, quote=quote, utterance_ids=[quote.utterance_id]) for key, quote in zip(("adoption", "retention"), said)]
    journey.recurring_pains = [RecurringPain(kind="information", label="No news or information", participants=2, cohort=3, places=places, utterance_ids=[1, 2])]
    outlook = OutlookList()
    outlook.show(journey)
    lines = [str(outlook.get_option_at_index(i).prompt) for i in range(outlook.option_count)]
    row = next(i for i, line in enumerate(lines) if "No news or information" in line)
    assert lines.index("Pains told across the journey") < row and "2 of 3 participants, at Adoption (1) and Retention (1)" in lines[row]
    outlook.highlighted = row
    assert outlook.entry is not None and [q.text for q in outlook.entry.quotes] == [q.text for q in said] and outlook.entry.utterance_ids == [1, 2]


def test_the_board_shows_a_pain_told_across_the_journey_under_each_stage_it_is_told_at():
    """The board showed no recurring pain: a row under the insights now has a cell at each stage where it is told
    (how many there, how many in all, that place's quote), empty where it is not; its evidence starts with that place's quote."""
    from research.journey.model import PainAt, Quote, RecurringPain
    from tests.test_export import _small_journey
    from tui.widgets.map_board import board_rows

    journey = _small_journey({"discovery": [-0.5], "adoption": [-0.8, -0.7], "retention": [-0.6]})
    said = [Quote(utterance_id=n, interview=f"INT-00{n}", participant=f"Participant {n}", start=30.0 * n, text=text)
            for n, text in ((1, "Three weeks of silence, nobody called."), (2, "The portal just said pending."))]
    places = [PainAt(stage=key, name=key.title(), participants=n, quote=quote, utterance_ids=[quote.utterance_id]) for n, (key, quote) in enumerate(zip(("adoption", "retention"), said), 1)]
    journey.recurring_pains = [RecurringPain(kind="no-information", label="No news or information", participants=3, cohort=3, places=places, utterance_ids=[1, 2])]
    rows = board_rows(journey)
    titles = [title for title, _, _ in rows if title]
    assert titles == ["Feeling", "Recurring", "Pain points", "Emotions"]  # after the insights (this map has none), before the pain points
    _, _, cells = next(row for row in rows if row[0] == "Recurring")
    assert cells[0] is None and [cell.cell.plain.splitlines()[1] for cell in cells[1:]] == ["1 here · 3 of 3 in all", "2 here · 3 of 3 in all"]
    assert said[1].text in cells[2].cell.plain and [q.text for q in cells[2].quotes] == [said[1].text, said[0].text]


def test_the_board_says_in_a_pains_first_cell_how_many_tell_it_outside_the_stages():
    """A pain told in talk too weak to place has no column there, and showed only in the detail line: its first
    cell now says how many tell it outside the stages (a line more), and that place's quote is in its evidence."""
    from research.journey.model import PainAt, Quote, RecurringPain
    from tests.test_export import _small_journey
    from tui.widgets.map_board import RECURRING_LINES, board_rows

    journey = _small_journey({"discovery": [-0.5], "adoption": [-0.8, -0.7], "retention": [-0.6]})
    said = [Quote(utterance_id=n, interview=f"INT-00{n}", participant=f"Participant {n}", start=30.0 * n, text=text)
            for n, text in ((1, "Three weeks of silence, nobody called."), (2, "The portal just said pending."), (3, "Nobody rang back about the survey."))]
    places = [PainAt(stage=key, name=name, participants=n, quote=quote, utterance_ids=[quote.utterance_id])
              for n, (key, name, quote) in enumerate(zip(("adoption", "retention", None), ("Adoption", "Retention", "Outside the stages"), said), 1)]
    journey.recurring_pains = [RecurringPain(kind="no-information", label="No news or information", participants=3, cohort=3, places=places, utterance_ids=[1, 2, 3]),
                               RecurringPain(kind="waiting", label="Waiting and delays", participants=2, cohort=3, places=places[:2], utterance_ids=[1, 2])]
    told, waiting = [row for row in board_rows(journey) if row[2] and any(c is not None and c.lane == "Recurring" for c in row[2])]
    assert told[1] == RECURRING_LINES + 1 and waiting[1] == RECURRING_LINES
    first, second = told[2][1].cell.plain.splitlines(), told[2][2].cell.plain.splitlines()
    assert first[1:3] == ["1 here · 3 of 3 in all", "+ 3 outside the stages"] and not any("outside" in line for line in second)
    assert said[2].text in [q.text for q in told[2][1].quotes] and not any("outside" in c.cell.plain for c in waiting[2] if c is not None)


async def test_filters_that_match_nobody_say_so_not_zero_of_zero(insight_study):
    """Walking the map at 80x24, persona "Operations buyer" with role "Owner" read "0 of 0 customer utterances (0%)
    are placed on the journey" above empty lanes."""
    from research.coding.stage import study_codebook
    from research.journey import build_and_store

    insight_study.db.execute("UPDATE participants SET segment = 'Office' WHERE persona = 'Gift giver'")
    insight_study.db.conn.commit()
    app = ResearchApp(insight_study)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j")
        await settle(pilot, app)
        app.screen.show(build_and_store(insight_study, study_codebook(insight_study)[0], {"persona": "Buyer", "segment": "Office"}))  # each value known, never together
        await pilot.pause()
        shown = screen_text(app)
        assert "No participant is persona = Buyer, segment = Office; f changes the filters." in shown, shown
        assert "0 of 0" not in shown
