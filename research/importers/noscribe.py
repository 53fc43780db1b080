"""noScribe HTML transcripts (https://github.com/kaixxx/noScribe).

noScribe writes one `<p>` per speaker turn; each segment sits in an anchor named
`ts_<start ms>_<end ms>_<speaker>` and starts with the speaker label ("S01:") and optionally a
"[00:01:02]" timestamp. The first paragraphs hold the title and the recording's details.
"""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
from lxml.etree import ParserError

from research.importers.transcript import Transcript, TranscriptFormatError, Turn

_ANCHOR = re.compile(r"^ts_(\d+)_(\d+)_(.*)$")
_STAMP = re.compile(r"\[\d\d:\d\d:\d\d\]")


def read_noscribe(path: Path, text: str) -> Transcript:
    try:
        root = lxml.html.fromstring(text)
    except (ParserError, ValueError) as error:
        raise TranscriptFormatError(f"{path.name}: not readable HTML ({error})") from None
    turns = []
    for anchor in root.iter("a"):
        match = _ANCHOR.match(anchor.get("name") or "")
        if not match:
            continue
        start, end, speaker = int(match.group(1)) / 1000, int(match.group(2)) / 1000, match.group(3).strip() or None
        body = _STAMP.sub(" ", anchor.text_content())
        if speaker and body.strip().startswith(f"{speaker}:"):
            body = body.strip()[len(speaker) + 1 :]
        body = " ".join(body.split())
        if body:
            turns.append(Turn(speaker, start, end, body))
    if not turns:
        raise TranscriptFormatError(f"{path.name}: no noScribe segments (anchors named ts_<start>_<end>_<speaker>) in this HTML")
    return Transcript("noscribe-html", turns)
