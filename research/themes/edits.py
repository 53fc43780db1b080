"""The analyst's theme edits (rename, merge, hide, pin a quote), kept in study.db and re-applied after every fit.

Theme ids change with each fit, so an edit is keyed on the theme's member utterances: after a
re-fit it applies to the theme holding most of them (at least half). Each time an edit applies,
its key moves to the theme's current members, so it follows a theme that grows with new interviews.
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from research.errors import ResearchError
from research.store import now

MIN_SHARE = 0.5  # of an edit's utterances a theme must hold to be the edited theme


def rename(db: Database, theme_id: int, label: str) -> None:
    if not label.strip():
        raise ResearchError("a theme needs a name")
    _record(db, "rename", theme_id, value=label.strip())


def merge(db: Database, keep: int, other: int) -> None:
    """Fold theme `other` into `keep`."""
    if keep == other:
        raise ResearchError("a theme cannot be merged into itself")
    folded = _members(db, other)
    if not folded:
        raise ResearchError(f"no theme {other}")
    _record(db, "merge", keep, other_members=folded)


def hide(db: Database, theme_id: int, hidden: bool = True) -> None:
    _record(db, "hide", theme_id, value="1" if hidden else "0")


def pin(db: Database, theme_id: int, utterance_id: int) -> None:
    """Make an utterance the theme's first quote."""
    if db["utterances"].count_where("id = ?", [utterance_id]) == 0:
        raise ResearchError(f"no utterance {utterance_id}")
    _record(db, "pin", theme_id, utterance_id=utterance_id)


def apply_edits(db: Database) -> int:
    """Re-apply every stored edit, oldest first, to the current themes; returns how many found their theme."""
    applied = 0
    for edit in list(db.query("SELECT * FROM theme_edits ORDER BY id")):
        applied += _apply(db, edit)
    return applied


def _record(db: Database, kind: str, theme_id: int, value: str | None = None, other_members: list[int] | None = None, utterance_id: int | None = None) -> None:
    members = _members(db, theme_id)
    if not members:
        raise ResearchError(f"no theme {theme_id}")
    with db.atomic():
        edit_id = db["theme_edits"].insert({
            "kind": kind, "members": json.dumps(members), "other_members": json.dumps(other_members) if other_members else None,
            "value": value, "utterance_id": utterance_id, "created_at": now(),
        }).last_pk
        _apply(db, db["theme_edits"].get(edit_id))


def _apply(db: Database, edit: dict) -> bool:
    theme = _match(db, json.loads(edit["members"]))
    if theme is None:
        return False
    kind = edit["kind"]
    if kind == "rename":
        db["themes"].update(theme, {"label": edit["value"]})
    elif kind == "hide":
        db["themes"].update(theme, {"hidden": int(edit["value"] == "1")})
    elif kind == "pin":
        quotes = [q for q in json.loads(db["themes"].get(theme)["quotes"] or "[]") if q != edit["utterance_id"]]
        db["themes"].update(theme, {"quotes": json.dumps([edit["utterance_id"], *quotes])})
    elif kind == "merge":
        other = _match(db, json.loads(edit["other_members"] or "[]"), exclude=theme)
        if other is None:
            return False
        _fold(db, theme, other)
    db["theme_edits"].update(edit["id"], {"members": json.dumps(_members(db, theme))})
    return True


def _fold(db: Database, keep: int, other: int) -> None:
    """Members, size, participants and quotes of `other` move to `keep`; `other` goes."""
    db.execute("INSERT OR IGNORE INTO theme_members (theme_id, utterance_id, outlier) SELECT ?, utterance_id, outlier FROM theme_members WHERE theme_id = ?", [keep, other])
    quotes = json.loads(db["themes"].get(keep)["quotes"] or "[]")
    quotes += [q for q in json.loads(db["themes"].get(other)["quotes"] or "[]") if q not in quotes]
    db.execute("DELETE FROM themes WHERE id = ?", [other])
    size, participants = db.execute(
        "SELECT COUNT(*), COUNT(DISTINCT u.interview_id || '/' || u.role) FROM theme_members m JOIN utterances u ON u.id = m.utterance_id WHERE m.theme_id = ?", [keep]
    ).fetchone()
    db["themes"].update(keep, {"size": size, "participants": participants, "quotes": json.dumps(quotes[:5])})


def _members(db: Database, theme_id: int) -> list[int]:
    return [r[0] for r in db.execute("SELECT utterance_id FROM theme_members WHERE theme_id = ? ORDER BY utterance_id", [theme_id]).fetchall()]


def _match(db: Database, members: list[int], exclude: int | None = None) -> int | None:
    """The current theme holding the most of `members`, if it holds at least `MIN_SHARE` of them."""
    if not members:
        return None
    marks = ",".join("?" * len(members))
    row = db.execute(
        f"SELECT theme_id, COUNT(*) AS n FROM theme_members WHERE utterance_id IN ({marks}) AND theme_id != ? GROUP BY theme_id ORDER BY n DESC, theme_id LIMIT 1",
        [*members, exclude if exclude is not None else -1],
    ).fetchone()
    return row[0] if row and row[1] >= MIN_SHARE * len(members) else None
