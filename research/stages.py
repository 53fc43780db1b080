"""Running a per-interview stage: only what is ready, only what changed, failures recorded."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from research.errors import AudioError, DiskFullError, ResearchError
from research.faults import fault_line, is_disk_full
from research.locks import stage_lock
from research.store import params_hash, set_stage, stage_statuses
from research.study import Study


def run_stage(
    study: Study,
    stage: str,
    upstream: str,
    params_for: Callable[[int, str], dict],
    work: Callable[[int, str, dict], str | None],
    codes: list[str] | None = None,
    force: bool = False,
) -> dict[str, str]:
    """Call `work(interview_id, code, params)` for each interview whose `upstream` stage is done.

    `params_for(interview_id, upstream_hash)` says what the output depends on; an interview
    already done with the same parameters is skipped unless `force`. `work` returns a note
    or None; a ResearchError marks the interview failed with its one-line message.
    Returns {code: "done", a note, or "failed: why"} for the interviews it ran. One process at a time runs
    a stage on a study (see `research.locks`); a full disk or read-only study stops it with one line.
    """
    ready = {row["interview_id"]: row["params_hash"] for row in study.db["stage_status"].rows_where("stage = ? AND status = 'done'", [upstream])}
    done = stage_statuses(study.db, stage)
    results: dict[str, str] = {}
    with stage_lock(study.root, stage):
        for row in list(study.db.query("SELECT id, code FROM interviews ORDER BY id")):
            if row["id"] not in ready or (codes and row["code"] not in codes):
                continue
            params = params_for(row["id"], ready[row["id"]])
            wanted = params_hash(params)
            previous = done.get(row["id"], {})
            if not force and previous.get("status") == "done" and previous.get("params_hash") == wanted:
                continue
            try:
                note = work(row["id"], row["code"], params)
            except DiskFullError as error:
                raise DiskFullError(f"{stage} stopped at {row['code']}: {str(error).removeprefix(row['code'] + ': ')}") from None
            except (AudioError, ResearchError) as error:
                message = f"{row['code']}: {error.reason}" if isinstance(error, AudioError) else str(error)
                set_stage(study.db, row["id"], stage, "failed", note=message, params_hash=wanted)
                results[row["code"]] = "failed: " + message.removeprefix(f"{row['code']}: ")
                continue
            except (OSError, sqlite3.DatabaseError) as error:  # the machine, not this interview: stop the stage
                line = fault_line(error, study.root)
                if line is None:
                    raise
                raise (DiskFullError if is_disk_full(error, study.root) else ResearchError)(f"{stage} stopped at {row['code']}: {line}") from None
            set_stage(study.db, row["id"], stage, "done", note=note, params_hash=wanted)
            results[row["code"]] = note or "done"
    return results
