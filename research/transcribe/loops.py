"""Repetition loops: Whisper sometimes repeats a word or phrase over and over ("yeah, yeah, yeah, ...").

A loop is a run of words in which one n-gram (1 to 6 words) repeats back to back at least
`MIN_REPEATS` times and covers at least `MIN_LOOP_WORDS` words: far more than people
repeat themselves ("yeah, yeah, yeah" is three and stays). A segment with a loop is
decoded again with sampling temperatures; if the loop survives, the repeats are dropped
and the first occurrence kept. Either way the stage notes it for `research status`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from research.audio import SAMPLE_RATE
from research.transcribe.types import Segment, TranscribeOptions, Word

MIN_REPEATS = 5
MIN_LOOP_WORDS = 10
MAX_NGRAM = 6
RETRY_TEMPERATURES = (0.4, 0.6, 0.8, 1.0)
_NOT_WORD = re.compile(r"[^\w']+")


@dataclass(frozen=True)
class Loop:
    start: int  # index of the first word of the loop
    size: int  # words in the repeated n-gram
    repeats: int

    @property
    def end(self) -> int:
        return self.start + self.size * self.repeats


def _key(word: Word) -> str:
    return _NOT_WORD.sub("", word.text.lower())


def find_loop(words: list[Word]) -> Loop | None:
    """The longest n-gram repetition in `words` that counts as a loop, or None."""
    keys = [_key(w) for w in words]
    best: Loop | None = None
    for size in range(1, MAX_NGRAM + 1):
        for start in range(len(keys) - size):
            if best and best.start <= start < best.end:
                continue
            repeats = 1
            while keys[start + repeats * size : start + (repeats + 1) * size] == keys[start : start + size]:
                repeats += 1
            if repeats >= MIN_REPEATS and size * repeats >= MIN_LOOP_WORDS and any(keys[start : start + size]):
                if best is None or size * repeats > best.size * best.repeats:
                    best = Loop(start, size, repeats)
    return best


def without_repeats(segment: Segment, loop: Loop) -> Segment:
    """The segment with the loop's repeats dropped: its first occurrence stays."""
    words = segment.words[: loop.start + loop.size] + segment.words[loop.end :]
    return replace(segment, words=words, text="".join(w.text for w in words).strip(), end=words[-1].end if words else segment.end)


def repair(segment: Segment, audio: np.ndarray, engine, options: TranscribeOptions) -> tuple[Segment, str]:
    """A looping segment decoded again with temperature fallback; returns the segment and what was done."""
    span = audio[int(segment.start * SAMPLE_RATE) : int(segment.end * SAMPLE_RATE)]
    retry = replace(options, temperature=RETRY_TEMPERATURES, vad=False)
    _, segments = engine.transcribe(span, retry)
    words = [w for s in segments for w in s.shifted(segment.start).words]
    if words and find_loop(words) is None:
        return replace(segment, words=words, text="".join(w.text for w in words).strip()), "re-decoded"
    return without_repeats(segment, find_loop(segment.words)), "dropped"
