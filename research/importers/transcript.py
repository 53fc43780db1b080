"""What every transcript reader returns: speaker turns, with the timings the file holds."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from research.errors import ResearchError
from research.transcribe.types import Segment, Word

# "Jane Roe: text", "Speaker 1: text", "Dr. A. Okafor: text": one to four name-like words before a colon
_SPEAKER_PREFIX = re.compile(r"^\s*((?:[A-Z][\w.'’-]*|\d+)(?:[ \t][\w.'’()-]+){0,3}?)[ \t]*:[ \t]+(\S.*)$", re.DOTALL)
_CLOCK = re.compile(r"^\[?(?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?\]?$")


class TranscriptFormatError(ResearchError):
    """A transcript file that does not hold what its format promises; the message names the file."""


@dataclass(frozen=True)
class Turn:
    """One cue, paragraph or segment: who spoke (None: the file doesn't say), when, and what."""

    speaker: str | None
    start: float | None
    end: float | None
    text: str
    words: list[Word] = field(default_factory=list)  # the engine's word timings, where the file has them


@dataclass(frozen=True)
class Transcript:
    format: str  # vtt, srt, docx, txt, zoom-txt, noscribe-html, whisperx-json, faster-whisper-json
    turns: list[Turn]

    @property
    def speakers(self) -> list[str]:
        """Speaker names in order of first appearance."""
        return list(dict.fromkeys(t.speaker for t in self.turns if t.speaker))

    @property
    def timed(self) -> bool:
        return any(t.start is not None for t in self.turns)

    @property
    def end(self) -> float:
        return max((t.end or t.start or 0.0 for t in self.turns), default=0.0)

    def segments(self) -> list[tuple[str | None, Segment]]:
        """(speaker name, segment with words) per turn; words without timings are spread over the turn."""
        return [(turn.speaker, Segment(turn.start or 0.0, turn.end or turn.start or 0.0, " " + turn.text, turn.words or spread_words(turn))) for turn in self.turns]


def split_speaker(text: str) -> tuple[str | None, str]:
    """("Jane Roe", "Hello") from "Jane Roe: Hello"; (None, text) when there is no speaker prefix."""
    match = _SPEAKER_PREFIX.match(text)
    if not match:
        return None, text.strip()
    return match.group(1).strip(), match.group(2).strip()


def parse_clock(value: str) -> float | None:
    """Seconds from "01:02:03", "1:02", "00:01:02.500" or "[00:01:02]"; None if it isn't a clock."""
    match = _CLOCK.match(value.strip())
    if not match:
        return None
    hours, minutes, seconds, fraction = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + (int(fraction.ljust(3, "0")) / 1000 if fraction else 0.0)


def spread_words(turn: Turn) -> list[Word]:
    """The turn's words, each given a share of the turn's time in proportion to its length (0 when untimed)."""
    tokens = turn.text.split()
    start = turn.start or 0.0
    span = max(0.0, (turn.end if turn.end is not None else start) - start)
    total = sum(len(t) for t in tokens) or 1
    words, cursor = [], start
    for token in tokens:
        length = span * len(token) / total
        words.append(Word(round(cursor, 3), round(cursor + length, 3), " " + token, 1.0))
        cursor += length
    return words

