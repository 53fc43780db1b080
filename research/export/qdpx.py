"""REFI-QDA projects (.qdpx) for NVivo, ATLAS.ti, MAXQDA and QualCoder (importing one back: `qdpx_import`).

The zip holds project.qde and a lowercase sources/ folder. Each interview is a TextSource (the
anonymized transcript, with a PlainTextSelection per coding of an utterance) and, when its redacted
audio exists, an AudioSource (AAC .m4a, which NVivo, ATLAS.ti and MAXQDA import) whose Transcript has
a SyncPoint at each utterance (character offset → milliseconds). Participants are cases, with their
metadata as variables. Memos on codings and utterances are Notes, linked from their selections by
NoteRef; only accepted codings are exported unless suggestions are asked for, each with a note of
its confidence.
"""

from __future__ import annotations

import uuid
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree

from research.codebook import Codebook
from research.coding.memos import MemoRedactor, memo_redactor, utterance_memos
from research.export.aac import m4a_copy
from research.export.source import Transcript, codings
from research.refi import codes_element
from research.study import Study
from research.timecode import clock

NS = "urn:QDA-XML:project:1.0"
VARIABLES = ("persona", "role", "participation", "segment", "industry", "region", "product")
_ids = uuid.UUID("0c8f6a3e-2b1d-4e7a-9c55-7d1f3b2a9e01")


def _guid(*parts: object) -> str:
    """Stable GUIDs, so exporting twice gives the same ids."""
    return str(uuid.uuid5(_ids, "/".join(map(str, parts))))


def _el(parent, tag: str, text: str | None = None, **attributes: object):
    element = etree.SubElement(parent, f"{{{NS}}}{tag}", {k: str(v) for k, v in attributes.items() if v is not None})
    if text is not None:
        element.text = text
    return element


def text_source_guid(interview_code: str) -> str:
    """The GUID of an interview's TextSource; stable across exports, so a second coder's project matches by it."""
    return _guid("text", interview_code)


def build_project(study: Study, codebook: Codebook, transcripts: list[Transcript], include_suggested: bool = False, redact: MemoRedactor | None = None) -> etree._Element:
    """The project: accepted codings (open suggestions too with `include_suggested`, each with a note of its
    confidence), memos as Notes linked from their selections (their PII replaced by `redact`, the study's
    `memo_redactor` by default), cases, and audio synced to the text."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    user = _guid("user", "research")
    root = etree.Element(f"{{{NS}}}Project", nsmap={None: NS}, name=study.config.name, origin="research", creatingUserGUID=user, creationDateTime=stamp)
    _el(_el(root, "Users"), "User", guid=user, name="research")
    book = _el(root, "CodeBook")
    book.append(codes_element(codebook, NS))
    variables = _el(root, "Variables")
    for name in VARIABLES:
        _el(variables, "Variable", guid=_guid("variable", name), name=name, typeOfVariable="Text")
    keys = {key: codebook.guid(key) for key in codebook.codes}
    included = {t.code for t in transcripts}
    people = [p for p in study.db.query(
        "SELECT p.*, i.code, i.industry, i.region, i.product FROM participants p JOIN interviews i ON i.id = p.interview_id ORDER BY p.id") if p["code"] in included]
    if people:
        cases = _el(root, "Cases")
        for person in people:
            case = _el(cases, "Case", guid=_guid("case", person["id"]), name=person["label"])
            for name in VARIABLES:
                if person.get(name):
                    value = _el(case, "VariableValue")
                    _el(value, "VariableRef", targetGUID=_guid("variable", name))
                    _el(value, "TextValue", str(person[name]))
            _el(case, "SourceRef", targetGUID=text_source_guid(person["code"]))
    by_utterance: dict[int, list[dict]] = {}
    for coding in codings(study, include_suggested):
        if coding["code_key"] in keys:
            by_utterance.setdefault(coding["utterance_id"], []).append(coding)
    utterance_notes = utterance_memos(study.db)
    notes: list[tuple[str, str, str, bool]] = []  # (guid, name, text, whether a memo), written after the sources

    def note(selection, guid: str, name: str, text: str, memo: bool = True) -> None:
        notes.append((guid, name, text, memo))
        _el(selection, "NoteRef", targetGUID=guid)

    sources = _el(root, "Sources")
    for transcript in transcripts:
        text = _el(sources, "TextSource", guid=text_source_guid(transcript.code), name=transcript.code, plainTextPath=f"internal://{text_source_guid(transcript.code)}.txt",
                   creatingUser=user, creationDateTime=stamp)
        for line in transcript.lines:
            where = f"{transcript.code} {clock(line.start)}"
            if line.utterance_id in utterance_notes:
                selection = _selection(text, _guid("utterance", line.utterance_id), line, user, stamp)
                note(selection, _guid("note", "utterance", line.utterance_id), f"Memo on {where}", utterance_notes[line.utterance_id])
            for coding in by_utterance.get(line.utterance_id, []):
                selection = _selection(text, _guid("selection", coding["id"]), line, user, stamp)
                _el(_el(selection, "Coding", guid=_guid("coding", coding["id"]), creatingUser=user, creationDateTime=stamp), "CodeRef", targetGUID=keys[coding["code_key"]])
                if coding["memo"]:
                    note(selection, _guid("note", "coding", coding["id"]), f"Memo on {coding['code_name']} at {where}", coding["memo"])
                if coding["status"] == "suggested":
                    note(selection, _guid("note", "suggestion", coding["id"]), f"Suggestion at {where}",
                         f"Not reviewed: suggested by the {coding['source']} coder with confidence {coding['confidence'] or 0:.2f}.", memo=False)
        if transcript.audio:
            audio = _el(sources, "AudioSource", guid=_guid("audio", transcript.code), name=f"{transcript.code} (redacted audio)", path=f"internal://{_guid('audio', transcript.code)}.m4a",
                        creatingUser=user, creationDateTime=stamp)
            synced = _el(audio, "Transcript", guid=_guid("transcript", transcript.code), name=transcript.code, plainTextPath=f"internal://{text_source_guid(transcript.code)}.txt")
            for line in transcript.lines:
                _el(synced, "SyncPoint", guid=_guid("sync", line.utterance_id), timeStamp=int(round(line.start * 1000)), position=line.line_offset)
    if notes:
        redact = redact or memo_redactor(study)  # a memo may name someone
        clean = iter(redact.many([text for _, _, text, memo in notes if memo]))  # all in one detector call
        written = _el(root, "Notes")
        for guid, name, content in ((guid, name, next(clean) if memo else text) for guid, name, text, memo in notes):
            _el(_el(written, "Note", guid=guid, name=name, creatingUser=user, creationDateTime=stamp), "PlainTextContent", content)
    return root


def _selection(text, guid: str, line, user: str, stamp: str):
    return _el(text, "PlainTextSelection", guid=guid, name=line.text[:40], startPosition=line.offset, endPosition=line.offset + len(line.text), creatingUser=user, creationDateTime=stamp)


def write_qdpx(study: Study, codebook: Codebook, transcripts: list[Transcript], path: Path, include_suggested: bool = False, redact: MemoRedactor | None = None) -> Path:
    """The .qdpx zip: project.qde, each transcript as text and its redacted audio as AAC (.m4a)."""
    root = build_project(study, codebook, transcripts, include_suggested, redact)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))
        for transcript in transcripts:
            archive.writestr(f"sources/{text_source_guid(transcript.code)}.txt", transcript.text.encode("utf-8"))
            if transcript.audio:
                archive.write(m4a_copy(study.redacted_audio_dir / transcript.audio, path.parent), f"sources/{_guid('audio', transcript.code)}.m4a", zipfile.ZIP_STORED)
    return path
