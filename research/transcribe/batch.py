"""Batch transcription of a study's pending interviews: parallel, resumable, crash-safe.

Every decoded segment is committed to the vault as it arrives, so a killed batch
resumes each interview from its last segment. An interview's stage turns `done` only
once its whole transcript is stored. A bad file is reported and the batch goes on.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from research.audio import SAMPLE_RATE, decode, is_silent, separate_parties
from research.config import TranscribeSettings
from research.errors import AudioError, ResearchError
from research.faults import fault_line
from research.locks import stage_lock
from research.store import now, params_hash, record_run, set_stage, stage_statuses
from research.study import Study
from research.transcribe.engine import Engine, create_engine
from research.transcribe.loops import find_loop, repair
from research.transcribe.placement import Placement, cuda_device_count, plan
from research.transcribe.types import TranscribeOptions

STAGE = "transcribe"


class Stopped(BaseException):
    """A file's transcription stopped because the batch was (Ctrl-C); a BaseException, so no file is marked failed for it."""


@dataclass(frozen=True)
class Outcome:
    code: str
    status: Literal["done", "empty", "failed"]
    message: str | None
    audio_seconds: float
    wall_seconds: float


@dataclass
class BatchReport:
    outcomes: list[Outcome] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def empty(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "empty"]

    @property
    def audio_seconds(self) -> float:
        return sum(o.audio_seconds for o in self.outcomes if o.status == "done")


class ProgressListener(Protocol):
    """Receives progress from worker threads; implementations must be thread-safe."""

    def batch_started(self, total_audio_seconds: float, files: int) -> None: ...
    def file_started(self, code: str, duration: float) -> None: ...
    def file_progress(self, code: str, audio_seconds_done: float) -> None: ...
    def file_finished(self, outcome: Outcome) -> None: ...


class SilentListener:
    def batch_started(self, total_audio_seconds: float, files: int) -> None: ...
    def file_started(self, code: str, duration: float) -> None: ...
    def file_progress(self, code: str, audio_seconds_done: float) -> None: ...
    def file_finished(self, outcome: Outcome) -> None: ...


def uses_gpu(settings: TranscribeSettings) -> bool:
    return settings.device == "cuda" or (settings.device == "auto" and cuda_device_count() > 0)


def compute_type(settings: TranscribeSettings) -> str:
    """The precision the weights run at: as set, else int8 on CPU and float16 on a GPU (openai-whisper: fp32 / fp16)."""
    gpu = uses_gpu(settings)
    if settings.engine == "openai-whisper":
        return "fp16" if gpu else "fp32"
    return settings.compute_type or ("float16" if gpu else "int8")


def transcript_params(settings: TranscribeSettings) -> dict:
    """What determines the transcript's content (not device, threads, workers or batch size)."""
    return {
        "engine": settings.engine,
        "model": settings.model,
        "compute_type": compute_type(settings),
        "beam_size": settings.beam_size,
        "language": settings.language,
        "vad": settings.vad,
        "stereo": settings.stereo,
        # batched and sequential decoding differ slightly; "auto" (the default) keeps earlier studies' hashes
        **({"batching": settings.batching} if settings.batching != "auto" else {}),
    }


def pending_interviews(study: Study, settings: TranscribeSettings, force: bool = False) -> list[dict]:
    """Interviews not yet transcribed, or transcribed with other parameters."""
    wanted = params_hash(transcript_params(settings))
    statuses = stage_statuses(study.db, STAGE)
    pending = []
    for row in study.db.query("SELECT id, code, duration, channels, source_format FROM interviews WHERE source_format IN ('audio', 'tracks') ORDER BY id"):  # imports come transcribed
        status = statuses.get(row["id"], {})
        if force or status.get("status") not in ("done", "empty") or status.get("params_hash") != wanted:
            pending.append(row)
    return pending


class TranscriptionBatch:
    def __init__(self, study: Study, settings: TranscribeSettings, listener: ProgressListener | None = None, cluster: str | None = None):
        self.study = study
        self.settings = settings
        self.cluster = cluster  # a Ray address ('local': an in-process cluster); None: models in this process
        self.listener = listener or SilentListener()
        self.params = transcript_params(settings)
        self.hash = params_hash(self.params)
        self.options = TranscribeOptions(language=settings.language, beam_size=settings.beam_size, vad=settings.vad, batching=settings.batching)
        self._lock = threading.Lock()  # one writer at a time on the study's SQLite connections
        self._stop = threading.Event()  # set when the batch is stopped (Ctrl-C): running files stop at their next segment
        self.force = False

    def run(self, force: bool = False) -> BatchReport:
        """Transcribe what is pending (with `force`, everything again). A purged vault refuses before
        anything is marked; a full disk or read-only study stops the batch with one line."""
        if self.study.config.vault_purged:
            self.study.vault  # noqa: B018 - raises VaultPurgedError: nothing to transcribe into
        with stage_lock(self.study.root, STAGE):
            return self._run(force)

    def _run(self, force: bool) -> BatchReport:
        started = time.perf_counter()
        self.force = force
        interviews = pending_interviews(self.study, self.settings, force)
        report = BatchReport()
        if not interviews:
            return report
        engines: queue.Queue[tuple[Engine, Placement]] = queue.Queue()
        placements = self._load_engines(len(interviews), engines)
        self.listener.batch_started(sum(row["duration"] or 0 for row in interviews), len(interviews))

        def work(row: dict) -> Outcome:
            engine, place = engines.get()
            try:
                return self._transcribe_one(row, engine, replace(self.options, batch_size=place.batch_size))
            finally:
                engines.put((engine, place))

        pool = ThreadPoolExecutor(max_workers=len(placements), thread_name_prefix="transcribe")
        try:
            for outcome in pool.map(work, interviews):
                report.outcomes.append(outcome)
        except BaseException:  # Ctrl-C or a fault: files not started stay pending, running ones stop after their last committed segment
            self._stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
        report.wall_seconds = time.perf_counter() - started
        return report

    def _load_engines(self, files: int, engines: queue.Queue) -> list[Placement]:
        """Every model, loaded up front so a missing one fails once, before any work."""
        s = self.settings
        if self.cluster:
            from research.transcribe import cluster

            cluster.connect(self.cluster, self.study.vault_dir / "ray-spill")  # owner-only, like the rest of the raw data
            placements = cluster.cluster_placements(s.device, compute_type(s), s.workers, files, s.batch_size)
            for place in placements:
                engines.put((cluster.RayEngine(s.engine, s.model, place), place))
            return placements
        placements = plan(s.device, s.model, compute_type(s), s.workers, files, s.batch_size)
        for place in placements:
            engines.put((create_engine(s.engine, s.model, place.device, place.compute_type, place.threads, place.index), place))
        return placements

    def _transcribe_one(self, row: dict, engine: Engine, options: TranscribeOptions) -> Outcome:
        interview_id, code = row["id"], row["code"]
        duration = float(row["duration"] or 0)
        started_at, started = now(), time.perf_counter()
        self.listener.file_started(code, duration)
        try:
            status, note, language = self._run_engine(row, engine, options)
        except AudioError as error:  # named by code: file names can carry participants' names
            return self._finish(row, "failed", f"{code}: {error.reason}", started_at, started)
        except ResearchError as error:
            return self._finish(row, "failed", str(error), started_at, started)
        except Exception as error:  # a bad file must never stop the batch; a full disk or read-only study does
            line = fault_line(error, self.study.root)
            if line is not None:
                raise ResearchError(f"{code}: {line}") from None
            return self._finish(row, "failed", f"{code}: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}", started_at, started)
        if language:
            with self._lock:
                self.study.db["interviews"].update(interview_id, {"language": language})
        return self._finish(row, status, note, started_at, started)

    def _run_engine(self, row: dict, engine: Engine, options: TranscribeOptions) -> tuple[str, str | None, str | None]:
        interview_id, code = row["id"], row["code"]
        vault = self.study.vault
        with self._lock:
            set_stage(self.study.db, interview_id, STAGE, "running", params_hash=self.hash)
            path = vault.source_path(interview_id)
            complete = vault.transcript_complete(interview_id, self.hash)
        if complete and not self.force:
            return "done", None, None
        if path is None or not Path(path).is_file():
            raise ResearchError(f"{code}: the audio file is no longer where it was added; run `research add` on it again")
        tracks = self._tracks(Path(path), row)
        if all(is_silent(samples) for _, samples in tracks):
            return "empty", f"{code}: no speech (the audio is silent)", None
        duration = len(tracks[0][1]) / SAMPLE_RATE
        notes = [self._check_duration(row, duration)]
        with self._lock:  # a finished transcript (--force) is cleared here and made again
            next_index = vault.resume_point(interview_id, self.hash)
        info = None
        loops: list[str] = []
        for position, (channel, samples) in enumerate(tracks):
            with self._lock:
                offset = vault.transcribed_until(interview_id, channel)
            self.listener.file_progress(code, (position * duration + offset) / len(tracks))
            info, segments = engine.transcribe(samples[int(offset * SAMPLE_RATE) :], options)
            for segment in segments:
                if self._stop.is_set():
                    raise Stopped(code)  # left "running": status says interrupted, and a re-run resumes after the last segment
                segment = segment.shifted(offset)
                if find_loop(segment.words):
                    segment, action = repair(segment, samples, engine, options)
                    loops.append(f"{action} at {int(segment.start // 60)}:{int(segment.start % 60):02d}")
                with self._lock:
                    vault.append_segments(interview_id, next_index, [segment], channel)
                next_index += 1
                self.listener.file_progress(code, (position * duration + segment.end) / len(tracks))
        with self._lock:
            vault.complete_transcript(interview_id, engine.name, engine.model_name, self.hash, info)
        if next_index == 0:
            return "empty", f"{code}: no speech detected", info.language
        if loops:
            notes.append(f"{code}: repetition loop {', '.join(loops)}")
        return "done", "; ".join(note for note in notes if note) or None, info.language

    def _check_duration(self, row: dict, decoded: float) -> str | None:
        """A file whose header promises more (or less) than decodes (a truncated mp3): store the decoded length, and say so."""
        stated = float(row["duration"] or 0)
        if abs(decoded - stated) <= max(1.0, 0.02 * stated):
            return None
        with self._lock:
            self.study.db["interviews"].update(row["id"], {"duration": round(decoded, 3)})
        row["duration"] = decoded
        return f"{row['code']}: the audio decodes to {decoded:.1f} s though its header states {stated:.1f} s (a truncated file?); the decoded length is stored"

    def _tracks(self, path: Path, row: dict) -> list[tuple[int | None, np.ndarray]]:
        """The audio to transcribe: one mono mix, each channel of a two-party call recording, or each per-participant track."""
        if row["source_format"] == "tracks":
            with self._lock:
                tracks = self.study.vault.tracks(row["id"])
            return [(channel, decode(track)) for channel, track in enumerate(tracks)]
        if self.settings.stereo != "mix" and (row["channels"] or 1) == 2:
            left, right = decode(path, split_stereo=True)
            if self.settings.stereo == "split" or separate_parties(left, right):
                return [(0, left), (1, right)]
        return [(None, decode(path))]

    def _finish(self, row: dict, status: str, message: str | None, started_at: str, started: float) -> Outcome:
        wall = time.perf_counter() - started
        audio_seconds = float(row["duration"] or 0)
        with self._lock:
            set_stage(self.study.db, row["id"], STAGE, status, note=message, params_hash=self.hash)
            record_run(self.study.db, STAGE, row["id"], self.params, self.hash, status, message if status == "failed" else None, started_at, audio_seconds, wall)
        outcome = Outcome(row["code"], status, message, audio_seconds, wall)  # type: ignore[arg-type]
        self.listener.file_finished(outcome)
        return outcome
