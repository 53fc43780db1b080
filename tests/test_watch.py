"""`research watch`: a drop folder whose files are added once they stop growing; safe to stop and restart."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
from click.testing import CliRunner

from research.cli import cli
from research.watch import DropFolder
from tests.audio_factory import speech_clip, write_audio
from tests.conftest import DEMO, HANG_GUARD_S


def test_a_file_is_passed_on_once_it_stops_growing_and_only_once(tmp_path):
    drop = DropFolder(tmp_path, settle_seconds=5)
    growing = tmp_path / "call.wav"
    growing.write_bytes(b"RIFF" + b"\0" * 100)
    (tmp_path / "notes.pdf").write_bytes(b"neither a recording nor a transcript")
    assert drop.landed(now=0) == []  # first sight
    assert drop.landed(now=3) == []  # still, but not for long enough
    with growing.open("ab") as handle:  # the upload goes on
        handle.write(b"\0" * 100)
    assert drop.landed(now=6) == []  # it grew: the clock starts again
    assert drop.landed(now=10) == []
    assert drop.landed(now=11) == [growing]
    drop.mark_handled([growing])
    assert drop.landed(now=30) == []  # passed on once
    with growing.open("ab") as handle:  # replaced by a longer version: a new file for `add` (sha256 decides)
        handle.write(b"\0" * 100)
    assert drop.landed(now=31) == [] and drop.landed(now=37) == [growing]
    (tmp_path / "empty.wav").touch()
    assert drop.landed(now=40) == [growing] and drop.landed(now=60) == [growing]  # an empty file never lands


def test_watch_once_adds_and_transcribes_what_landed_and_a_restart_adds_nothing_twice(study, tmp_path):
    study.config.transcribe.model = "tiny.en"
    study.save_config()
    drop = tmp_path / "drop"
    (drop / "team-a").mkdir(parents=True)
    write_audio(drop / "team-a" / "first.wav", speech_clip(DEMO / "int-03.opus", 8))
    write_audio(drop / "silent.wav", np.zeros(16_000 * 2, np.float32))
    (drop / "broken.mp3").write_bytes(b"ID3" + b"\0" * 300)
    command = ["--study", str(study.root), "watch", str(drop), "--settle", "0.5", "--through", "transcribe", "--once"]
    first = CliRunner().invoke(cli, command)
    assert "Landed 3: added 2, already present 0, failed 1." in first.output, first.output
    assert "file 1 of 3: not a readable audio" in first.output and "broken" not in first.output and first.exit_code == 1  # one line by position (names stay off screen), the rest goes on
    statuses = {round(seconds): status for seconds, status in study.db.execute("SELECT i.duration, s.status FROM stage_status s JOIN interviews i ON i.id = s.interview_id")}
    assert statuses == {2: "empty", 8: "done"}  # the silent file has no speech, the 8 s of speech are transcribed (in either order)
    again = CliRunner().invoke(cli, command)
    assert "added 0, already present 2" in again.output and "Nothing to transcribe" in again.output
    assert study.db["interviews"].count == 2


def _ctrl_c_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_a_stopped_watch_resumes_and_picks_up_files_that_landed_meanwhile(study, tmp_path):
    study.config.transcribe.model = "tiny.en"
    study.save_config()
    drop = tmp_path / "drop"
    drop.mkdir()
    command = [sys.executable, "-m", "research", "--study", str(study.root), "watch", str(drop), "--settle", "1", "--interval", "0.2", "--through", "transcribe"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # Ctrl-C must reach the watch even when this run was started in the background, where a shell hands its children SIGINT ignored
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=_ctrl_c_default)
    clip = speech_clip(DEMO / "int-05.opus", 6)
    write_audio(drop / "one.wav", clip)
    vault = sqlite3.connect(study.vault.path)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not vault.execute("SELECT count(*) FROM raw_segments").fetchone()[0]:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)  # Ctrl-C
    output = process.communicate(timeout=HANG_GUARD_S)[0]  # a loaded machine may finish the segment in hand first
    assert "Landed 1: added 1" in output and "Stopped; run the same command again to resume." in output, output
    write_audio(drop / "two.wav", speech_clip(DEMO / "int-02.opus", 6))
    result = subprocess.run(command[:-4] + ["--settle", "0.5", "--through", "transcribe", "--once"], env=env, capture_output=True, text=True, timeout=600)
    assert "Landed 2: added 1, already present 1" in result.stdout, result.stdout + result.stderr
    statuses = [row[0] for row in study.db.execute("SELECT status FROM stage_status ORDER BY interview_id")]
    assert statuses == ["done", "done"]
