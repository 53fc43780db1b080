"""Where the researcher left off: the interview and utterance last under the cursor, kept beside study.db
(ids only, no study text) so a reopened app lands there."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

RESUME_FILE = "review-position.json"


@dataclass(frozen=True)
class Position:
    interview: str
    utterance_id: int


def load(root: Path) -> Position | None:
    """The saved position, or None when there is none or it cannot be read (a fresh start, never an error)."""
    try:
        data = json.loads((root / RESUME_FILE).read_text())
        return Position(str(data["interview"]), int(data["utterance_id"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(root: Path, position: Position) -> None:
    try:
        (root / RESUME_FILE).write_text(json.dumps(asdict(position)))
    except OSError:
        pass  # a read-only study still reviews; it just starts at the top next time
