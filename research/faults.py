"""One clear line for faults of the machine rather than the input: a full disk, a read-only study."""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

LOW_SPACE_BYTES = 16 << 20  # under this much free space, SQLite's "disk I/O error" is a full disk
DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}


def is_disk_full(error: BaseException, where: Path | None = None) -> bool:
    """True for ENOSPC/EDQUOT, SQLite's "database or disk is full", and SQLite's bare "disk I/O error"
    when `where` has (almost) no free space left."""
    if isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS:
        return True
    if isinstance(error, sqlite3.DatabaseError):
        text = str(error).lower()
        if "database or disk is full" in text:
            return True
        if "disk i/o error" in text and where is not None:
            return _free_bytes(where) < LOW_SPACE_BYTES
    return False


def is_read_only(error: BaseException) -> bool:
    if isinstance(error, OSError) and error.errno in READ_ONLY_ERRNOS:
        return True
    return isinstance(error, sqlite3.DatabaseError) and "readonly database" in str(error).lower()


def is_locked(error: BaseException) -> bool:
    """True for SQLite's "database is locked": another connection held the write lock past the wait."""
    return isinstance(error, sqlite3.OperationalError) and "database is locked" in str(error).lower()


def fault_line(error: BaseException, where: Path | None = None) -> str | None:
    """The user's one line for a machine fault, or None when `error` is none of those this knows."""
    place = f" in {where}" if where is not None else ""
    if is_disk_full(error, where):
        return f"disk full: no space left{place}; free some space and run the command again (nothing half-written was kept)"
    if is_read_only(error):
        return f"read-only: cannot write{place} (check the permissions of the folder and its files); nothing was changed"
    if is_locked(error):
        return f"locked: another program is writing{place}; wait for it to finish and try again"
    if isinstance(error, sqlite3.DatabaseError):
        return f"the study database could not be used{place}: {str(error).splitlines()[0]}"
    return None


def machine_fault(error: OSError | sqlite3.DatabaseError, where: Path) -> str:
    """`fault_line` for a fault of the machine (a full disk, a read-only study), where a worker reports it in one line;
    any other error is raised again (a bug, not the machine)."""
    line = fault_line(error, where)
    if line is None:
        raise error
    return line


def _free_bytes(where: Path) -> int:
    for folder in (where, *where.parents):
        if folder.exists():
            try:
                return shutil.disk_usage(folder).free
            except OSError:
                return 0
    return 0
