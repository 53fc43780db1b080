"""Make small real audio and video files for tests (PyAV encoders, no ffmpeg binary)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from research.audio import SAMPLE_RATE, decode


def write_audio(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    """Write float samples, shape (n,) or (channels, n), in the container the suffix names."""
    samples = np.atleast_2d(samples).astype(np.float32)
    layout = "mono" if samples.shape[0] == 1 else "stereo"
    codec = {".wav": "pcm_s16le", ".flac": "flac", ".mp3": "libmp3lame", ".ogg": "libopus", ".opus": "libopus", ".webm": "libopus", ".m4a": "aac"}[path.suffix]
    with av.open(str(path), "w", format={".m4a": "mp4", ".opus": "ogg", ".webm": "webm"}.get(path.suffix)) as container:
        stream = container.add_stream(codec, rate=48_000 if codec == "libopus" else rate, layout=layout)
        _encode(container, stream, samples, rate)
    return path


def write_video(path: Path, samples: np.ndarray | None, seconds: float, rate: int = SAMPLE_RATE) -> Path:
    """An mp4 with a small moving picture and, unless `samples` is None, a mono AAC track."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("mpeg4", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = container.add_stream("aac", rate=rate, layout="mono") if samples is not None else None
        for index in range(int(seconds * 10)):
            image = np.full((48, 64, 3), index * 7 % 255, dtype=np.uint8)
            for packet in video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)
        if audio is not None:
            _encode(container, audio, np.atleast_2d(samples).astype(np.float32), rate)
    return path


def _encode(container, stream, samples: np.ndarray, rate: int) -> None:
    layout = "mono" if samples.shape[0] == 1 else "stereo"
    frame_size = 960 if stream.codec_context.name == "libopus" else 1024
    resampler = av.AudioResampler(format=stream.codec_context.format.name, layout=layout, rate=stream.codec_context.sample_rate, frame_size=frame_size)
    interleaved = np.ascontiguousarray(samples.T.reshape(1, -1)) if layout == "stereo" else samples
    frame = av.AudioFrame.from_ndarray(interleaved, format="flt", layout=layout)
    frame.sample_rate = rate
    for resampled in resampler.resample(frame) + resampler.resample(None):
        for packet in stream.encode(resampled):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def speech_clip(source: Path, seconds: float) -> np.ndarray:
    """The first `seconds` of a real recording, decoded to 16 kHz mono."""
    return decode(source)[: int(seconds * SAMPLE_RATE)]
