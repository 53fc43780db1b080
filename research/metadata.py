"""Interview metadata sheets (CSV or YAML), one row per participant of an interview.

Columns: file, speaker (slot: customer, customer_b, ...; default customer), title,
company, participant, role, participation (driver / participant / gatekeeper),
persona, segment, industry, region, product, date. Only `file` is required.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from research.errors import MetadataError

Participation = Literal["driver", "participant", "gatekeeper"]


class ParticipantRow(BaseModel):
    """One row of a metadata sheet."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    file: str
    speaker: str = "customer"
    title: str | None = None
    company: str | None = None
    participant: str | None = None
    role: str | None = None
    participation: Participation | None = None
    persona: str | None = None
    segment: str | None = None
    industry: str | None = None
    region: str | None = None
    product: str | None = None
    date: dt.date | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("participation", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class MetadataSheet:
    """Rows grouped by the audio file they describe, matched by file name or stem."""

    def __init__(self, rows: list[ParticipantRow]):
        self.rows = rows
        self._by_key: dict[str, list[ParticipantRow]] = {}
        for row in rows:
            name = Path(row.file).name.casefold()
            for key in {name, Path(name).stem}:
                self._by_key.setdefault(key, []).append(row)

    def rows_for(self, audio: Path) -> list[ParticipantRow]:
        return self._by_key.get(audio.name.casefold()) or self._by_key.get(audio.stem.casefold()) or []

    @classmethod
    def load(cls, path: Path) -> MetadataSheet:
        if not path.is_file():
            raise MetadataError(f"{path}: metadata sheet not found")
        raw_rows = _read_yaml(path) if path.suffix.lower() in {".yaml", ".yml"} else _read_csv(path)
        rows = []
        for number, raw in raw_rows:
            try:
                rows.append(ParticipantRow.model_validate(raw))
            except ValidationError as error:
                first = error.errors()[0]
                field = ".".join(str(part) for part in first["loc"]) or "row"
                raise MetadataError(f"{path.name}, row {number}: {field}: {first['msg']}") from None
        return cls(rows)


def _read_csv(path: Path) -> list[tuple[int, dict]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or "file" not in [name.strip().lower() for name in reader.fieldnames]:
                raise MetadataError(f"{path.name}: the sheet needs a 'file' column")
            return [(number, {k.strip().lower(): v for k, v in row.items() if k}) for number, row in enumerate(reader, start=2)]
    except UnicodeDecodeError:
        raise MetadataError(f"{path.name}: not a UTF-8 text file") from None


def _read_yaml(path: Path) -> list[tuple[int, dict]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        raise MetadataError(f"{path.name}{where}: not valid YAML") from None
    if isinstance(data, dict):  # {file: {fields}} or {file: [{fields}, ...]}
        items = []
        for file, value in data.items():
            for entry in value if isinstance(value, list) else [value]:
                items.append({"file": file, **(entry or {})})
        data = items
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise MetadataError(f"{path.name}: expected a list of rows or a mapping of file name to fields")
    return list(enumerate(data, start=1))
