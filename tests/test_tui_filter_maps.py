"""A filter change builds its map from what earlier builds kept (headline readings, pattern hits, the kinds of problem
a sentence tells): the same map as a build that reuses nothing, and without parsing a text again."""

from __future__ import annotations

import json

from spacy.language import Language

import research.journey.build as build_module
import research.journey.readings as readings_module
import research.journey.pain_kinds as pain_kinds_module
import research.journey.pattern_hits as pattern_hits_module
from research.journey import stage_cache
from research.coding.stage import study_codebook
from research.journey import build_and_store

FILTERS = [{"persona": "Budget approver"}, {"segment": "Household"}, {"persona": "Operations buyer", "segment": "Small business"}]


def content(journey) -> dict:
    data = json.loads(journey.model_dump_json())
    data.pop("built_at")
    return data


def test_filtered_maps_from_kept_parses_equal_a_build_that_reuses_nothing(mapped_copy, monkeypatch):
    book = study_codebook(mapped_copy)[0]
    db = mapped_copy.db
    for table in ("headline_readings", "pattern_hits"):
        db.execute(f"DELETE FROM {table}")  # nothing kept from the fixture's build
    readings_module._recent.clear()  # nor from an earlier test's build in this process
    pain_kinds_module._recent.clear()
    stage_cache.clear()
    matched, told = pattern_hits_module.pattern_hits, pain_kinds_module.KindReader.kinds_of
    with monkeypatch.context() as patch:  # the reference: every candidate parsed with the whole pipeline, every pattern matched afresh
        patch.setattr(build_module, "StoredReadings", lambda db, utterances: None)
        patch.setattr(pattern_hits_module, "pattern_hits", lambda db, *args: matched(None, *args))
        patch.setattr(pain_kinds_module.KindReader, "kinds_of", lambda reader, sentences, db=None: told(reader, sentences, None))
        reference = [content(build_and_store(mapped_copy, book, filters)) for filters in FILTERS]
    assert [db[table].count for table in ("headline_readings", "pattern_hits")] == [0, 0]
    assert any(journey["recurring_pains"] for journey in reference)  # the kinds of problem are read, and kept below
    pain_kinds_module._recent.clear()
    stage_cache.clear()  # each build below tells its stages anew, from what the one before kept in study.db
    assert all(any(lane.patterns for lane in build_and_store(mapped_copy, book, filters).stages) for filters in FILTERS)  # parsed and kept
    assert db["headline_readings"].count and db["pattern_hits"].count

    def no_parsing(*args, **kwargs):
        raise AssertionError("a kept text was parsed again")

    stage_cache.clear()
    pain_kinds_module._recent.clear()  # read back from study.db
    monkeypatch.setattr(Language, "pipe", no_parsing)
    monkeypatch.setattr(Language, "__call__", no_parsing)
    again = [content(build_and_store(mapped_copy, book, filters)) for filters in FILTERS]
    assert again == reference
    assert [len(m["stages"]) for m in again] == [5, 5, 5] and {m["participants"] for m in again} != {0}


def test_a_changed_answer_is_parsed_again(mapped_copy):
    """Kept readings are read only for the text they were made from."""
    from research.journey.readings import StoredReadings

    db = mapped_copy.db
    book = study_codebook(mapped_copy)[0]
    build_and_store(mapped_copy, book, FILTERS[1])
    row = next(db.query("SELECT h.utterance_id, u.text FROM headline_readings h JOIN utterances u ON u.id = h.utterance_id LIMIT 1"))
    changed = row["text"] + " It broke again."
    db.execute("UPDATE utterances SET text = ? WHERE id = ?", [changed, row["utterance_id"]])
    utterance = build_module.Utterance(row["utterance_id"], "INT-X", 1, "P", None, 0.0, changed)
    reading = StoredReadings(db, [utterance]).of([changed])[0]
    assert reading.candidates[-1].text == "It broke again." and "break" in reading.verbs
    kept = next(db.query("SELECT readings FROM headline_readings WHERE utterance_id = ?", [row["utterance_id"]]))
    assert list(json.loads(kept["readings"])) == [changed]  # the old text's readings were neither read nor kept beside it


def test_parts_are_grouped_as_agglomerative_clustering_groups_the_square_matrix(monkeypatch):
    """`group_utterances` builds the condensed distances a few rows at a time (a whole map's largest stage held 0.9 GB
    of square matrices); the groups are those scikit-learn finds on the whole square matrix."""
    import numpy as np
    from sklearn.cluster import AgglomerativeClustering

    import research.journey.insights as insights
    from research.journey.evidence import Part, Utterance

    rng = np.random.default_rng(7)
    centres = rng.normal(size=(6, 24))
    utterances, vectors = [], {}
    for uid in range(40):
        codes = {f"touchpoint:{rng.integers(4)}", f"signal:{rng.integers(3)}", "stage:x"}
        vectors[uid] = (centres[uid % 6] + rng.normal(scale=0.6, size=24)).astype(np.float32)
        vectors[uid] /= np.linalg.norm(vectors[uid])
        parts = [Part(f"part {uid}.{k}", float(rng.choice([-0.8, 0.0, 0.7])), frozenset(), vector=vectors[uid] + rng.normal(scale=0.2, size=24).astype(np.float32))
                 for k in range(int(rng.integers(1, 4)))]
        utterances.append(Utterance(uid, "INT-001", 1, f"P{uid % 9}", None, 0.0, f"answer {uid}", codes=codes, parts=parts))
    monkeypatch.setattr(insights, "ROWS", 7)  # several blocks, the last one short
    groups = insights.group_utterances(utterances, vectors)

    units = [unit for u in utterances for unit in insights.units_of(u, vectors)]  # the square matrix, as the map built it before
    matrix = np.stack([insights._in_context(unit, vectors) for unit in units])
    similarity = matrix @ matrix.T
    keys = sorted({c for u in utterances for c in u.codes if c.split(":")[0] in ("touchpoint", "signal")})
    codes = np.array([[c in unit.utterance.codes for c in keys] for unit in units], dtype=np.float32)
    shared = codes @ codes.T
    union = codes.sum(axis=1)[:, None] + codes.sum(axis=1)[None, :] - shared
    owner = np.array([unit.utterance.id for unit in units])
    similarity += insights.CODE_PULL * (np.divide(shared, union, out=np.zeros_like(shared), where=union > 0) * (owner[:, None] != owner[None, :]))
    valence = np.array([unit.part.evidence for unit in units])
    similarity -= insights.OPPOSITE_PUSH * ((np.outer(valence, valence) < 0) & (np.minimum.outer(np.abs(valence), np.abs(valence)) >= insights.FELT))
    distance = np.clip(1 - similarity, 0, 2)
    np.fill_diagonal(distance, 0)
    labels = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average", distance_threshold=insights.DISTANCE).fit_predict(distance)
    name = [(unit.utterance.id, unit.part.text) for unit in units]
    expected = [[name[i] for i, label in enumerate(labels) if label == wanted] for wanted in dict.fromkeys(labels)]  # in order of first appearance
    assert [sorted((unit.utterance.id, unit.part.text) for unit in g.units) for g in groups] == [sorted(group) for group in expected]
    assert 1 < len(groups) < len(units)
