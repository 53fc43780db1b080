"""Result dataclasses shared by every transcription engine."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal


@dataclass(frozen=True)
class Word:
    """A word as the engine wrote it: a leading space starts a new word, none continues one ("Wi", "-Fi")."""

    start: float
    end: float
    text: str
    probability: float


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    avg_logprob: float | None = None
    no_speech_prob: float | None = None

    def shifted(self, seconds: float) -> Segment:
        """The same segment with every timestamp moved by `seconds`."""
        if not seconds:
            return self
        return replace(
            self,
            start=round(self.start + seconds, 3),
            end=round(self.end + seconds, 3),
            words=[replace(w, start=round(w.start + seconds, 3), end=round(w.end + seconds, 3)) for w in self.words],
        )


@dataclass(frozen=True)
class TranscriptInfo:
    language: str
    language_probability: float
    duration: float


@dataclass(frozen=True)
class TranscribeOptions:
    """What to ask of an engine. Both engines honour every field but batching, which only faster-whisper has."""

    language: str | None = None
    beam_size: int = 5
    vad: bool = True
    word_timestamps: bool = True
    temperature: tuple[float, ...] | None = None  # None: the engine's own fallback schedule (0.0, 0.2 ... 1.0)
    batching: Literal["auto", "on", "off"] = "auto"  # auto: batched for audio of a minute or more
    batch_size: int = 8  # 30-second windows decoded together when batched
