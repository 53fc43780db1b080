"""Ray backend scaling: throughput with 1 to N workers on the same files, the same threads per worker.

    python benchmarks/cluster.py                          # 1 and 2 workers, 1 thread each, tiny.en, the demo interviews
    python benchmarks/cluster.py --workers 1 2 4 8 16 --threads 1 --model base --address local

Each worker is the backend's own Ray actor (research.transcribe.cluster.RayEngine) with one model;
the head sends whole files to whichever worker is free and reads the segments back as they stream,
as `research transcribe --cluster` does. Models load before the clock starts. With a local cluster it
also prints the workers' CPU seconds: the same total for 1 and N workers means no overhead per worker. Prints audio seconds per
wall second for each worker count and the scaling efficiency against one worker (goal: at least 85%).
Efficiency needs free cores: on a machine shared with other work, a second worker may find none.
"""

from __future__ import annotations

import argparse
import os
import queue
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from research.audio import SAMPLE_RATE, decode  # noqa: E402
from research.demo_corpus import DEMO_DIR  # noqa: E402
from research.transcribe import TranscribeOptions  # noqa: E402
from research.transcribe.cluster import RayEngine, connect  # noqa: E402
from research.transcribe.placement import Placement  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a (worker) process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def throughput(engines: list[RayEngine], audio: list, options: TranscribeOptions) -> tuple[float, float, float]:
    """Audio seconds per wall second with these workers, the wall seconds, and the workers' CPU seconds."""
    import ray

    free: queue.Queue = queue.Queue()
    for engine in engines:
        free.put(engine)
    pids = [ray.get(engine.actor.pid.remote()) for engine in engines]  # a local cluster: the workers are on this machine

    def one(samples) -> int:
        engine = free.get()
        try:
            _, segments = engine.transcribe(samples, options)
            return sum(1 for _ in segments)
        finally:
            free.put(engine)

    cpu = sum(cpu_seconds(pid) for pid in pids)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(engines)) as pool:
        list(pool.map(one, audio))
    wall = time.perf_counter() - started
    cpu = sum(cpu_seconds(pid) for pid in pids) - cpu
    return sum(len(a) for a in audio) / SAMPLE_RATE / wall, wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per worker, the same for every count")
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--address", default="local")
    parser.add_argument("--files", type=int, default=0, help="only the first N demo interviews (0: all)")
    args = parser.parse_args()
    files = sorted(DEMO_DIR.glob("*.opus"))[: args.files or None]
    audio = [decode(path) for path in files]
    cpus = max(args.workers) * args.threads
    connect(args.address, Path(tempfile.mkdtemp(prefix="ray-spill-")), cpus=cpus if args.address == "local" else None)
    options = TranscribeOptions(language="en", beam_size=5, batching="off")
    seconds = sum(len(a) for a in audio) / SAMPLE_RATE
    print(f"{len(files)} files, {seconds:.0f} s of audio; {args.model}, beam 5, {args.threads} thread(s) per worker, "
          f"{os.cpu_count()} cores here, load average {os.getloadavg()[0]:.1f}", flush=True)
    engines = [RayEngine("faster-whisper", args.model, Placement("cpu", 0, "int8", args.threads, options.batch_size)) for _ in range(max(args.workers))]
    base = None
    print(f"{'workers':>8}{'wall s':>9}{'audio s/s':>11}{'efficiency':>12}{'worker CPU s':>14}{'load':>7}")
    for workers in args.workers:
        rate, wall, cpu = throughput(engines[:workers], audio, options)
        base = base or rate / workers
        print(f"{workers:>8}{wall:>9.1f}{rate:>11.2f}{100 * rate / (workers * base):>11.0f}%{cpu:>14.1f}{os.getloadavg()[0]:>7.1f}", flush=True)


if __name__ == "__main__":
    main()
