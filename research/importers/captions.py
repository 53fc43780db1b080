"""Caption files: WebVTT (Zoom, Teams) and SubRip (Otter).

WebVTT (W3C, https://www.w3.org/TR/webvtt1/): Teams names the speaker in a voice span
(`<v Jane Roe>text</v>`), Zoom with a `Jane Roe: ` prefix. SRT cues carry the prefix when the
exporting tool includes speaker names.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import srt
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from research.importers.transcript import Transcript, TranscriptFormatError, Turn, parse_clock, split_speaker


def read_vtt(path: Path, text: str) -> Transcript:
    check_timings(path, text)
    try:
        captions = webvtt.from_buffer(io.StringIO(text))
    except (MalformedCaptionError, MalformedFileError) as error:
        raise TranscriptFormatError(f"{path.name}: not a valid WebVTT file ({error})") from None
    turns = []
    for caption in captions:
        body = " ".join(caption.text.split())
        speaker = caption.voice
        if speaker is None:
            speaker, body = split_speaker(body)
        if body:
            turns.append(Turn(speaker.strip() if speaker else None, parse_clock(caption.start), parse_clock(caption.end), body))
    return Transcript("vtt", turns)


_CLOCK = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[,.](\d{1,3}))?"  # WebVTT may leave out the hours
_TIMING = re.compile(rf"^\s*{_CLOCK}\s*-->\s*{_CLOCK}(?:\s+.*)?$")  # cue settings or position data may follow, after a space


def _seconds(hours: str | None, minutes: str, seconds: str, fraction: str | None) -> float | None:
    if int(minutes) > 59 or int(seconds) > 59:
        return None
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + (int(fraction.ljust(3, "0")) / 1000 if fraction else 0.0)


def check_timings(path: Path, text: str) -> None:
    """Refuse a cue whose timing line is malformed or runs backwards, naming the cue by its number.

    Left to the libraries, SRT's "00:00:0x,500" was read as 00:00:00 plus position data (a cue that
    ended before it began) and WebVTT's cue was dropped without a word."""
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if "-->" not in line or not line.strip()[:1].isdigit():  # a timing line starts with its clock
            continue
        above = next((lines[i].strip().lstrip("\ufeff") for i in range(number - 1, -1, -1) if lines[i].strip()), "")
        cue = f"cue {above}" if above.isdigit() else f"the cue at line {number + 1}"
        match = _TIMING.match(line)
        start = _seconds(*match.groups()[:4]) if match else None
        end = _seconds(*match.groups()[4:]) if match else None
        if start is None or end is None:
            raise TranscriptFormatError(f"{path.name}: {cue} has a malformed timestamp (expected HH:MM:SS,mmm --> HH:MM:SS,mmm)")
        if end < start:
            raise TranscriptFormatError(f"{path.name}: {cue} ends before it starts")


def read_srt(path: Path, text: str) -> Transcript:
    check_timings(path, text)
    try:
        cues = list(srt.parse(text, ignore_errors=False))
    except srt.SRTParseError as error:
        raise TranscriptFormatError(f"{path.name}: not a valid SRT file ({str(error).splitlines()[0]})") from None
    turns = []
    for cue in cues:
        speaker, body = split_speaker(" ".join(cue.content.split()))
        if body:
            turns.append(Turn(speaker, cue.start.total_seconds(), cue.end.total_seconds(), body))
    return Transcript("srt", turns)
