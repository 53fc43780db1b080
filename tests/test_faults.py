"""Issue 19: every fault a new user met, as a case, with the behaviour that must hold.

Data loss (items 3-5), one clear line with nothing half-written (6-8), metadata sheets (10), truncated
audio (11), the smaller items (12), Markdown (13); REFI-QDA import (1, 2, 9) is in test_faults_import.py.
The cases that already behaved (kill -9 resume, PII, vault permissions, injection) are here too, so
they stay that way.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from research.cli import cli, keep_ctrl_c
from research.coding.engine import Suggestion
from research.coding.stage import save_suggestions, study_codebook
from research.ingest import add_files
from research.metadata import MetadataSheet
from research.store import set_stage
from research.study import Study
from tests.audio_factory import speech_clip, write_audio
from tests.conftest import DEMO, HANG_GUARD_S
from tests.fault_study import LINES, add, atomic_on_a_full_disk, codings, make_study, utterance

TONE = 0.3 * np.sin(2 * np.pi * 220 * np.arange(16_000 * 2) / 16_000).astype(np.float32)


def research(study: Study | Path, *args: str):
    root = study.root if isinstance(study, Study) else study
    return CliRunner().invoke(cli, ["--study", str(root), *args])


def one_error_line(result) -> str:
    """The command failed with exactly one line, `Error: ...` (no traceback); returns it."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.output.strip().splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


@contextmanager
def read_only(*paths: Path):
    """Make paths unwritable for real: immutable for root (who ignores permission bits), else no write bits."""
    root = os.geteuid() == 0
    if root and subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True).returncode:
        pytest.skip("chattr is unavailable, and root ignores permission bits")
    modes = {p: p.stat().st_mode for p in paths}
    if not root:
        for path in paths:
            path.chmod(stat.S_IMODE(modes[path]) & ~0o222)
    try:
        yield
    finally:
        if root:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True)
        else:
            for path, mode in modes.items():
                path.chmod(stat.S_IMODE(mode))


@pytest.fixture
def small_disk(tmp_path):
    """A real 4 MB file system (tmpfs), so a full disk is the kernel's ENOSPC; needs root to mount."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("a full disk is a small tmpfs here, and mounting one needs root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill the file system until ENOSPC, then free `leave` bytes."""
    filler = disk / "filler"
    with filler.open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    size = filler.stat().st_size
    os.truncate(filler, max(0, size - leave))
    return filler


def speech_file(folder: Path, name: str = "clip.wav", seconds: float = 6) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_audio(folder / name, speech_clip(DEMO / "int-02.opus", seconds))


# -- item 3: decisions and memos survive re-coding ---------------------------------------------------------

def test_memos_on_suggestions_survive_recoding(tmp_path):
    study = make_study(tmp_path / "study")
    add(study, "INT-001", 3, "emotion:frustration", "suggested", memo="failed three times: a key quote")
    add(study, "INT-001", 3, "stage:adoption", "suggested")
    add(study, "INT-001", 1, "stage:discovery", "accepted", coder="ana", memo="friend's tip")
    add(study, "INT-001", 4, "channel:phone", "rejected", coder="ana", memo="it was the app")
    ids = [utterance(study, "INT-001", idx) for idx in range(5)]
    codebook = study_codebook(study)[0]
    # the re-run suggests something else for utterance 3, and no longer the memo's code
    save_suggestions(study.db, codebook, ids, [Suggestion(ids[3], "stage:retention", 0.8, "rule")])
    kept = set(codings(study))
    assert ("INT-001", 3, "emotion:frustration", "suggested", None, "failed three times: a key quote", "rule") in kept
    assert ("INT-001", 1, "stage:discovery", "accepted", "ana", "friend's tip", "human") in kept
    assert ("INT-001", 4, "channel:phone", "rejected", "ana", "it was the app", "human") in kept
    assert ("INT-001", 3, "stage:retention", "suggested", None, None, "rule") in kept
    assert not any(c[2] == "stage:adoption" for c in kept)  # a suggestion without a memo is replaced
    # suggested again, the memo's coding takes the new confidence and keeps its memo
    save_suggestions(study.db, codebook, ids, [Suggestion(ids[3], "emotion:frustration", 0.91, "model")])
    row = next(study.db.query("SELECT memo, confidence, source FROM codings WHERE code_key = 'emotion:frustration'"))
    assert row == {"memo": "failed three times: a key quote", "confidence": 0.91, "source": "model"}


def test_code_force_keeps_decisions_and_memos(tmp_path):
    """Item 3 through the command the user ran: `research code --force` silently deleted memos on suggestions."""
    study = make_study(tmp_path / "study")
    add(study, "INT-001", 3, "signal:expectation-gap", "suggested", memo="compare with INT-002")
    add(study, "INT-001", 1, "stage:discovery", "accepted", coder="ana", memo="friend's tip")
    add(study, "INT-002", 1, "channel:email", "rejected", coder="ana")
    study.db.conn.commit()
    result = research(study, "code", "--force")
    assert result.exit_code == 0, result.output
    kept = set(codings(study))
    assert ("INT-001", 1, "stage:discovery", "accepted", "ana", "friend's tip", "human") in kept
    assert ("INT-002", 1, "channel:email", "rejected", "ana", None, "human") in kept
    assert any(c[:3] == ("INT-001", 3, "signal:expectation-gap") and c[3] == "suggested" and c[5] == "compare with INT-002" for c in kept)
    assert any(c[3] == "suggested" and c[5] is None for c in kept)  # and it did re-code


def test_speakers_after_a_purge_marks_nothing_failed(tmp_path):
    study = make_study(tmp_path / "study")
    study.purge_vault()
    before = list(study.db.query("SELECT * FROM stage_status ORDER BY interview_id, stage"))
    assert "vault of this study was purged" in one_error_line(research(study, "speakers", "--force"))
    assert list(study.db.query("SELECT * FROM stage_status ORDER BY interview_id, stage")) == before


# -- item 4: transcribe --force transcribes again ----------------------------------------------------------

@pytest.mark.slow
def test_transcribe_force_really_transcribes_again(study, tmp_path):
    add_files(study, [speech_file(tmp_path / "audio")])
    assert research(study, "transcribe", "--model", "tiny.en").exit_code == 0
    first = [s.text for s in study.vault.raw_segments(1)]
    study.vault.db.execute("UPDATE raw_segments SET text = 'STALE'")
    study.vault.db.conn.commit()
    again = research(study, "transcribe", "--model", "tiny.en")
    assert "Nothing to transcribe" in again.output  # unchanged settings, no --force: nothing to do
    forced = research(study, "transcribe", "--model", "tiny.en", "--force")
    assert forced.exit_code == 0 and "Transcribed 1 of 1" in forced.output
    assert [s.text for s in study.vault.raw_segments(1)] == first
    assert study.db["runs"].count == 2


# -- item 5: a purged vault ----------------------------------------------------------------------------------

def test_run_after_a_purge_skips_the_vault_stages_and_runs_the_rest(tmp_path):
    study = make_study(tmp_path / "study")
    study.db.execute("DELETE FROM stage_status WHERE stage = 'code'")
    study.db.conn.commit()
    study.purge_vault()
    result = research(study, "run")
    assert result.exit_code == 0, result.output
    assert "The vault was purged: transcribe, speakers and anonymize are skipped" in result.output
    assert "Coded 2 interviews" in result.output and study.db["maps"].count >= 1
    assert study.db["codings"].count > 0


def test_a_refused_transcribe_after_a_purge_marks_nothing_failed(tmp_path):
    study = make_study(tmp_path / "study")
    study.purge_vault()
    before = list(study.db.query("SELECT * FROM stage_status ORDER BY interview_id, stage"))
    line = one_error_line(research(study, "transcribe", "--force"))
    assert "vault of this study was purged" in line
    assert list(study.db.query("SELECT * FROM stage_status ORDER BY interview_id, stage")) == before


# -- item 6: a read-only study -----------------------------------------------------------------------------

def test_a_read_only_study_reads_and_refuses_writes_in_one_line(study, tmp_path):
    add_files(study, [write_audio(tmp_path / "a.wav", TONE)])
    study.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    study.db.conn.close()
    with read_only(study.root, study.db_path):
        status = research(study, "status")
        assert status.exit_code == 0 and "INT-001" in status.output, status.output
        assert "read-only" in one_error_line(research(study, "add", str(write_audio(tmp_path / "b.wav", TONE * 0.5))))
        assert "read-only" in one_error_line(research(study, "transcribe", "--model", "tiny.en"))
    assert Study.open(study.root).db["interviews"].count == 1


def test_a_read_only_study_folder_still_exports_elsewhere(tmp_path):
    """The whole folder read-only (a read-only share or mount), vault and redacted audio too: the export to a
    writable folder is whole, its m4a made in the export's staging folder, and nothing is written in the study.
    Its participants are labelled by their slots, as before pseudonyms for unnamed participants: the map build
    gave them pseudonyms in the vault, and the export stopped with "read-only"."""
    study = make_study(tmp_path / "study")
    study.db.execute("UPDATE participants SET label = (SELECT code FROM interviews WHERE id = interview_id) || ' ' || slot")
    write_audio(study.redacted_audio_dir / "INT-001.opus", TONE)
    vault = study.vault
    for db in (study.db, vault.db):
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.conn.close()
    before = sorted(p.name for p in study.root.rglob("*"))
    with read_only(study.root, study.db_path, vault.folder, vault.path, study.redacted_audio_dir):
        result = research(study.root, "export", "--format", "md,qdpx", "--out", str(tmp_path / "out"))
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in study.root.rglob("*")) == before
    with zipfile.ZipFile(tmp_path / "out" / "small.qdpx") as project:
        assert sum(name.endswith(".m4a") for name in project.namelist()) == 1
    assert (tmp_path / "out" / "journey-map.md").is_file() and not list((tmp_path / "out").glob(".export-*"))


def test_a_read_only_study_extracts_text_facts_it_has_not_kept_without_writing_them(tmp_path):
    """A map built from a read-only study whose facts were kept by an older extractor (or never) stopped with
    "attempt to write a readonly database": the facts are extracted for the build and not kept."""
    from research.text_facts import cached_per_text

    study = make_study(tmp_path / "study")
    texts = {utterance(study, "INT-001", idx): text for idx, (_, text) in enumerate(LINES["INT-001"])}
    study.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    study.db.conn.close()
    with read_only(study.root, study.db_path):
        db = Study.open(study.root).db
        facts = cached_per_text(db, "utterance_facts", "five_ws", "test", texts, lambda missing: {key: len(text) for key, text in missing.items()})
        assert facts == {key: len(text) for key, text in texts.items()} and not db["utterance_facts"].count


async def test_the_review_app_says_at_once_that_a_read_only_study_cannot_be_changed(tmp_path):
    """The app opened a read-only study as any other, and the first accepted coding then ended it with a traceback.
    The command palette's "Run pipeline" still ran the pipeline, whose read-only lock folder ended the app too."""
    from tui.app import ResearchApp, StudyCommands

    study = make_study(tmp_path / "study")
    study.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    study.db.conn.close()
    with read_only(study.root, study.db_path):
        app = ResearchApp(Study.open(study.root))
        said, notify = [], app.notify
        app.notify = lambda message, **options: (said.append(message), notify(message, **options))[1]
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert said == ["This study is read-only: you can read it, but no decision or memo can be saved."]
            assert app.screen.check_action("run_pipeline", ()) is None
            assert "Run pipeline" not in [name for name, _, _ in StudyCommands(app.screen)._commands()]
            app.screen.action_run_pipeline()  # the dashboard's worker, should a fault meet it: one line, and the app goes on
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.is_running and said[-1].startswith("Pipeline stopped: read-only: cannot write"), said


async def test_a_saving_key_on_a_read_only_study_is_dimmed_and_changes_nothing(tmp_path):
    """Pressing a on a suggestion in a read-only study ended the app with sqlite's 'attempt to write a readonly database'."""
    from tui.app import ResearchApp
    from tui.screens.transcript import TranscriptScreen

    study = make_study(tmp_path / "study")
    ids = [utterance(study, "INT-001", idx) for idx in range(5)]
    save_suggestions(study.db, study_codebook(study)[0], ids, [Suggestion(ids[1], "stage:retention", 0.8, "rule")])
    before = set(codings(study))
    study.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    study.db.conn.close()
    with read_only(study.root, study.db_path):
        app = ResearchApp(Study.open(study.root))
        async with app.run_test(size=(80, 24)) as pilot:
            await app.push_screen(TranscriptScreen("INT-001", focus_utterance=ids[1]))
            await pilot.pause()
            screen = app.screen
            assert screen.check_action("accept", ()) is None and screen.check_action("next_suggestion", ()) is True
            for key in ("a", "x", "b", "u"):
                await pilot.press(key)
            await pilot.pause()
            assert app.is_running and app.screen is screen
    assert set(codings(Study.open(study.root))) == before


async def test_a_full_disk_met_by_the_apps_workers_is_one_line_and_the_app_goes_on(tmp_path, monkeypatch):
    """The map's, the memo's and the transcript correction's workers caught only a ResearchError: SQLite's "database
    or disk is full" (or a read-only study's refused write) ended the app with a traceback."""
    import research.journey.build
    from tui.app import ResearchApp
    from tui.screens.transcript import TranscriptScreen

    def full_disk(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(research.journey.build, "build_and_store", full_disk)
    app = ResearchApp(make_study(tmp_path / "study"))
    said, notify = [], app.notify
    app.notify = lambda message, **options: (said.append(message), notify(message, **options))[1]
    line = f"disk full: no space left in {tmp_path / 'study'}; free some space and run the command again (nothing half-written was kept)"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and app.screen.sub_title == "map not built" and said == [line]
        await app.push_screen(TranscriptScreen("INT-001"))
        await pilot.pause()
        app.screen.save_memo(full_disk)
        await app.workers.wait_for_complete()
        app.screen.run_correction("edit", full_disk)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and said[-1] == line and said.count(line) == 2 and f"Memo not saved: {line}" in said, said


async def test_a_full_disk_met_by_a_saving_key_is_one_line_nothing_is_lost_and_the_app_goes_on(tmp_path, monkeypatch):
    """The keys that save on the UI thread (accept, reject, recode, add, bulk accept, undo) ended the app with a
    traceback when study.db could not be written (a full disk, a locked study). Each write here runs and then its
    commit fails, as on a full disk: one line each, the study as it was, and the same key saves once there is space."""
    from research.coding.decisions import decide
    from research.store import StudyDatabase
    from tui.app import ResearchApp
    from tui.screens.transcript import TranscriptScreen

    study = make_study(tmp_path / "study")
    ids = [utterance(study, "INT-001", idx) for idx in range(5)]
    codebook = study_codebook(study)[0]
    save_suggestions(study.db, codebook, ids, [Suggestion(ids[1], "stage:retention", 0.95, "rule"), Suggestion(ids[3], "stage:onboarding", 0.95, "rule")])
    decide(study.db, study.db.execute("SELECT id FROM codings WHERE utterance_id = ?", [ids[3]]).fetchone()[0], "accepted")  # for u to undo
    before = set(codings(study))
    real, full_disk = StudyDatabase.atomic, atomic_on_a_full_disk()
    app = ResearchApp(study)
    said, notify = [], app.notify
    app.notify = lambda message, **options: (said.append(message), notify(message, **options))[1]
    line = f"Not saved: disk full: no space left in {study.root}; free some space and run the command again (nothing half-written was kept)"
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(TranscriptScreen("INT-001", focus_utterance=ids[1]))
        await pilot.pause()
        screen = app.screen
        monkeypatch.setattr(StudyDatabase, "atomic", full_disk)
        for keys in (["a"], ["x"], ["c", "enter"], ["plus", "enter"], ["b", "enter", "enter"], ["u"]):
            await pilot.press(*keys)
            await pilot.pause()
            assert app.is_running and app.screen is screen and said[-1] == line, (keys, said)
        assert said.count(line) == 6 and set(codings(study)) == before
        monkeypatch.setattr(StudyDatabase, "atomic", real)
        await pilot.press("a")
        await pilot.pause()
    assert ("INT-001", 1, "stage:retention", "accepted", "researcher", None, "rule") in codings(Study.open(study.root))


# -- item 7: a duplicate row in the metadata sheet ---------------------------------------------------------

def test_a_duplicate_sheet_row_is_one_line_and_leaves_nothing_behind(study, tmp_path):
    audio = write_audio(tmp_path / "a.wav", TONE)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("file,speaker,participant\na.wav,customer,Jane Roe\na.wav,customer,John Doe\n")
    line = one_error_line(research(study, "add", str(audio), "--meta", str(sheet)))
    assert line == "Error: sheet.csv, row 3: the same file and speaker as row 2; give each participant of a file its own speaker (customer, customer_b, ...)"
    assert study.db["interviews"].count == 0
    assert study.vault.db["people"].count == 0 and study.vault.db["pseudonyms"].count == 0


def test_subtitles_asked_for_a_transcript_without_timings_say_it_was_skipped_in_one_line(tmp_path):
    """`export --format srt` on a transcript imported as text wrote nothing and said nothing, with exit status 0."""
    study = make_study(tmp_path / "study")
    study.db.execute('UPDATE utterances SET start = 0, "end" = 0 WHERE interview_id = (SELECT id FROM interviews WHERE code = ?)', ["INT-002"])
    study.db.conn.commit()
    out = tmp_path / "out"
    result = research(study, "export", "--format", "srt,vtt", "--out", str(out))
    assert result.exit_code == 1 and (result.exception is None or isinstance(result.exception, SystemExit)), result.output
    lines = [line for line in result.output.splitlines() if "INT-002" in line]
    assert lines == ["! INT-002 has no timings (imported as text): skipped for srt and vtt, whose cues need them; --format txt or docx writes its text"], result.output
    assert "INT-001" not in result.output and sorted(p.name for p in (out / "transcripts").iterdir()) == ["INT-001.srt", "INT-001.vtt"]

# -- item 8: a full disk -----------------------------------------------------------------------------------

def test_export_on_a_full_disk_says_so_and_keeps_the_earlier_files(tmp_path, small_disk):
    study = make_study(tmp_path / "study")
    earlier = small_disk / "small.qdpx"
    earlier.write_bytes(b"an earlier export")
    (small_disk / "codebook.qdc").write_bytes(b"earlier codebook")
    fill(small_disk, leave=8192)
    line = one_error_line(research(study, "export", "--format", "qdc,qdpx", "--out", str(small_disk)))
    assert line.startswith("Error: disk full: no space left"), line
    assert earlier.read_bytes() == b"an earlier export" and (small_disk / "codebook.qdc").read_bytes() == b"earlier codebook"
    assert sorted(p.name for p in small_disk.iterdir()) == ["codebook.qdc", "filler", "small.qdpx"]  # no partial file, no staging folder


def test_transcribe_on_a_full_disk_says_so_and_resumes_once_there_is_space(tmp_path, small_disk):
    study = Study.create(small_disk / "study", "full")
    add_files(study, [speech_file(tmp_path / "audio")])
    study.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    filler = fill(small_disk, leave=4096)
    result = research(study, "transcribe", "--model", "tiny.en")
    line = one_error_line(result)
    assert "disk full" in line and "OperationalError" not in result.output, result.output
    filler.unlink()
    rerun = research(study, "transcribe", "--model", "tiny.en")
    assert rerun.exit_code == 0 and "Transcribed 1 of 1" in rerun.output, rerun.output


def _separated(study: Study, source: Path) -> None:
    """An interview as the speakers stage leaves it: raw utterances in the vault, the stage done."""
    from research.speakers import SpokenWord, Utterance

    words = [SpokenWord(0.5, 0.9, " My", 0.9, "S2"), SpokenWord(1.0, 1.4, " name", 0.9, "S2"), SpokenWord(1.5, 1.9, " is", 0.9, "S2"), SpokenWord(2.0, 2.6, " Jane", 0.9, "S2"), SpokenWord(2.7, 3.2, " Roe.", 0.9, "S2")]
    add_files(study, [source])
    study.vault.save_utterances(1, [(Utterance("S2", 0.5, 3.2, "My name is Jane Roe.", words), "customer")])
    set_stage(study.db, 1, "transcribe", "done", params_hash="t")
    set_stage(study.db, 1, "speakers", "done", params_hash="s")
    study.db.conn.commit()


def test_anonymize_on_a_full_disk_says_so_and_leaves_no_partial_file(tmp_path, small_disk):
    study = Study.create(small_disk / "study", "full")
    _separated(study, speech_file(tmp_path / "audio", seconds=20))
    fill(small_disk, leave=48 * 1024)  # room for the database's writes, not for the 20 s redacted copy (about 80 kB)
    line = one_error_line(research(study, "anonymize"))
    assert line.startswith("Error: ") and "disk full" in line, line  # at INT-001's audio, or already at the stage's lock file
    assert list((study.root / "redacted-audio").iterdir()) == []
    assert study.db.execute("SELECT status FROM stage_status WHERE stage = 'anonymize'").fetchall() == []


# -- item 10: metadata sheets --------------------------------------------------------------------------------

def test_a_semicolon_sheet_with_blank_rows_and_day_first_dates_loads(tmp_path):
    sheet = tmp_path / "excel.csv"
    sheet.write_text("file;speaker;persona;date\na.wav;customer;Ops buyer;14/09/2026\nb.wav;customer;;2026-09-15\n;;;\n;;;\n", encoding="utf-8-sig")
    loaded = MetadataSheet.load(sheet)
    assert [(r.file, r.persona, r.date.isoformat()) for r in loaded.rows] == [("a.wav", "Ops buyer", "2026-09-14"), ("b.wav", None, "2026-09-15")]


def test_a_date_that_is_no_date_says_which_format_is_expected(study, tmp_path):
    sheet = tmp_path / "s.csv"
    sheet.write_text("file,date\na.wav,2026/14/09\n")
    result = research(study, "add", str(write_audio(tmp_path / "a.wav", TONE)), "--meta", str(sheet))
    assert one_error_line(result) == "Error: s.csv, row 2: date: '2026/14/09' is not a date; use YYYY-MM-DD, or day first as 14/09/2026"


def test_a_sheet_row_naming_a_missing_file_is_reported(study, tmp_path):
    audio = write_audio(tmp_path / "a.wav", TONE)
    sheet = tmp_path / "s.csv"
    sheet.write_text("file,persona\na.wav,x\nJane Roe interview.wav,y\n")
    result = research(study, "add", str(audio), "--meta", str(sheet))
    assert result.exit_code == 0 and "sheet row 3 names a file that is not among those given" in result.output
    assert "Jane Roe" not in result.output


def test_a_corrected_sheet_updates_audio_already_added_and_says_so(study, tmp_path):
    audio = write_audio(tmp_path / "a.wav", TONE)
    sheet = tmp_path / "s.csv"
    sheet.write_text("file,persona,segment,participant,industry\na.wav,Ops,SMB,Jane Roe,Retail\n")
    research(study, "add", str(audio), "--meta", str(sheet))
    sheet.write_text("file,persona,segment,participant,industry\na.wav,Operations buyer,Enterprise,Jane Roe,Banking\n")
    result = research(study, "add", str(audio), "--meta", str(sheet))
    assert "already present 1 (metadata updated: INT-001)" in result.output
    row = next(study.db.query("SELECT p.persona, p.segment, p.label, i.industry FROM participants p JOIN interviews i ON i.id = p.interview_id"))
    assert row == {"persona": "Operations buyer", "segment": "Enterprise", "label": "Participant 1", "industry": "Banking"}
    unchanged = research(study, "add", str(audio), "--meta", str(sheet))
    assert "already present 1, failed 0" in unchanged.output


# -- item 11: a truncated file ----------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_truncated_mp3_stores_the_decoded_duration_with_a_note(study, tmp_path):
    whole = write_audio(tmp_path / "whole.mp3", speech_clip(DEMO / "int-02.opus", 20))
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 4 // 10])
    add_files(study, [cut])
    assert study.db.execute("SELECT duration FROM interviews").fetchone()[0] == pytest.approx(20, abs=0.5)  # what the header says
    research(study, "transcribe", "--model", "tiny.en")
    duration = study.db.execute("SELECT duration FROM interviews").fetchone()[0]
    assert 6 < duration < 10
    status = research(study, "status")
    assert "INT-001: the audio decodes to" in status.output and "a truncated file?" in status.output


# -- item 12: smaller items -------------------------------------------------------------------------------

def test_an_empty_folder_says_no_audio_was_found(study, tmp_path):
    (tmp_path / "empty").mkdir()
    result = research(study, "add", str(tmp_path / "empty"))
    assert result.exit_code == 1 and "holds no audio or video files" in result.output
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "Jane Roe notes.txt").write_text("x")  # a text file that is no transcript
    result = research(study, "add", str(tmp_path / "notes"))
    assert result.exit_code == 1 and "transcript 1 of 1: no 'Speaker: text' lines, so not a transcript" in result.output
    assert "Jane" not in result.output


def test_two_codes_with_one_name_are_a_codebook_error(tmp_path):
    book = tmp_path / "book.yaml"
    book.write_text("name: b\ngroups:\n  - id: g\n    name: G\n    codes:\n      - {id: a, name: Price, definition: x}\n      - {id: b, name: price, definition: y}\n")
    result = CliRunner().invoke(cli, ["codebook", "check", str(book)])
    assert one_error_line(result).endswith("codes 'a' and 'b' of group 'g' have the same name 'price'")


HOLD = """
import sys, time
from pathlib import Path
from research.locks import stage_lock
from research.store import set_stage
from research.study import Study
study = Study.open(Path(sys.argv[1]))
with stage_lock(study.root, "transcribe"):
    set_stage(study.db, 1, "transcribe", "running")
    study.db.conn.commit()
    print("held", flush=True)
    time.sleep(120)
"""


def test_a_second_process_says_who_holds_the_stage_and_a_killed_one_shows_as_interrupted(study, tmp_path):
    add_files(study, [write_audio(tmp_path / "a.wav", TONE)])
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(study.root)], stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    try:
        assert holder.stdout.readline().strip() == "held"
        busy = one_error_line(research(study, "transcribe", "--model", "tiny.en"))
        assert busy.startswith(f"Error: transcribe is already running in this study (pid {holder.pid}, since ")
        assert json.loads(research(study, "status", "--json").output)[0]["stages"]["transcribe"] == "running"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    stages = json.loads(research(study, "status", "--json").output)[0]["stages"]
    assert stages["transcribe"] == "interrupted"
    assert "‼" in research(study, "status").output


def test_a_failing_file_is_named_by_its_position_never_its_name(study, tmp_path):
    """An empty file and notes saved as .wav said only FFmpeg's "Invalid data found when processing input"."""
    good = write_audio(tmp_path / "good.wav", TONE)
    broken = tmp_path / "Jane Roe broken.m4a"
    broken.write_bytes(bytes(range(256)) * 10)
    empty = tmp_path / "Jane Roe empty.wav"
    empty.touch()
    notes = tmp_path / "Jane Roe notes.wav"
    notes.write_text("Notes from the call with Jane Roe:\n- liked the app\n")
    result = research(study, "add", str(good), str(broken), str(empty), str(notes))
    assert "✗ file 2 of 4: not a readable audio or video file" in result.output
    assert "✗ file 3 of 4: an empty file (0 bytes)" in result.output
    assert "✗ file 4 of 4: a text file, not a recording" in result.output
    assert "Jane" not in result.output and "Roe" not in result.output and study.db["interviews"].count == 1


def test_a_stage_note_names_its_interview_once(capsys):
    from research.cli import _print_stage_results

    _print_stage_results({"INT-001": "INT-001: no voice asks questions like an interviewer", "INT-002": "done"}, "nothing")
    out = capsys.readouterr().out
    assert "INT-001: no voice asks" in out and "INT-001: INT-001" not in out and "INT-002: done" in out


# -- item 13 and injection: study text never becomes markup ------------------------------------------------

def test_markdown_escapes_html_and_markup_from_metadata():
    from research.export.markdown import md
    from research.export.source import safe_cell

    assert md('<script>alert(1)</script> <img src=x onerror="alert(2)">') == '&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror="alert(2)"&gt;'
    assert md("[x](javascript:alert(3)) | **y**") == "\\[x\\](javascript:alert(3)) \\| \\*\\*y\\*\\*"
    assert safe_cell('=HYPERLINK("http://evil")') == "'=HYPERLINK(\"http://evil\")" and safe_cell("@SUM(1)") == "'@SUM(1)"


# -- what already held --------------------------------------------------------------------------------------

def test_the_vault_is_owner_only_and_a_purge_removes_it(study, tmp_path):
    add_files(study, [write_audio(tmp_path / "a.wav", TONE)])
    assert stat.S_IMODE(study.vault_dir.stat().st_mode) == 0o700 and stat.S_IMODE(study.vault.path.stat().st_mode) == 0o600
    study.purge_vault()
    assert not study.vault_dir.exists()


def test_names_from_a_sheet_never_reach_study_db_or_the_output(study, tmp_path):
    audio = write_audio(tmp_path / "Jane Roe.wav", TONE)
    sheet = tmp_path / "s.csv"
    sheet.write_text("file,participant,company,title\nJane Roe.wav,Jane Roe,Acme Widgets,Call with Jane Roe of Acme Widgets\n")
    result = research(study, "add", str(audio), "--meta", str(sheet))
    status = research(study, "status", "--json")
    study.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    dump = "\n".join(study.db.conn.iterdump())
    for text in (dump, result.output, status.output):
        assert "Jane" not in text and "Acme" not in text


@pytest.mark.slow
def test_a_killed_transcription_resumes_without_duplicates(study, tmp_path):
    add_files(study, [write_audio(tmp_path / "call.wav", speech_clip(DEMO / "int-01.opus", 60))])  # a minute: killed after 3 of its ~15 segments
    command = [sys.executable, "-m", "research", "--study", str(study.root), "transcribe", "--model", "tiny.en"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    vault = sqlite3.connect(study.vault.path)
    deadline = time.time() + 240
    while time.time() < deadline and process.poll() is None and vault.execute("SELECT count(*) FROM raw_segments").fetchone()[0] < 3:
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert vault.execute("SELECT count(*) FROM raw_segments").fetchone()[0] >= 3
    assert json.loads(research(study, "status", "--json").output)[0]["stages"]["transcribe"] == "interrupted"
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    rows = vault.execute("SELECT idx, start FROM raw_segments ORDER BY idx").fetchall()
    assert [idx for idx, _ in rows] == list(range(len(rows)))
    assert all(a[1] <= b[1] for a, b in zip(rows, rows[1:]))  # resumed where it stopped, not from the start again
    assert json.loads(research(study, "status", "--json").output)[0]["stages"]["transcribe"] == "done"


def _ctrl_c_as_in_a_terminal() -> None:
    """A command typed in a terminal gets Ctrl-C; one whose test suite was started in the background (`make test &`)
    inherits an ignored SIGINT, and Python then installs no KeyboardInterrupt handler at all."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_inside_a_c_callback_still_stops_the_command(monkeypatch):
    """Ctrl-C during a first `research code` landed in llvmlite's ctypes callback (numba compiling librosa's
    Viterbi): Python printed "Exception ignored ... KeyboardInterrupt" with a traceback and coding ran on to exit 0."""
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        keep_ctrl_c()

        def interrupted() -> None:
            raise KeyboardInterrupt

        callback = ctypes.CFUNCTYPE(None)(interrupted)
        with pytest.raises(KeyboardInterrupt):
            callback()
            deadline = time.monotonic() + 30  # the interrupt comes back within moments; this only bounds a failure
            while time.monotonic() < deadline:
                pass
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.slow
def test_ctrl_c_stops_a_transcription_batch_at_once_and_a_rerun_resumes(study, tmp_path):
    """Ctrl-C in `research transcribe` went unheeded: the thread pool finished every file of the batch before
    click said "Aborted!". Now the running file stops after its last committed segment, the files not started
    stay pending, one line says what was kept, and a re-run resumes without duplicates."""
    add_files(study, [write_audio(tmp_path / "a.wav", speech_clip(DEMO / "int-01.opus", 60)), write_audio(tmp_path / "b.wav", speech_clip(DEMO / "int-02.opus", 10))])  # b is never started before Ctrl-C: 10 s do
    command = [sys.executable, "-m", "research", "--study", str(study.root), "transcribe", "--model", "tiny.en", "--workers", "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=_ctrl_c_as_in_a_terminal)
    vault = sqlite3.connect(study.vault.path)
    deadline = time.time() + 240
    while time.time() < deadline and process.poll() is None and vault.execute("SELECT count(*) FROM raw_segments").fetchone()[0] < 3:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=HANG_GUARD_S)
    assert process.returncode == 130 and stderr.strip().splitlines()[-1] == "Stopped. Finished work is kept; run the same command again to resume.", stderr[-2000:]
    assert "Traceback" not in stderr
    stages = {row["code"]: row["stages"]["transcribe"] for row in json.loads(research(study, "status", "--json").output)}
    assert sorted(stages.values()) == ["interrupted", "pending"], stages  # the second file was never started
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    for (interview,) in vault.execute("SELECT DISTINCT interview_id FROM raw_segments").fetchall():
        rows = vault.execute("SELECT idx, start FROM raw_segments WHERE interview_id = ? ORDER BY idx", [interview]).fetchall()
        assert [idx for idx, _ in rows] == list(range(len(rows))) and all(a[1] <= b[1] for a, b in zip(rows, rows[1:]))
    assert {row["stages"]["transcribe"] for row in json.loads(research(study, "status", "--json").output)} == {"done"}
