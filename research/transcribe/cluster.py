"""The Ray backend: transcription models on a team's Ray cluster, one per worker or GPU.

Each model lives in a Ray actor. The head process (the one running `research transcribe`)
sends it one file's audio and gets the segments back as a stream, so study.db and the vault
keep a single writer on the head and every segment is committed as it arrives. When a worker
dies mid-file, a fresh actor takes the rest of the file from the end of its last segment.
Audio and segments travel through Ray's object store only (spilling, if any, goes to the
study's vault folder for a local cluster). Needs the optional extra: pip install -e '.[cluster]'.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from research.audio import SAMPLE_RATE
from research.errors import ResearchError
from research.transcribe.placement import CPU_BATCH_SIZE, MAX_THREADS_PER_MODEL, Placement
from research.transcribe.types import Segment, TranscribeOptions, TranscriptInfo

INSTALL_HINT = "the Ray backend needs the cluster extra: pip install -e '.[cluster]' (or pip install ray==2.60.0)"
MAX_RESTARTS_PER_FILE = 3


def _ray():
    try:
        import ray
    except ImportError:
        raise ResearchError(INSTALL_HINT) from None
    return ray


def connect(address: str, spill_dir: Path, cpus: int | None = None) -> None:
    """Join the cluster at `address` ('local' starts one in this process, with `cpus` CPUs)."""
    ray = _ray()
    if ray.is_initialized():
        return
    if address == "local":
        spill_dir.mkdir(parents=True, exist_ok=True)
        spilling = {"type": "filesystem", "params": {"directory_path": str(spill_dir)}}
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False, _system_config={"object_spilling_config": json.dumps(spilling)})
    else:
        try:
            ray.init(address=address, log_to_driver=False)
        except ConnectionError as error:
            raise ResearchError(f"cannot reach the Ray cluster at {address}: {str(error).splitlines()[0]}") from None


def _worker_class():
    ray = _ray()

    class TranscriptionWorker:
        """One loaded model on a Ray worker."""

        def __init__(self, engine: str, model: str, place: Placement):
            from research.transcribe.engine import create_engine

            self.engine = create_engine(engine, model, place.device, place.compute_type, place.threads, place.index)

        def pid(self) -> int:
            import os

            return os.getpid()

        def transcribe(self, audio: np.ndarray, options: TranscribeOptions):
            """Yields the TranscriptInfo, then each Segment as it is decoded."""
            info, segments = self.engine.transcribe(audio, options)
            yield info
            yield from segments

    return ray.remote(max_restarts=0)(TranscriptionWorker)


def cluster_placements(device: str, compute_type: str, workers: int, files: int, batch_size: int | None) -> list[Placement]:
    """One model per GPU of the cluster, or CPU models sharing its cores (`workers` of them, or one per 4 CPUs)."""
    resources = _ray().cluster_resources()
    gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 1))
    if device in ("cuda", "auto") and gpus:
        return [Placement("cuda", 0, compute_type, 1, batch_size or 8) for _ in range(min(gpus, files))]
    if device == "cuda":
        raise ResearchError("--device cuda: the Ray cluster has no GPUs")
    count = max(1, min(files, workers if workers > 1 else cpus // MAX_THREADS_PER_MODEL))
    return [Placement("cpu", 0, compute_type, max(1, min(MAX_THREADS_PER_MODEL, cpus // count)), batch_size or CPU_BATCH_SIZE)] * count


class RayEngine:
    """An Engine whose model runs in a Ray actor; replaces the actor and resumes when it dies."""

    def __init__(self, engine: str, model: str, place: Placement):
        self.name, self.model_name, self._engine, self._place = engine, model, engine, place
        self.restarts = 0
        self.actor = self._start()
        _ray().get(self.actor.pid.remote())  # the model loads now, so a missing one fails before any work

    def _start(self):
        resources = {"num_gpus": 1, "num_cpus": 1} if self._place.device == "cuda" else {"num_cpus": self._place.threads}
        return _worker_class().options(**resources).remote(self._engine, self.model_name, self._place)

    def transcribe(self, audio: np.ndarray, options: TranscribeOptions) -> tuple[TranscriptInfo, Iterator[Segment]]:
        stream = self._stream(audio, options, 0.0)
        info = next(stream)
        return info, stream

    def _stream(self, audio: np.ndarray, options: TranscribeOptions, offset: float):
        """The info, then the segments of `audio[offset:]` shifted back to `audio`'s time; resumes on a new actor."""
        ray = _ray()
        restarts = 0
        first = True
        while True:
            base = offset  # this attempt decodes audio[base:]
            generator = self.actor.transcribe.options(num_returns="streaming").remote(audio[int(base * SAMPLE_RATE) :], options)
            try:
                for position, ref in enumerate(generator):
                    item = ray.get(ref)
                    if position == 0:
                        if first:
                            yield replace(item, duration=len(audio) / SAMPLE_RATE)
                            first = False
                        continue
                    segment = item.shifted(base)
                    yield segment
                    offset = max(offset, segment.end)
                return
            except ray.exceptions.RayActorError:
                restarts += 1
                self.restarts += 1
                if restarts > MAX_RESTARTS_PER_FILE:
                    raise ResearchError(f"the Ray worker died {restarts} times on this file; giving up") from None
                self.actor = self._start()  # elsewhere: a new worker, from the end of the last segment
