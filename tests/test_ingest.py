"""`research add`: formats, deduplication, metadata, privacy and bad files."""

import csv

import numpy as np
import pytest
from click.testing import CliRunner

from tests.db_text import all_text
from research.cli import cli
from research.ingest import add_files
from research.metadata import MetadataSheet
from tests.audio_factory import write_audio, write_video
from tests.conftest import DEMO

TONE = (0.3 * np.sin(np.linspace(0, 3000, 16_000 * 2))).astype(np.float32)


def test_add_the_demo_folder_with_its_sheet(study):
    report = add_files(study, [DEMO], MetadataSheet.load(DEMO / "metadata.csv"))
    assert len(report.added) == 7 and not report.failed
    assert study.db["interviews"].count == 7
    assert study.db["participants"].count == 8
    couple = study.db.execute("SELECT p.slot, p.participation FROM participants p JOIN interviews i ON i.id = p.interview_id WHERE i.title = 'Couple near a highway' ORDER BY slot").fetchall()
    assert couple == [("customer", "driver"), ("customer_b", "gatekeeper")]
    # two interviews at the same company share its pseudonym
    companies = [row[0] for row in study.db.execute("SELECT company FROM interviews ORDER BY id")]
    assert companies[0] == companies[1] == "Company 1" and companies[2] == "Company 2"


def test_names_from_the_sheet_stay_in_the_vault(study):
    add_files(study, [DEMO], MetadataSheet.load(DEMO / "metadata.csv"))
    rows = list(csv.DictReader((DEMO / "metadata.csv").open()))
    text = all_text(study.db_path)
    for row in rows:
        for name in (row["participant"], row["company"], *row["participant"].split()):
            assert name not in text, f"{name!r} leaked into study.db"
    vault_text = all_text(study.vault.path)
    assert "Margaret Okafor" in vault_text and "Brightwater Dental" in vault_text


def test_title_is_scrubbed_of_names_from_the_sheet(study, tmp_path):
    audio = write_audio(tmp_path / "call.wav", TONE)
    sheet = tmp_path / "meta.csv"
    sheet.write_text("file,title,participant,company\ncall.wav,Call with Jane Roe of Acme Corp,Jane Roe,Acme Corp\n")
    add_files(study, [audio], MetadataSheet.load(sheet))
    (title,) = study.db.execute("SELECT title FROM interviews").fetchone()
    assert title == "Call with [PERSON] of Company 1"


def test_re_adding_is_deduplicated_by_content(study, tmp_path):
    first = write_audio(tmp_path / "a.wav", TONE)
    copy = tmp_path / "renamed.wav"
    copy.write_bytes(first.read_bytes())
    assert add_files(study, [first]).added == ["a.wav"]
    report = add_files(study, [first, copy])
    assert report.added == [] and sorted(report.duplicates) == ["a.wav", "renamed.wav"]
    assert study.db["interviews"].count == 1


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".webm"])
def test_audio_formats(study, tmp_path, suffix):
    report = add_files(study, [write_audio(tmp_path / f"clip{suffix}", TONE)])
    assert report.added == [f"clip{suffix}"]
    (duration,) = study.db.execute("SELECT duration FROM interviews").fetchone()
    assert duration == pytest.approx(2.0, abs=0.1)


def test_video_with_audio_is_added(study, tmp_path):
    report = add_files(study, [write_video(tmp_path / "call.mp4", TONE, 2.0)])
    assert report.added == ["call.mp4"]
    assert study.db.execute("SELECT has_video FROM interviews").fetchone()[0] == 1


def test_bad_files_get_one_line_each_and_the_rest_are_added(study, tmp_path):
    good = write_audio(tmp_path / "good.wav", TONE)
    corrupt = tmp_path / "corrupt.mp3"
    corrupt.write_bytes(b"\xff\xfb" + bytes(range(256)) * 40)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    text_as_wav = tmp_path / "notes.wav"
    text_as_wav.write_text("this is not audio\n" * 50)
    silent_video = write_video(tmp_path / "screen.mp4", None, 1.0)
    unsupported = tmp_path / "notes.txt"
    unsupported.write_text("hello")
    report = add_files(study, [corrupt, empty, good, text_as_wav, silent_video, unsupported, tmp_path / "missing.wav"])
    assert report.added == ["good.wav"]
    assert len(report.failed) == 6
    for position, reason in [(1, "not a readable"), (2, "an empty file (0 bytes)"), (4, "a text file, not a recording"), (5, "no audio stream"), (6, "unsupported file type"), (7, "no such file")]:
        (line,) = [line for line in report.failed if line.startswith(f"file {position} of 7: ")]  # by position: names can carry people's names
        assert reason in line and "\n" not in line


def test_a_wav_named_mp3_is_read_by_content(study, tmp_path):
    wav = write_audio(tmp_path / "x.wav", TONE)
    misnamed = tmp_path / "x.mp3"
    wav.rename(misnamed)
    assert add_files(study, [misnamed]).added == ["x.mp3"]


def test_cli_add_reports_failures_and_exit_code(study, tmp_path):
    good = write_audio(tmp_path / "good.wav", TONE)
    bad = tmp_path / "bad.wav"
    bad.write_text("nope")
    result = CliRunner().invoke(cli, ["--study", str(study.root), "add", str(good), str(bad)])
    assert result.exit_code == 1  # the rest are added, but a failed file fails the batch, as in `transcribe` and `watch --once`
    assert study.db["interviews"].count == 1
    assert "Added 1" in result.output and "file 2 of 2: a text file, not a recording" in result.output and "bad.wav" not in result.output
    only_bad = CliRunner().invoke(cli, ["--study", str(study.root), "add", str(bad)])
    assert only_bad.exit_code == 1


def test_cli_add_with_a_broken_sheet_adds_nothing(study, tmp_path):
    good = write_audio(tmp_path / "good.wav", TONE)
    sheet = tmp_path / "m.csv"
    sheet.write_text("file,participation\ngood.wav,chief\n")
    result = CliRunner().invoke(cli, ["--study", str(study.root), "add", str(good), "--meta", str(sheet)])
    assert result.exit_code == 1 and "row 2: participation" in result.output
    assert study.db["interviews"].count == 0
