"""`research themes`: emergent themes across the customer utterances of all coded interviews.

Journey utterances (those with a non-rejected stage coding) are fitted on their own; what lies
outside the journey (interview logistics, talk with no clear stage) may form themes of its own, stored with
journey = 0 so the map and the app show them apart. Reuses the embeddings stored by coding, links
each journey theme to the stage most of its utterances are coded with, and re-applies the
analyst's edits (renames, merges, hidden themes, pinned quotes) after every fit.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass

from research.coding.scope import journey_scope
from research.coding.stage import utterance_vectors
from research.errors import ResearchError
from research.store import now, rows_in
from research.study import Study
from research.themes.edits import apply_edits
from research.themes.fit import fit_topics

MIN_WORDS = 4  # "yeah", "okay, sure" and other filler carry no theme
MIN_DOCUMENTS = 8  # fewer utterances than this make no themes
PLACEHOLDER = re.compile(r"\[[A-Za-z_ ]+\d*\]")


@dataclass(frozen=True)
class ThemeSummary:
    id: int
    label: str
    size: int
    participants: int
    stage: str | None
    journey: bool = True


def _documents(study: Study) -> list[dict]:
    rows = list(study.db.query(
        "SELECT u.id, u.interview_id, u.role, u.text FROM utterances u JOIN stage_status s ON s.interview_id = u.interview_id AND s.stage = 'code' AND s.status = 'done' "
        "WHERE u.role LIKE 'customer%' ORDER BY u.interview_id, u.idx"
    ))
    return [r for r in rows if len(PLACEHOLDER.sub("", r["text"]).split()) >= MIN_WORDS]


def why_no_themes(study: Study) -> str | None:
    """Why `research themes` can find no theme in this study, and what would help; None when it can look for some.

    Journey talk and talk outside the journey are fitted apart, and each needs `MIN_DOCUMENTS` customer
    utterances of `MIN_WORDS` or more words."""
    coded = study.db.execute("SELECT COUNT(*) FROM stage_status WHERE stage = 'code' AND status = 'done'").fetchone()[0]
    if not coded:
        return "No interview is coded yet, and themes are found in coded interviews: run `research run` (or `research code`) first."
    scope = journey_scope(study.db)
    docs = _documents(study)
    on = sum(scope.get(d["id"]) == "journey" for d in docs)
    if max(on, len(docs) - on) >= MIN_DOCUMENTS:
        return None
    return (f"This study is too small for themes: a theme needs at least {MIN_DOCUMENTS} customer utterances of {MIN_WORDS} or more words "
            f"on the journey (or {MIN_DOCUMENTS} outside it), and it has {on} on the journey and {len(docs) - on} outside it. "
            "More interviews (`research add`, then `research run`) will give it themes.")


def run_themes(study: Study) -> list[ThemeSummary]:
    """Fit themes over every coded interview, store them (replacing earlier themes) and re-apply the analyst's edits."""
    db = study.db
    reason = why_no_themes(study)
    if reason:
        raise ResearchError(reason)
    docs = _documents(study)
    vectors = utterance_vectors(db, docs, study.config.coding.embedding_model)
    scope = journey_scope(db)
    on_journey = [i for i, d in enumerate(docs) if scope.get(d["id"]) == "journey"]
    outside = [i for i, d in enumerate(docs) if scope.get(d["id"]) != "journey"]
    stages = _stage_of(db, [d["id"] for d in docs])
    with db.atomic():
        db.execute("DELETE FROM theme_members")
        db.execute("DELETE FROM themes")
        for journey, chosen in ((True, on_journey), (False, outside)):
            if len(chosen) < MIN_DOCUMENTS:
                continue
            texts = [PLACEHOLDER.sub("", docs[i]["text"]) for i in chosen]
            for topic in fit_topics(texts, vectors[chosen]):
                _store(db, topic, [docs[chosen[i]] for i in topic.members], vectors[[chosen[i] for i in topic.members]], stages, journey, [i in topic.outliers for i in topic.members])
        apply_edits(db)
    return [
        ThemeSummary(r["id"], r["label"], r["size"], r["participants"], r["stage"], bool(r["journey"]))
        for r in db.query("SELECT * FROM themes WHERE hidden = 0 ORDER BY journey DESC, size DESC")
    ]


def _store(db, topic, members: list[dict], vectors, stages: dict[int, str], journey: bool, outliers: list[bool]) -> None:
    stage_counts = Counter(stages[m["id"]] for m in members if m["id"] in stages) if journey else Counter()
    stage, count = stage_counts.most_common(1)[0] if stage_counts else (None, 0)
    centre = vectors.mean(axis=0)
    quotes = [members[i]["id"] for i in sorted(range(len(members)), key=lambda i: -float(vectors[i] @ centre))[:3]]
    theme_id = db["themes"].insert({
        "label": topic.label, "words": json.dumps(topic.words), "size": len(members), "stage": stage, "stage_share": round(count / len(members), 3),
        "participants": len({(m["interview_id"], m["role"]) for m in members}), "quotes": json.dumps(quotes), "created_at": now(),
        "journey": int(journey), "hidden": 0,
    }).last_pk
    db["theme_members"].insert_all({"theme_id": theme_id, "utterance_id": m["id"], "outlier": int(o)} for m, o in zip(members, outliers))


def _stage_of(db, utterance_ids: list[int]) -> dict[int, str]:
    rows = rows_in(db, "SELECT utterance_id, code_key FROM codings WHERE code_key LIKE 'stage:%' AND status != 'rejected' AND utterance_id IN ({ids})", utterance_ids)
    return {r["utterance_id"]: r["code_key"].split(":", 1)[1] for r in rows}
