"""`research themes`: emergent themes across the customer utterances of all interviews, with BERTopic.

Reuses the embeddings stored by coding, fixes every seed, reduces BERTopic's outliers by
embedding similarity, labels each theme with its top words and links it to the journey stage
most of its utterances are coded with.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import dataclass

from research.coding.stage import utterance_vectors
from research.errors import ResearchError
from research.store import now
from research.study import Study

SEED = 42
MIN_WORDS = 4  # "yeah", "okay, sure" and other filler carry no theme
PLACEHOLDER = re.compile(r"\[[A-Za-z_ ]+\d*\]")


@dataclass(frozen=True)
class ThemeSummary:
    id: int
    label: str
    size: int
    participants: int
    stage: str | None


def _documents(study: Study) -> list[dict]:
    rows = list(study.db.query(
        "SELECT u.id, u.interview_id, u.role, u.text FROM utterances u JOIN stage_status s ON s.interview_id = u.interview_id AND s.stage = 'code' AND s.status = 'done' "
        "WHERE u.role LIKE 'customer%' ORDER BY u.interview_id, u.idx"
    ))
    return [r for r in rows if len(PLACEHOLDER.sub("", r["text"]).split()) >= MIN_WORDS]


def _topic_model(documents: int):
    """BERTopic sized for a study: 15-20 interviews give a few hundred customer utterances."""
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from sklearn.feature_extraction.text import CountVectorizer
    from umap import UMAP

    from research.embeddings import load_encoder

    neighbours = max(2, min(15, documents // 8))
    return BERTopic(
        embedding_model=load_encoder(),
        umap_model=UMAP(n_neighbors=neighbours, n_components=5, min_dist=0.0, metric="cosine", n_epochs=200, random_state=SEED),
        hdbscan_model=HDBSCAN(min_cluster_size=max(3, documents // 30), min_samples=1, metric="euclidean", cluster_selection_method="leaf", prediction_data=True),
        vectorizer_model=CountVectorizer(stop_words="english", ngram_range=(1, 2), min_df=1, token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z-]+\b"),
        top_n_words=8,
        calculate_probabilities=False,
    )


def run_themes(study: Study) -> list[ThemeSummary]:
    """Fit themes over every coded interview and store them (replacing earlier themes)."""
    db = study.db
    docs = _documents(study)
    if len(docs) < 8:
        raise ResearchError(f"themes need at least 8 customer utterances of coded interviews; this study has {len(docs)}")
    texts = [PLACEHOLDER.sub("", d["text"]) for d in docs]
    vectors = utterance_vectors(db, docs, study.config.coding.embedding_model)
    model = _topic_model(len(docs))
    topics, _ = model.fit_transform(texts, vectors)
    original = list(topics)
    if -1 in topics and len(set(topics) - {-1}) > 0:
        topics = model.reduce_outliers(texts, topics, strategy="embeddings", embeddings=vectors)
        logging.getLogger("BERTopic").setLevel(logging.ERROR)  # fitting resets it; its note on reassigned topics is for developers
        model.update_topics(texts, topics=topics, top_n_words=8, vectorizer_model=model.vectorizer_model)
    stages = _stage_of(db, [d["id"] for d in docs])
    themes = []
    with db.atomic():
        db.execute("DELETE FROM theme_members")
        db.execute("DELETE FROM themes")
        for topic in sorted(set(topics)):
            members = [i for i, t in enumerate(topics) if t == topic]
            words = [w for w, _ in (model.get_topic(topic) or [])][:8]
            stage_counts = Counter(stages.get(docs[i]["id"]) for i in members if stages.get(docs[i]["id"]))
            stage, count = stage_counts.most_common(1)[0] if stage_counts else (None, 0)
            centre = vectors[members].mean(axis=0)
            quotes = [docs[i]["id"] for i in sorted(members, key=lambda i: -float(vectors[i] @ centre))[:3]]
            participants = len({(docs[i]["interview_id"], docs[i]["role"]) for i in members})
            label = _label(words) if topic != -1 else "Unassigned"
            theme_id = db["themes"].insert({
                "label": label, "words": json.dumps(words), "size": len(members), "stage": stage, "stage_share": round(count / len(members), 3),
                "participants": participants, "quotes": json.dumps(quotes), "created_at": now(),
            }).last_pk
            db["theme_members"].insert_all({"theme_id": theme_id, "utterance_id": docs[i]["id"], "outlier": int(original[i] == -1)} for i in members)
            themes.append(ThemeSummary(theme_id, label, len(members), participants, stage))
    return themes


def _label(words: list[str]) -> str:
    """A readable label from the top words: the first three, without repeating a word a bigram already has."""
    picked: list[str] = []
    for word in words:
        if any(word in p or p in word for p in picked):
            continue
        picked.append(word)
        if len(picked) == 3:
            break
    return " · ".join(picked) or "theme"


def _stage_of(db, utterance_ids: list[int]) -> dict[int, str]:
    marks = ",".join("?" * len(utterance_ids))
    rows = db.query(f"SELECT utterance_id, code_key FROM codings WHERE code_key LIKE 'stage:%' AND status != 'rejected' AND utterance_id IN ({marks})", utterance_ids)
    return {r["utterance_id"]: r["code_key"].split(":", 1)[1] for r in rows}
