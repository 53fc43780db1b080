"""Whisper transcription: two real engines behind one protocol, and a resumable batch."""

from research.transcribe.engine import Engine, create_engine
from research.transcribe.types import Segment, TranscribeOptions, TranscriptInfo, Word

__all__ = ["Engine", "Segment", "TranscribeOptions", "TranscriptInfo", "Word", "create_engine"]
