"""`research add` for transcripts and per-participant tracks: each becomes an interview whose later stages run unchanged.

An imported transcript is complete at once: its turns go to the vault with the speaker names the file
gave (names stay in the vault), and its transcribe stage is done. A paired recording becomes the
interview's audio, so playback and the redacted copy work. A folder of per-participant tracks is one
interview whose tracks are transcribed one by one, each track its own speaker.
"""

from __future__ import annotations

import hashlib
import re
import wave
from pathlib import Path

import numpy as np

from research.audio import SAMPLE_RATE, SUPPORTED_EXTENSIONS, decode, probe, sha256_file
from research.errors import AudioError, ResearchError
from research.importers import read_transcript
from research.importers.pairing import plan_transcripts
from research.ingest import AddReport, add_files, already_added, insert_interview, unused_row_notes
from research.metadata import MetadataSheet
from research.store import set_stage
from research.study import Study

IMPORT_PARAMS = "import"  # the transcribe stage's params hash for an imported transcript
LENGTH_SLACK = 5.0  # seconds a transcript may run past its recording's end
_GENERIC_SPEAKER = re.compile(r"^(speaker|spk|sprecher|s|interviewer|interviewee|respondent|participant|moderator|customer|guest|host|unknown|user)[\s_-]*\d*$", re.IGNORECASE)


def is_name(label: str) -> bool:
    """A speaker label that names someone ("Jane Roe"), not a placeholder ("Speaker 1", "SPEAKER_00", "S01")."""
    return bool(label.strip()) and not _GENERIC_SPEAKER.match(label.strip())


def add_transcript(study: Study, transcript_path: Path, recording: Path | None, sheet: MetadataSheet | None) -> str:
    """Import one transcript file; returns "added" or "duplicate". Raises ResearchError or AudioError naming the file."""
    db, vault = study.db, study.vault
    digest = sha256_file(transcript_path)
    existing = list(db["interviews"].rows_where("sha256 = ?", [digest]))
    rows = (sheet.rows_for(transcript_path) or (sheet.rows_for(recording) if recording else [])) if sheet else []
    if existing:
        if recording:
            vault.save_source(existing[0]["id"], recording)  # the recording may have moved
        return already_added(study, existing[0], rows)
    transcript = read_transcript(transcript_path)
    fields: dict = {"sha256": digest, "source_format": transcript.format, "duration": round(transcript.end, 3), "channels": 1, "has_video": 0}
    if recording:
        info = probe(recording)
        if transcript.end > info.duration + LENGTH_SLACK:
            raise ResearchError(f"{transcript_path.name}: the transcript runs to {transcript.end:.0f} s but {recording.name} lasts {info.duration:.0f} s; is it the right recording?")
        fields |= {"audio_format": info.codec, "duration": round(info.duration, 3), "channels": info.channels, "sample_rate": info.sample_rate, "has_video": int(info.has_video)}
    with db.atomic(), vault.db.atomic():  # one commit per file in each database
        interview_id, _ = insert_interview(study, fields, rows, transcript_path.name)
        if recording:
            vault.save_source(interview_id, recording)
        vault.save_imported_transcript(interview_id, transcript.format, transcript.segments(), fields["duration"])
        for number, name in enumerate(transcript.speakers, start=1):
            if is_name(name):
                vault.save_person(interview_id, f"speaker:{number}", name)
        set_stage(db, interview_id, "transcribe", "done", params_hash=IMPORT_PARAMS)
    return "added"


def add_tracks(study: Study, folder: Path, sheet: MetadataSheet | None) -> str:
    """A folder of per-participant recordings (Zoom's "separate audio file for each participant") as one interview.

    The tracks are transcribed one by one and each is its own speaker; their mix, kept in the vault, is
    the interview's audio for playback and the redacted copy."""
    if not folder.is_dir():
        raise ResearchError(f"{folder}: --tracks takes a folder of per-participant recordings")
    tracks = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS)
    if len(tracks) < 2:
        raise ResearchError(f"{folder.name}: a tracks folder needs two or more recordings, one per participant; found {len(tracks)}")
    digest = hashlib.sha256("".join(sha256_file(p) for p in tracks).encode()).hexdigest()
    db, vault = study.db, study.vault
    existing = list(db["interviews"].rows_where("sha256 = ?", [digest]))
    rows = sheet.rows_for(folder) if sheet else []
    if existing:
        vault.save_tracks(existing[0]["id"], tracks)
        return already_added(study, existing[0], rows)
    infos = [probe(p) for p in tracks]
    if max(i.duration for i in infos) <= 0:
        raise AudioError(folder.name, "the tracks hold no audio samples")
    fields = {"sha256": digest, "source_format": "tracks", "audio_format": "wav", "duration": round(max(i.duration for i in infos), 3), "channels": len(tracks), "sample_rate": SAMPLE_RATE, "has_video": 0}
    with db.atomic():
        interview_id, code = insert_interview(study, fields, rows, folder.name)
        mix = vault.folder / "mixes" / f"{code}.wav"
        write_mix([decode(p) for p in tracks], mix)
        vault.save_source(interview_id, mix)
        vault.save_tracks(interview_id, tracks)
        set_stage(db, interview_id, "transcribe", "pending")
    return "added"


def write_mix(tracks: list[np.ndarray], target: Path) -> None:
    """The tracks summed into one 16 kHz mono WAV, scaled so it does not clip."""
    mixed = np.zeros(max(len(t) for t in tracks), dtype=np.float32)
    for track in tracks:
        mixed[: len(track)] += track
    peak = float(np.abs(mixed).max()) or 1.0
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((mixed / max(1.0, peak) * 32767).astype("<i2").tobytes())


def add_sources(study: Study, paths: list[Path], sheet: MetadataSheet | None = None, tracks: list[Path] | None = None) -> AddReport:
    """Everything `research add` takes: recordings, transcripts (paired with their recordings) and track folders."""
    plan = plan_transcripts(paths)
    report = add_files(study, plan.others, sheet, skip=frozenset(plan.paired))
    jobs = [(path, f"transcript {number} of {len(plan.transcripts)}", lambda path=path, recording=recording: add_transcript(study, path, recording, sheet))
            for number, (path, recording) in enumerate(plan.transcripts, start=1)]
    jobs += [(folder, f"track folder {number} of {len(tracks)}", lambda folder=folder: add_tracks(study, folder, sheet)) for number, folder in enumerate(tracks or [], start=1)]
    for path, where, job in jobs:  # by kind and position (recordings are "file N of M"): file names often carry participants' names, never print them
        try:
            outcome = job()
        except ResearchError as error:
            report.failed.append(str(error).replace(path.name, where))
            continue
        except (OSError, ValueError) as error:  # a file no reader foresaw: one line, and the batch goes on
            report.failed.append(f"{where}: {type(error).__name__}: {str(error).splitlines()[0].replace(path.name, where) if str(error) else 'unreadable'}")
            continue
        report.record(path.name, outcome)
    report.notes += unused_row_notes(sheet)  # after the transcripts and track folders: they match rows too
    return report
