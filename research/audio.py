"""Audio files: what is supported, hashing, probing and decoding (PyAV, no ffmpeg binary)."""

from __future__ import annotations

import hashlib
import itertools
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from research.errors import AudioError

SAMPLE_RATE = 16_000
SUPPORTED_EXTENSIONS = frozenset({".wav", ".mp3", ".m4a", ".flac", ".ogg", ".opus", ".webm", ".mp4"})


@dataclass(frozen=True)
class AudioInfo:
    duration: float
    channels: int
    sample_rate: int
    codec: str
    has_video: bool


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def probe(path: Path) -> AudioInfo:
    """Read the container header, and decode when it doesn't state a duration."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioError(path.name, "no audio stream in the file")
            stream = container.streams.audio[0]
            duration = _duration(container, stream)
            return AudioInfo(
                duration=duration,
                channels=stream.codec_context.channels or 1,
                sample_rate=stream.codec_context.sample_rate or 0,
                codec=stream.codec_context.name,
                has_video=bool(container.streams.video),
            )
    except AudioError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as error:
        raise AudioError(path.name, _plainly_no_recording(path) or f"not a readable audio or video file ({_reason(error)})") from None


def _plainly_no_recording(path: Path) -> str | None:
    """Why a file FFmpeg refused is plainly no recording, where it is: empty, or text (notes saved as .wav)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return None
    if not head:
        return "an empty file (0 bytes)"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:  # binary, or text cut inside a character: not sure, so say nothing
        return None
    return "a text file, not a recording" if all(c.isprintable() or c.isspace() for c in text) else None


def _duration(container: av.container.InputContainer, stream: av.audio.stream.AudioStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    samples = sum(frame.samples for frame in container.decode(stream))
    return samples / (stream.codec_context.sample_rate or 1)


def decode(path: Path, split_stereo: bool = False) -> np.ndarray:
    """Decode to 16 kHz float32: mono (n,), or (2, n) with `split_stereo`.

    The samples of faster-whisper's `decode_audio` (16-bit 16 kHz from PyAV's resampler, scaled to
    [-1, 1)), without the full garbage collection it runs after every file (a third of the time it
    takes to decode an Opus interview in a process holding the models). Inside `shared_decodes`, a
    file decoded once is read back from there by the next stage that asks.
    """
    layout = "stereo" if split_stereo else "mono"
    try:
        samples = _shared_samples(path, layout)
    except (av.error.FFmpegError, OSError, ValueError, IndexError) as error:
        raise AudioError(path.name, f"could not decode audio ({_reason(error)})") from None
    audio = samples.astype(np.float32) / 32768.0
    if split_stereo:
        return np.stack([audio[0::2], audio[1::2]])
    if audio.size == 0:
        raise AudioError(path.name, "the file holds no audio samples")
    return audio


_shared: list[Path] = []  # the folder of the innermost `shared_decodes`, if any


@contextmanager
def shared_decodes(folder: Path) -> Iterator[None]:
    """For the duration, `decode` keeps each file's 16-bit samples in `folder` (created owner-only, removed after)
    and later stages read them back instead of decoding again: `research run` decodes a recording for
    transcription and again to separate its speakers. Nothing is kept where the disk would be left with less
    free space than the samples take."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _shared.append(folder)
    try:
        yield
    finally:
        _shared.pop()
        shutil.rmtree(folder, ignore_errors=True)


def _shared_samples(path: Path, layout: str) -> np.ndarray:
    """Interleaved 16 kHz 16-bit samples of `path`: read back from the shared folder when an earlier decode kept
    them there (the same file: path, size and modification time), else decoded, and kept when there is one."""
    if not _shared:
        return _decoded(path, layout)
    stat = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{layout}".encode()).hexdigest()[:32]
    kept = _shared[-1] / f"{key}.npy"
    try:
        return np.load(kept)
    except (OSError, ValueError):  # not kept yet (or unreadable): decode
        pass
    samples = _decoded(path, layout)
    try:
        if shutil.disk_usage(kept.parent).free > 2 * samples.nbytes:
            from research.atomic import atomic_path

            with atomic_path(kept) as partial, partial.open("wb") as handle:
                np.save(handle, samples)
    except Exception:  # noqa: BLE001 - keeping a copy is only a saving: a full disk or a removed folder leaves the decode as it is
        pass
    return samples


def _decoded(path: Path, layout: str) -> np.ndarray:
    """Interleaved 16 kHz 16-bit samples of the first audio stream; frames that fail to decode are skipped."""
    from faster_whisper.audio import _group_frames, _ignore_invalid_frames

    resampler = av.AudioResampler(format="s16", layout=layout, rate=SAMPLE_RATE)
    parts = []
    with av.open(str(path), metadata_errors="ignore") as container:
        groups = _group_frames(_ignore_invalid_frames(container.decode(audio=0)), 500_000)  # the resampler fed in large pieces
        for group in itertools.chain(groups, [None]):  # None flushes the resampler
            parts += [frame.to_ndarray().reshape(-1) for frame in resampler.resample(group)]
    return np.concatenate(parts).astype(np.int16, copy=False) if parts else np.zeros(0, dtype=np.int16)


def is_silent(audio: np.ndarray, threshold_db: float = -60.0) -> bool:
    """True when the loudest 100 ms window stays below `threshold_db` dBFS."""
    window = SAMPLE_RATE // 10
    usable = audio[: len(audio) // window * window].reshape(-1, window) if len(audio) >= window else audio.reshape(1, -1)
    rms = np.sqrt(np.mean(np.square(usable, dtype=np.float64), axis=1))
    return bool(20 * np.log10(max(rms.max(), 1e-12)) < threshold_db)


def _reason(error: Exception) -> str:
    text = getattr(error, "strerror", None) or str(error).strip() or type(error).__name__
    return text.splitlines()[0].split(": '")[0]


def separate_parties(left: np.ndarray, right: np.ndarray, max_correlation: float = 0.5) -> bool:
    """True for a call recording with one party per channel: both carry sound and they differ."""
    if is_silent(left) or is_silent(right):
        return False
    correlation = np.corrcoef(left, right)[0, 1]
    return bool(abs(correlation) < max_correlation)


def redact(audio: np.ndarray, spans: list[tuple[float, float]], mode: str = "bleep", sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A copy with each (start, end) span replaced by a 1 kHz tone ("bleep") or silence."""
    out = audio.copy()
    for start, end in spans:
        a, b = max(0, int(start * sample_rate)), min(len(out), int(np.ceil(end * sample_rate)))
        if b <= a:
            continue
        if mode == "bleep":
            t = np.arange(b - a) / sample_rate
            out[a:b] = 0.2 * np.sin(2 * np.pi * 1000 * t)
        else:
            out[a:b] = 0.0
    return out


def write_opus(audio: np.ndarray, path: Path, sample_rate: int = SAMPLE_RATE, bitrate: int = 32_000, compression_level: int = 0) -> None:
    """Encode mono float32 audio as Ogg Opus, written to a temporary name and moved into place.

    compression_level 0 (about 7x faster than libopus's default 10) and 60 ms Opus frames, fed
    one second at a time, encode an hour of 16 kHz speech in about 4 s on 2 cores.
    """
    partial = path.with_name(path.name + ".partial")
    samples = audio.astype(np.float32)
    try:
        with av.open(str(partial), "w", format="ogg") as container:
            stream = container.add_stream("libopus", rate=sample_rate, layout="mono")
            stream.bit_rate = bitrate
            stream.codec_context.options = {"compression_level": str(compression_level), "frame_duration": "60"}
            for start in range(0, len(samples), sample_rate):
                frame = av.AudioFrame.from_ndarray(samples[np.newaxis, start : start + sample_rate], format="flt", layout="mono")
                frame.sample_rate, frame.pts = sample_rate, start
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)  # never leave a half-written copy (a full disk)
        raise
