"""Where transcription models run: threads on CPU, one model per GPU with a batch that fits its free memory.

No GPU is lent to this suite: these check the selection logic with the memory a GPU would report."""

import os

import pytest

from research.errors import ResearchError
from research.transcribe.batch import compute_type, transcript_params
from research.config import TranscribeSettings
from research.transcribe.placement import Placement, cuda_device_count, gpu_batch_size, model_family, plan


def test_cpu_models_share_the_cores_with_at_most_four_threads_each():
    assert plan("cpu", "base", "int8", workers=1, files=5, cpu_count=16) == [Placement("cpu", 0, "int8", 4, 8)]
    assert plan("cpu", "base", "int8", workers=2, files=5, cpu_count=2) == [Placement("cpu", 0, "int8", 1, 8)] * 2
    assert len(plan("cpu", "base", "int8", workers=8, files=3, cpu_count=16)) == 3  # never more models than files
    assert plan("cpu", "base", None, workers=1, files=1, batch_size=4, cpu_count=2)[0] == Placement("cpu", 0, "int8", 2, 4)


def test_cpu_threads_follow_the_users_omp_num_threads(monkeypatch):
    from research.transcribe.placement import usable_cores

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert usable_cores() == 1 and plan("cpu", "base", "int8", workers=1, files=1)[0].threads == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert usable_cores() >= 1
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert usable_cores() == len(os.sched_getaffinity(0))


def test_one_float16_model_per_gpu_with_a_batch_from_its_free_memory():
    placements = plan("cuda", "large-v3", None, workers=1, files=10, gpus_free_mib=[80_000, 6_000, 2_000])
    assert [(p.device, p.index, p.compute_type) for p in placements] == [("cuda", 0, "float16"), ("cuda", 1, "float16"), ("cuda", 2, "float16")]
    assert [p.batch_size for p in placements] == [32, 1, 1]  # capped at 32; a nearly full GPU still decodes one window at a time
    assert plan("cuda", "large-v3", None, workers=1, files=2, gpus_free_mib=[80_000] * 4)[-1].index == 1  # no idle models
    assert plan("cuda", "base", "int8_float16", workers=1, files=1, gpus_free_mib=[8_000])[0].compute_type == "int8_float16"
    assert plan("cuda", "base", None, workers=1, files=1, batch_size=3, gpus_free_mib=[8_000])[0].batch_size == 3


def test_batch_size_grows_with_free_memory_and_shrinks_with_the_model():
    assert gpu_batch_size("base", 500 + 180 * 10) == 10
    assert gpu_batch_size("tiny.en", 24_000) == 32 and gpu_batch_size("large-v3", 24_000) == 17
    assert gpu_batch_size("small", 1_000) == 1
    assert [model_family(m) for m in ("tiny.en", "base", "distil-large-v3", "large-v3-turbo", "/models/medium.en/", "custom")] == [
        "tiny", "base", "large", "turbo", "medium", "large"]


def test_cuda_without_a_gpu_says_so_and_auto_falls_back_to_the_cpu():
    with pytest.raises(ResearchError, match="no CUDA GPU is visible"):
        plan("cuda", "base", None, workers=1, files=1, gpus_free_mib=[])
    assert plan("auto", "base", None, workers=1, files=1, gpus_free_mib=[], cpu_count=2) == [Placement("cpu", 0, "int8", 2, 8)]


def test_precision_follows_the_device_and_batching_other_than_auto_changes_the_transcript_hash():
    assert compute_type(TranscribeSettings()) == "int8"
    assert compute_type(TranscribeSettings(device="auto")) == ("float16" if cuda_device_count() else "int8")
    assert compute_type(TranscribeSettings(device="cuda")) == "float16"
    assert compute_type(TranscribeSettings(device="cuda", engine="openai-whisper")) == "fp16"
    assert compute_type(TranscribeSettings(compute_type="float32")) == "float32"
    assert transcript_params(TranscribeSettings()) == transcript_params(TranscribeSettings(compute_type="int8"))  # earlier studies stay done
    assert "batching" not in transcript_params(TranscribeSettings())
    assert transcript_params(TranscribeSettings(batching="off"))["batching"] == "off"
