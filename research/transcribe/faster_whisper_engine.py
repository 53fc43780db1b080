"""faster-whisper (CTranslate2): the default engine."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from research.audio import SAMPLE_RATE
from research.errors import ModelNotAvailableError
from research.transcribe.models import resolve_ct2
from research.transcribe.types import Segment, TranscribeOptions, TranscriptInfo, Word

HALLUCINATION_SILENCE_SECONDS = 2.0


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(self, model: str, device: str = "cpu", compute_type: str = "int8", threads: int = 0):
        from faster_whisper import WhisperModel

        self.model_name = model
        self.resolved = resolve_ct2(model)
        try:
            self.model = WhisperModel(self.resolved.location, device=device, compute_type=compute_type, cpu_threads=threads)
        except Exception as error:  # a missing file, a failed download or a device error, reported as one line
            raise ModelNotAvailableError(f"faster-whisper could not load '{model}' on {device} ({compute_type}): {str(error).splitlines()[0]}") from None

    def transcribe(self, audio: np.ndarray, options: TranscribeOptions) -> tuple[TranscriptInfo, Iterator[Segment]]:
        if not self.model.model.is_multilingual and options.language not in (None, "en"):
            raise ModelNotAvailableError(f"model '{self.model_name}' is English-only; pick a multilingual model for language '{options.language}'")
        segments, info = self.model.transcribe(
            audio,
            language=options.language,
            beam_size=options.beam_size,
            word_timestamps=options.word_timestamps,
            vad_filter=options.vad,
            condition_on_previous_text=False,
            hallucination_silence_threshold=HALLUCINATION_SILENCE_SECONDS if options.word_timestamps else None,
            **({"temperature": list(options.temperature)} if options.temperature else {}),
        )
        result = TranscriptInfo(language=info.language, language_probability=round(info.language_probability, 4), duration=len(audio) / SAMPLE_RATE)
        return result, (_segment(s) for s in segments)


def _segment(segment) -> Segment:
    return Segment(
        start=round(segment.start, 3),
        end=round(segment.end, 3),
        text=segment.text.strip(),
        words=[Word(float(round(w.start, 3)), float(round(w.end, 3)), w.word, float(round(w.probability, 4))) for w in segment.words or []],
        avg_logprob=round(segment.avg_logprob, 4),
        no_speech_prob=round(segment.no_speech_prob, 4),
    )
