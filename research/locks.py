"""One process per stage per study: a lock file held with flock, recording who holds it (pid and start time).

The kernel drops a flock when its process dies, `kill -9` included, so a crashed run never blocks the
next one. The recorded pid and process start time let `research status` tell a live run from a dead one
(a pid alone may have been reused by another process since).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from research.errors import ResearchError

LOCK_FOLDER = ".locks"


@dataclass(frozen=True)
class Holder:
    pid: int
    started: float | None  # the process's start time (clock ticks since boot, from /proc), None where unknown
    host: str
    since: str  # when it took the lock, UTC

    def alive(self) -> bool:
        """True when that very process (same pid, same start time, this host) still runs."""
        if self.host != socket.gethostname():
            return True  # another machine's process: assume it runs
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return self.started is None or process_start(self.pid) == self.started


class StageBusyError(ResearchError):
    pass


def process_start(pid: int) -> float | None:
    """A process's start time in clock ticks since boot (Linux /proc); None where unavailable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return float(stat.rsplit(")", 1)[1].split()[19])  # field 22, counted after the command name


def lock_path(root: Path, stage: str) -> Path:
    return root / LOCK_FOLDER / f"{stage}.lock"


@contextmanager
def stage_lock(root: Path, stage: str) -> Iterator[None]:
    """Hold the study's lock for `stage`; when another live process holds it, one line says who."""
    path = lock_path(root, stage)
    path.parent.mkdir(exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = read_holder(path)
            who = f" (pid {holder.pid}, since {holder.since})" if holder else ""
            raise StageBusyError(f"{stage} is already running in this study{who}; wait for it to finish, then run again") from None
        me = Holder(os.getpid(), process_start(os.getpid()), socket.gethostname(), datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"))
        os.ftruncate(handle, 0)
        os.pwrite(handle, json.dumps(me.__dict__).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(handle, 0)
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


def read_holder(path: Path) -> Holder | None:
    try:
        return Holder(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def stage_running(root: Path, stage: str) -> bool:
    """True while a live process holds `stage`'s lock (a `running` status without one was interrupted)."""
    holder = read_holder(lock_path(root, stage))
    return holder is not None and holder.alive()
