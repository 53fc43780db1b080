"""Importing codings from a REFI-QDA project (.qdpx) that another tool edited, without ever corrupting the study.

- The zip's directory is checked before anything is read: project.qde and each source text must be under
  MAX_MEMBER_BYTES uncompressed (a zip bomb is refused unread), and no DTD or entity is accepted in the XML.
- A TextSource is matched to an interview by its GUID (or name) *and* its text: the source text must be this
  study's transcript (same sha256), or else each selection's text must equal the transcript's at its offsets.
  Anything else (another study's project, an edited transcript) is refused, with a summary.
- A coding the study already holds stays as it is: the study's own suggestions coming back unchanged (the
  same coding GUID) stay suggestions, acceptances keep their coder, and a researcher's rejection, or another
  accepted code of a single-choice group, is never flipped: it is listed as a conflict for the researcher.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from sqlite_utils import Database

from research.codebook import Codebook
from research.errors import ResearchError
from research.export.qdpx import NS, _guid
from research.export.source import Line, transcripts
from research.store import now
from research.study import Study

MAX_MEMBER_BYTES = 64 << 20  # project.qde or one source text, uncompressed
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass
class ImportReport:
    imported: int = 0  # new acceptances
    unchanged: int = 0  # codings the study already held as they are
    conflicts: list[str] = field(default_factory=list)  # decisions the import contradicts, kept as they are
    refused: list[str] = field(default_factory=list)  # one line per source or kind of selection not imported


def import_codings(study: Study, path: Path, codebook: Codebook, coder: str = "imported") -> ImportReport:
    """Codings from a .qdpx into this study as accepted codings, never changing a decision (see the module)."""
    with _open(path) as archive:
        root = _project(archive, path)
        by_guid = {codebook.guid(key): key for key in codebook.codes}
        by_name = {code.name.casefold(): key for key, (_, code) in codebook.codes.items()}
        names = {c.get("guid"): (c.get("name") or "").casefold() for c in root.iter(f"{{{NS}}}Code")}
        ours = {t.code: t for t in transcripts(study)}
        ours_by_guid = {_guid("text", code): t for code, t in ours.items()}
        report = ImportReport()
        wanted: list[tuple[str, Line, str, str | None]] = []  # (interview, line, code key, the Coding's GUID)
        for source in root.iter(f"{{{NS}}}TextSource"):
            transcript = ours_by_guid.get(source.get("guid") or "") or ours.get(source.get("name") or "")
            label = source.get("name") or source.get("guid") or "a source"
            if transcript is None:
                report.refused.append(f"{label}: no interview of this study has this source's GUID or name")
                continue
            text = _source_text(archive, source)
            if text is None:
                report.refused.append(f"{label}: the project holds no text for this source, so its selections can't be checked")
                continue
            same = hashlib.sha256(text.encode()).digest() == hashlib.sha256(transcript.text.encode()).digest()
            mismatched = unknown = 0
            for selection in source.iter(f"{{{NS}}}PlainTextSelection"):
                span = _span(selection)
                if span is None or not (same or _same_text(text, transcript.text, *span)):
                    mismatched += 1
                    continue
                covered = [line for line in transcript.lines if line.offset < span[1] and span[0] < line.offset + len(line.text) and line.role != "interviewer"]
                for coding in selection.iter(f"{{{NS}}}Coding"):
                    for ref in coding.iter(f"{{{NS}}}CodeRef"):
                        key = by_guid.get(ref.get("targetGUID")) or by_name.get(names.get(ref.get("targetGUID"), ""))
                        if key is None:
                            unknown += 1
                            continue
                        wanted += [(transcript.code, line, key, coding.get("guid")) for line in covered]
            if mismatched:
                report.refused.append(f"{transcript.code}: {mismatched} selection{'s' if mismatched != 1 else ''} refused: their text differs from this study's transcript (another study's project, or an edited transcript?)")
            if unknown:
                report.refused.append(f"{transcript.code}: {unknown} coding{'s' if unknown != 1 else ''} of codes this study's codebook lacks")
    with study.db.atomic():
        for interview, line, key, coding_guid in wanted:
            _apply(study.db, f"{interview} {_at(line)}", line, key, coding_guid, coder, report)
    return report


def _open(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise ResearchError(f"{path.name}: not a readable REFI-QDA project ({error})") from None


def _read_member(archive: zipfile.ZipFile, name: str, label: str) -> bytes:
    """A member's bytes, refused from the zip's directory when too big, and never read past the limit."""
    info = archive.getinfo(name)
    if info.file_size > MAX_MEMBER_BYTES:
        raise ResearchError(f"{label}: {name} is {info.file_size / 1e6:.0f} MB uncompressed, over the {MAX_MEMBER_BYTES >> 20} MB limit; refused unread")
    with archive.open(info) as member:
        data = member.read(MAX_MEMBER_BYTES + 1)
    if len(data) > MAX_MEMBER_BYTES:  # the directory understated it
        raise ResearchError(f"{label}: {name} is over the {MAX_MEMBER_BYTES >> 20} MB limit; refused")
    return data


def _project(archive: zipfile.ZipFile, path: Path) -> etree._Element:
    try:
        data = _read_member(archive, "project.qde", path.name)
        if b"<!DOCTYPE" in data[: data.find(b"<Project") if b"<Project" in data else len(data)]:
            raise ResearchError(f"{path.name}: project.qde declares a DTD (entities), which a REFI-QDA project never does; refused")
        tree = etree.fromstring(data, _PARSER).getroottree()
    except KeyError:
        raise ResearchError(f"{path.name}: not a REFI-QDA project (no project.qde inside)") from None
    except (OSError, zipfile.BadZipFile, etree.XMLSyntaxError) as error:
        raise ResearchError(f"{path.name}: not a readable REFI-QDA project ({error})") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise ResearchError(f"{path.name}: project.qde declares a DTD (entities), which a REFI-QDA project never does; refused")
    return tree.getroot()


def _source_text(archive: zipfile.ZipFile, source: etree._Element) -> str | None:
    """The source's plain text from the project's sources/ folder (internal:// paths only, no folders)."""
    reference = source.get("plainTextPath") or ""
    name = reference.removeprefix("internal://")
    if name == reference or not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    try:
        return _read_member(archive, f"sources/{name}", name).decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return None


def _span(selection: etree._Element) -> tuple[int, int] | None:
    try:
        start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
    except (TypeError, ValueError):
        return None
    return (start, end) if 0 <= start < end else None


def _same_text(theirs: str, ours: str, start: int, end: int) -> bool:
    return end <= len(theirs) and end <= len(ours) and theirs[start:end] == ours[start:end]


def _apply(db: Database, where: str, line: Line, key: str, coding_guid: str | None, coder: str, report: ImportReport) -> None:
    """One imported (utterance, code): new → accepted; anything the study holds is kept, a contradiction listed."""
    existing = next(db.query("SELECT id, status FROM codings WHERE utterance_id = ? AND code_key = ?", [line.utterance_id, key]), None)
    if existing is not None:
        if existing["status"] == "rejected":
            report.conflicts.append(f"{where}: '{key}' is rejected here but coded in the import; kept rejected")
        elif existing["status"] == "suggested" and coding_guid != _guid("coding", existing["id"]):
            db["codings"].update(existing["id"], {"status": "accepted", "coder": coder, "updated_at": now()})
            report.imported += 1
            return
        report.unchanged += existing["status"] != "rejected"
        return
    code = next(db.query("SELECT group_id, single_choice FROM codes WHERE key = ?", [key]), None)
    if code is not None and code["single_choice"]:
        group = [line.utterance_id, code["group_id"] + ":%"]
        other = next(db.query("SELECT code_key FROM codings WHERE utterance_id = ? AND status = 'accepted' AND code_key LIKE ?", group), None)
        if other is not None:
            report.conflicts.append(f"{where}: '{other['code_key']}' is accepted here, '{key}' in the import; kept '{other['code_key']}'")
            return
        db.execute("DELETE FROM codings WHERE utterance_id = ? AND status = 'suggested' AND code_key LIKE ? AND memo IS NULL", group)
    stamp = now()
    db["codings"].insert({"utterance_id": line.utterance_id, "code_key": key, "source": "human", "confidence": 1.0, "status": "accepted", "coder": coder, "created_at": stamp, "updated_at": stamp})
    report.imported += 1


def _at(line: Line) -> str:
    minutes, seconds = divmod(int(line.start), 60)
    return f"at {minutes}:{seconds:02d} ({line.speaker})"
