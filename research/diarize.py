"""Who spoke when, frame by frame, overlapping speech included.

The method of pyannote's speaker-diarization 3.1, on models that install from PyPI:

1. **Local segmentation.** pyannote segmentation-3.0 reads 10 s chunks every 7.5 s and
   says, for every 17 ms frame, which of up to three local speakers talk (two at once
   at most).
2. **Voices.** CAM++ hears only the speech (silence cut out, 0.1 s of context kept) once,
   in 10 s blocks; each local speaker of each chunk gets an embedding pooled over the
   frames where they speak alone (or, failing that, all their frames), and so does each
   piece of their speech between pauses of 0.5 s or more.
3. **Clustering.** Centroid-linkage agglomerative clustering of those embeddings with a
   fixed cosine threshold picks the number of speakers, then held within the bounds the
   caller gives (the metadata sheet); two voices a count of two forced apart that are
   closer than the threshold stay one (a recording with one voice). Clusters with under 2 s of speech join their
   nearest large one. Each chunk's local speakers then go to distinct clusters
   (Hungarian assignment); a piece whose own voice clearly belongs to a cluster the
   chunk does not hear moves there (the segmentation had taken two people for one
   local speaker). A local speaker left without a cluster who talks over one that has
   one is someone else: a voice of their own, while the bounds allow (someone heard
   mostly in overlap has too little lone speech to form a cluster).
4. **Frame-level re-segmentation.** Every chunk covering a frame votes with its
   probabilities: its local speakers' chance of speaking goes to their clusters. A frame
   is speech when the averaged probabilities make some voice likelier than none, and then
   holds one voice or two, whichever is likelier (SILENCE_SHARE, OVERLAP_SHARE; other
   values are measured by benchmarks/speakers_loo.py). Each frame keeps that many
   top-scoring speakers. Overlap survives.

Everything is deterministic: no random initialisation, fixed order, one thread per model
pass. The passes over chunks and speech blocks are shared among the machine's cores (at
most MAX_WORKERS threads); both models run in ONNX Runtime (see `research.voice_models`).
When the models are not installed, resemblyzer's GE2E windows (`diarize_ge2e`) are used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import numpy as np

from research.audio import SAMPLE_RATE
from research.errors import ResearchError
from research.voice_models import POWERSET

CHUNK_SECONDS = 10.0
CHUNK_STEP = 7.5  # a frame is heard by one or two chunks (pyannote: ten): two thirds of the segmentation time of a 5 s step, same DER on AMI
FRAME_STEP = 0.016875  # segmentation-3.0's frame step (270 samples)
BATCH = 4  # segmentation chunks per pass
MAX_WORKERS = 4  # threads (one torch op each) sharing the models' passes: the machine's cores, at most this many
PIECE_GAP = 0.5  # seconds of silence that cut a local speaker's speech into pieces, each checked against the voices
PIECE_MARGIN = 0.1  # cosine by which a piece must prefer another voice to move there
SPEECH_MARGIN = 0.1  # seconds of context CAM++ keeps around the speech it embeds
MIN_EMBEDDING_FRAMES = 20  # CAM++ frames (20 ms each): from 0.4 s of speech a voice takes part in clustering
MIN_ASSIGN_FRAMES = 5  # from 0.1 s it is only matched to the clusters
CLUSTER_THRESHOLD = 0.7  # Euclidean distance between unit-length centroids that still merges two clusters (pyannote 3.1: 0.7046)
MIN_CLUSTER_SECONDS = 2.0  # seconds of speech a cluster needs to be a speaker; smaller ones join their nearest large one
MIN_TOGETHER_SECONDS = 0.5  # seconds a local speaker left without a voice talks over one with a voice to become a voice (0.25-1 s: the same on AMI)
CAMPP_FRAME = 0.02  # seconds per CAM++ frame
MAX_AUTO_SPEAKERS = 6
SILENCE_SHARE = 0.5  # averaged probability of no voice from which a frame is silence (pyannote's argmax: as likely as not)
OVERLAP_SHARE = 0.5  # share of two voices, against one, above which a speech frame holds two (0.5: the likelier)

Method = Literal["campplus", "ge2e"]


@dataclass
class Diarization:
    """Speaker activity on a grid of `step`-second frames, and each speaker's voice (L2-normalised)."""

    step: float
    activity: np.ndarray  # (frames, speakers) bool; rows with two True are overlapped speech
    voices: np.ndarray  # (speakers, dim)
    method: Method

    @property
    def speakers(self) -> int:
        return self.activity.shape[1]

    def turns(self) -> list[tuple[float, float, int]]:
        """(start, end, speaker) for every run of frames a speaker is active, in time order."""
        turns = []
        for speaker in range(self.speakers):
            padded = np.concatenate([[False], self.activity[:, speaker], [False]])
            edges = np.flatnonzero(padded[1:] != padded[:-1])
            turns += [(a * self.step, b * self.step, speaker) for a, b in zip(edges[::2], edges[1::2])]
        return sorted(turns)

    def speaker_of(self, start: float, end: float) -> int | None:
        """The speaker active longest during [start, end]; else the nearest active speaker; None when nobody speaks."""
        if not self.activity.any():
            return None
        a, b = int(start / self.step), max(int(start / self.step) + 1, int(np.ceil(end / self.step)))
        during = self.activity[a:b].sum(axis=0)
        if during.any():
            return int(np.argmax(during))
        active = np.flatnonzero(self.activity.any(axis=1))
        centre = (a + b) / 2
        nearest = active[np.argmin(np.abs(active - centre))]
        return int(np.argmax(self.activity[nearest]))


ALIKE = 0.7  # CAM++ cosine between two found voices above which the model hears them as one person


def indistinct(diarization: Diarization) -> bool:
    """Two of the voices a fixed count forced apart are ones the model hears as the same person."""
    voices = diarization.voices
    if len(voices) < 2:
        return False
    similarity = voices @ voices.T
    np.fill_diagonal(similarity, -1.0)
    return bool(similarity.max() >= ALIKE)


def default_method() -> Method:
    """CAM++ with segmentation when their models are installed, else resemblyzer's GE2E."""
    from research import voice_models

    return "campplus" if voice_models.available() else "ge2e"


def diarize(audio: np.ndarray, min_speakers: int = 1, max_speakers: int = MAX_AUTO_SPEAKERS, method: Method | None = None) -> Diarization:
    """Who speaks when in 16 kHz mono `audio`, with between `min_speakers` and `max_speakers` voices (one, where two
were asked for and the two found are the same voice by the clustering's own threshold).

    `method`: "campplus" (segmentation-3.0 + CAM++) or "ge2e" (resemblyzer windows); by default the best installed.
    """
    method = method or default_method()
    min_speakers, max_speakers = max(1, min_speakers), max(1, max_speakers, min_speakers)
    with one_thread():
        if method == "ge2e":
            return _diarize_ge2e(audio, min_speakers, max_speakers)
        found = _diarize_campplus(audio, min_speakers, max_speakers)
        if min_speakers > 2 and indistinct(found):  # a second opinion when CAM++ can't tell two of the asked-for voices apart
            return _diarize_ge2e(audio, min_speakers, max_speakers)
        if min_speakers == 2 and found.speakers == 2 and same_voice(found.voices[0], found.voices[1]):
            return _merged(found)
        return found


def same_voice(first: np.ndarray, second: np.ndarray) -> bool:
    """Two unit-length voices the clustering would have merged (closer than CLUSTER_THRESHOLD): one person."""
    return bool(np.linalg.norm(first - second) < CLUSTER_THRESHOLD)


def _merged(diarization: Diarization) -> Diarization:
    """Two voices taken as one: a count of two that the caller forced (say, an interviewer the sheet assumes) never
    splits a recording with one voice in two. Their voice is the mean weighted by how long each speaks."""
    seconds = diarization.activity.sum(axis=0).astype(float)
    voice = _normalise(seconds @ diarization.voices)
    return Diarization(diarization.step, diarization.activity.any(axis=1, keepdims=True), voice[None], diarization.method)


def _diarize_campplus(audio: np.ndarray, min_speakers: int, max_speakers: int) -> Diarization:
    return separate(listen(audio), min_speakers, max_speakers)


@dataclass
class Heard:
    """What the two models make of one recording, before any voice is told from another."""

    starts: np.ndarray  # chunk start times (s)
    classes: np.ndarray  # (chunks, frames, 7): segmentation-3.0's powerset probabilities
    voices: Voices
    frames: int  # FRAME_STEP frames in the recording


def listen(audio: np.ndarray) -> Heard:
    """Segmentation-3.0's chunks and CAM++'s voices for 16 kHz mono `audio` (call inside `one_thread`)."""
    import torch

    with torch.inference_mode(), ThreadPoolExecutor(_workers()) as pool:
        starts, classes = _segment(audio, pool)  # (chunks, frames, 7) probabilities
        local = _powerset_table()[classes.argmax(axis=-1)]  # (chunks, frames, 3) bool: the most likely class
        voices = _embed(audio, starts, local, pool)
    return Heard(starts, classes, voices, _frames(len(audio)))


def separate(heard: Heard, min_speakers: int, max_speakers: int) -> Diarization:
    """Clusters the voices `heard` into between `min_speakers` and `max_speakers` speakers, and re-segments frame by frame."""
    voices = heard.voices
    embeddings, frames = voices.chunk, voices.frames
    valid = ~np.isnan(embeddings[..., 0])
    if not valid.any():
        return Diarization(FRAME_STEP, np.zeros((heard.frames, 0), dtype=bool), np.zeros((0, 192), dtype=np.float32), "campplus")
    train = valid & (frames >= MIN_EMBEDDING_FRAMES) if (frames >= MIN_EMBEDDING_FRAMES).any() else valid
    # each second of speech is heard by CHUNK_SECONDS / CHUNK_STEP chunks: a local speaker's share of unique speech
    seconds = frames[train] * CAMPP_FRAME * CHUNK_STEP / CHUNK_SECONDS
    labels = cluster(embeddings[train], min_speakers, max_speakers, seconds)
    centroids = np.stack([_normalise(embeddings[train][labels == k].mean(axis=0)) for k in range(labels.max() + 1)])
    assigned = _assign(embeddings, valid, centroids)  # (chunks, 3): cluster or -1
    assigned, centroids = _simultaneous_voices(heard, valid, assigned, centroids, max_speakers)
    clusters = _resegment(voices, assigned, centroids)  # (chunks, frames, 3): cluster or -1
    activity = _reconstruct(heard.starts, heard.classes, clusters, len(centroids), heard.frames)
    return _ordered(Diarization(FRAME_STEP, activity, centroids, "campplus"))


@contextmanager
def one_thread() -> Iterator[None]:
    """Torch, and numpy's BLAS and OpenMP pools, on one thread for the duration: these small LSTM, conv and matrix
    steps gain nothing from a second thread, and on a busy machine the threads' spin-waiting multiplies the CPU
    time (measured: 100x for the LSTM; 7x for the GE2E fallback's mel spectrograms, a third of its time)."""
    import scipy.linalg  # noqa: F401 - loads scipy's own BLAS, so that it is held too
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):  # every pool loaded by now (a controller kept from an earlier call would miss later ones)
            yield
    finally:
        torch.set_num_threads(before)


def _frames(samples: int) -> int:
    return int(np.ceil(samples / SAMPLE_RATE / FRAME_STEP))


def _workers() -> int:
    return max(1, min(MAX_WORKERS, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def _segment(audio: np.ndarray, pool: Executor) -> tuple[np.ndarray, np.ndarray]:
    """Chunk start times (s) and, per chunk frame, the probability of each of segmentation-3.0's powerset classes:
    (chunks, frames, 7). 10 s chunks every CHUNK_STEP seconds, the last padded with silence; batches run in `pool`."""
    from research.voice_models import segmentation_runner

    model = segmentation_runner()
    size, hop = int(CHUNK_SECONDS * SAMPLE_RATE), int(CHUNK_STEP * SAMPLE_RATE)
    count = 1 + max(0, int(np.ceil((len(audio) - size) / hop)))
    padded = np.zeros((count - 1) * hop + size, dtype=np.float32)
    padded[: len(audio)] = audio
    chunks = np.lib.stride_tricks.sliding_window_view(padded, size)[::hop][:count]
    probabilities = pool.map(lambda batch: np.exp(model(batch)), (chunks[i : i + BATCH] for i in range(0, count, BATCH)))
    return np.arange(count) * CHUNK_STEP, np.concatenate(list(probabilities))


def _powerset_table() -> np.ndarray:
    """(7 classes, 3 local speakers): which local speakers each class holds."""
    table = np.zeros((len(POWERSET), 3), dtype=bool)
    for index, speakers in enumerate(POWERSET):
        table[index, list(speakers)] = True
    return table


def _pieces(local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each local speaker's speech in each chunk, cut into pieces at pauses longer than PIECE_GAP.

    Returns the piece of every (chunk, frame, local speaker), -1 outside any (a piece spans
    its short pauses), and each piece's (chunk, local speaker).
    """
    label = np.full(local.shape, -1, dtype=np.int64)
    owners = []
    gap = int(PIECE_GAP / FRAME_STEP)
    for c, k in zip(*np.nonzero(local.any(axis=1))):
        active = np.flatnonzero(local[c, :, k])
        for run in np.split(active, np.flatnonzero(np.diff(active) > gap) + 1):
            label[c, run[0] : run[-1] + 1, k] = len(owners)
            owners.append((c, k))
    return label, np.array(owners, dtype=np.int64).reshape(-1, 2)


@dataclass
class Voices:
    """CAM++ voices found in one recording: per (chunk, local speaker), and per piece of their speech."""

    chunk: np.ndarray  # (chunks, 3, 192), NaN where a local speaker speaks less than MIN_ASSIGN_FRAMES
    frames: np.ndarray  # (chunks, 3): CAM++ frames each local speaker speaks
    piece: np.ndarray  # (pieces, 192), NaN where a piece is shorter than MIN_EMBEDDING_FRAMES
    owners: np.ndarray  # (pieces, 2): chunk, local speaker
    label: np.ndarray  # (chunks, frames, 3): piece or -1


def _embed(audio: np.ndarray, starts: np.ndarray, local: np.ndarray, pool: Executor) -> Voices:
    """CAM++ voices per (chunk, local speaker) and per piece, pooled over the frames they speak, alone if possible.

    CAM++'s frame features are computed once, over consecutive 10 s blocks of the speech
    (silence cut out; blocks run in `pool`), and pooled for every chunk that covers them, so
    overlapping chunks cost no extra embedding time.
    """
    import torch

    from research.fbank import fbank
    from research.voice_models import embedding_model, frames_runner

    frames_of = frames_runner()
    alone = local.sum(axis=2) == 1
    label, owners = _pieces(local)
    # running sums per (piece, [alone, all]): frames, sum of features, sum of squares
    count = np.zeros((len(owners), 2))
    total = np.zeros((len(owners), 2, 512))
    squares = np.zeros((len(owners), 2, 512))
    spans = _speech_spans(starts, local, len(audio))
    speech = np.concatenate([audio[a:b] for a, b in spans]) if spans else np.zeros(0, dtype=np.float32)
    compact_starts = np.cumsum([0] + [b - a for a, b in spans[:-1]])
    original_starts = np.array([a for a, _ in spans])
    size = int(CHUNK_SECONDS * SAMPLE_RATE)
    # 10 s blocks, the last as long as the speech left (at least a second: padded with silence, whose frames are dropped)
    blocks = [speech[i : i + size] for i in range(0, len(speech), size)]
    if blocks and len(blocks[-1]) < SAMPLE_RATE:
        blocks[-1] = np.pad(blocks[-1], (0, SAMPLE_RATE - len(blocks[-1])))

    def features(block: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            values = fbank(torch.from_numpy(np.ascontiguousarray(block))[None])
            values = (values - values.mean(dim=1, keepdim=True)).numpy()
        return frames_of(values)[0]  # (512, T)

    for first in range(0, len(blocks), 4 * MAX_WORKERS):  # a few blocks at a time: an hour's frames would not fit in memory
        for b, (samples, block) in enumerate(zip(blocks[first : first + 4 * MAX_WORKERS], pool.map(features, blocks[first : first + 4 * MAX_WORKERS]))):
            block = block.astype(np.float64)
            step = len(samples) / block.shape[-1]  # samples per frame
            compact = (first + b) * size + (np.arange(block.shape[-1]) + 0.5) * step
            real = compact < len(speech)
            block, compact = block[:, real], compact[real]
            if not len(compact):
                continue
            squared = block**2  # once per block, not per chunk, local speaker and piece
            span = np.searchsorted(compact_starts, compact, side="right") - 1
            times = (original_starts[span] + compact - compact_starts[span]) / SAMPLE_RATE
            for c in np.flatnonzero((starts <= times[-1]) & (starts + CHUNK_SECONDS > times[0])):
                inside = (times >= starts[c]) & (times < starts[c] + CHUNK_SECONDS)
                index = np.minimum(((times[inside] - starts[c]) / FRAME_STEP).astype(int), local.shape[1] - 1)
                features_in, squared_in = block[:, inside], squared[:, inside]
                for k in range(3):
                    pieces = label[c, index, k]
                    for variant, mask in enumerate((local[c, index, k] & alone[c, index], local[c, index, k])):
                        for piece in np.unique(pieces[mask]):
                            chosen = mask & (pieces == piece)
                            count[piece, variant] += chosen.sum()
                            total[piece, variant] += features_in @ chosen
                            squares[piece, variant] += squared_in @ chosen
    dense = dict(embedding_model().xvector.named_children())["dense"]
    chunk_count = np.zeros((len(starts), 3, 2))
    chunk_total = np.zeros((len(starts), 3, 2, 512))
    chunk_squares = np.zeros((len(starts), 3, 2, 512))
    for target, source in ((chunk_count, count), (chunk_total, total), (chunk_squares, squares)):
        np.add.at(target, (owners[:, 0], owners[:, 1]), source)
    chunk = _pooled(dense, chunk_count.reshape(-1, 2), chunk_total.reshape(-1, 2, 512), chunk_squares.reshape(-1, 2, 512), MIN_ASSIGN_FRAMES)
    piece = _pooled(dense, count, total, squares, MIN_EMBEDDING_FRAMES)
    return Voices(chunk.reshape(len(starts), 3, 192), chunk_count[:, :, 1], piece, owners, label)


def _pooled(dense, count: np.ndarray, total: np.ndarray, squares: np.ndarray, least: int) -> np.ndarray:
    """L2-normalised embeddings from frame statistics (alone frames when there are enough, else all); NaN under `least` frames."""
    import torch

    out = np.full((len(count), 192), np.nan, dtype=np.float32)
    rows = np.flatnonzero(count[:, 1] >= least)
    if not len(rows):
        return out
    variant = np.where(count[rows, 0] >= np.minimum(MIN_EMBEDDING_FRAMES, count[rows, 1]), 0, 1)
    n = count[rows, variant][:, None]
    mean = total[rows, variant] / n
    std = np.sqrt(np.maximum(squares[rows, variant] - n * mean**2, 0) / np.maximum(n - 1, 1))
    stats = torch.from_numpy(np.concatenate([mean, std], axis=1).astype(np.float32))
    vectors = dense(stats).numpy()
    out[rows] = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    return out


def _speech_spans(starts: np.ndarray, local: np.ndarray, samples: int) -> list[tuple[int, int]]:
    """Sample ranges where some chunk hears a voice, widened by SPEECH_MARGIN, merged: all CAM++ needs to hear."""
    frames = _frames(samples)
    heard = np.zeros(frames, dtype=bool)
    for c, start in enumerate(starts):
        index = int(round(start / FRAME_STEP)) + np.flatnonzero(local[c].any(axis=1))
        heard[index[index < frames]] = True
    margin = int(SPEECH_MARGIN / FRAME_STEP)
    padded = np.concatenate([[False], heard, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    spans: list[tuple[int, int]] = []
    for a, b in zip(edges[::2], edges[1::2]):
        a, b = int(max(0, (a - margin) * FRAME_STEP * SAMPLE_RATE)), int(min(samples, (b + margin) * FRAME_STEP * SAMPLE_RATE))
        if spans and a <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], b))
        else:
            spans.append((a, b))
    return spans


def voice(audio: np.ndarray, spans: list[tuple[float, float]], method: Method) -> np.ndarray:
    """One L2-normalised voice embedding for the speech in `spans` (seconds) of `audio`: the mean over 10 s pieces."""
    import torch

    pieces = [audio[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)] for a, b in spans]
    speech = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    if len(speech) < SAMPLE_RATE:
        raise ResearchError("less than a second of that voice: too little to enrol")
    if method == "ge2e":
        from research.diarize_ge2e import embed, windows_for

        return _normalise(embed(speech, windows_for([(0.0, len(speech) / SAMPLE_RATE - 1e-3)], len(speech) / SAMPLE_RATE)).mean(axis=0))
    from research.fbank import fbank
    from research.voice_models import embedding_model

    size = int(CHUNK_SECONDS * SAMPLE_RATE)
    pieces = [speech[i : i + size] for i in range(0, len(speech), size) if len(speech[i : i + size]) >= SAMPLE_RATE]
    with torch.inference_mode(), one_thread():
        vectors = []
        for piece in pieces:
            features = fbank(torch.from_numpy(np.ascontiguousarray(piece))[None])
            vectors.append(_normalise(embedding_model()(features - features.mean(dim=1, keepdim=True))[0].numpy()))
    return _normalise(np.mean(vectors, axis=0))


def _normalise(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-9)


def cluster(embeddings: np.ndarray, min_speakers: int, max_speakers: int, seconds: np.ndarray | None = None) -> np.ndarray:
    """Cluster labels 0..K-1 with K within the bounds (when there are enough embeddings).

    `seconds`: the speech each embedding stands for (one each by default); a cluster with less than
    MIN_CLUSTER_SECONDS is not a speaker of its own.
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    if len(embeddings) < 2:
        return np.zeros(len(embeddings), dtype=int)
    seconds = np.ones(len(embeddings)) if seconds is None else np.asarray(seconds, dtype=float)
    normalised = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    tree = linkage(normalised, method="centroid", metric="euclidean")
    labels = fcluster(tree, CLUSTER_THRESHOLD, criterion="distance") - 1
    labels = _absorb_small(normalised, labels, seconds)
    count = labels.max() + 1
    if not min_speakers <= count <= max_speakers:
        wanted = min(max(count, min_speakers), max_speakers, len(embeddings))
        cuts = (fcluster(tree, cut, criterion="maxclust") - 1 for cut in range(wanted, len(embeddings) + 1))
        # the coarsest cut with `wanted` large clusters (outliers split off first are not speakers), else the plain cut
        large = (c for c in cuts if np.sum(np.bincount(c, weights=seconds) >= MIN_CLUSTER_SECONDS) >= wanted)
        labels = _absorb_small(normalised, next(large, fcluster(tree, wanted, criterion="maxclust") - 1), seconds, keep=wanted)
    return labels


def _absorb_small(embeddings: np.ndarray, labels: np.ndarray, seconds: np.ndarray, keep: int | None = None) -> np.ndarray:
    """Members of clusters with less than MIN_CLUSTER_SECONDS of speech join the nearest large cluster; labels renumbered by size.

    `keep`: treat the `keep` largest clusters as large whatever their size.
    """
    ids = np.unique(labels)
    sizes = np.array([seconds[labels == c].sum() for c in ids])
    order = ids[np.lexsort((ids, -sizes))]
    large = [c for c in order if seconds[labels == c].sum() >= MIN_CLUSTER_SECONDS] if keep is None else list(order[:keep])
    if not large:
        large = [order[0]]
    centroids = np.stack([_normalise(embeddings[labels == c].mean(axis=0)) for c in large])
    mapping = {c: i for i, c in enumerate(large)}
    return np.array([mapping[c] if c in mapping else int(np.argmax(centroids @ e)) for c, e in zip(labels, embeddings)])


def _assign(embeddings: np.ndarray, valid: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Each chunk's local speakers go to distinct clusters, maximising total cosine similarity."""
    from scipy.optimize import linear_sum_assignment

    assigned = np.full(valid.shape, -1, dtype=int)
    for c in range(len(embeddings)):
        speakers = np.flatnonzero(valid[c])
        if not len(speakers):
            continue
        rows, cols = linear_sum_assignment(-(embeddings[c, speakers] @ centroids.T))
        assigned[c, speakers[rows]] = cols
    return assigned


def _simultaneous_voices(heard: Heard, valid: np.ndarray, assigned: np.ndarray, centroids: np.ndarray, max_speakers: int) -> tuple[np.ndarray, np.ndarray]:
    """A local speaker left without a voice (every voice taken in its chunk) who talks at the same time as one
    that has a voice, for MIN_TOGETHER_SECONDS or more, is someone else: a new voice while the count allows.

    Someone heard mostly over another speaker has too little lone speech to form a cluster of their own, yet the
    segmentation hears two people. Such local speakers of different chunks with the same voice (`same_voice`)
    share one new voice. Returns the assignment and the voices, the new ones last.
    """
    local = _powerset_table()[heard.classes.argmax(axis=-1)]
    embeddings = heard.voices.chunk
    voices, first_new = list(centroids), len(centroids)
    for c, k in zip(*np.nonzero(valid & (assigned < 0))):
        placed = np.flatnonzero(assigned[c] >= 0)
        together = max((int((local[c, :, k] & local[c, :, j]).sum()) for j in placed), default=0) * FRAME_STEP
        if together < MIN_TOGETHER_SECONDS:
            continue
        shared = [v for v in range(first_new, len(voices)) if v not in assigned[c] and same_voice(voices[v], embeddings[c, k])]
        if shared:
            assigned[c, k] = shared[0]
        elif len(voices) < max_speakers:
            voices.append(embeddings[c, k])
            assigned[c, k] = len(voices) - 1
    return assigned, np.stack(voices)


def _resegment(voices: Voices, assigned: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """The cluster of every (chunk, frame, local speaker): the chunk's assignment, except for a piece of speech
    whose own voice is clearly another cluster's, one that chunk does not already hear (the segmentation took two
    people for one local speaker)."""
    clusters = np.repeat(assigned[:, None, :], voices.label.shape[1], axis=1)
    embedded = np.flatnonzero(~np.isnan(voices.piece[:, 0]))
    if not len(embedded) or len(centroids) < 2:
        return clusters
    similarity = voices.piece[embedded] @ centroids.T
    own = assigned[voices.owners[embedded, 0], voices.owners[embedded, 1]]
    best = similarity.argmax(axis=1)
    margin = similarity[np.arange(len(embedded)), best] - similarity[np.arange(len(embedded)), np.maximum(own, 0)]
    taken = np.array([best[i] in np.delete(assigned[c], k) for i, (c, k) in enumerate(voices.owners[embedded])], dtype=bool)
    moved = embedded[(own >= 0) & (best != own) & (margin > PIECE_MARGIN) & ~taken]  # never onto a voice the chunk already hears
    if len(moved):
        target = np.full(len(voices.piece), -1)
        target[embedded] = best
        inside = np.isin(voices.label, moved)
        clusters[inside] = target[voices.label[inside]]
    return clusters


def _reconstruct(starts: np.ndarray, classes: np.ndarray, clusters: np.ndarray, speakers: int, frames: int) -> np.ndarray:
    """Global frame activity: per frame, the most likely number of voices, taken from the best-scoring speakers.

    `classes`: per chunk frame, the powerset probabilities; every chunk covering a frame votes with them: its
    local speakers' probabilities of speaking go to their clusters (`clusters`: the cluster of each chunk,
    frame and local speaker). Under the averaged count probabilities a frame is silence from SILENCE_SHARE of no
    voice, and holds two voices where their share against one is above OVERLAP_SHARE (at 0.5 each: the likeliest).
    """
    table = _powerset_table()
    sizes = table.sum(axis=1)
    count_probabilities = np.stack([classes[..., sizes == n].sum(axis=-1) for n in range(3)], axis=-1)
    local = classes @ table
    scores = np.zeros((frames, speakers))
    voices = np.zeros((frames, 3))
    for c, start in enumerate(starts):
        index = int(round(start / FRAME_STEP)) + np.arange(local.shape[1])
        keep = index < frames
        index = index[keep]
        voices[index] += count_probabilities[c][keep]
        for k in range(3):
            cluster_of = clusters[c][keep, k]
            heard = cluster_of >= 0
            np.add.at(scores, (index[heard], cluster_of[heard]), local[c][keep, k][heard])
    # speech where the chunks, on average, find a voice likely enough; then one voice or two, whichever the shares favour
    silence = voices[:, 0] >= SILENCE_SHARE * voices.sum(axis=1)
    count = np.where(silence, 0, np.where(voices[:, 2] * (1 - OVERLAP_SHARE) > voices[:, 1] * OVERLAP_SHARE, 2, 1))
    ranked = np.argsort(-scores, axis=1, kind="stable")
    activity = np.zeros((frames, speakers), dtype=bool)
    for rank in range(min(2, speakers)):
        chosen = count > rank
        activity[np.flatnonzero(chosen), ranked[chosen, rank]] = True
    return activity & (scores > 0)


def _ordered(diarization: Diarization) -> Diarization:
    """Speakers numbered by first appearance; speakers who never speak dropped."""
    first = [np.flatnonzero(diarization.activity[:, s])[0] for s in range(diarization.speakers) if diarization.activity[:, s].any()]
    spoken = [s for s in range(diarization.speakers) if diarization.activity[:, s].any()]
    order = [s for _, s in sorted(zip(first, spoken))]
    return Diarization(diarization.step, diarization.activity[:, order], diarization.voices[order], diarization.method)


def _diarize_ge2e(audio: np.ndarray, min_speakers: int, max_speakers: int) -> Diarization:
    from research.diarize_ge2e import labelled_windows

    windows, labels, embeddings = labelled_windows(audio, min_speakers, max_speakers)
    step = 0.01
    frames = int(np.ceil(len(audio) / SAMPLE_RATE / step))
    speakers = int(labels.max()) + 1 if len(labels) else 0
    activity = np.zeros((frames, speakers), dtype=bool)
    if windows:
        centres = np.array([(a + b) / 2 for a, b in windows])
        order = np.argsort(centres, kind="stable")
        inside = np.zeros(frames, dtype=bool)
        for a, b in windows:
            inside[int(a / step) : int(b / step)] = True
        times = (np.flatnonzero(inside) + 0.5) * step
        right = np.clip(np.searchsorted(centres[order], times), 1, len(order) - 1) if len(order) > 1 else np.zeros(len(times), dtype=int)
        left = np.maximum(right - 1, 0)
        nearest = np.where(np.abs(centres[order][left] - times) <= np.abs(centres[order][right] - times), left, right)
        activity[np.flatnonzero(inside), labels[order][nearest]] = True
    voices = np.stack([_normalise(embeddings[labels == k].mean(axis=0)) for k in range(speakers)]) if speakers else np.zeros((0, 256), dtype=np.float32)
    return _ordered(Diarization(step, activity, voices, "ge2e"))
