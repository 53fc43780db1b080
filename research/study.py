"""A study folder: settings, paths, and opening its database and vault.

    study/
      research.toml     settings
      study.db          anonymized data only (SQLite, WAL)
      vault/vault.db    raw transcripts, names, pseudonym key (owner-only)
      redacted-audio/   audio with PII bleeped
      exports/
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from sqlite_utils import Database

from research.config import StudyConfig
from research.errors import ResearchError, StudyNotFoundError, VaultPurgedError
from research.store import open_database
from research.vault import Vault

CONFIG_FILE = "research.toml"
DATABASE_FILE = "study.db"


@dataclass
class Study:
    root: Path
    config: StudyConfig

    @property
    def db_path(self) -> Path:
        return self.root / DATABASE_FILE

    @property
    def vault_dir(self) -> Path:
        return self.root / "vault"

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    @property
    def redacted_audio_dir(self) -> Path:
        return self.root / "redacted-audio"

    @cached_property
    def db(self) -> Database:
        return open_database(self.db_path)

    @cached_property
    def vault(self) -> Vault:
        if self.config.vault_purged:
            raise VaultPurgedError("the vault of this study was purged; raw transcripts and names are gone, so this needs a new study")
        return Vault(self.vault_dir)

    def purge_vault(self) -> None:
        """Delete the vault irreversibly: raw transcripts, names, source paths, the pseudonym key."""
        if "vault" in self.__dict__:
            self.__dict__.pop("vault").db.close()
        shutil.rmtree(self.vault_dir, ignore_errors=True)
        self.config.vault_purged = True
        self.save_config()

    @classmethod
    def create(cls, root: Path, name: str | None = None) -> Study:
        root = root.resolve()
        if (root / CONFIG_FILE).exists():
            raise ResearchError(f"{root} is already a study")
        if root.exists() and not root.is_dir():
            raise ResearchError(f"{root} exists and is not a folder")
        root.mkdir(parents=True, exist_ok=True)
        config = StudyConfig(name=name or root.name)
        config.save(root / CONFIG_FILE)
        study = cls(root, config)
        for folder in (study.exports_dir, study.redacted_audio_dir):
            folder.mkdir(exist_ok=True)
        study.db  # noqa: B018 - creates study.db and applies the schema
        study.vault  # noqa: B018 - creates the owner-only vault
        return study

    @classmethod
    def open(cls, root: Path) -> Study:
        root = root.resolve()
        if not (root / CONFIG_FILE).is_file():
            raise StudyNotFoundError(f"{root} is not a study (no {CONFIG_FILE}); run `research init` first")
        return cls(root, StudyConfig.load(root / CONFIG_FILE))

    @classmethod
    def find(cls, start: Path | None = None) -> Study:
        """Walk up from `start` (default: the working directory) to the nearest study, like git."""
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / CONFIG_FILE).is_file():
                return cls.open(folder)
        raise StudyNotFoundError(f"no study found in {here} or its parents; run `research init` or pass --study")

    def save_config(self) -> None:
        self.config.save(self.root / CONFIG_FILE)
