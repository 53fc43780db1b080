"""A small coded study built straight into study.db (no models): two interviews, the bundled codebook,
suggestions and a researcher's decisions. For fault tests that need codings but not the pipeline."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path

from research.coding.stage import study_codebook, sync_codes
from research.store import StudyDatabase, now, set_stage
from research.study import Study

LINES = {
    "INT-001": [
        ("interviewer", "How did you first hear about the thermostat?"),
        ("customer", "A friend told me about it at a barbecue, she loved hers."),
        ("interviewer", "And setting it up?"),
        ("customer", "Pairing with the home wifi failed three times and I nearly returned it."),
        ("customer", "Support reset it over the phone and then it just worked."),
    ],
    "INT-002": [
        ("interviewer", "What made you buy it?"),
        ("customer", "The price dropped during a sale, so I ordered two."),
        ("interviewer", "How is it now?"),
        ("customer", "I check the app every morning, it saves us money."),
    ],
}


def make_study(root: Path, lines: dict[str, list[tuple[str, str]]] | None = None, name: str = "small") -> Study:
    """A study whose interviews hold `lines` as anonymized utterances, with the codebook's codes synced."""
    study = Study.create(root, name)
    db = study.db
    sync_codes(db, study_codebook(study)[0])
    for code, turns in (lines or LINES).items():
        interview_id = db["interviews"].insert({"code": code, "title": code, "sha256": f"{name}-{code}", "duration": 60.0, "added_at": now()}).last_pk
        db["participants"].insert({"interview_id": interview_id, "slot": "customer", "label": f"Participant {interview_id}"})
        for idx, (role, text) in enumerate(turns):
            db["utterances"].insert({"interview_id": interview_id, "idx": idx, "speaker": "S1" if role == "interviewer" else "S2", "role": role, "start": idx * 5.0, "end": idx * 5.0 + 4.0, "text": text, "words": "[]"})
        for stage in ("transcribe", "speakers", "anonymize", "code"):
            set_stage(db, interview_id, stage, "done", params_hash="test")
    return study


def utterance(study: Study, code: str, idx: int) -> int:
    return next(study.db.query("SELECT u.id FROM utterances u JOIN interviews i ON i.id = u.interview_id WHERE i.code = ? AND u.idx = ?", [code, idx]))["id"]


def add(study: Study, code: str, idx: int, key: str, status: str, coder: str | None = None, memo: str | None = None, confidence: float = 0.7) -> int:
    stamp = now()
    return study.db["codings"].insert({"utterance_id": utterance(study, code, idx), "code_key": key, "source": "rule" if status == "suggested" else "human",
                                       "confidence": confidence, "status": status, "coder": coder, "memo": memo, "created_at": stamp, "updated_at": stamp}).last_pk


def codings(study: Study) -> list[tuple]:
    """Every coding as (interview, idx, code, status, coder, memo, source), in a stable order."""
    return [tuple(row) for row in study.db.execute(
        "SELECT i.code, u.idx, c.code_key, c.status, c.coder, c.memo, c.source FROM codings c JOIN utterances u ON u.id = c.utterance_id "
        "JOIN interviews i ON i.id = u.interview_id ORDER BY i.code, u.idx, c.code_key").fetchall()]


def atomic_on_a_full_disk():
    """A stand-in for `StudyDatabase.atomic` whose transaction does its work and then fails to commit, as on a full
    disk (SQLite's own error), so the writer's rollback and its one line are what is tested."""
    real = StudyDatabase.atomic

    @contextmanager
    def full_disk(self):
        with real(self):
            yield self
            raise sqlite3.OperationalError("database or disk is full")

    return full_disk
