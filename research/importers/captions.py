"""Caption files: WebVTT (Zoom, Teams) and SubRip (Otter).

WebVTT (W3C, https://www.w3.org/TR/webvtt1/): Teams names the speaker in a voice span
(`<v Jane Roe>text</v>`), Zoom with a `Jane Roe: ` prefix. SRT cues carry the prefix when the
exporting tool includes speaker names.
"""

from __future__ import annotations

import io
from pathlib import Path

import srt
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from research.importers.transcript import Transcript, TranscriptFormatError, Turn, parse_clock, split_speaker


def read_vtt(path: Path, text: str) -> Transcript:
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


def read_srt(path: Path, text: str) -> Transcript:
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
