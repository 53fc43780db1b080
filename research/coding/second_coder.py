"""A second coder's codings, read from the REFI-QDA project (.qdpx) they coded in another tool (or in
their own copy of this study), matched to this study's utterances for two-coder agreement.

Sources match by GUID or by name (the interview code); a selection codes every customer utterance it
overlaps; codes match by GUID, then by name. Nothing is written to the study.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from research.codebook import Codebook
from research.errors import ResearchError
from research.export.qdpx import NS, text_source_guid
from research.export.source import transcripts
from research.study import Study


@dataclass
class SecondCoder:
    codings: set[tuple[int, str]] = field(default_factory=set)  # (utterance id, code key)
    units: list[int] = field(default_factory=list)  # customer utterances of the interviews both projects hold
    interviews: list[str] = field(default_factory=list)
    unknown_codes: set[str] = field(default_factory=set)  # code names in their project that this codebook lacks


def read_second_coder(study: Study, codebook: Codebook, path: Path) -> SecondCoder:
    try:
        with zipfile.ZipFile(path) as archive:
            root = etree.fromstring(archive.read("project.qde"))
    except (OSError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError) as error:
        raise ResearchError(f"{path}: not a readable REFI-QDA project ({error})") from None
    by_guid = {codebook.guid(key): key for key in codebook.codes}
    by_name = {code.name.lower(): key for key, (_, code) in codebook.codes.items()}
    names = {c.get("guid"): c.get("name") or "" for c in root.iter(f"{{{NS}}}Code")}
    ours = {t.code: t for t in transcripts(study)}
    guids = {text_source_guid(code): code for code in ours}
    found = SecondCoder()
    for source in root.iter(f"{{{NS}}}TextSource"):
        code = guids.get(source.get("guid")) or (source.get("name") if source.get("name") in ours else None)
        if code is None:
            continue
        lines = [line for line in ours[code].lines if line.role != "interviewer"]
        found.interviews.append(code)
        found.units += [line.utterance_id for line in lines]
        for selection in source.iter(f"{{{NS}}}PlainTextSelection"):
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            covered = [line.utterance_id for line in lines if line.offset < end and start < line.offset + len(line.text)]
            for ref in selection.iter(f"{{{NS}}}CodeRef"):
                target = ref.get("targetGUID")
                key = by_guid.get(target) or by_name.get(names.get(target, "").lower())
                if key is None:
                    found.unknown_codes.add(names.get(target) or target)
                    continue
                found.codings |= {(u, key) for u in covered}
    if not found.interviews:
        raise ResearchError(f"{path}: none of its text sources is an interview of this study (matched by GUID or name)")
    return found
