"""The fallback voice method: resemblyzer's GE2E encoder over VAD windows, clustered spectrally.

Speech regions come from the Silero VAD bundled with faster-whisper. Each region is cut
into overlapping 1.5 s windows, every window is embedded with resemblyzer's GE2E voice
encoder (weights ship in its wheel), and the windows are clustered spectrally. Each
frame of speech takes the speaker of the window whose centre is nearest. It is used when
the segmentation and CAM++ models are not installed, and as the benchmarks' reference.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from research.audio import SAMPLE_RATE
from research.errors import ResearchError

WINDOW_SECONDS = 1.5
HOP_SECONDS = 0.5
MIN_REGION_SECONDS = 0.3
AUTO_SILHOUETTE = 0.12  # below this, more than one cluster is not convincing
NEIGHBOURS = 10
MEL_HOP = SAMPLE_RATE // 100  # resemblyzer's spectrogram: one frame every 10 ms
MEL_STRETCH = 60.0  # seconds of audio per spectrogram: a long recording's whole spectrogram would not fit in memory


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

    encoder = _encoder()
    mels = _window_mels(audio, windows)
    frames = min(len(m) for m in mels)
    batch = torch.from_numpy(np.stack([m[:frames] for m in mels]))
    with torch.no_grad():
        return encoder(batch).cpu().numpy()


def _window_mels(audio: np.ndarray, windows: list[tuple[float, float]]) -> list[np.ndarray]:
    """resemblyzer's mel spectrogram of each window, sliced from one spectrogram per run of overlapping windows
    on the same 10 ms grid (up to MEL_STRETCH seconds): a spectrogram per window would redo its overlaps' work."""
    from resemblyzer.audio import wav_to_mel_spectrogram

    bounds = [(int(a * SAMPLE_RATE), int(b * SAMPLE_RATE)) for a, b in windows]
    mels: list[np.ndarray] = [np.zeros((0, 40), dtype=np.float32)] * len(bounds)
    runs: list[list[int]] = []
    for i in sorted(range(len(bounds)), key=lambda i: bounds[i]):
        a, b = bounds[i]
        if runs:
            first, end = bounds[runs[-1][0]][0], max(bounds[j][1] for j in runs[-1])
            if (a - first) % MEL_HOP == 0 and a <= end and b - first <= MEL_STRETCH * SAMPLE_RATE:
                runs[-1].append(i)
                continue
        runs.append([i])
    for run in runs:
        first = bounds[run[0]][0]
        mel = wav_to_mel_spectrogram(audio[first : max(bounds[i][1] for i in run)])
        for i in run:
            a, b = bounds[i]
            mels[i] = mel[(a - first) // MEL_HOP :][: 1 + (b - a) // MEL_HOP]
    return mels


def cluster(embeddings: np.ndarray, min_speakers: int, max_speakers: int) -> np.ndarray:
    """Spectral clustering on a nearest-neighbour graph; the count in the bounds with the best cosine silhouette."""
    import warnings

    from sklearn.cluster import SpectralClustering
    from sklearn.metrics import silhouette_score

    if len(embeddings) < 3 or max_speakers < 2:
        return np.zeros(len(embeddings), dtype=int)

    def fit(n: int) -> np.ndarray:
        model = SpectralClustering(n_clusters=n, affinity="nearest_neighbors", n_neighbors=min(NEIGHBOURS, len(embeddings) - 1), random_state=0)
        with warnings.catch_warnings():  # well-separated voices leave the graph disconnected, which is fine
            warnings.simplefilter("ignore", UserWarning)
            return model.fit_predict(embeddings)

    if min_speakers == max_speakers:
        return fit(min(max_speakers, len(embeddings) - 1))
    best, best_score = (fit(min_speakers) if min_speakers > 1 else np.zeros(len(embeddings), dtype=int)), AUTO_SILHOUETTE
    for n in range(max(2, min_speakers), min(max_speakers, len(embeddings) - 1) + 1):
        labels = fit(n)
        score = silhouette_score(embeddings, labels, metric="cosine")
        if score > best_score:
            best, best_score = labels, score
    return best


def labelled_windows(audio: np.ndarray, min_speakers: int, max_speakers: int) -> tuple[list[tuple[float, float]], np.ndarray, np.ndarray]:
    """Speech windows, their speaker labels and their embeddings."""
    windows = windows_for(speech_regions(audio), len(audio) / SAMPLE_RATE)
    if not windows:
        return [], np.zeros(0, dtype=int), np.zeros((0, 256), dtype=np.float32)
    embeddings = embed(audio, windows)
    return windows, cluster(embeddings, min_speakers, max_speakers), embeddings
