"""Study settings, stored as research.toml in the study folder."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from research.atomic import atomic_write_text
from research.errors import ResearchError

EngineName = Literal["faster-whisper", "openai-whisper"]


class TranscribeSettings(BaseModel):
    """Defaults for `research transcribe`; every field can be overridden on the command line."""

    model_config = ConfigDict(extra="forbid")

    engine: EngineName = "faster-whisper"
    model: str = "base"
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    compute_type: str | None = None  # None: int8 on CPU, float16 on CUDA
    beam_size: int = Field(5, ge=1, le=20)
    language: str | None = None
    workers: int = Field(1, ge=1, le=64)  # CPU models; on CUDA there is one model per GPU
    batching: Literal["auto", "on", "off"] = "auto"  # faster-whisper's batched pipeline; auto: for a minute of audio or more on a GPU only
    batch_size: int | None = Field(None, ge=1, le=64)  # None: 8 on CPU, from free memory on a GPU
    vad: bool = True
    stereo: Literal["auto", "mix", "split"] = "auto"  # auto: split a two-party call recording by channel


class AnonymizeSettings(BaseModel):
    """How `research anonymize` redacts; allow keeps terms (your brand), deny always redacts them."""

    model_config = ConfigDict(extra="forbid")

    style: Literal["placeholder", "surrogate"] = "placeholder"
    allow: list[str] = []
    deny: list[str] = []
    audio: Literal["bleep", "silence"] = "bleep"
    organizations: bool = False  # also redact every organisation spaCy finds (participants' companies always are)
    places: bool = False  # also redact cities and countries (street addresses always are)


class CodingSettings(BaseModel):
    """What `research code` codes against: a bundled codebook name or a YAML/.qdc path (relative to the study)."""

    model_config = ConfigDict(extra="forbid")

    codebook: str = "cx-journey"
    embedding_model: str = "all-MiniLM-L6-v2"  # the packaged model; any sentence-transformers name works online


class ClusterSettings(BaseModel):
    """`research transcribe` on a Ray cluster (the optional `cluster` extra): its address, or 'local'."""

    model_config = ConfigDict(extra="forbid")

    address: str | None = None  # e.g. ray://head:10001, auto, or local (an in-process cluster)


class StudyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    vault_purged: bool = False
    transcribe: TranscribeSettings = TranscribeSettings()
    anonymize: AnonymizeSettings = AnonymizeSettings()
    coding: CodingSettings = CodingSettings()
    cluster: ClusterSettings = ClusterSettings()

    @classmethod
    def load(cls, path: Path) -> StudyConfig:
        try:
            return cls.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as error:
            raise ResearchError(f"{path}: not valid TOML ({error})") from None
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ResearchError(f"{path}: {where}: {first['msg']}") from None

    def save(self, path: Path) -> None:
        data = self.model_dump(exclude_none=True)
        atomic_write_text(path, tomli_w.dumps(data))
