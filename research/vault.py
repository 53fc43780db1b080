"""The vault: raw transcripts, participant and company names, and the pseudonym key.

A separate SQLite file in `vault/` with owner-only permissions (folder 0700, file
0600). Nothing in it is ever copied into study.db as-is; the anonymization stage
reads it and writes only processed text to the study.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from research.store import now, open_database
from research.transcribe.types import Segment, TranscriptInfo, Word

if TYPE_CHECKING:
    from research.speakers import Utterance

VAULT_FILE = "vault.db"

migrations = Migrations("research.vault")


@migrations(name="0001_initial")
def _initial(db: Database) -> None:
    db["sources"].create({"interview_id": int, "original_path": str, "original_name": str}, pk="interview_id")
    db["people"].create({"interview_id": int, "slot": str, "participant_name": str}, pk=("interview_id", "slot"))
    db["companies"].create({"interview_id": int, "company_name": str}, pk="interview_id")
    db["pseudonyms"].create({"entity_type": str, "value_key": str, "pseudonym": str}, pk=("entity_type", "value_key"))
    db["transcripts"].create(
        {
            "interview_id": int,
            "engine": str,
            "model": str,
            "params_hash": str,
            "language": str,
            "language_probability": float,
            "duration": float,
            "complete": int,
            "updated_at": str,
        },
        pk="interview_id",
    )
    db["raw_segments"].create(
        {
            "interview_id": int,
            "idx": int,
            "start": float,
            "end": float,
            "text": str,
            "words": str,
            "avg_logprob": float,
            "no_speech_prob": float,
            "channel": int,
        },
        pk=("interview_id", "idx"),
    )


@migrations(name="0002_raw_utterances")
def _raw_utterances(db: Database) -> None:
    db["raw_utterances"].create(
        {"interview_id": int, "idx": int, "speaker": str, "role": str, "start": float, "end": float, "text": str, "words": str},
        pk=("interview_id", "idx"),
    )


@migrations(name="0003_imports")
def _imports(db: Database) -> None:
    db["raw_segments"].add_column("speaker", str)  # an imported transcript's speaker name, as the file wrote it
    db["tracks"].create({"interview_id": int, "channel": int, "path": str, "name": str}, pk=("interview_id", "channel"))
    db["responses"].create({"interview_id": int, "file": str, "response_id": str}, pk="interview_id")


def entity_key(value: str) -> str:
    """How the pseudonym key identifies an entity: case- and spacing-insensitive."""
    return " ".join(value.casefold().split())


def _owner_only(path: Path, mode: int) -> None:
    """Set `mode` unless it is set already: a read-only study (a read-only mount) can't be chmod-ed, but is still read."""
    if path.stat().st_mode & 0o777 != mode:
        os.chmod(path, mode)


class Vault:
    """Owner-only store of everything identifiable in a study."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / VAULT_FILE
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        _owner_only(folder, 0o700)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        _owner_only(self.path, 0o600)
        self.db = open_database(self.path, migrations)  # read-only where the study can't be written, as study.db

    # -- identities -----------------------------------------------------------------------
    def save_source(self, interview_id: int, path: Path) -> None:
        self.db["sources"].upsert({"interview_id": interview_id, "original_path": str(path), "original_name": path.name}, pk="interview_id")

    def source_path(self, interview_id: int) -> Path | None:
        row = self.db["sources"].get(interview_id) if self._has("sources", interview_id) else None
        return Path(row["original_path"]) if row else None

    def save_person(self, interview_id: int, slot: str, name: str) -> None:
        self.db["people"].upsert({"interview_id": interview_id, "slot": slot, "participant_name": name}, pk=("interview_id", "slot"))

    def save_company(self, interview_id: int, name: str) -> None:
        self.db["companies"].upsert({"interview_id": interview_id, "company_name": name}, pk="interview_id")

    def known_names(self) -> list[tuple[str, str]]:
        """Every participant and company name in the study, as (name, PERSON or ORGANIZATION)."""
        people = [(row[0], "PERSON") for row in self.db.execute("SELECT DISTINCT participant_name FROM people")]
        companies = [(row[0], "ORGANIZATION") for row in self.db.execute("SELECT DISTINCT company_name FROM companies")]
        return people + companies

    def pseudonym(self, entity_type: str, value: str, prefix: str) -> str:
        """The study-wide pseudonym for a value, allocating the next number on first sight."""
        key = entity_key(value)
        with self.db.atomic():
            rows = list(self.db["pseudonyms"].rows_where("entity_type = ? AND value_key = ?", [entity_type, key]))
            if rows:
                return rows[0]["pseudonym"]
            count = self.db["pseudonyms"].count_where("entity_type = ?", [entity_type])
            pseudonym = f"{prefix} {count + 1}"
            self.db["pseudonyms"].insert({"entity_type": entity_type, "value_key": key, "pseudonym": pseudonym})
            return pseudonym

    # -- raw transcripts ------------------------------------------------------------------
    def transcript_complete(self, interview_id: int, params_hash: str) -> bool:
        return self.db["transcripts"].count_where("interview_id = ? AND params_hash = ? AND complete = 1", [interview_id, params_hash]) > 0

    def resume_point(self, interview_id: int, params_hash: str) -> int:
        """The next segment index of an unfinished transcript made with the same parameters.

        A transcript made with other parameters, or a finished one being redone, is
        cleared first and 0 is returned.
        """
        row = self.db["transcripts"].get(interview_id) if self._has("transcripts", interview_id) else None
        if row and row["params_hash"] == params_hash and not row["complete"]:
            (count,) = self.db.execute("SELECT count(*) FROM raw_segments WHERE interview_id = ?", [interview_id]).fetchone()
            return int(count)
        with self.db.atomic():
            self.db.execute("DELETE FROM raw_segments WHERE interview_id = ?", [interview_id])
            self.db["transcripts"].upsert(
                {"interview_id": interview_id, "params_hash": params_hash, "complete": 0, "updated_at": now()}, pk="interview_id"
            )
        return 0

    def transcribed_until(self, interview_id: int, channel: int | None) -> float:
        """Seconds of a channel (None: the mono mix) already transcribed: the end of its last segment."""
        (end,) = self.db.execute('SELECT max("end") FROM raw_segments WHERE interview_id = ? AND channel IS ?', [interview_id, channel]).fetchone()
        return float(end or 0.0)

    def append_segments(self, interview_id: int, first_index: int, segments: Iterable[Segment], channel: int | None = None) -> None:
        rows = [
            {
                "interview_id": interview_id,
                "idx": first_index + offset,
                "start": segment.start,
                "end": segment.end,
                "text": segment.text,
                "words": json.dumps([asdict(word) for word in segment.words]),
                "avg_logprob": segment.avg_logprob,
                "no_speech_prob": segment.no_speech_prob,
                "channel": channel,
            }
            for offset, segment in enumerate(segments)
        ]
        with self.db.atomic():
            self.db["raw_segments"].insert_all(rows, pk=("interview_id", "idx"), replace=True)

    def complete_transcript(self, interview_id: int, engine: str, model: str, params_hash: str, info: TranscriptInfo) -> None:
        with self.db.atomic():
            self.db["transcripts"].upsert(
                {
                    "interview_id": interview_id,
                    "engine": engine,
                    "model": model,
                    "params_hash": params_hash,
                    "language": info.language,
                    "language_probability": info.language_probability,
                    "duration": info.duration,
                    "complete": 1,
                    "updated_at": now(),
                },
                pk="interview_id",
            )

    def raw_segments(self, interview_id: int, channel: int | None = None) -> list[Segment]:
        """An interview's segments in time order; with `channel`, only that channel's."""
        where = "interview_id = ?" + (" AND channel = ?" if channel is not None else "")
        rows = self.db.query(f"SELECT * FROM raw_segments WHERE {where} ORDER BY start, idx", [interview_id] + ([channel] if channel is not None else []))
        return [
            Segment(
                start=row["start"],
                end=row["end"],
                text=row["text"],
                words=[Word(**word) for word in json.loads(row["words"])],
                avg_logprob=row["avg_logprob"],
                no_speech_prob=row["no_speech_prob"],
            )
            for row in rows
        ]

    def save_utterances(self, interview_id: int, utterances: list[tuple[Utterance, str]]) -> None:
        """Replace an interview's speaker-attributed utterances (raw text, words with speakers)."""
        rows = [
            {
                "interview_id": interview_id,
                "idx": index,
                "speaker": utterance.speaker,
                "role": role,
                "start": utterance.start,
                "end": utterance.end,
                "text": utterance.text,
                "words": json.dumps([asdict(word) for word in utterance.words]),
            }
            for index, (utterance, role) in enumerate(utterances)
        ]
        with self.db.atomic():
            self.db.execute("DELETE FROM raw_utterances WHERE interview_id = ?", [interview_id])
            if rows:
                self.db["raw_utterances"].insert_all(rows, pk=("interview_id", "idx"))

    def set_roles(self, interview_id: int, roles: dict[str, str]) -> None:
        with self.db.atomic():
            for speaker, role in roles.items():
                self.db.execute("UPDATE raw_utterances SET role = ? WHERE interview_id = ? AND speaker = ?", [role, interview_id, speaker])

    def channels(self, interview_id: int) -> list[int]:
        """The channels transcribed separately (a two-party call recording), else []."""
        return [row[0] for row in self.db.execute("SELECT DISTINCT channel FROM raw_segments WHERE interview_id = ? AND channel IS NOT NULL ORDER BY 1", [interview_id])]

    def raw_utterances(self, interview_id: int) -> list[dict]:
        return list(self.db.query("SELECT * FROM raw_utterances WHERE interview_id = ? ORDER BY idx", [interview_id]))

    # -- imports ----------------------------------------------------------------------------
    def save_imported_transcript(self, interview_id: int, source_format: str, turns: list[tuple[str | None, Segment]], duration: float) -> None:
        """An imported transcript: its turns as segments with the speaker names the file gave, complete at once."""
        rows = [
            {"interview_id": interview_id, "idx": idx, "start": seg.start, "end": seg.end, "text": seg.text, "words": json.dumps([{"start": w.start, "end": w.end, "text": w.text, "probability": w.probability} for w in seg.words]), "speaker": speaker}
            for idx, (speaker, seg) in enumerate(turns)
        ]
        with self.db.atomic():
            self.db.execute("DELETE FROM raw_segments WHERE interview_id = ?", [interview_id])
            self.db["raw_segments"].insert_all(rows, pk=("interview_id", "idx"))
            self.db["transcripts"].upsert(
                {"interview_id": interview_id, "engine": "import", "model": source_format, "params_hash": "import", "language": None, "duration": duration, "complete": 1, "updated_at": now()},
                pk="interview_id",
            )

    def imported_speakers(self, interview_id: int) -> list[str | None] | None:
        """Each segment's speaker name for an imported transcript (None where the file named nobody); None if not imported."""
        row = self.db["transcripts"].get(interview_id) if self._has("transcripts", interview_id) else None
        if not row or row["engine"] != "import":
            return None
        return [r[0] for r in self.db.execute("SELECT speaker FROM raw_segments WHERE interview_id = ? ORDER BY start, idx", [interview_id])]

    def save_tracks(self, interview_id: int, paths: list[Path]) -> None:
        with self.db.atomic():
            self.db["tracks"].insert_all(
                [{"interview_id": interview_id, "channel": channel, "path": str(path), "name": path.name} for channel, path in enumerate(paths)], pk=("interview_id", "channel"), replace=True
            )

    def tracks(self, interview_id: int) -> list[Path]:
        """The per-participant audio files of an interview recorded as one track per speaker, in channel order."""
        return [Path(row["path"]) for row in self.db.query("SELECT path FROM tracks WHERE interview_id = ? ORDER BY channel", [interview_id])]

    def save_response(self, interview_id: int, file: str, response_id: str | None) -> None:
        self.db["responses"].upsert({"interview_id": interview_id, "file": file, "response_id": response_id}, pk="interview_id")

    def _has(self, table: str, interview_id: int) -> bool:
        return self.db[table].count_where("interview_id = ?", [interview_id]) > 0
