"""A team's drop folder: files that have stopped growing go through `research add` and the pipeline.

A file counts as landed once its size and modification time have not changed for `settle_seconds`
(an upload or a copy in progress keeps growing). Stopping is always safe: `add` deduplicates by
sha256 and every stage resumes, so a restarted watch picks up where the last one stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from research.audio import SUPPORTED_EXTENSIONS
from research.importers import TRANSCRIPT_EXTENSIONS

LANDING_EXTENSIONS = SUPPORTED_EXTENSIONS | TRANSCRIPT_EXTENSIONS  # recordings and transcripts, as `research add` takes them

Signature = tuple[int, int]  # size in bytes, modification time in ns


@dataclass
class DropFolder:
    folder: Path
    settle_seconds: float = 10.0
    _seen: dict[Path, tuple[Signature, float]] = field(default_factory=dict)  # last signature and since when
    _handled: dict[Path, Signature] = field(default_factory=dict)  # what was passed on, as it was then

    def landed(self, now: float | None = None) -> list[Path]:
        """Files that have settled since the last call and were not passed on in this form before."""
        now = time.monotonic() if now is None else now
        files = sorted(p for p in self.folder.rglob("*") if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in LANDING_EXTENSIONS)
        ready = []
        for path in files:
            try:
                stat = path.stat()
            except FileNotFoundError:  # moved away between listing and looking
                continue
            signature = (stat.st_size, stat.st_mtime_ns)
            previous, since = self._seen.get(path, (None, now))
            if previous != signature:
                self._seen[path] = (signature, now)
                continue
            if stat.st_size and now - since >= self.settle_seconds and self._handled.get(path) != signature:
                ready.append(path)
        for gone in set(self._seen) - set(files):
            self._seen.pop(gone)
        return ready

    def mark_handled(self, paths: list[Path]) -> None:
        for path in paths:
            if path in self._seen:
                self._handled[path] = self._seen[path][0]


def watch(drop: DropFolder, handle: Callable[[list[Path]], None], interval: float = 2.0, once: bool = False) -> None:
    """Pass each batch of landed files to `handle` until interrupted; `once`: what has settled now, then return."""
    if once:
        drop.landed()  # first look: files are only known to be still once seen twice
        time.sleep(drop.settle_seconds)
    while True:
        ready = drop.landed()
        if ready:
            handle(ready)
            drop.mark_handled(ready)
        if once:
            return
        time.sleep(interval)
