"""Playing a quote: a player that cannot play (no sound device, say) is reported in one line, not left as "Playing…"."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from research.playback import play_clip
from tui.app import ResearchApp


def _player(folder: Path, name: str, script: str) -> None:
    """An executable called `name` on the PATH; the app finds players by name (`shutil.which`)."""
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def failing_player(tmp_path, monkeypatch) -> None:
    _player(tmp_path, "ffplay", 'echo "SDL_OpenAudio (2 channels, 48000 Hz): No available audio device" >&2; exit 1')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/bin{os.pathsep}/usr/bin")


def test_a_player_that_stops_with_an_error_says_why(failing_player, tmp_path):
    audio = tmp_path / "INT-001.opus"
    audio.write_bytes(b"not played")
    playback = play_clip(audio, 1.0, 2.0)
    assert playback.message.startswith("Playing INT-001") and playback.process is not None
    playback.process.wait()
    assert playback.failure() == "ffplay could not play the clip: SDL_OpenAudio (2 channels, 48000 Hz): No available audio device"


def test_ffplay_without_a_sound_device_exits_0_and_still_says_why(tmp_path, monkeypatch):
    """Debian's ffplay with no sound card prints ALSA's complaints and "audio open failed", then exits with status 0:
    the app said "Playing INT-002 … with ffplay." and nothing more."""
    alsa = "ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM default"
    _player(tmp_path, "ffplay", f'echo "{alsa}" >&2; echo "No more combinations to try, audio open failed" >&2; '
                                'echo "Failed to open file \'redacted-audio/INT-002.opus\' or configure filtergraph" >&2; exit 0')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/bin{os.pathsep}/usr/bin")
    audio = tmp_path / "INT-002.opus"
    audio.write_bytes(b"not played")
    playback = play_clip(audio, 0.0, 60.0)  # a minute's clip cannot have played by the time the player is waited for
    playback.process.wait()
    assert playback.failure() == "ffplay could not play the clip: No more combinations to try, audio open failed"


def test_a_player_that_plays_reports_nothing_more(tmp_path, monkeypatch):
    _player(tmp_path, "ffplay", "exit 0")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/bin{os.pathsep}/usr/bin")
    audio = tmp_path / "INT-001.opus"
    audio.write_bytes(b"played")
    playback = play_clip(audio, 1.0, 2.0)
    playback.process.wait()
    assert playback.failure() is None
    assert play_clip(tmp_path / "missing.opus", 0, 1).process is None  # no audio: a message, no player started


async def test_the_app_says_when_the_player_could_not_play(mapped_copy, failing_player):
    app = ResearchApp(mapped_copy)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause(1.5)  # the app looks at the player a second after starting it
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("Playing INT-001") for m in messages), messages
        assert any(m == "ffplay could not play the clip: SDL_OpenAudio (2 channels, 48000 Hz): No available audio device" for m in messages), messages
