"""Interview metadata sheets (CSV or YAML), one row per participant of an interview.

Columns: file, speaker (slot: customer, customer_b, ...; default customer), title,
company, participant, role, participation (driver / participant / gatekeeper),
persona, segment, industry, region, product, date. Only `file` is required.

CSV sheets may be comma-, semicolon- or tab-separated (as Excel writes them in many locales); blank
rows are skipped; dates are YYYY-MM-DD or day first (14/09/2026, 14.09.2026). A file and speaker
may appear once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from research.errors import MetadataError
from research.textfile import NOT_TEXT, NotTextError, read_text_file

Participation = Literal["driver", "participant", "gatekeeper"]
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
DELIMITERS = ",;\t|"


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

    @field_validator("date", mode="before")
    @classmethod
    def _day_first(cls, value: object) -> object:
        """ISO dates as they are; 14/09/2026, 14.09.2026 or 14-09-2026 day first; anything else says what is expected."""
        if not isinstance(value, str) or not value.strip() or ISO_DATE.match(value.strip()):  # a blank is None (_blank_is_none runs after)
            return value
        found = DAY_FIRST.match(value.strip())
        try:
            if found is None:
                raise ValueError
            day, month, year = (int(part) for part in found.groups())
            return dt.date(year + 2000 if year < 100 else year, month, day)
        except ValueError:
            raise ValueError(f"'{value.strip()}' is not a date; use YYYY-MM-DD, or day first as 14/09/2026") from None

    @field_validator("participation", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class MetadataSheet:
    """Rows grouped by the audio file they describe, matched by file name or stem."""

    def __init__(self, rows: list[ParticipantRow], numbers: list[int] | None = None):
        self.rows = rows
        self.numbers = numbers or list(range(1, len(rows) + 1))  # each row's number in the sheet, for messages
        self.used: set[int] = set()  # indexes of rows that rows_for has matched to a file
        self._by_key: dict[str, list[int]] = {}
        for index, row in enumerate(rows):
            name = Path(row.file).name.casefold()
            for key in {name, Path(name).stem}:
                self._by_key.setdefault(key, []).append(index)

    def rows_for(self, audio: Path) -> list[ParticipantRow]:
        found = self._by_key.get(audio.name.casefold()) or self._by_key.get(audio.stem.casefold()) or []
        self.used.update(found)
        return [self.rows[index] for index in found]

    def unused_rows(self) -> list[int]:
        """The sheet's row numbers that matched none of the files looked up so far."""
        return [self.numbers[index] for index in range(len(self.rows)) if index not in self.used]

    @classmethod
    def load(cls, path: Path) -> MetadataSheet:
        if not path.is_file():
            raise MetadataError(f"{path}: metadata sheet not found")
        raw_rows = _read_yaml(path) if path.suffix.lower() in {".yaml", ".yml"} else _read_csv(path)
        rows, numbers, seen = [], [], {}
        for number, raw in raw_rows:
            if all(value is None or (isinstance(value, str) and not value.strip()) for value in raw.values()):
                continue  # a blank row (Excel leaves them at the end of a sheet)
            try:
                row = ParticipantRow.model_validate(raw)
            except ValidationError as error:
                first = error.errors()[0]
                field = ".".join(str(part) for part in first["loc"]) or "row"
                raise MetadataError(f"{path.name}, row {number}: {field}: {first['msg'].removeprefix('Value error, ')}") from None
            key = (Path(row.file).stem.casefold(), row.speaker.casefold())
            if key in seen:
                raise MetadataError(f"{path.name}, row {number}: the same file and speaker as row {seen[key]}; give each participant of a file its own speaker (customer, customer_b, ...)")
            seen[key] = number
            rows.append(row)
            numbers.append(number)
        return cls(rows, numbers)


def _read_csv(path: Path) -> list[tuple[int, dict]]:
    try:
        handle = io.StringIO(read_text_file(path), newline="")
    except NotTextError:
        raise MetadataError(f"{path.name}: {NOT_TEXT}") from None
    reader = csv.DictReader(handle, dialect=_dialect(handle))
    if not reader.fieldnames or "file" not in [name.strip().lower() for name in reader.fieldnames]:
        raise MetadataError(f"{path.name}: the sheet needs a 'file' column")
    return [(reader.line_num, {k.strip().lower(): v for k, v in row.items() if k}) for row in reader]


def _dialect(handle) -> type[csv.Dialect] | str:
    """The sheet's delimiter (comma, semicolon, tab or bar), sniffed from its first lines."""
    sample = handle.read(64 * 1024)
    handle.seek(0)
    try:
        return csv.Sniffer().sniff(sample.split("\n", 20)[0] if sample else sample, delimiters=DELIMITERS)
    except csv.Error:
        return "excel"


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
