"""faster-whisper (CTranslate2): the default engine, sequential or batched.

Batched inference (faster-whisper's BatchedInferencePipeline, through research.transcribe.batched,
which decodes again the speech the pipeline drops) cuts the speech that the VAD finds into windows
of up to 30 s and decodes `batch_size` of them at once; it is chosen for audio of a minute or more
on a GPU. Sequential decoding keeps the temperature fallback, so loop repair and audio without VAD
use it. Both use the same VAD settings and keep word timestamps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict

import numpy as np

from research.audio import SAMPLE_RATE
from research.errors import ModelNotAvailableError
from research.transcribe import batched
from research.transcribe.models import load_failed, resolve_ct2
from research.transcribe.types import Segment, TranscribeOptions, TranscriptInfo, Word

HALLUCINATION_SILENCE_SECONDS = 2.0
BATCH_MIN_SECONDS = 60.0  # shorter audio fills too few 30-second windows to gain from a batch


def vad_parameters() -> dict:
    """The VAD settings of sequential decoding, for the batched pipeline too (which caps regions at 30 s)."""
    from faster_whisper.vad import VadOptions

    options = asdict(VadOptions())
    options.pop("max_speech_duration_s")
    return options


def use_batched(duration: float, options: TranscribeOptions, on_gpu: bool) -> bool:
    """Batched when asked, or (auto) for long audio on a GPU; never without VAD or with a temperature schedule of our own.

    On CPU, auto stays sequential: with the dropped speech decoded again, batching matches sequential WER on
    the demo interviews, but on 2 threads it does the same encoder work (one padded 30-s window each) and
    saved about 10% of CPU time (tiny.en, beam 5, benchmarks/transcribe.py), short of a reason to switch."""
    if options.batching == "off" or not options.vad or options.temperature:
        return False
    return options.batching == "on" or (on_gpu and duration >= BATCH_MIN_SECONDS)


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(self, model: str, device: str = "cpu", compute_type: str = "int8", threads: int = 0, device_index: int = 0):
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        self.model_name = model
        self.resolved = resolve_ct2(model)
        try:
            self.model = WhisperModel(self.resolved.location, device=device, device_index=device_index, compute_type=compute_type, cpu_threads=threads)
        except Exception as error:  # a missing file, a failed download or a device error, reported as one line
            raise load_failed(self.name, self.resolved, f"{device} ({compute_type})", error) from None
        self.batched = BatchedInferencePipeline(self.model)

    def transcribe(self, audio: np.ndarray, options: TranscribeOptions) -> tuple[TranscriptInfo, Iterator[Segment]]:
        if not self.model.model.is_multilingual and options.language not in (None, "en"):
            raise ModelNotAvailableError(f"model '{self.model_name}' is English-only; pick a multilingual model for language '{options.language}'")
        common = dict(language=options.language, beam_size=options.beam_size, word_timestamps=options.word_timestamps, condition_on_previous_text=False)
        duration = len(audio) / SAMPLE_RATE
        if use_batched(duration, options, self.model.model.device == "cuda"):
            segments, info = batched.transcribe(self.batched, audio, vad_parameters(), options.batch_size, **common)
        else:
            segments, info = self.model.transcribe(
                audio,
                vad_filter=options.vad,
                hallucination_silence_threshold=HALLUCINATION_SILENCE_SECONDS if options.word_timestamps else None,
                **({"temperature": list(options.temperature)} if options.temperature else {}),
                **common,
            )
        result = TranscriptInfo(language=info.language, language_probability=round(info.language_probability, 4), duration=duration)
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
