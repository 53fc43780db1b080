"""openai-whisper (PyTorch): the reference engine.

openai-whisper has no VAD and no streaming, so the audio is cut into chunks of about a
minute at silences found by the Silero VAD that faster-whisper bundles; each chunk is
transcribed with `clip_timestamps`, which gives lazy segments (progress, checkpoints)
and skips the leading and trailing silence of every chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from research.audio import SAMPLE_RATE
from research.errors import ModelNotAvailableError
from research.transcribe.models import load_failed, resolve_openai
from research.triton_guard import allow_triton
from research.transcribe.types import Segment, TranscribeOptions, TranscriptInfo, Word

CHUNK_SECONDS = 60.0
PAD_SECONDS = 0.3
HALLUCINATION_SILENCE_SECONDS = 2.0


class OpenAIWhisperEngine:
    name = "openai-whisper"

    def __init__(self, model: str, device: str = "cpu", threads: int = 0):
        import torch
        import whisper

        from research.transcribe.ct2_to_openai import load_checkpoint

        if threads:
            torch.set_num_threads(threads)
        self.model_name = model
        self.device = "cuda" if device == "auto" and torch.cuda.is_available() else ("cpu" if device == "auto" else device)
        if self.device.startswith("cuda"):
            allow_triton()  # openai-whisper's word timing runs triton kernels on a GPU
        self.resolved = resolve_openai(model)
        try:
            if self.resolved.source == "download":
                self.model = whisper.load_model(model, device=self.device)
            else:
                self.model = load_checkpoint(Path(self.resolved.location), self.device)
        except Exception as error:  # a missing file, a failed download or a device error, reported as one line
            raise load_failed(self.name, self.resolved, self.device, error) from None

    def transcribe(self, audio: np.ndarray, options: TranscribeOptions) -> tuple[TranscriptInfo, Iterator[Segment]]:
        language, probability = self._language(audio, options.language)
        info = TranscriptInfo(language=language, language_probability=probability, duration=len(audio) / SAMPLE_RATE)
        return info, self._segments(audio, options, language)

    def _language(self, audio: np.ndarray, forced: str | None) -> tuple[str, float]:
        import whisper

        if not self.model.is_multilingual:
            if forced not in (None, "en"):
                raise ModelNotAvailableError(f"model '{self.model_name}' is English-only; pick a multilingual model for language '{forced}'")
            return "en", 1.0
        if forced:
            return forced, 1.0
        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(audio), self.model.dims.n_mels).to(self.device)
        _, probabilities = self.model.detect_language(mel)
        language = max(probabilities, key=probabilities.get)
        return language, round(float(probabilities[language]), 4)

    def _segments(self, audio: np.ndarray, options: TranscribeOptions, language: str) -> Iterator[Segment]:
        import whisper

        last_frame = (len(audio) // whisper.audio.HOP_LENGTH - 1) / whisper.audio.FRAMES_PER_SECOND
        for start, end in speech_chunks(audio, options.vad):
            # A clip that ends at or past the last mel frame makes openai-whisper loop forever;
            # an open-ended clip (start only) runs to the end of the audio instead.
            clip = [start] if end >= last_frame else [start, end]
            result = whisper.transcribe(
                self.model,
                audio,
                language=language,
                beam_size=options.beam_size if options.beam_size > 1 else None,
                word_timestamps=options.word_timestamps,
                condition_on_previous_text=False,
                hallucination_silence_threshold=HALLUCINATION_SILENCE_SECONDS if options.word_timestamps else None,
                clip_timestamps=clip,
                fp16=self.device.startswith("cuda"),
                verbose=None,
                **({"temperature": options.temperature} if options.temperature else {}),
            )
            for segment in result["segments"]:
                if segment["text"].strip():
                    yield Segment(
                        start=round(segment["start"], 3),
                        end=round(segment["end"], 3),
                        text=segment["text"].strip(),
                        words=[Word(float(round(w["start"], 3)), float(round(w["end"], 3)), w["word"], float(round(w["probability"], 4))) for w in segment.get("words", [])],
                        avg_logprob=round(segment["avg_logprob"], 4),
                        no_speech_prob=round(segment["no_speech_prob"], 4),
                    )


def speech_chunks(audio: np.ndarray, vad: bool, chunk_seconds: float = CHUNK_SECONDS) -> list[tuple[float, float]]:
    """(start, end) seconds of about `chunk_seconds` each, cut in silences when `vad` is on."""
    duration = len(audio) / SAMPLE_RATE
    if not vad:
        edges = list(np.arange(0.0, duration, chunk_seconds)) + [duration]
        return [(round(a, 3), round(b, 3)) for a, b in zip(edges, edges[1:]) if b > a]
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    regions = [(r["start"] / SAMPLE_RATE, r["end"] / SAMPLE_RATE) for r in get_speech_timestamps(audio, VadOptions())]
    chunks: list[tuple[float, float]] = []
    for start, end in regions:
        if chunks and end - chunks[-1][0] <= chunk_seconds:
            chunks[-1] = (chunks[-1][0], end)
        else:
            chunks.append((start, end))
    return [(round(max(0.0, a - PAD_SECONDS), 3), round(min(duration, b + PAD_SECONDS), 3)) for a, b in chunks]
