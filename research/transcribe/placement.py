"""Where each transcription model runs: how many models, on which device, with what threads and batch size.

CPU: `workers` models share the cores, each with up to 4 threads (no gain past that).
CUDA: one model per GPU (several GPUs in one model don't help; splitting by file does), float16,
and a batch size that fits the GPU's free memory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Literal

from research.errors import ResearchError

MAX_THREADS_PER_MODEL = 4
CPU_BATCH_SIZE = 8
MAX_GPU_BATCH_SIZE = 32
# Rough GPU memory per model (float16 weights + CTranslate2 workspace) and per batch item (encoder
# activations for 30 s and the beam's decoder cache), in MiB. Estimates, kept on the safe side.
GPU_MODEL_MIB = {"tiny": 300, "base": 500, "small": 1200, "medium": 2500, "large": 4500, "turbo": 2500}
GPU_ITEM_MIB = {"tiny": 120, "base": 180, "small": 350, "medium": 700, "large": 1100, "turbo": 800}


@dataclass(frozen=True)
class Placement:
    """One model: its device, device index, compute type, CPU threads and batch size."""

    device: Literal["cpu", "cuda"]
    index: int
    compute_type: str
    threads: int
    batch_size: int


def model_family(model: str) -> str:
    """'tiny.en' → tiny, 'large-v3' → large, 'distil-large-v3' → large; unknown names count as large."""
    name = os.path.basename(model.rstrip("/")).lower()
    for family in ("tiny", "base", "small", "medium", "turbo", "large"):
        if family in name:
            return family
    return "large"


def gpu_batch_size(model: str, free_mib: int) -> int:
    """The largest batch that fits in `free_mib` next to the model, at least 1 and at most 32."""
    family = model_family(model)
    spare = free_mib - GPU_MODEL_MIB[family]
    return max(1, min(MAX_GPU_BATCH_SIZE, spare // GPU_ITEM_MIB[family]))


def cuda_device_count() -> int:
    """CUDA GPUs that CTranslate2 (faster-whisper's runtime) can use."""
    import ctranslate2

    return ctranslate2.get_cuda_device_count()


def free_gpu_memory_mib() -> list[int]:
    """Free memory of each visible CUDA GPU (nvidia-smi), empty when there is none."""
    count = cuda_device_count()
    if not count:
        return []
    if shutil.which("nvidia-smi") is None:
        raise ResearchError("--device cuda: nvidia-smi is not on PATH, so free GPU memory cannot be read; pass --batch-size")
    output = subprocess.run(
        ["nvidia-smi", "--query-gpu=memory.free", "--format=csv,noheader,nounits"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    free = [int(line) for line in output.split()]
    if visible:
        free = [free[int(i)] for i in visible.split(",") if i.strip().isdigit() and int(i) < len(free)]
    return free[:count]


def usable_cores() -> int:
    """The cores this process may use: its CPU affinity, capped by OMP_NUM_THREADS when the user set it."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    limit = os.environ.get("OMP_NUM_THREADS", "")
    return max(1, min(cores, int(limit))) if limit.isdigit() and int(limit) > 0 else cores


def plan(
    device: str,
    model: str,
    compute_type: str | None,
    workers: int,
    files: int,
    batch_size: int | None = None,
    cpu_count: int | None = None,
    gpus_free_mib: list[int] | None = None,
) -> list[Placement]:
    """One Placement per model to load. `gpus_free_mib` is read from the GPUs when not given."""
    files = max(1, files)
    if device in ("cuda", "auto"):
        if gpus_free_mib is not None:
            free = gpus_free_mib
        elif batch_size:  # no need to read the memory
            free = [0] * cuda_device_count()
        else:
            free = free_gpu_memory_mib()
        if free:
            return [
                Placement("cuda", index, compute_type or "float16", 1, batch_size or gpu_batch_size(model, mib))
                for index, mib in enumerate(free[:files])
            ]
        if device == "cuda":
            raise ResearchError("--device cuda: no CUDA GPU is visible (CTranslate2 found none); use --device cpu")
    count = min(workers, files)
    threads = max(1, min(MAX_THREADS_PER_MODEL, (cpu_count or usable_cores()) // count))
    return [Placement("cpu", 0, compute_type or "int8", threads, batch_size or CPU_BATCH_SIZE) for _ in range(count)]
