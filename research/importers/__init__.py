"""Bring what teams already have: transcripts (Zoom, Teams, Otter, noScribe, WhisperX, faster-whisper),
per-participant audio tracks, and survey or ticket feedback.

`read_transcript(path)` picks the reader by the file's extension.
"""

from __future__ import annotations

from pathlib import Path

from research.importers.captions import read_srt, read_vtt
from research.importers.documents import read_docx, read_txt
from research.importers.noscribe import read_noscribe
from research.importers.transcript import Transcript, TranscriptFormatError, Turn
from research.importers.whisper_json import read_whisper_json
from research.textfile import NOT_TEXT, NotTextError, read_text_file

__all__ = ["TRANSCRIPT_EXTENSIONS", "Transcript", "TranscriptFormatError", "Turn", "read_transcript"]

_TEXT_READERS = {".vtt": read_vtt, ".srt": read_srt, ".txt": read_txt, ".html": read_noscribe, ".htm": read_noscribe, ".json": read_whisper_json}
TRANSCRIPT_EXTENSIONS = frozenset({*_TEXT_READERS, ".docx"})


def read_transcript(path: Path) -> Transcript:
    """The file's speaker turns; a file that isn't what its extension says raises TranscriptFormatError naming it."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        transcript = read_docx(path)
    elif suffix in _TEXT_READERS:
        try:
            text = read_text_file(path)
        except NotTextError:
            raise TranscriptFormatError(f"{path.name}: {NOT_TEXT}") from None
        transcript = _TEXT_READERS[suffix](path, text)
    else:
        raise TranscriptFormatError(f"{path.name}: not a transcript format (supported: {', '.join(sorted(TRANSCRIPT_EXTENSIONS))})")
    if not transcript.turns:
        raise TranscriptFormatError(f"{path.name}: no transcript text found")
    return transcript
