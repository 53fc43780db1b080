"""Redacted audio as AAC in an .m4a, the audio that NVivo, ATLAS.ti and MAXQDA import (they don't take Opus).

Encoded with PyAV (no ffmpeg binary needed) and kept beside the .opus, so an export re-encodes an
interview only when its redacted audio changed.
"""

from __future__ import annotations

import os
from pathlib import Path

import av

from research.errors import ResearchError

BIT_RATE = 64_000  # speech: mono 64 kbit/s AAC-LC is transparent enough and small


def m4a_copy(source: Path, spare: Path) -> Path:
    """`INT-001.opus` → `INT-001.m4a` beside it, encoded when missing or older than the source; where that folder
    can't be written (a read-only study), into the folder `spare` instead (the export's staging folder)."""
    target = source.with_suffix(".m4a")
    if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    if not os.access(source.parent, os.W_OK):
        target = spare / target.name
    partial = target.with_suffix(".m4a.partial")
    try:
        _encode(source, partial)
    except (av.error.FFmpegError, OSError) as error:
        partial.unlink(missing_ok=True)
        raise ResearchError(f"{source.name}: cannot encode as m4a ({error})") from None
    partial.replace(target)
    return target


def _encode(source: Path, target: Path) -> None:
    with av.open(str(source)) as reader, av.open(str(target), "w", format="ipod") as writer:
        audio = reader.streams.audio[0]
        rate = audio.codec_context.sample_rate or 48_000
        stream = writer.add_stream("aac", rate=rate, layout="mono")
        stream.bit_rate = BIT_RATE
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=rate)
        for frame in reader.decode(audio):
            for piece in resampler.resample(frame):
                writer.mux(stream.encode(piece))
        for piece in resampler.resample(None):
            writer.mux(stream.encode(piece))
        writer.mux(stream.encode(None))
