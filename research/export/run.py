"""`research export`: every format from the same map and codings, optionally filtered.

A filtered export goes to its own folder, named after its filters (`persona-operations-buyer/`), so it
never overwrites the whole study's files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from research.coding.memos import memos, memo_redactor, redacted
from research import codebook as codebooks
from research.errors import ResearchError
from research.faults import fault_line
from research.export import chart, deck, document, markdown, qdpx, story, tables, transcripts
from research.export.source import codings, transcripts as load_transcripts
from research.journey import build_and_store, participants_matching
from research.refi import write_qdc
from research.study import Study

MAP_FORMATS = ("html", "md", "json", "csv", "png", "svg", "story", "pptx")
TRANSCRIPT_FORMATS = tuple(transcripts.WRITERS)
PROJECT_FORMATS = ("qdpx", "qdc")
ALL_FORMATS = MAP_FORMATS + TRANSCRIPT_FORMATS + PROJECT_FORMATS


@dataclass
class ExportReport:
    folder: Path
    files: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one line per interview a wanted format could not be written for


def export(study: Study, formats: list[str], folder: Path | None = None, filters: dict[str, str] | None = None, include_suggested: bool = True,
           qdpx_suggestions: bool = False, progress: Callable[[str], None] | None = None) -> ExportReport:
    """Write `formats`; a folder that can't be written (missing, a file, read-only, a full disk) is a one-line error.

    `include_suggested`: the CSV of codings and the memos also hold open suggestions (marked as such).
    `qdpx_suggestions`: the REFI-QDA project also codes open suggestions (each with a note of its confidence);
    by default it carries accepted codings only. `progress` is told each step as it starts.
    Every file is first written into a hidden staging folder and moved into place only once all are whole,
    so a failure (a full disk) never leaves a truncated file, and an earlier export stays as it was."""
    filters = filters or {}
    cohort = participants_matching(study, filters)  # an unknown filter value is an error before anything is written
    folder = (folder or study.exports_dir) / filter_folder(filters) if filters else folder or study.exports_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".export-", suffix=".partial", dir=folder))
    except OSError as error:
        raise ResearchError(fault_line(error, folder) or f"cannot write exports to {folder}: {error.strerror or error}") from None
    try:
        written = _export(study, formats, staging, filters, cohort, include_suggested, qdpx_suggestions, progress or (lambda step: None))
        return ExportReport(folder, [_publish(path, staging, folder) for path in written.files], written.skipped)
    except OSError as error:
        raise ResearchError(fault_line(error, folder) or f"cannot write exports to {folder}: {error.strerror or error}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _publish(path: Path, staging: Path, folder: Path) -> Path:
    """Move a finished file from the staging folder into place (atomic: an earlier export stays whole until then)."""
    target = folder / path.relative_to(staging)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    return target


def filter_folder(filters: dict[str, str]) -> str:
    """`persona-operations-buyer`, or `persona-operations-buyer--segment-small-business` for two filters."""
    return "--".join(f"{_slug(name)}-{_slug(value)}" for name, value in sorted(filters.items()))


def _export(study: Study, formats: list[str], folder: Path, filters: dict[str, str], cohort: dict[tuple[int, str], str], include_suggested: bool,
            qdpx_suggestions: bool, progress: Callable[[str], None]) -> ExportReport:
    folder.mkdir(parents=True, exist_ok=True)
    report = ExportReport(folder)
    codebook = codebooks.load(codebooks.resolve(study.config.coding.codebook, study.root))  # as research.coding.stage reads it, without loading its models
    cohort_ids = {interview_id for interview_id, _ in cohort}
    interviews = {r["code"] for r in study.db.query("SELECT id, code FROM interviews") if r["id"] in cohort_ids}
    redact = memo_redactor(study)  # a memo may name someone
    if set(formats) & {"html", "md", "csv", "qdpx"}:
        redact.many([memo.text for memo in memos(study.db, interviews)])  # every memo the export writes, in one detector call
    if set(formats) & set(MAP_FORMATS):
        progress("building the journey map")
        journey = build_and_store(study, codebook, filters)  # a read-only study exports unstored
        notes = redacted(memos(study.db, interviews, include_suggested), redact)
        progress("writing the map's formats")
        if "html" in formats:
            report.files.append(document.write_html(journey, folder / "journey-map.html", notes))
        if "md" in formats:
            report.files.append(markdown.write_markdown(journey, folder / "journey-map.md", notes))
        if "story" in formats:
            report.files.append(story.write_story(journey, folder / "journey-story.html"))
        if "pptx" in formats:
            report.files.append(deck.write_deck(journey, folder / "journey-map.pptx"))
        if "json" in formats:
            report.files += tables.write_json(journey, folder)
        if "csv" in formats:
            rows = [c | {"memo": redact(c["memo"]) if c["memo"] else c["memo"]} for c in codings(study, include_suggested) if c["interview"] in interviews]
            report.files += tables.write_csv(journey, rows, list(study.db.query("SELECT * FROM themes ORDER BY id")), folder)
        for picture in ("png", "svg"):
            if picture in formats:
                report.files.append(chart.write_picture(journey, folder / f"journey-map.{picture}"))
    wanted = [f for f in TRANSCRIPT_FORMATS if f in formats]
    found = load_transcripts(study, interviews) if wanted or "qdpx" in formats else []
    if wanted:
        progress("writing transcripts")
        (folder / "transcripts").mkdir(exist_ok=True)
        for transcript in found:
            written = transcripts.formats_for(transcript, wanted)
            for fmt in written:
                report.files.append(transcripts.WRITERS[fmt](transcript, folder / "transcripts" / f"{transcript.code}.{fmt}"))
            if (missing := [fmt for fmt in wanted if fmt not in written]) and transcript.source_type == "interview":  # feedback has no times to miss
                report.skipped.append(transcripts.untimed_line(transcript, missing))
    if "qdpx" in formats:
        progress("writing the REFI-QDA project (audio as m4a)")
        report.files.append(qdpx.write_qdpx(study, codebook, found, folder / f"{_slug(study.config.name)}.qdpx", qdpx_suggestions, redact))
    if "qdc" in formats:
        report.files.append(write_qdc(codebook, folder / "codebook.qdc"))
    return report


def _slug(name: str) -> str:
    """Lower-case letters and digits joined by single hyphens, safe as a file or folder name (a short hash when none is left)."""
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split()) or hashlib.sha256(name.encode()).hexdigest()[:8]
