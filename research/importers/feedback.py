"""`research add --feedback`: survey answers (CSV, XLSX) and support tickets (CSV, JSON) as evidence.

Each response becomes a source of its own type (survey or ticket) with one speaker, the customer, and
each of its text columns becomes one utterance, so it is anonymized, coded, themed and mapped like an
interview. Sheet fields (persona, segment, date, industry, region, product) go where the metadata
sheet's go; other metadata columns (an NPS score, a channel) are kept with the source. The response id
stays in the vault. A bad row gets one line and the rest are added; re-adding the file adds only new rows.
"""

from __future__ import annotations

import csv
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from research.errors import ResearchError
from research.importers.add import IMPORT_PARAMS
from research.ingest import AddReport, insert_interview
from research.metadata import ParticipantRow
from research.store import set_stage
from research.textfile import NOT_TEXT, NotTextError, read_text_file
from research.study import Study
from research.transcribe.types import Segment, Word

SHEET_FIELDS = ("persona", "segment", "date", "industry", "region", "product", "role", "participation")
TEXT_GUESSES = ("comment", "comments", "feedback", "answer", "response", "text", "verbatim", "open text", "description", "body", "message", "review")
CODE_PREFIX = {"survey": "SRV", "ticket": "TKT"}


@dataclass(frozen=True)
class FeedbackColumns:
    text: tuple[str, ...] = ()  # empty: guess from the header
    id: str | None = None
    fields: dict[str, str] = field(default_factory=dict)  # field name -> column

    @classmethod
    def from_options(cls, text: tuple[str, ...], id_column: str | None, columns: tuple[str, ...]) -> FeedbackColumns:
        fields = {}
        for option in columns:
            name, sep, column = option.partition("=")
            if not sep or not name.strip() or not column.strip():
                raise ResearchError(f"--column {option}: expected FIELD=COLUMN, e.g. nps=Score or persona=Plan")
            fields[name.strip().lower()] = column.strip()
        return cls(tuple(text), id_column, fields)


def read_table(path: Path) -> list[dict[str, str]]:
    """The file's rows as {column: text}: CSV (comma, semicolon or tab), XLSX (first sheet), JSON (a list of objects)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ResearchError(f"{path}: no such file")
    if suffix in (".csv", ".tsv"):
        return _read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix == ".json":
        return _read_json(path)
    raise ResearchError(f"{path.name}: feedback must be CSV, XLSX or JSON, not '{suffix or 'none'}'")


def add_feedback(study: Study, path: Path, columns: FeedbackColumns, source_type: str | None = None) -> AddReport:
    report = AddReport()
    try:
        rows = read_table(path)
        kind = source_type or ("ticket" if path.suffix.lower() == ".json" else "survey")
        header = list(dict.fromkeys(key for row in rows for key in row))
        text_columns = _text_columns(path, header, columns.text)
        wanted = [c for c in [columns.id, *columns.fields.values()] if c]
        missing = [c for c in wanted if _column(header, c) is None]
        if missing:
            raise ResearchError(f"{path.name}: no column {', '.join(repr(c) for c in missing)} (columns: {', '.join(header)})")
    except ResearchError as error:
        report.failed.append(str(error))
        return report
    db, vault = study.db, study.vault
    known = {r["sha256"] for r in db.query("SELECT sha256 FROM interviews WHERE source_type = ?", [kind])}
    with db.atomic(), vault.db.atomic():
        for number, row in enumerate(rows, start=2 if path.suffix.lower() != ".json" else 1):
            where = f"{path.name}, {'row' if path.suffix.lower() != '.json' else 'item'} {number}"
            texts = [" ".join(row.get(_column(header, c) or "", "").split()) for c in text_columns]
            texts = [t for t in texts if t]
            if not texts:
                continue  # an unanswered question is not evidence
            response_id = row.get(_column(header, columns.id) or "", "").strip() or None if columns.id else None
            digest = hashlib.sha256(json.dumps([kind, response_id, texts]).encode()).hexdigest()
            label = response_id or f"{number}"
            if digest in known:
                report.duplicates.append(f"{path.name}#{label}")
                continue
            try:
                participant = ParticipantRow(file=path.name, **{name: row.get(_column(header, column)) for name, column in columns.fields.items() if name in SHEET_FIELDS})
            except ValidationError as error:
                first = error.errors()[0]
                report.failed.append(f"{where}: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
                continue
            extra = {name: row.get(_column(header, column)) for name, column in columns.fields.items() if name not in SHEET_FIELDS}
            fields = {"sha256": digest, "source_type": kind, "source_format": path.suffix.lower().lstrip("."), "duration": 0.0, "channels": 0, "has_video": 0, "source_meta": json.dumps(extra) if extra else None}
            interview_id, _ = insert_interview(study, fields, [participant], path.name, prefix=CODE_PREFIX[kind])
            vault.save_response(interview_id, path.name, response_id)
            vault.save_imported_transcript(interview_id, fields["source_format"], [(None, _segment(text)) for text in texts], 0.0)
            set_stage(db, interview_id, "transcribe", "done", params_hash=IMPORT_PARAMS)
            known.add(digest)
            report.added.append(f"{path.name}#{label}")
    return report


def _segment(text: str) -> Segment:
    return Segment(0.0, 0.0, " " + text, [Word(0.0, 0.0, " " + token, 1.0) for token in text.split()])


def _column(header: list[str], wanted: str | None) -> str | None:
    """The header's name for a column, matched without regard to case or surrounding spaces."""
    if wanted is None:
        return None
    return next((h for h in header if h.strip().casefold() == wanted.strip().casefold()), None)


def _text_columns(path: Path, header: list[str], asked: tuple[str, ...]) -> list[str]:
    if asked:
        missing = [c for c in asked if _column(header, c) is None]
        if missing:
            raise ResearchError(f"{path.name}: no text column {', '.join(repr(c) for c in missing)} (columns: {', '.join(header)})")
        return list(asked)
    guessed = [h for h in header if h.strip().casefold() in TEXT_GUESSES]
    if not guessed:
        raise ResearchError(f"{path.name}: which column holds the text? Pass --text COLUMN (columns: {', '.join(header)})")
    return guessed[:1]


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        text = read_text_file(path)
    except NotTextError:
        raise ResearchError(f"{path.name}: {NOT_TEXT}") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(text.splitlines(), dialect=dialect)
    if not reader.fieldnames:
        raise ResearchError(f"{path.name}: empty file, no header row")
    return [{k: (v or "") for k, v in row.items() if k} for row in reader]


def _read_xlsx(path: Path) -> list[dict[str, str]]:
    import openpyxl  # noqa: PLC0415 - only XLSX needs it

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ResearchError(f"{path.name}: not a readable Excel workbook ({type(error).__name__})") from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
        if not any(header):
            raise ResearchError(f"{path.name}: the first sheet has no header row")
        return [{h: _cell(v) for h, v in zip(header, values) if h} for values in rows if any(v is not None for v in values)]
    finally:
        workbook.close()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "date") and hasattr(value, "isoformat"):
        return value.date().isoformat() if hasattr(value, "hour") else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_json(path: Path) -> list[dict[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as error:
        raise ResearchError(f"{path.name}, line {error.lineno}: not valid JSON ({error.msg})") from None
    except UnicodeDecodeError:
        raise ResearchError(f"{path.name}: not a UTF-8 text file") from None
    if isinstance(data, dict):  # {"tickets": [...]} as Zendesk and others export
        data = next((value for value in data.values() if isinstance(value, list)), None)
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ResearchError(f"{path.name}: expected a list of objects (or an object holding one), one per ticket or response")
    return [_flatten(item) for item in data]


def _flatten(item: dict, prefix: str = "") -> dict[str, str]:
    """{"requester": {"segment": "SMB"}} -> {"requester.segment": "SMB"}; lists become comma-separated text."""
    flat: dict[str, str] = {}
    for key, value in item.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat |= _flatten(value, f"{name}.")
        elif isinstance(value, list):
            flat[name] = ", ".join(str(v) for v in value if not isinstance(v, (dict, list)))
        else:
            flat[name] = "" if value is None else str(value)
    return flat
