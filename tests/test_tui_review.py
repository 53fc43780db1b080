"""The review app on a small hand-built study whose text looks like markup: escaping everywhere,
search that forgives hyphens, case and plurals, opening a code, 80x24 layout, and an app that
paints without loading a model."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from research.search import hits_line, search
from tests.conftest import HANG_GUARD_S
from tui.app import ResearchApp
from tui.screens.codebook import CodebookScreen, CodeQuotesScreen
from tui.screens.search import SearchScreen
from tui.screens.themes import ThemesScreen
from tui.screens.transcript import TranscriptScreen

REPO = Path(__file__).resolve().parent.parent
PSEUDONYM = "[PERSON_6]"  # Rich and Textual would read it as a markup tag and drop it
BOLD = "[b]three[/b]"
LINES = [
    ("interviewer", "How did the setup go?", []),
    ("customer", f"The Wi-Fi kept failing, {BOLD} tries, and {PSEUDONYM} had to reset the routers [sic].", [("stage:adoption", "suggested", 0.81), ("emotion:anger", "accepted", 0.7)]),
    ("interviewer", "Would you recommend it?", []),
    ("customer", "Yes, I told my sister to get one, the wifi pairing is easy now.", [("stage:advocacy", "suggested", 0.9), ("emotion:anger", "rejected", 0.4)]),
]


def screen_text(app) -> str:
    """What the terminal shows, as plain text (from the app's own SVG screenshot)."""
    svg = app.export_screenshot()
    return html.unescape("".join(re.findall(r"<text[^>]*>(.*?)</text>", svg))).replace("\xa0", " ")


async def until(pilot, holds, tries: int = 100) -> None:
    """Let the app run until `holds()` is true: on a busy machine a screen change can take more than one idle
    cycle to land. Gives up after `tries` cycles; the caller's own assertion then says what is wrong."""
    for _ in range(tries):
        if holds():
            return
        await pilot.pause()


async def open_at_first_suggestion(pilot) -> None:
    """From the dashboard: the first interview opened, its cursor on the first open suggestion (Enter, then n)."""
    await pilot.pause()
    await pilot.press("enter", "n")
    await pilot.pause()


@pytest.fixture
def markup_study(tmp_path):
    from research.coding.stage import study_codebook, sync_codes
    from research.store import now, set_stage
    from research.study import Study

    study = Study.create(tmp_path / "markup", "markup [study]")
    db = study.db
    sync_codes(db, study_codebook(study)[0])
    for n in (1, 2):
        interview = db["interviews"].insert({"code": f"INT-00{n}", "title": f"Call [{n}]", "sha256": f"{n:064x}", "duration": 60.0, "added_at": now()}).last_pk
        db["participants"].insert({"interview_id": interview, "slot": "customer", "label": f"Participant [{n}]", "persona": "Buyer", "segment": "Household"})
        for idx, (role, text, codes) in enumerate(LINES):
            words = [{"start": idx * 10.0 + k, "end": idx * 10.0 + k + 0.5, "text": " " + w, "probability": 0.3 if w == "routers" else 0.95} for k, w in enumerate(text.split())]
            utterance = db["utterances"].insert({"interview_id": interview, "idx": idx, "speaker": "S1" if role == "interviewer" else "S2", "role": role,
                                                 "start": idx * 10.0, "end": idx * 10.0 + 8, "text": text, "words": json.dumps(words)}).last_pk
            for key, status, confidence in codes:
                db["codings"].insert({"utterance_id": utterance, "code_key": key, "source": "model", "confidence": confidence, "status": status, "created_at": "t", "updated_at": "t"})
        for stage in ("transcribe", "speakers", "anonymize", "code"):
            set_stage(db, interview, stage, "done")
    first = db.execute("SELECT id FROM utterances WHERE idx = 1 AND interview_id = 1").fetchone()[0]
    db["themes"].insert({"id": 1, "label": f"Wi-Fi [b]pain[/b] {PSEUDONYM}", "words": json.dumps(["wi-fi", "[router]"]), "size": 2, "stage": "adoption", "participants": 2,
                         "quotes": json.dumps([first]), "created_at": "t", "journey": 1, "hidden": 0})
    return study


async def test_search_escapes_the_matched_words_and_counts_hits_in_the_singular(markup_study):
    app = ResearchApp(markup_study)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"sic", "enter")
        await pilot.pause()
        shown = screen_text(app)
        assert app.screen.sub_title == "2 hits" and "[sic]" in shown and PSEUDONYM in shown and "three[/b]" in shown  # the snippet starts after [b]
        app.screen.query_one("#query").value = ""
        app.screen.query_one("#query").focus()
        await pilot.press(*"sister", "enter")
        await pilot.pause()
        assert "2 hits" in screen_text(app)
        app.screen.query_one("#query").value = ""
        app.screen.query_one("#query").focus()
        await pilot.press(*"nothing-like-this", "enter")
        await pilot.pause()
        assert app.screen.sub_title == "no hits"
        await pilot.press("escape")
        assert hits_line(1) == "1 hit" and hits_line(0) == "no hits" and hits_line(200) == "200+ hits"


def test_search_forgives_hyphens_case_and_plurals(markup_study):
    def found(query):
        return {(h.interview, h.utterance_id) for h in search(markup_study, query)}

    wifi = found("wifi")
    assert len(wifi) == 4  # "Wi-Fi" in one utterance and "wifi" in another, in both interviews
    assert found("WI-FI") == wifi == found("Wi-Fi") == found("wi fi*") | found("wifi")
    assert found("wifi pair*") == found("pairing")  # the placeholder's own example finds something
    assert len(found("router")) == 2 and found("router") == found("routers") == found("Routers")
    hit = search(markup_study, "wifi")[0]
    assert all(hit.snippet[a:b].lower() in {"wi", "fi", "wifi"} for a, b in hit.matches) and hit.matches
    assert search(markup_study, '" * ( ') == []  # nothing to search for: no hits, no error


async def test_transcript_chips_and_detail_keep_brackets_and_never_break_a_chip(markup_study):
    app = ResearchApp(markup_study)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TranscriptScreen)
        shown = screen_text(app)
        assert PSEUDONYM in shown and BOLD in shown and "[sic]" in shown
        assert "Participant [1]" in shown
        customer = screen.utterances[1]
        assert customer.unsure and customer.text[slice(*customer.unsure[0])] == "routers"
        from tui.screens.transcript import render_utterance

        rendered = render_utterance(customer, width=30)
        chip_lines = rendered.plain.splitlines()[1:]
        assert len(chip_lines) == 2 and all(len(line) <= 30 for line in chip_lines)
        names = [f"{c.name} {c.confidence:.2f}" for c in customer.codings]
        assert all(any(name in line for line in chip_lines) for name in names)  # each chip whole on one line
        underlined = [s for s in rendered.spans if "underline" in str(s.style)]
        assert underlined and rendered.plain[underlined[0].start:underlined[0].end] == "routers"
        await pilot.press("n")
        await pilot.pause()
        assert "Help" in screen_text(app) and "Quit" in screen_text(app)


async def test_themes_and_codebook_show_markup_like_text_as_written(markup_study, monkeypatch):
    """And a rename that meets a study another program holds locked is one line (it ended the app), the label as it was."""
    import sqlite3

    import tui.screens.themes

    def locked(*args):
        raise sqlite3.OperationalError("database is locked")

    app = ResearchApp(markup_study)
    said, notify = [], app.notify
    app.notify = lambda message, **options: (said.append(message), notify(message, **options))[1]
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, ThemesScreen)
        shown = screen_text(app)
        assert f"Wi-Fi [b]pain[/b] {PSEUDONYM}" in shown and "[router]" in shown and PSEUDONYM in shown and BOLD in shown
        monkeypatch.setattr(tui.screens.themes, "rename_theme", locked)
        await pilot.press("e", "end", "x", "enter")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, ThemesScreen), said
        assert said[-1] == f"Not saved: locked: another program is writing in {markup_study.root}; wait for it to finish and try again", said
    assert markup_study.db["themes"].get(1)["label"] == f"Wi-Fi [b]pain[/b] {PSEUDONYM}"


async def test_enter_on_a_code_lists_its_quotes_across_interviews_and_jumps_to_each(markup_study):
    db = markup_study.db
    app = ResearchApp(markup_study)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, CodebookScreen)
        table = app.screen.query_one("DataTable")
        row = next(n for n, c in enumerate(app.screen.counts) if c.key == "emotion:anger")
        table.move_cursor(row=row)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CodeQuotesScreen)
        quotes = app.screen.query_one("#quotes")
        expected = db.execute("SELECT COUNT(*) FROM codings WHERE code_key = 'emotion:anger'").fetchone()[0]
        assert quotes.option_count == expected == 4 and app.screen.sub_title == "4 quotes, 2 interviews"
        shown = screen_text(app)
        assert PSEUDONYM in shown and "✓" in shown and "✗" in shown
        for n in range(expected):
            quotes.highlighted = n
            await pilot.press("enter")
            await pilot.pause()
            target = quotes.get_option_at_index(n).id.split("|")
            assert isinstance(app.screen, TranscriptScreen) and app.screen.interview == target[0] and app.screen.current.id == int(target[1])
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, CodeQuotesScreen) and quotes.highlighted == n


def test_the_app_imports_no_model_before_its_first_frame():
    code = ("import sys, tui.app, tui.screens.transcript, tui.screens.journey, tui.screens.codebook, tui.screens.search, tui.screens.themes\n"
            "print(sorted(m for m in ('torch', 'sklearn', 'spacy', 'sentence_transformers', 'presidio_analyzer', 'bertopic', 'research.coding.stage') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=HANG_GUARD_S)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


async def test_at_80x24_the_dashboard_puts_open_suggestions_and_stages_before_the_title(markup_study):
    """A stale stage is ↻ as in `research status` (the app wrote the word "stale" into the one-character column)."""
    from research.store import set_stage

    set_stage(markup_study.db, 2, "code", "done", upstream_hash="an older anonymization")
    app = ResearchApp(markup_study)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("DataTable")
        labels = [str(column.label) for column in table.columns.values()]
        assert labels[:2] == ["code", "open"] and labels[-1] == "title"
        assert table.get_row("INT-001")[2:6] == ["✓"] * 4 and table.get_row("INT-002")[2:6] == ["✓", "✓", "✓", "↻"]
        shown = screen_text(app)
        assert "open" in shown and "code" in shown and "✓" in shown and "Call [1]" in shown
        assert "? Help" in shown and "q Quit" in shown


async def test_at_80x24_the_footer_wraps_to_show_every_key_of_the_transcript_and_dashboard(markup_study):
    """At 80 columns the footer used to end at "+ Add": undo, memo, play, edit and back were off screen."""
    app = ResearchApp(markup_study)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()

        def footer_keys() -> list[str]:
            return [binding.description for _, binding, _, _ in app.screen.active_bindings.values() if binding.show]

        for opened in (False, True):
            if opened:
                await pilot.press("enter")
                await until(pilot, lambda: isinstance(app.screen, TranscriptScreen) and all(d in screen_text(app) for d in footer_keys()))
                assert isinstance(app.screen, TranscriptScreen)
            shown = screen_text(app)
            described = footer_keys()
            assert described and all(description in shown for description in described), [d for d in described if d not in shown]
        assert "Undo" in shown and "Play" in shown and "Back" in shown
        await pilot.press("escape")
        await pilot.resize_terminal(160, 24)
        await pilot.pause()
        await pilot.pause()
        assert app.screen.query_one("KeyFooter").size.height == 1  # where the keys fit, one line as before


async def test_an_email_phone_number_or_name_typed_into_a_memo_is_saved_as_a_placeholder(markup_study):
    """A memo is study.db text: a contact or a name typed into it ("call back on …") used to be saved and shown raw."""
    db = markup_study.db
    app = ResearchApp(markup_study)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_at_first_suggestion(pilot)
        coding = app.screen.current_coding
        await pilot.press("m")
        await pilot.pause()
        await pilot.press(*"mail jo.bloggs@example.org or call 555-123-4567 first", "enter")
        await app.workers.wait_for_complete()  # saved off the UI thread
        await pilot.press("M")
        await pilot.pause()
        await pilot.press(*"ring Margaret Okonkwo on +44 20 7946 0958", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        memo = db["codings"].get(coding.id)["memo"]
        utterance_memo = db.execute("SELECT memo FROM utterance_memos WHERE utterance_id = ?", [app.screen.current.id]).fetchone()[0]
        assert re.fullmatch(r"mail \[EMAIL_\d+\] or call \[PHONE_\d+\] first", memo), memo
        assert re.fullmatch(r"ring \[PERSON_\d+\] on \[PHONE_\d+\]", utterance_memo), utterance_memo  # a name nobody listed, too
        shown = screen_text(app)
        assert "example.org" not in shown and "4567" not in shown and "7946" not in shown and "Okonkwo" not in shown and "[EMAIL_" in shown


async def test_the_screen_answers_keys_while_the_anonymizer_loads_and_the_memo_is_saved_redacted(markup_study, monkeypatch):
    """The first memo used to load the anonymizer (seconds of CPU) as it was saved, and the app stopped answering.
    It now loads in a worker as the dialog opens, and the save waits for it: the stand-in below only holds the load
    back until the screen has been checked meanwhile; the real anonymizer then loads and redacts the memo."""
    import threading

    import tui.anonymizer_load as anonymizer_load

    release = threading.Event()
    real_load = anonymizer_load.load_anonymizer

    def held_back_load() -> None:
        release.wait(120)
        real_load()

    monkeypatch.setattr(anonymizer_load, "load_anonymizer", held_back_load)
    db = markup_study.db
    app = ResearchApp(markup_study)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_at_first_suggestion(pilot)
        screen, coding = app.screen, app.screen.current_coding
        await pilot.press("m")
        await pilot.pause()
        await pilot.press(*"ring Margaret Okonkwo on 555-123-4567", "enter")
        await pilot.pause()
        assert app.screen is screen and app.anonymizer.loading
        assert "Saving the memo: loading the anonymizer, which replaces names first…" in screen_text(app)
        assert db["codings"].get(coding.id)["memo"] is None  # nothing is saved before it is redacted
        utterances = screen.query_one("#utterances")
        row = utterances.highlighted
        await pilot.press("down")
        assert utterances.highlighted == row + 1  # the screen answers keys while the anonymizer loads
        await pilot.press("question_mark")
        await until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        assert app.anonymizer.loading and db["codings"].get(coding.id)["memo"] is None
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert re.fullmatch(r"ring \[PERSON_\d+\] on \[PHONE_\d+\]", db["codings"].get(coding.id)["memo"])
        assert not screen.query_one("#memo-saving").display and "Okonkwo" not in screen_text(app)
        assert list(app._notifications)[-1].message == "Memo saved; u undoes it."


async def test_a_reopened_app_lands_on_the_interview_and_utterance_left_last(markup_study):
    """Quitting and reopening used to start at the first interview's first line, however far the review had gone."""
    app = ResearchApp(markup_study)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, TranscriptScreen))
        await pilot.press("down", "down", "down")
        await pilot.pause()
        left = app.screen.current
        assert app.screen.interview == "INT-002" and left.idx == 3
        await pilot.press("q")
    reopened = ResearchApp(markup_study)
    async with reopened.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert reopened.screen.query_one("DataTable").cursor_row == 1
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(reopened.screen, TranscriptScreen))
        assert reopened.screen.interview == "INT-002" and reopened.screen.current.id == left.id
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(reopened.screen, TranscriptScreen))
        await pilot.press("up", "enter")  # another interview opens at its top
        await until(pilot, lambda: isinstance(reopened.screen, TranscriptScreen))
        assert reopened.screen.interview == "INT-001" and reopened.screen.current.idx == 0


async def test_undo_puts_the_cursor_on_the_coding_it_restored(markup_study):
    """After accepting, the cursor moves on to the next suggestion; `u` used to leave it there, so the
    researcher could not see what the undo had put back."""
    db = markup_study.db
    app = ResearchApp(markup_study)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_at_first_suggestion(pilot)
        screen = app.screen
        decided = screen.current_coding
        await pilot.press("a")
        await pilot.pause()
        assert screen.current_coding.id != decided.id and screen.current.id != db["codings"].get(decided.id)["utterance_id"]
        await pilot.press("u")
        await pilot.pause()
        assert screen.current_coding.id == decided.id and screen.current_coding.status == "suggested"
        assert f"{decided.group} › {decided.name}: suggested" in str(screen.query_one("#detail").render())


async def test_a_crash_report_never_shows_what_was_typed(markup_study, monkeypatch, capfd):
    """Textual's crash report printed every frame's local variables: the memo as typed, names and all (seen when a
    memo save met 'database is locked')."""

    def crashing_help(self) -> None:
        typed = "eoD enaJ llac"[::-1]  # noqa: F841 - the local a report with locals would print (reversed: the report also shows this line)
        raise RuntimeError("boom")

    monkeypatch.setattr(ResearchApp, "action_help", crashing_help)
    app = ResearchApp(markup_study)
    with pytest.raises(RuntimeError, match="boom"):
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("question_mark")
            await pilot.pause()
    report = "".join(capfd.readouterr())
    assert "RuntimeError" in report and "boom" in report and "Jane Doe" not in report


async def test_recode_offers_the_codings_own_group_first_without_the_code_itself(markup_study):
    """Recoding an emotion listed the five stages first and the code being replaced among the rest: a researcher
    correcting "Anger" had to type to find the other emotions."""
    from research.coding.stage import study_codebook
    from tui.dialogs import CodePicker

    app = ResearchApp(markup_study)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_at_first_suggestion(pilot)
        screen = app.screen
        while screen.current_coding.key != "emotion:anger":
            await pilot.press("right")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CodePicker))
        options = app.screen.query_one("#codes")
        keys = [options.get_option_at_index(n).id for n in range(options.option_count)]
        emotions = [key for key in study_codebook(markup_study)[0].codes if key.startswith("emotion:") and key != "emotion:anger"]
        assert keys[: len(emotions)] == emotions and "emotion:anger" not in keys and "stage:adoption" in keys
        utterance = screen.current.id
        await pilot.press("enter")  # the first: another emotion
        await pilot.pause()
    accepted = {r[0] for r in markup_study.db.execute("SELECT code_key FROM codings WHERE utterance_id = ? AND status = 'accepted'", [utterance])}
    assert emotions[0] in accepted and "emotion:anger" not in accepted


def test_collections_are_held_back_while_a_worker_loads_and_come_back_after():
    """`collections_held`: no automatic pass while any hold lasts (nested, or from two threads); when the last ends,
    what is alive is frozen (a model load's objects) and the thresholds are as they were."""
    import gc

    from research.held_collections import collections_held

    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with collections_held():
        with collections_held():
            assert gc.get_threshold()[0] == 0
        assert gc.get_threshold()[0] == 0 and gc.get_freeze_count() < frozen + 100  # the outer hold still lasts: nothing frozen yet
        model = [[n] for n in range(1000)]
    assert gc.get_threshold() == before and gc.get_freeze_count() >= frozen + len(model)
