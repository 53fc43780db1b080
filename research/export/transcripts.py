"""Anonymized transcripts as TXT, DOCX, SRT and VTT.

A transcript imported without timings has no times to show: its TXT and DOCX lines carry none (not "[00:00]" on
every line), and it has no subtitles (every cue would start at 0:00).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import srt
from docx import Document
from webvtt import Caption, WebVTT

from research.export.source import Line, Transcript
from research.timecode import clock


def write_txt(transcript: Transcript, path: Path) -> Path:
    lines = [f"{transcript.code}: {transcript.title} ({transcript.source_type})", ""] + [f"{_when(transcript, line)}{line.speaker}: {line.text}" for line in transcript.lines]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_docx(transcript: Transcript, path: Path) -> Path:
    document = Document()
    document.add_heading(f"{transcript.code}: {transcript.title} ({transcript.source_type})", level=1)
    for line in transcript.lines:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{_when(transcript, line)}{line.speaker}: ").bold = True
        paragraph.add_run(line.text)
    document.save(str(path))
    return path


def _when(transcript: Transcript, line: Line) -> str:
    return f"[{clock(line.start)}] " if transcript.timed else ""


def write_srt(transcript: Transcript, path: Path) -> Path:
    subtitles = [srt.Subtitle(n, timedelta(seconds=line.start), timedelta(seconds=max(line.end, line.start + 0.5)), f"{line.speaker}: {line.text}") for n, line in enumerate(transcript.lines, 1)]
    path.write_text(srt.compose(subtitles), encoding="utf-8")
    return path


def _vtt_time(seconds: float) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{int(hours):02d}:{int(minutes):02d}:{secs:06.3f}"


def write_vtt(transcript: Transcript, path: Path) -> Path:
    vtt = WebVTT()
    for line in transcript.lines:
        caption = Caption(_vtt_time(line.start), _vtt_time(max(line.end, line.start + 0.5)), f"<v {line.speaker}>{_escape_vtt(line.text)}")
        vtt.captions.append(caption)
    vtt.save(str(path))
    return path


def _escape_vtt(text: str) -> str:
    """Cue text is markup in WebVTT: escape it so transcript text can't open a tag."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


WRITERS = {"txt": write_txt, "docx": write_docx, "srt": write_srt, "vtt": write_vtt}
SUBTITLES = ("srt", "vtt")  # need times: not written for a transcript without them


def formats_for(transcript: Transcript, wanted: list[str]) -> list[str]:
    """The wanted formats this transcript can be written in."""
    return [fmt for fmt in wanted if transcript.timed or fmt not in SUBTITLES]


def untimed_line(transcript: Transcript, formats: list[str]) -> str:
    """Why `formats` (subtitles) were not written for a transcript without timings, and what gives its text instead."""
    return f"{transcript.code} has no timings (imported as text): skipped for {' and '.join(formats)}, whose cues need them; --format txt or docx writes its text"
