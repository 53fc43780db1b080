"""Files written whole or not at all: write to a temporary name beside the target, then move it into place.

    with atomic_path(target) as temporary:      # any writer that takes a path (python-docx, matplotlib, PyAV)
        document.save(temporary)
    atomic_write_text(target, text)              # or text/bytes directly

A failure (a full disk, say) removes the temporary file and leaves any earlier version of the target
as it was; a full disk is raised as a one-line ResearchError saying so.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from research.errors import DiskFullError
from research.faults import is_disk_full

PARTIAL_SUFFIX = ".partial"
_UMASK = os.umask(0o022)
os.umask(_UMASK)


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path in the target's folder (same file system, so the final move is atomic); on success
    it replaces `target`, on any failure it is removed."""
    target = Path(target)
    handle, name = tempfile.mkstemp(prefix=f".{target.stem[:40]}.", suffix=target.suffix + PARTIAL_SUFFIX, dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    os.chmod(temporary, 0o666 & ~_UMASK)  # as an ordinary new file; mkstemp makes it owner-only
    try:
        yield temporary
        with temporary.open("rb+") as written:  # on disk before the name points at it
            os.fsync(written.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError) and is_disk_full(error):
            raise DiskFullError(f"disk full: {target.name} could not be written to {target.parent}; free some space and try again (nothing half-written was kept)") from None
        raise


def atomic_write_bytes(target: Path, data: bytes) -> Path:
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)
    return Path(target)


def atomic_write_text(target: Path, text: str, encoding: str = "utf-8") -> Path:
    return atomic_write_bytes(target, text.encode(encoding))
