"""The engine protocol every Whisper backend implements, and the factory that builds one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np

from research.transcribe.types import Segment, TranscribeOptions, TranscriptInfo


class Engine(Protocol):
    name: str
    model_name: str

    def transcribe(self, audio: np.ndarray, options: TranscribeOptions) -> tuple[TranscriptInfo, Iterator[Segment]]:
        """Transcribe 16 kHz mono float32 audio; segments are yielded lazily as they are decoded."""
        ...


def create_engine(engine: str, model: str, device: str = "cpu", compute_type: str = "int8", threads: int = 0, device_index: int = 0) -> Engine:
    """A loaded engine; only the one asked for is imported (openai-whisper pulls in torch, faster-whisper does not)."""
    if engine == "faster-whisper":
        from research.transcribe.faster_whisper_engine import FasterWhisperEngine

        return FasterWhisperEngine(model, device=device, compute_type=compute_type, threads=threads, device_index=device_index)
    if engine == "openai-whisper":
        from research.transcribe.openai_whisper_engine import OpenAIWhisperEngine

        return OpenAIWhisperEngine(model, device=f"cuda:{device_index}" if device == "cuda" and device_index else device, threads=threads)
    raise ValueError(f"unknown engine '{engine}' (faster-whisper or openai-whisper)")
