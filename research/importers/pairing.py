"""Which of the paths given to `research add` are transcripts, and the recording each one pairs with.

A transcript pairs with the recording in the same folder whose name matches it, ignoring a trailing
"transcript", "captions", "closed_caption" or language tag: `call-01.vtt` and `call-01.m4a`,
`call-01.transcript.vtt` and `call-01.mp4`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from research.audio import SUPPORTED_EXTENSIONS
from research.importers import TRANSCRIPT_EXTENSIONS

_TRAILER = re.compile(r"[\s._-]*(transcript|transcription|captions?|closed[\s_-]?captions?|subtitles?|cc|en|en[-_]us|en[-_]gb)$")


@dataclass
class TranscriptPlan:
    transcripts: list[tuple[Path, Path | None]] = field(default_factory=list)  # (transcript, paired recording)
    others: list[Path] = field(default_factory=list)  # what the audio import takes: folders and other files
    paired: set[Path] = field(default_factory=set)  # recordings a transcript claimed: not added again on their own


def pairing_key(path: Path) -> str:
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    key = stem.casefold()
    while True:
        shorter = _TRAILER.sub("", key)
        if shorter == key or not shorter:
            return key
        key = shorter


def plan_transcripts(paths: list[Path]) -> TranscriptPlan:
    plan = TranscriptPlan()
    explicit_audio = [p for p in paths if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS]
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TRANSCRIPT_EXTENSIONS and not p.name.startswith("."))
            plan.transcripts += [(p, None) for p in found]
            if not found or any(p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS for p in path.rglob("*")):
                plan.others.append(path)  # recordings to add (or a folder holding nothing, which add_files reports)
        elif path.suffix.lower() in TRANSCRIPT_EXTENSIONS and path.exists():
            plan.transcripts.append((path, None))
        else:
            plan.others.append(path)
    recordings: dict[Path, dict[str, list[Path]]] = {}  # folder -> pairing key -> recordings, listed once per folder
    for audio in explicit_audio:
        recordings.setdefault(Path("<given>"), {}).setdefault(pairing_key(audio), []).append(audio.resolve())
    paired = []
    for transcript, _ in plan.transcripts:
        if transcript.parent not in recordings:
            recordings[transcript.parent] = {}
            for audio in transcript.parent.iterdir():
                if audio.is_file() and audio.suffix.lower() in SUPPORTED_EXTENSIONS:
                    recordings[transcript.parent].setdefault(pairing_key(audio), []).append(audio.resolve())
        key = pairing_key(transcript)
        matches = set(recordings[transcript.parent].get(key, []) + recordings.get(Path("<given>"), {}).get(key, []))
        recording = min(matches, key=lambda p: (p.suffix.lower() not in {".m4a", ".wav", ".mp3"}, p.name)) if matches else None
        if recording:
            plan.paired.add(recording)
        paired.append((transcript, recording))
    plan.transcripts = paired
    return plan
