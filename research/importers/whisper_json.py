"""JSON from WhisperX and faster-whisper, with word timings where present.

- WhisperX (https://github.com/m-bain/whisperX): {"segments": [{"start", "end", "text", "speaker",
  "words": [{"word", "start", "end", "score", "speaker"}]}], "word_segments": [...]}. After alignment
  some words (numbers, symbols) have no timing.
- faster-whisper (https://github.com/SYSTRAN/faster-whisper): its `Segment` and `Word` namedtuples dumped
  as JSON, a list of {"id", "start", "end", "text", "words": [{"start", "end", "word", "probability"}], ...}
  or {"segments": [...]}.
"""

from __future__ import annotations

import json
from pathlib import Path

from research.importers.transcript import Transcript, TranscriptFormatError, Turn
from research.transcribe.types import Word


def read_whisper_json(path: Path, text: str) -> Transcript:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TranscriptFormatError(f"{path.name}, line {error.lineno}: not valid JSON ({error.msg})") from None
    segments = data.get("segments") if isinstance(data, dict) else data
    if not isinstance(segments, list) or not all(isinstance(s, dict) and "text" in s for s in segments):
        raise TranscriptFormatError(f"{path.name}: expected WhisperX or faster-whisper JSON: a list of segments with start, end and text")
    whisperx = any("score" in w for s in segments for w in s.get("words") or []) or any("speaker" in s for s in segments)
    turns = []
    for number, segment in enumerate(segments, start=1):
        try:
            start, end = float(segment["start"]), float(segment["end"])
        except (KeyError, TypeError, ValueError):
            raise TranscriptFormatError(f"{path.name}: segment {number} has no numeric start and end") from None
        words = _words(segment.get("words") or [], start, end)
        body = " ".join(str(segment["text"]).split())
        if body:
            turns.append(Turn(segment.get("speaker"), start, end, body, words))
    return Transcript("whisperx-json" if whisperx else "faster-whisper-json", turns)


def _words(raw: list[dict], start: float, end: float) -> list[Word]:
    """Words with a leading space each; a word without timing takes the end of the word before it."""
    words: list[Word] = []
    for item in raw:
        text = str(item.get("word", item.get("text", "")))
        if not text.strip():
            continue
        previous = words[-1].end if words else start
        w_start = float(item["start"]) if item.get("start") is not None else previous
        w_end = float(item["end"]) if item.get("end") is not None else min(end, w_start)
        probability = item.get("probability", item.get("score", 1.0))
        words.append(Word(round(w_start, 3), round(w_end, 3), text if text.startswith(" ") else " " + text, float(probability if probability is not None else 1.0)))
    return words
