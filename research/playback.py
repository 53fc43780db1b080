"""Playing a stretch of an interview's redacted audio with whatever player the machine has."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

PLAYERS = ("ffplay", "mpv", "vlc")  # players that can start and stop at a time and decode Opus


def find_player() -> str | None:
    return next((name for name in PLAYERS if shutil.which(name)), None)


def clip_command(player: str, audio: Path, start: float, end: float) -> list[str]:
    duration = max(end - start, 0.5)
    if player == "ffplay":
        return ["ffplay", "-nodisp", "-autoexit", "-loglevel", "quiet", "-ss", f"{start:.2f}", "-t", f"{duration:.2f}", str(audio)]
    if player == "mpv":
        return ["mpv", "--no-video", "--really-quiet", f"--start={start:.2f}", f"--end={end:.2f}", str(audio)]
    return ["vlc", "--intf", "dummy", "--play-and-exit", f"--start-time={start:.2f}", f"--stop-time={end:.2f}", str(audio)]


def play_clip(audio: Path, start: float, end: float) -> str:
    """Start playing in the background; returns what happened, for the user. Only redacted audio is played."""
    if not audio.is_file():
        return f"No redacted audio for this interview ({audio.name}); run `research anonymize`."
    player = find_player()
    if player is None:
        return f"No audio player found: install one of {', '.join(PLAYERS)} to play quotes."
    subprocess.Popen(clip_command(player, audio, start, end), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return f"Playing {audio.stem} {start:.1f}–{end:.1f} s with {player}."
