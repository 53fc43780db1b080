"""What the review app reads and changes, without any UI: transcripts with their codings,
code counts, themes (rename, merge, hide, pin a quote, promote to a code) and speaker roles.

Only what the first screens need is imported here; the coding stage (torch, scikit-learn, spaCy)
loads inside the functions that re-code, which the app runs in workers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import yaml
from sqlite_utils import Database

from research import codebook as codebooks
from research.errors import ResearchError
from research.labels import new_label
from research.study import Study
from research.themes import edits as theme_edits

STUDY_CODEBOOK = "codebook.yaml"  # a study's own copy, once it is edited (e.g. a theme promoted to a code)


@dataclass(frozen=True)
class CodingView:
    id: int
    key: str
    name: str
    group: str
    color: str
    confidence: float
    source: str
    status: str
    memo: str | None


@dataclass
class UtteranceView:
    id: int
    idx: int
    speaker: str
    role: str
    start: float
    end: float
    text: str
    codings: list[CodingView] = field(default_factory=list)
    unsure: list[tuple[int, int]] = field(default_factory=list)  # character spans of words the recogniser was unsure of
    memo: str | None = None  # the researcher's memo on the utterance itself


UNSURE = 0.5  # a word recognised with a lower probability is shown as unsure


def unsure_spans(words_json: str | None, text: str) -> list[tuple[int, int]]:
    """Character spans in `text` (the stripped join of the words) of words below UNSURE probability;
    pseudonyms and words without a probability are never flagged."""
    words = json.loads(words_json or "[]")
    joined = "".join(w.get("text", "") for w in words)
    if joined.strip() != text:
        return []  # words and text disagree (an older import): flag nothing rather than the wrong words
    spans, cursor = [], -(len(joined) - len(joined.lstrip()))
    for w in words:
        word = w.get("text", "")
        start = cursor + len(word) - len(word.lstrip())
        cursor += len(word)
        if w.get("pii") is None and w.get("probability") is not None and w["probability"] < UNSURE and word.strip():
            spans.append((start, start + len(word.strip())))
    return spans


def transcript(study: Study, interview_code: str) -> list[UtteranceView]:
    """An interview's utterances in order, each with its non-rejected and rejected codings."""
    row = next(study.db.query("SELECT id FROM interviews WHERE code = ?", [interview_code]), None)
    if row is None:
        raise ResearchError(f"no interview {interview_code}")
    return _views(study.db, row["id"])


def utterance_view(study: Study, utterance_id: int) -> UtteranceView:
    """One utterance as `transcript` shows it: what the app reads again after a decision on it,
    instead of the whole interview."""
    row = next(study.db.query("SELECT interview_id FROM utterances WHERE id = ?", [utterance_id]), None)
    if row is None:
        raise ResearchError(f"no utterance with id {utterance_id}")
    return _views(study.db, row["interview_id"], utterance_id)[0]


def _views(db: Database, interview_id: int, utterance_id: int | None = None) -> list[UtteranceView]:
    """The interview's utterances (or only `utterance_id`) with their codings and memos."""
    only, args = (" AND u.id = ?", [interview_id, utterance_id]) if utterance_id is not None else ("", [interview_id])
    labels = {r["slot"]: r["label"] for r in db.query("SELECT slot, label FROM participants WHERE interview_id = ?", [interview_id])}
    utterances = {
        r["id"]: UtteranceView(r["id"], r["idx"], "Interviewer" if r["role"] == "interviewer" else labels.get(r["role"], r["speaker"] or "?"), r["role"] or "", r["start"] or 0, r["end"] or 0, r["text"],
                               unsure=unsure_spans(r["words"], r["text"]))
        for r in db.query("SELECT id, idx, speaker, role, start, end, text, words FROM utterances u WHERE interview_id = ?" + only + " ORDER BY idx", args)
    }
    for c in db.query(
        "SELECT c.id, c.utterance_id, c.code_key, COALESCE(k.name, c.code_key) AS name, COALESCE(k.group_id, '') AS grp, COALESCE(k.color, '#888888') AS color, "
        "c.confidence, c.source, c.status, c.memo FROM codings c JOIN utterances u ON u.id = c.utterance_id LEFT JOIN codes k ON k.key = c.code_key "
        "WHERE u.interview_id = ?" + only + " ORDER BY k.position", args
    ):
        utterances[c["utterance_id"]].codings.append(CodingView(c["id"], c["code_key"], c["name"], c["grp"], c["color"], c["confidence"] or 0, c["source"], c["status"], c["memo"]))
    for r in db.query("SELECT m.utterance_id, m.memo FROM utterance_memos m JOIN utterances u ON u.id = m.utterance_id WHERE u.interview_id = ?" + only, args):
        utterances[r["utterance_id"]].memo = r["memo"]
    return list(utterances.values())


@dataclass(frozen=True)
class CodeCount:
    key: str
    group: str
    name: str
    definition: str
    color: str
    suggested: int
    accepted: int
    rejected: int


def code_counts(study: Study) -> list[CodeCount]:
    rows = study.db.query(
        "SELECT k.key, k.group_name, k.name, k.definition, k.color, "
        "SUM(c.status = 'suggested') AS s, SUM(c.status = 'accepted') AS a, SUM(c.status = 'rejected') AS r "
        "FROM codes k LEFT JOIN codings c ON c.code_key = k.key GROUP BY k.key ORDER BY k.position"
    )
    return [CodeCount(r["key"], r["group_name"], r["name"], r["definition"], r["color"], r["s"] or 0, r["a"] or 0, r["r"] or 0) for r in rows]


@dataclass(frozen=True)
class CodeQuote:
    coding_id: int
    interview: str
    utterance_id: int
    start: float
    participant: str
    text: str
    status: str
    confidence: float


def code_quotes(study: Study, code_key: str) -> list[CodeQuote]:
    """Every utterance coded with `code_key` across the interviews (suggested, accepted and rejected), in interview order."""
    rows = study.db.query(
        "SELECT c.id AS coding, i.code, u.id, u.start, u.text, c.status, c.confidence, COALESCE(p.label, u.role, '?') AS who "
        "FROM codings c JOIN utterances u ON u.id = c.utterance_id JOIN interviews i ON i.id = u.interview_id "
        "LEFT JOIN participants p ON p.interview_id = u.interview_id AND p.slot = u.role WHERE c.code_key = ? ORDER BY i.id, u.idx", [code_key])
    return [CodeQuote(r["coding"], r["code"], r["id"], r["start"] or 0.0, r["who"], r["text"], r["status"], r["confidence"] or 0.0) for r in rows]


def rename_theme(study: Study, theme_id: int, label: str) -> None:
    """Rename a theme; kept in study.db and re-applied after every fit."""
    theme_edits.rename(study.db, theme_id, label)


def merge_themes(study: Study, keep: int, other: int) -> None:
    """Fold theme `other` into `keep` (members, size, participants, quotes); re-applied after every fit."""
    theme_edits.merge(study.db, keep, other)


def hide_theme(study: Study, theme_id: int, hidden: bool = True) -> None:
    """Hide a theme from the map and lists (or show it again); re-applied after every fit."""
    theme_edits.hide(study.db, theme_id, hidden)


def pin_quote(study: Study, theme_id: int, utterance_id: int) -> None:
    """Make an utterance the theme's first quote; re-applied after every fit."""
    theme_edits.pin(study.db, theme_id, utterance_id)


def editable_codebook(study: Study) -> codebooks.Codebook:
    """The study's own codebook file, copied from the current one the first time it is edited."""
    from research.coding.stage import study_codebook

    book, path = study_codebook(study)
    target = study.root / STUDY_CODEBOOK
    if path != target:
        target.write_text(book.to_yaml(), encoding="utf-8")
        study.config.coding.codebook = STUDY_CODEBOOK
        study.save_config()
    return book


def promote_theme(study: Study, theme_id: int, group_id: str = "theme") -> str:
    """Make a theme a code of the study's codebook (its quotes become examples); returns the code key."""
    from research.coding.stage import sync_codes

    db = study.db
    theme = db["themes"].get(theme_id)
    book = editable_codebook(study)
    quotes = [db["utterances"].get(q)["text"] for q in json.loads(theme["quotes"] or "[]")]
    code_id = codebooks.slugify(theme["label"])[:40] or f"theme-{theme_id}"
    data = book.model_dump(exclude_defaults=True)
    group = next((g for g in data["groups"] if g["id"] == group_id), None)
    if group is None:
        group = {"id": group_id, "name": "Emergent theme", "description": "Themes found in the interviews and promoted to codes.", "codes": []}
        data["groups"].append(group)
    if any(c["id"] == code_id for c in group["codes"]):
        raise ResearchError(f"the codebook already has a code '{group_id}:{code_id}'")
    group["codes"].append({"id": code_id, "name": theme["label"], "definition": f"Emergent theme: {theme['label']}.", "examples": quotes,
                           "patterns": [w for w in json.loads(theme["words"] or "[]")[:4] if " " not in w]})
    updated = codebooks.Codebook.model_validate(data)
    (study.root / STUDY_CODEBOOK).write_text(yaml.safe_dump(updated.model_dump(exclude_defaults=True), sort_keys=False, allow_unicode=True), encoding="utf-8")
    sync_codes(db, updated)
    return f"{group_id}:{code_id}"


def change_role(study: Study, interview_code: str, speaker: str, role: str) -> None:
    """Correct a speaker's role: stored as the user's and applied to the transcript (re-code with
    `recode_interview` afterwards). The participant keeps their row, so the study's participant count
    holds: a customer moved to a new slot takes their participant along when no other voice of theirs
    is left behind, and a slot nobody held yet gets a participant of its own."""
    from research.speakers import apply_roles

    db = study.db
    interview_id = next(db.query("SELECT id FROM interviews WHERE code = ?", [interview_code]), {}).get("id")
    if interview_id is None:
        raise ResearchError(f"no interview {interview_code}")
    old = next(db.query("SELECT role FROM utterances WHERE interview_id = ? AND speaker = ? LIMIT 1", [interview_id, speaker]), {}).get("role")
    apply_roles(study, interview_code, {speaker: role})
    with db.atomic():
        db.execute("UPDATE utterances SET role = ? WHERE interview_id = ? AND speaker = ?", [role, interview_id, speaker])
        if role == "interviewer":  # the interviewer's words are never coded
            db.execute("DELETE FROM codings WHERE status = 'suggested' AND utterance_id IN (SELECT id FROM utterances WHERE interview_id = ? AND speaker = ?)", [interview_id, speaker])
        slots = {r["slot"] for r in db.query("SELECT slot FROM participants WHERE interview_id = ?", [interview_id])}
        if role != "interviewer" and role not in slots:
            left_behind = db.execute("SELECT COUNT(*) FROM utterances WHERE interview_id = ? AND role = ?", [interview_id, old]).fetchone()[0]
            if old in slots and old != "interviewer" and not left_behind:
                db.execute("UPDATE participants SET slot = ? WHERE interview_id = ? AND slot = ?", [role, interview_id, old])
            else:
                db["participants"].insert({"interview_id": interview_id, "slot": role, "label": new_label(study, interview_code, role)})


def recode_interview(study: Study, interview_code: str) -> None:
    """Code one interview again after a correction (loads the coding models: seconds, so call it from a worker)."""
    from research.coding.stage import run_code

    results = run_code(study, force=True, codes=[interview_code])
    if results.get(interview_code) == "failed":
        row = next(study.db.query("SELECT note FROM stage_status s JOIN interviews i ON i.id = s.interview_id WHERE i.code = ? AND s.stage = 'code'", [interview_code]), {})
        raise ResearchError(row.get("note") or f"{interview_code}: re-coding failed")
