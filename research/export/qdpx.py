"""REFI-QDA projects (.qdpx) for NVivo, ATLAS.ti, MAXQDA and QualCoder (importing one back: `qdpx_import`).

The zip holds project.qde and a lowercase sources/ folder. Each interview is a TextSource (the
anonymized transcript, with a PlainTextSelection per coded utterance) and, when its redacted
audio exists, an AudioSource whose Transcript has a SyncPoint at each utterance (character
offset → milliseconds). Participants are cases, with their metadata as variables.
"""

from __future__ import annotations

import uuid
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree

from research.codebook import Codebook
from research.export.source import Transcript, codings
from research.refi import codes_element
from research.study import Study

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


def build_project(study: Study, codebook: Codebook, transcripts: list[Transcript], include_suggested: bool = False) -> etree._Element:
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
            _el(case, "SourceRef", targetGUID=_guid("text", person["code"]))
    by_utterance: dict[int, list[dict]] = {}
    for coding in codings(study, include_suggested):
        if coding["code_key"] in keys:
            by_utterance.setdefault(coding["utterance_id"], []).append(coding)
    sources = _el(root, "Sources")
    for transcript in transcripts:
        text = _el(sources, "TextSource", guid=_guid("text", transcript.code), name=transcript.code, plainTextPath=f"internal://{_guid('text', transcript.code)}.txt", creatingUser=user, creationDateTime=stamp)
        for line in transcript.lines:
            for coding in by_utterance.get(line.utterance_id, []):
                selection = _el(text, "PlainTextSelection", guid=_guid("selection", coding["id"]), name=line.text[:40], startPosition=line.offset, endPosition=line.offset + len(line.text), creatingUser=user, creationDateTime=stamp)
                _el(_el(selection, "Coding", guid=_guid("coding", coding["id"]), creatingUser=user, creationDateTime=stamp), "CodeRef", targetGUID=keys[coding["code_key"]])
        if transcript.audio:
            audio = _el(sources, "AudioSource", guid=_guid("audio", transcript.code), name=f"{transcript.code} (redacted audio)", path=f"internal://{_guid('audio', transcript.code)}.opus", creatingUser=user, creationDateTime=stamp)
            synced = _el(audio, "Transcript", guid=_guid("transcript", transcript.code), name=transcript.code, plainTextPath=f"internal://{_guid('text', transcript.code)}.txt")
            for line in transcript.lines:
                _el(synced, "SyncPoint", guid=_guid("sync", line.utterance_id), timeStamp=int(round(line.start * 1000)), position=line.line_offset)
    return root


def write_qdpx(study: Study, codebook: Codebook, transcripts: list[Transcript], path: Path, include_suggested: bool = False) -> Path:
    root = build_project(study, codebook, transcripts, include_suggested)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))
        for transcript in transcripts:
            archive.writestr(f"sources/{_guid('text', transcript.code)}.txt", transcript.text.encode("utf-8"))
            if transcript.audio:
                archive.write(study.redacted_audio_dir / transcript.audio, f"sources/{_guid('audio', transcript.code)}.opus")
    return path
