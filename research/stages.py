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
    prepare: Callable[[list[int]], None] | None = None,
    groups: Callable[[list[int]], list[list[int]]] | None = None,
) -> dict[str, str]:
    """Call `work(interview_id, code, params)` for each interview whose `upstream` stage is done.

    `params_for(interview_id, upstream_hash)` says what the output depends on; an interview
    already done with the same parameters is skipped unless `force`. `prepare(interview_ids)`, when
    given, first sees every interview about to be worked on (to batch what one call per interview
    would do slowly); with `groups`, which splits the pending interviews into groups, each group is
    prepared and then worked before the next, so what `prepare` left in memory is still there when
    its interviews are worked, however large the study. `work` returns a note or None; a ResearchError marks the interview failed with
    its one-line message. Returns {code: "done", a note, or "failed: why"} for the interviews it ran.
    One process at a time runs a stage on a study (see `research.locks`); a full disk or read-only
    study stops it with one line.
    """
    ready = {row["interview_id"]: row["params_hash"] for row in study.db["stage_status"].rows_where("stage = ? AND status = 'done'", [upstream])}
    done = stage_statuses(study.db, stage)
    results: dict[str, str] = {}
    with stage_lock(study.root, stage):
        pending = []
        for row in list(study.db.query("SELECT id, code FROM interviews ORDER BY id")):
            if row["id"] not in ready or (codes and row["code"] not in codes):
                continue
            params = params_for(row["id"], ready[row["id"]])
            wanted = params_hash(params)
            previous = done.get(row["id"], {})
            if force or previous.get("status") != "done" or previous.get("params_hash") != wanted:
                pending.append((row, params, wanted))
        by_id = {row["id"]: (row, params, wanted) for row, params, wanted in pending}
        for group in (groups(list(by_id)) if groups and pending else [list(by_id)]):
            batch = [by_id[interview_id] for interview_id in group]
            if prepare and batch:
                _prepare(prepare, batch, study, stage)
            for row, params, wanted in batch:
                results[row["code"]] = _work(work, row, params, (wanted, ready[row["id"]]), study, stage)
    return results


def _prepare(prepare: Callable[[list[int]], None], batch: list[tuple], study: Study, stage: str) -> None:
    """`prepare` a batch's interviews; an input error is left for each interview's own work to record, a machine fault stops the stage."""
    first = batch[0][0]["code"]
    try:
        prepare([row["id"] for row, _, _ in batch])
    except DiskFullError as error:
        raise _stopped_by_disk(error, stage, first) from None
    except (AudioError, ResearchError):
        pass  # nothing was batched: each interview's own work meets the same error and records it
    except (OSError, sqlite3.DatabaseError) as error:
        raise _stopped(error, study, stage, first) from None


def _work(work: Callable[[int, str, dict], str | None], row: dict, params: dict, hashes: tuple[str, str], study: Study, stage: str) -> str:
    """One interview's work, its status recorded with `hashes` (its params' and its upstream stage's); returns "done", its note, or "failed: why"."""
    wanted, upstream = hashes
    try:
        note = work(row["id"], row["code"], params)
    except DiskFullError as error:
        raise _stopped_by_disk(error, stage, row["code"]) from None
    except (AudioError, ResearchError) as error:
        message = f"{row['code']}: {error.reason}" if isinstance(error, AudioError) else str(error)
        set_stage(study.db, row["id"], stage, "failed", note=message, params_hash=wanted, upstream_hash=upstream)
        return "failed: " + message.removeprefix(f"{row['code']}: ")
    except (OSError, sqlite3.DatabaseError) as error:
        raise _stopped(error, study, stage, row["code"]) from None
    set_stage(study.db, row["id"], stage, "done", note=note, params_hash=wanted, upstream_hash=upstream)
    return note or "done"


def _stopped_by_disk(error: DiskFullError, stage: str, code: str) -> DiskFullError:
    return DiskFullError(f"{stage} stopped at {code}: {str(error).removeprefix(code + ': ')}")


def _stopped(error: OSError | sqlite3.DatabaseError, study: Study, stage: str, code: str) -> Exception:
    """The machine, not this interview, failed: one line that stops the stage (or the error itself when it isn't known)."""
    line = fault_line(error, study.root)
    if line is None:
        return error
    return (DiskFullError if is_disk_full(error, study.root) else ResearchError)(f"{stage} stopped at {code}: {line}")
