"""Each interview's progress through the pipeline stages, for `research status` and the TUI."""

from __future__ import annotations

from pydantic import BaseModel

from research.locks import stage_running
from research.store import STAGES
from research.study import Study

STAGE_HEADERS = {"transcribe": "asr", "speakers": "spk", "anonymize": "anon", "code": "code"}  # short column heads, as `research status` and the app show them
STATUS_SYMBOLS = {"done": "✓", "stale": "↻", "empty": "∅", "failed": "✗", "running": "…", "interrupted": "‼", "pending": "·"}  # a stage's status in one character, as both show it


class InterviewStatus(BaseModel):
    code: str
    title: str
    company: str | None
    participants: list[str]
    duration: float
    language: str | None
    stages: dict[str, str]
    notes: list[str]
    source_type: str = "interview"  # interview, survey or ticket


def interview_statuses(study: Study) -> list[InterviewStatus]:
    db = study.db
    stages: dict[int, dict[str, dict]] = {}
    for row in db["stage_status"].rows:
        stages.setdefault(row["interview_id"], {})[row["stage"]] = row
    participants: dict[int, list[str]] = {}
    for row in db.query("SELECT interview_id, label FROM participants ORDER BY interview_id, slot"):
        participants.setdefault(row["interview_id"], []).append(row["label"])
    running = {stage for stage in STAGES if stage_running(study.root, stage)}
    result = []
    for row in db.query("SELECT * FROM interviews ORDER BY id"):
        own = stages.get(row["id"], {})
        result.append(
            InterviewStatus(
                code=row["code"],
                title=row["title"] or row["code"],
                company=row["company"],
                participants=participants.get(row["id"], []),
                duration=row["duration"] or 0.0,
                language=row["language"],
                stages=_stale({stage: _live(own.get(stage, {}).get("status", "pending"), stage, running) for stage in STAGES}, own),
                notes=[entry["note"] for entry in own.values() if entry.get("note")],
                source_type=row["source_type"],
            )
        )
    return result


def _stale(statuses: dict[str, str], own: dict[str, dict]) -> dict[str, str]:
    """A done stage is `stale` when the stage before it was redone with other parameters since (`research transcribe
    --force --model ...`): it was built from the old output, and `research run` redoes it (`research.stages`); so is every
    done stage after a stale one. A stage whose upstream was not recorded (built by an older version) keeps its status."""
    result, behind = dict(statuses), False
    for upstream, stage in zip(STAGES, STAGES[1:]):
        built_from = own.get(stage, {}).get("upstream_hash")
        now = own.get(upstream, {})
        changed = built_from is not None and now.get("status") == "done" and now.get("params_hash") != built_from
        behind = result[stage] == "done" and (behind or changed)
        if behind:
            result[stage] = "stale"
    return result


def _live(status: str, stage: str, running: set[str]) -> str:
    """`running` only while a live process holds the stage's lock; otherwise that run died (`kill -9`, a crash)."""
    return "interrupted" if status == "running" and stage not in running else status


def uncoded_line(study: Study) -> str | None:
    """One line naming the interviews the map leaves out because their code stage has not finished, or None."""
    waiting = [status.code for status in interview_statuses(study) if "empty" not in status.stages.values() and status.stages["code"] not in ("done", "stale")]  # no speech: nothing to code; stale: in the map until redone
    if not waiting:
        return None
    names = ", ".join(waiting[:5]) + (f" and {len(waiting) - 5} more" if len(waiting) > 5 else "")
    subject = "1 interview is" if len(waiting) == 1 else f"{len(waiting)} interviews are"
    return f"{subject} not coded yet ({names}): the map leaves them out until `research code` (or `research run`) codes them."
