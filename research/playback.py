"""Playing a stretch of an interview's redacted audio with whatever player the machine has."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

PLAYERS = ("ffplay", "mpv", "vlc")  # players that can start and stop at a time and decode Opus


def find_player() -> str | None:
    return next((name for name in PLAYERS if shutil.which(name)), None)


def clip_command(player: str, audio: Path, start: float, end: float) -> list[str]:
    duration = max(end - start, 0.5)
    if player == "ffplay":
        return ["ffplay", "-nodisp", "-autoexit", "-loglevel", "error", "-ss", f"{start:.2f}", "-t", f"{duration:.2f}", str(audio)]
    if player == "mpv":
        return ["mpv", "--no-video", "--really-quiet", f"--start={start:.2f}", f"--end={end:.2f}", str(audio)]
    return ["vlc", "--intf", "dummy", "--play-and-exit", f"--start-time={start:.2f}", f"--stop-time={end:.2f}", str(audio)]


@dataclass
class Playback:
    """What `play_clip` tells the user at once and, for a started player, the running process."""

    message: str
    process: subprocess.Popen | None = None
    errors: IO[bytes] | None = None  # the player's stderr (a file: a pipe nobody reads could stall the player)
    started: float = 0.0  # time.monotonic() when the player started
    seconds: float = 0.0  # how long the clip plays

    def failure(self) -> str | None:
        """One line when the player has already stopped with an error (no sound device, a file it cannot
        read); None while it plays or after it finished well. ffplay without a sound device exits with status 0
        ("audio open failed"), so a player that stopped before its clip could have played, with errors, failed too."""
        code = None if self.process is None else self.process.poll()
        if code is None:
            return None
        self.errors.seek(0)
        lines = [line.strip() for line in self.errors.read().decode(errors="replace").splitlines() if line.strip() and not line.startswith("ALSA lib ")]
        if code == 0 and not (lines and time.monotonic() - self.started < self.seconds):
            return None
        about_audio = [line for line in lines if re.search(r"\baudio\b", re.sub(r"'[^']*'", "", line), re.IGNORECASE)]  # the cause, not ffplay's "Failed to open file '…'" after it
        return f"{self.process.args[0]} could not play the clip: {(about_audio or lines or [f'exit status {code}'])[-1]}"


def play_clip(audio: Path, start: float, end: float) -> Playback:
    """Start playing in the background. Only redacted audio is played."""
    if not audio.is_file():
        return Playback(f"No redacted audio for this interview ({audio.name}); run `research anonymize`.")
    player = find_player()
    if player is None:
        return Playback(f"No audio player found: install one of {', '.join(PLAYERS)} to play quotes.")
    errors = tempfile.TemporaryFile()
    started = time.monotonic()
    process = subprocess.Popen(clip_command(player, audio, start, end), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors)
    return Playback(f"Playing {audio.stem} {start:.1f}–{end:.1f} s with {player}.", process, errors, started, max(end - start, 0.5))
