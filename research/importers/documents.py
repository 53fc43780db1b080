"""Word documents and plain text: Teams, Otter and Word DOCX; `Speaker: text` and Zoom's tab-separated TXT.

- DOCX (Teams, Otter): a header paragraph "Jane Roe  00:01:02" (name, then a clock) opens a turn and the
  paragraphs below it are its text. A Word document of "Jane Roe: text" paragraphs works too.
- TXT: "Jane Roe: text" lines, optionally after a clock ("[00:01:02] Jane Roe: text"); a line without a
  speaker continues the speaker above it: in a timed file it joins that turn, in an untimed one it stays a
  paragraph of its own (with no speaker), so each paragraph becomes an utterance.
- Zoom's TXT transcript: "00:01:02<TAB>Jane Roe:<TAB>text" (also without the colon).
- Zoom's saved captions (meeting_saved_closed_caption.txt): "[Jane Roe] 14:03:05" headers, whose clocks are times
  of day: the turns are timed from the first.
- A line (or paragraph) that is only a clock, as Google Meet writes every few minutes, times the turn after it.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError

from research.importers.transcript import Transcript, TranscriptFormatError, Turn, parse_clock, split_speaker

_HEADER = re.compile(r"^(?P<name>\S(?:.*\S)?)[ \t]{1,}\[?(?P<clock>(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)\]?$")
_LEADING_CLOCK = re.compile(r"^\[?((?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)\]?[ \t]+(.*)$")


def read_docx(path: Path) -> Transcript:
    try:
        paragraphs = [p.text.strip() for p in docx.Document(str(path)).paragraphs]
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as error:
        raise TranscriptFormatError(f"{path.name}: not a readable Word document ({type(error).__name__})") from None
    paragraphs = [p for p in paragraphs if p]
    first_header = next((i for i, p in enumerate(paragraphs) if _is_header(p)), 0)  # what comes before it is the title
    return Transcript("docx", _turns_from_lines(paragraphs[first_header:], headers=True))


def read_txt(path: Path, text: str) -> Transcript:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    if lines and sum("\t" in line for line in lines) >= max(1, len(lines) // 2):
        return Transcript("zoom-txt", _zoom_turns(path, lines))
    turns = _turns_from_lines([line.strip() for line in lines], headers=True)
    if turns and not any(turn.speaker for turn in turns):  # notes, a README: no 'Speaker: text' line anywhere
        raise TranscriptFormatError(f"{path.name}: no 'Speaker: text' lines, so not a transcript")
    return Transcript("txt", turns)


def _zoom_turns(path: Path, lines: list[str]) -> list[Turn]:
    turns: list[Turn] = []
    for number, line in enumerate(lines, start=1):
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) >= 3 and parse_clock(fields[0]) is not None:
            start = parse_clock(fields[0])
            turns.append(Turn(fields[1].rstrip(":").strip() or None, start, start, " ".join(" ".join(fields[2:]).split())))
        elif turns and len(fields) == 1:
            last = turns[-1]
            turns[-1] = Turn(last.speaker, last.start, last.end, f"{last.text} {fields[0]}")
        else:
            raise TranscriptFormatError(f"{path.name}, line {number}: expected 'time<TAB>speaker<TAB>text' as in Zoom's transcript")
    return _close_times(turns)


def _turns_from_lines(lines: list[str], headers: bool) -> list[Turn]:
    """Turns from "Name  00:01:02" headers, "[clock] Name: text" lines and continuation lines."""
    turns: list[Turn] = []
    pending: tuple[str, float] | None = None  # a header waiting for its text
    clock: float | None = None  # a clock line's time, for the turn after it
    bracketed: list[bool] = []  # per header: "[Jane Roe] 14:03:05", Zoom's saved captions
    for line in lines:
        header = _HEADER.match(line) if headers and _is_header(line) else None
        if header:
            name = header.group("name").rstrip(":").strip()
            bracketed.append(name.startswith("[") and name.endswith("]"))
            pending = (name[1:-1].strip() if bracketed[-1] else name, parse_clock(header.group("clock")))
            continue
        if pending:
            turns.append(Turn(pending[0], pending[1], pending[1], line))
            pending = None
            continue
        if parse_clock(line) is not None:
            clock = parse_clock(line)
            continue
        start, clock = clock, None
        clocked = _LEADING_CLOCK.match(line)
        if clocked:
            start, line = parse_clock(clocked.group(1)), clocked.group(2)
        speaker, body = split_speaker(line)
        if body:
            turns.append(Turn(speaker, start, start, body))
    if bracketed and all(bracketed):
        turns = _from_first_clock(turns)
    return _close_times(_join_paragraphs(turns) if any(t.start is not None for t in turns) else turns)


def _from_first_clock(turns: list[Turn]) -> list[Turn]:
    """Turns timed by times of day, timed from the first instead."""
    first = next((t.start for t in turns if t.start is not None), 0.0)
    return [Turn(t.speaker, None if t.start is None else t.start - first, None if t.end is None else t.end - first, t.text, t.words) for t in turns]


def _join_paragraphs(turns: list[Turn]) -> list[Turn]:
    """A timed file's lines without speaker or clock joined to the turn above them."""
    joined: list[Turn] = []
    for turn in turns:
        if joined and turn.speaker is None and turn.start is None:
            last = joined[-1]
            joined[-1] = Turn(last.speaker, last.start, last.end, f"{last.text} {turn.text}")
        else:
            joined.append(turn)
    return joined


def _is_header(line: str) -> bool:
    """ "Jane Roe  00:01:02": a name of at most five words, then a clock."""
    header = _HEADER.match(line)
    return bool(header) and len(header.group("name").split()) <= 5 and not header.group("name").endswith((".", "?", "!"))


def _close_times(turns: list[Turn]) -> list[Turn]:
    """A turn that has only a start ends where the next timed turn starts (the last one: 3 s per 8 words, at least 1 s)."""
    if not any(t.start is not None for t in turns):
        return turns
    closed = []
    for i, turn in enumerate(turns):
        following = next((t.start for t in turns[i + 1 :] if t.start is not None), None)
        start = turn.start if turn.start is not None else (closed[-1].end if closed else 0.0)
        end = following if following is not None and following >= start else start + max(1.0, len(turn.text.split()) * 3 / 8)
        closed.append(Turn(turn.speaker, start, round(end, 3), turn.text, turn.words))
    return closed
