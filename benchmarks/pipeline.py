"""The whole pipeline on one long recording of distinct real speech: seconds per stage and each stage's share of ASR time.

    python benchmarks/pipeline.py                  # base, beam 5, every distinct clip available
    python benchmarks/pipeline.py --model tiny.en --minutes 20
    python benchmarks/pipeline.py --after-speakers /tmp/pipeline-bench-XXXX/study --reference main --repeat 2

The recording is stitched from distinct sources with varied voices, none repeated: the demo
interviews, AMI meeting excerpts, the pyannote phone call, LJ Speech and JFK (../shared/data),
then MELD's dev dialogues spoken by the demo's TTS voices (benchmarks/spoken_dialogues.py,
synthesized once into a cache outside the repo), with a second of silence between them. It is added as one interview and goes through every
stage as `research run` runs them. Prints wall and CPU seconds per stage (this process's CPU,
threads and finished child processes included), the real-time factor, and each non-ASR stage's wall and CPU time as a share of
transcription's (goal: together at most 15%).
When the sources give less than `--minutes`, it says how much it had: it never repeats audio.

`--after-speakers STUDY` takes a study this benchmark left behind (its recording transcribed and its speakers
separated) and runs only the stages after those on a fresh copy, with every per-text result study.db keeps
(embeddings, 5 W's, acts, parts) cleared, as a first run computes them. With `--reference REV` the same runs
with the tree at REV (a temporary git worktree, in a subprocess), alternating with this tree `--repeat` times,
so old and new meet the same machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from research.anonymize.stage import run_anonymize  # noqa: E402
from research.audio import SAMPLE_RATE, decode  # noqa: E402
from research.coding.stage import run_code, study_codebook  # noqa: E402
from research.config import TranscribeSettings  # noqa: E402
from research.demo_corpus import DEMO_DIR  # noqa: E402
from research.ingest import add_files  # noqa: E402
from research.journey import build_and_store  # noqa: E402
from research.speakers import run_speakers  # noqa: E402
from research.study import Study  # noqa: E402
from research.themes import run_themes  # noqa: E402
from research.transcribe.batch import TranscriptionBatch  # noqa: E402
from spoken_dialogues import DEFAULT_CACHE, MELD, cached_audio  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def sources(cache: Path) -> list[Path]:
    files = sorted(DEMO_DIR.glob("*.opus"))
    for pattern in ("diarization-ami-train/*.flac", "diarization-pyannote-sample/*.wav", "asr-ljspeech/wavs/*.wav", "asr-faster-whisper-jfk/jfk.flac"):
        files += sorted(SHARED.glob(pattern))
    return files + (cached_audio(cache) if MELD.is_file() else [])


def stitch(target: Path, minutes: float, files: list[Path]) -> float:
    import soundfile

    gap = np.zeros(SAMPLE_RATE, np.float32)
    parts, seconds = [], 0.0
    for path in files:
        if seconds >= minutes * 60:
            break
        audio = decode(path)
        parts += [audio, gap]
        seconds += (len(audio) + len(gap)) / SAMPLE_RATE
    soundfile.write(target, np.concatenate(parts), SAMPLE_RATE)
    return seconds


def cpu_seconds() -> float:
    """This process's CPU time, threads included, and that of its finished children: anonymize's audio copier
    decodes and bleeps the recording in a process of its own."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)))


def timed(stages: list) -> dict[str, tuple[float, float]]:
    """{stage: (wall s, CPU s)}, each stage run in order."""
    timings = {}
    for name, run in stages:
        wall, cpu = time.perf_counter(), cpu_seconds()
        run()
        timings[name] = (time.perf_counter() - wall, cpu_seconds() - cpu)
    return timings


PER_TEXT_TABLES = ("utterance_embeddings", "utterance_facts", "utterance_acts", "utterance_sentences")


def after_speakers(source: Path) -> dict[str, tuple[float, float]]:
    """The stages after speakers, on a fresh copy of `source` with its per-text results cleared."""
    target = Path(tempfile.mkdtemp(prefix="pipeline-after-")) / "study"
    shutil.copytree(source, target)
    with sqlite3.connect(target / "study.db") as db:
        for table in PER_TEXT_TABLES:
            db.execute(f"DELETE FROM {table}")
    study = Study.open(target)
    try:
        return timed([
            ("anonymize", lambda: run_anonymize(study, force=True)),
            ("code", lambda: run_code(study, force=True)),
            ("themes", lambda: run_themes(study)),
            ("map", lambda: build_and_store(study, study_codebook(study)[0])),
        ])
    finally:
        shutil.rmtree(target.parent)


def reference_after_speakers(tree: Path, source: Path) -> dict[str, tuple[float, float]]:
    """`after_speakers` with the research package at `tree` (this benchmark's own code), in a subprocess of its own."""
    environment = os.environ | {"PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, __file__, "--after-speakers", str(source), "--json"],
                          cwd=tree, env=environment, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the reference run failed: {(done.stderr.strip().splitlines() or [done.returncode])[-1]}")
    return {name: tuple(values) for name, values in json.loads(done.stdout.strip().splitlines()[-1]).items()}


def compare_after_speakers(source: Path, reference: str | None, repeat: int) -> None:
    repository = Path(__file__).resolve().parent.parent
    tree = Path(tempfile.mkdtemp(prefix="pipeline-reference-")) / "tree" if reference else None
    if tree:
        subprocess.run(["git", "-C", str(repository), "worktree", "add", "--detach", "--quiet", str(tree), reference], check=True)
    try:
        rows = []
        for round_ in range(1, repeat + 1):
            if tree:
                rows.append((f"{reference} #{round_}", reference_after_speakers(tree, source)))
            rows.append((f"this tree #{round_}", after_speakers(source)))
    finally:
        if tree:
            subprocess.run(["git", "-C", str(repository), "worktree", "remove", "--force", str(tree)], check=False)
    names = list(rows[0][1])
    print(f"CPU s of the stages after speakers ({source}; load average {os.getloadavg()[0]:.1f} at the end)")
    print(f"{'run':<24}" + "".join(f"{name:>11}" for name in names) + f"{'together':>11}")
    for label, timings in rows:
        print(f"{label:<24}" + "".join(f"{timings[name][1]:>11.1f}" for name in names) + f"{sum(cpu for _, cpu in timings.values()):>11.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where the spoken dialogues are kept")
    parser.add_argument("--after-speakers", type=Path, metavar="STUDY", help="only the stages after speakers, on a copy of a study this benchmark made")
    parser.add_argument("--reference", metavar="REV", help="with --after-speakers: also the tree at REV, alternating with this one")
    parser.add_argument("--repeat", type=int, default=1, help="with --after-speakers: how many runs of each")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # what a reference run prints
    args = parser.parse_args()
    if args.after_speakers:
        if args.json:
            print(json.dumps(after_speakers(args.after_speakers)))
        else:
            compare_after_speakers(args.after_speakers, args.reference, args.repeat)
        return
    folder = Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    files = sources(args.cache)
    seconds = stitch(folder / "recording.wav", args.minutes, files)
    print(f"recording: {seconds / 60:.1f} min of distinct speech from {len(files)} sources available (asked for {args.minutes:g} min), model {args.model}")
    study = Study.create(folder / "study", "bench")
    study.config.transcribe = TranscribeSettings(model=args.model)
    study.save_config()
    stages = [
        ("add", lambda: add_files(study, [folder / "recording.wav"])),
        ("transcribe", lambda: TranscriptionBatch(study, study.config.transcribe).run()),
        ("speakers", lambda: run_speakers(study, "auto")),
        ("anonymize", lambda: run_anonymize(study)),
        ("code", lambda: run_code(study)),
        ("themes", lambda: run_themes(study)),
        ("map", lambda: build_and_store(study, study_codebook(study)[0])),
    ]
    timings = {}
    for name, run in stages:
        wall, cpu = time.perf_counter(), cpu_seconds()
        run()
        timings[name] = (time.perf_counter() - wall, cpu_seconds() - cpu)
        print(f"  {name:<11} wall {timings[name][0]:8.1f} s   cpu {timings[name][1]:8.1f} s", flush=True)
    asr, asr_cpu = timings["transcribe"]
    print(f"\n{'stage':<11}{'wall s':>9}{'cpu s':>9}{'share of ASR':>14}{'(cpu)':>8}")
    for name, (wall, cpu) in timings.items():
        print(f"{name:<11}{wall:>9.1f}{cpu:>9.1f}{100 * wall / asr:>13.1f}%{100 * cpu / asr_cpu:>7.1f}%")
    rest = sum(wall for name, (wall, _) in timings.items() if name != "transcribe")
    rest_cpu = sum(cpu for name, (_, cpu) in timings.items() if name != "transcribe")
    print(f"ASR real-time factor {asr / seconds:.3f}; non-ASR stages together {100 * rest / asr:.1f}% of ASR time, "
          f"{100 * rest_cpu / asr_cpu:.1f}% of its CPU time (goal <= 15%; CPU time is fairer on a shared machine)")


if __name__ == "__main__":
    main()
