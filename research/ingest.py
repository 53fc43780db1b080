"""`research add`: import recordings into a study, deduplicated by sha256."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from research.audio import SUPPORTED_EXTENSIONS, probe, sha256_file
from research.errors import AudioError
from research.labels import participant_label
from research.metadata import MetadataSheet, ParticipantRow
from research.store import now, set_stage
from research.study import Study


@dataclass
class AddReport:
    added: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # one line each, naming the file by its position ("file 3 of 7"), never its name
    updated: list[str] = field(default_factory=list)  # codes of interviews already present whose metadata the sheet changed
    notes: list[str] = field(default_factory=list)  # sheet rows that matched no file, a folder without audio

    def record(self, name: str, outcome: str) -> None:
        """A file's outcome: "added", "duplicate" or "updated CODE" (a duplicate whose metadata the sheet changed)."""
        (self.added if outcome == "added" else self.duplicates).append(name)
        if outcome.startswith("updated "):
            self.updated.append(outcome.removeprefix("updated "))

    def merge(self, other: AddReport) -> None:
        self.added += other.added
        self.duplicates += other.duplicates
        self.failed += other.failed
        self.updated += other.updated
        self.notes += other.notes


def collect_files(paths: Iterable[Path]) -> tuple[list[tuple[Path, str | None]], list[str]]:
    """Expand folders (recursively, audio and video only) and check explicit files' extensions.

    Returns every file in order with why it can't be added (None when it may be), and a note per folder
    that holds no audio or video."""
    files: list[tuple[Path, str | None]] = []
    notes: list[str] = []
    for number, path in enumerate(paths, start=1):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS)
            if not found:
                notes.append(f"folder {number} of the command line holds no audio or video files (looked for {', '.join(sorted(SUPPORTED_EXTENSIONS))}, in subfolders too)")
            files += [(p, None) for p in found]
        elif not path.exists():
            files.append((path, "no such file"))
        elif path.suffix.lower() not in SUPPORTED_EXTENSIONS:
            files.append((path, f"unsupported file type '{path.suffix or 'none'}' (supported: {', '.join(sorted(SUPPORTED_EXTENSIONS))})"))
        else:
            files.append((path, None))
    return files, notes


def add_files(study: Study, paths: Iterable[Path], sheet: MetadataSheet | None = None, skip: frozenset[Path] = frozenset()) -> AddReport:
    """Add each recording; a file that can't be added is one line naming its position in the batch, never its name
    (file names often carry participants' names). `skip`: resolved paths already taken (a recording paired with its transcript)."""
    files, notes = collect_files(paths)
    report = AddReport(notes=notes)
    for number, (path, problem) in enumerate(files, start=1):
        where = f"file {number} of {len(files)}"
        if problem:
            report.failed.append(f"{where}: {problem}")
            continue
        if path.resolve() in skip:
            continue
        try:
            outcome = _add_one(study, path.resolve(), sheet.rows_for(path) if sheet else [])
        except AudioError as error:
            report.failed.append(f"{where}: {error.reason}")
            continue
        report.record(path.name, outcome)
    return report


def unused_row_notes(sheet: MetadataSheet | None) -> list[str]:
    """One note per sheet row that no file added in this batch matched; call once the whole batch is in."""
    return [f"sheet row {number} names a file that is not among those given; check its 'file' value" for number in sheet.unused_rows()] if sheet else []


def _add_one(study: Study, path: Path, rows: list[ParticipantRow]) -> str:
    db, vault = study.db, study.vault
    digest = sha256_file(path)
    existing = list(db["interviews"].rows_where("sha256 = ?", [digest]))
    if existing:
        vault.save_source(existing[0]["id"], path)  # the file may have moved
        return already_added(study, existing[0], rows)
    info = probe(path)
    if info.duration <= 0:
        raise AudioError(path.name, "the file holds no audio samples")
    fields = {"sha256": digest, "audio_format": info.codec, "duration": round(info.duration, 3), "channels": info.channels, "sample_rate": info.sample_rate, "has_video": int(info.has_video)}
    with study.db.atomic():
        interview_id, _ = insert_interview(study, fields, rows, path.name)
        study.vault.save_source(interview_id, path)
        set_stage(study.db, interview_id, "transcribe", "pending")
    return "added"


def already_added(study: Study, interview: dict, rows: list[ParticipantRow]) -> str:
    """"duplicate", or "updated CODE" when the sheet's rows for a source added before changed its metadata."""
    return f"updated {interview['code']}" if rows and _update_metadata(study, interview, rows) else "duplicate"


def _update_metadata(study: Study, interview: dict, rows: list[ParticipantRow]) -> bool:
    """A corrected sheet for a source already added: its interview and participant fields take the sheet's values
    (names go to the vault, labels to the study). True when anything changed."""
    db, vault = study.db, study.vault
    first = rows[0]
    company = vault.pseudonym("COMPANY", first.company, "Company") if first.company else None
    fields = {"industry": first.industry, "region": first.region, "product": first.product, "company": company,
              "interview_date": first.date.isoformat() if first.date else None, "title": _safe_title(first, rows, interview["code"], company)}
    changed = {k: v for k, v in fields.items() if interview.get(k) != v}
    people = {row["slot"]: row for row in db["participants"].rows_where("interview_id = ?", [interview["id"]])}
    with db.atomic():
        if changed:
            db["interviews"].update(interview["id"], changed)
        for row in rows:
            label = participant_label(vault, interview["code"], row.speaker, row.participant)
            values = {"label": label, "role": row.role, "participation": row.participation, "persona": row.persona, "segment": row.segment}
            before = people.get(row.speaker)
            if before is None:
                db["participants"].insert({"interview_id": interview["id"], "slot": row.speaker, **values})
            elif any(before[k] != v for k, v in values.items()):
                db["participants"].update(before["id"], values)
            else:
                continue
            changed[row.speaker] = values
            if row.participant:
                vault.save_person(interview["id"], row.speaker, row.participant)
        if first.company:
            vault.save_company(interview["id"], first.company)
    return bool(changed)


def insert_interview(study: Study, fields: dict, rows: list[ParticipantRow], file_name: str, prefix: str = "INT") -> tuple[int, str]:
    """A new interview (or other source) with its sheet rows: names to the vault, pseudonymous labels to study.db."""
    db, vault = study.db, study.vault
    first = rows[0] if rows else ParticipantRow(file=file_name)
    interview_id = db["interviews"].insert(
        {"code": "pending", "industry": first.industry, "region": first.region, "product": first.product, "interview_date": first.date.isoformat() if first.date else None, "added_at": now()} | fields
    ).last_pk
    code = f"{prefix}-{interview_id:03d}"
    company = vault.pseudonym("COMPANY", first.company, "Company") if first.company else None
    db["interviews"].update(interview_id, {"code": code, "company": company, "title": _safe_title(first, rows, code, company)})
    for row in rows or [first]:
        label = participant_label(vault, code, row.speaker, row.participant)
        db["participants"].insert(
            {"interview_id": interview_id, "slot": row.speaker, "label": label, "role": row.role, "participation": row.participation, "persona": row.persona, "segment": row.segment}
        )
        if row.participant:
            vault.save_person(interview_id, row.speaker, row.participant)
    if first.company:
        vault.save_company(interview_id, first.company)
    return interview_id, code


def _safe_title(first: ParticipantRow, rows: list[ParticipantRow], code: str, company: str | None) -> str:
    """The sheet's title with participant and company names replaced by their labels."""
    if not first.title:
        return code
    title = first.title
    for name, label in [(row.participant, "[PERSON]") for row in rows] + [(first.company, company or "[COMPANY]")]:
        if name:
            title = re.sub(re.escape(name), label, title, flags=re.IGNORECASE)
    return title
