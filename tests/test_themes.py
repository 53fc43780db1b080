"""Themes: journey talk and talk outside the journey are themed apart, labels are phrases without
spoken filler, granularity does not grow with the corpus, and the analyst's edits survive a re-fit."""

from __future__ import annotations

import json
import re

import numpy as np

import pytest

from research.demo_corpus import reference_scripts
from research.errors import ResearchError
from research.review import hide_theme, merge_themes, pin_quote, rename_theme
from research.store import now, set_stage
from research.themes import run_themes
from research.themes.fit import MIN_THEME, min_theme_size
from research.themes.labels import SPOKEN_FILLER, gerund, label_themes, phrases_of


def _anonymized(turn: dict) -> str:
    text = turn["text"]
    for n, pii in enumerate(turn.get("pii", []), 1):
        text = text.replace(pii["text"], f"[{pii['type']}_{n}]")
    return text


# Talk outside the journey that every interview has some of (the scripts hold only introductions).
LOGISTICS = [
    "Yes, I can hear you clearly, the audio sounds fine on my end.",
    "Sure, you have my consent to record this conversation today.",
    "Thanks so much for having me, it was a pleasure to talk with you.",
    "Sorry, my microphone cut out for a second there, can you hear me now?",
]


@pytest.fixture(scope="module")
def themed(tmp_path_factory):
    """The demo scripts' turns plus two logistics lines per interview, stored as a coded study (stages as
    accepted codings), then themed once."""
    from research.study import Study

    study = Study.create(tmp_path_factory.mktemp("themes") / "study", "themes")
    db = study.db
    for n, script in enumerate(reference_scripts(), 1):
        interview = db["interviews"].insert({"code": f"INT-{n:03d}", "title": script["id"], "sha256": f"{n:064x}", "added_at": now()}).last_pk
        db["participants"].insert({"interview_id": interview, "slot": "customer", "label": f"Participant {n}"})
        for idx, turn in enumerate(script["turns"]):
            role = "interviewer" if turn["speaker"] == "interviewer" else "customer"
            utterance = db["utterances"].insert({"interview_id": interview, "idx": idx, "speaker": turn["speaker"], "role": role, "start": idx * 10.0, "end": idx * 10.0 + 9, "text": _anonymized(turn), "words": "[]"}).last_pk
            if role == "customer" and turn.get("stage"):
                db["codings"].insert({"utterance_id": utterance, "code_key": f"stage:{turn['stage']}", "source": "human", "confidence": 1.0, "status": "accepted", "created_at": now(), "updated_at": now()})
        for k, text in enumerate((LOGISTICS[n % 4], LOGISTICS[(n + 1) % 4])):
            db["utterances"].insert({"interview_id": interview, "idx": len(script["turns"]) + k, "speaker": "customer", "role": "customer", "start": 0.0, "end": 1.0, "text": text, "words": "[]"})
        set_stage(db, interview, "code", "done")
    return study, run_themes(study)


def _themes(study) -> list[dict]:
    return list(study.db.query("SELECT * FROM themes ORDER BY id"))


def _members(study, theme_id: int) -> set[int]:
    return {r["utterance_id"] for r in study.db.query("SELECT utterance_id FROM theme_members WHERE theme_id = ?", [theme_id])}


def test_journey_and_non_journey_talk_are_themed_apart(themed):
    study, found = themed
    staged = {r["utterance_id"] for r in study.db.query("SELECT utterance_id FROM codings WHERE code_key LIKE 'stage:%'")}
    journey = [t for t in _themes(study) if t["journey"]]
    outside = [t for t in _themes(study) if not t["journey"]]
    assert len(journey) >= 3 and outside
    assert all(_members(study, t["id"]) <= staged for t in journey)
    assert all(not (_members(study, t["id"]) & staged) and t["stage"] is None for t in outside)
    assert all(t.stage for t in found if t.journey)
    wifi = [t for t in journey if "wi-fi" in t["label"].lower() or "pair" in t["label"].lower() or "app" in t["label"].lower()]
    assert wifi and wifi[0]["stage"] == "adoption"


def test_labels_are_short_phrases_without_spoken_filler(themed):
    study, _ = themed
    for theme in _themes(study):
        words = theme["label"].lower().split()
        assert 2 <= len(words) <= 5, theme["label"]
        assert not SPOKEN_FILLER & set(words), theme["label"]
        assert not re.fullmatch(r"\w+ and \w+", theme["label"], re.IGNORECASE), f"a bag of two words: {theme['label']}"
        assert json.loads(theme["words"]), "c-TF-IDF words stay as the secondary description"


def test_a_label_is_a_phrase_speakers_said_in_their_spelling():
    """Events and noun phrases from the parse, in the speakers' spelling; a phrase said by several beats one said once."""
    from research.embeddings import embed

    wifi = ["The app would not pair with our office Wi-Fi.", "It refused to pair with the Wi-Fi all evening.", "Honestly I could not get it to pair with my Wi-Fi at all, I think.", "The manual was useless."]
    billing = ["We were charged twice for the filter subscription.", "The filter subscription invoice is confusing, really.", "The price of the filter subscription went up.", "Nobody told us."]
    labels = label_themes([wifi, billing], [embed(wifi), embed(billing)])
    assert "Wi-Fi" in labels[0] and "pair" in labels[0].lower(), labels
    assert labels[1] == "Filter subscription"
    assert label_themes([wifi, billing], [embed(wifi), embed(billing)], taken={"filter subscription"})[1] != "Filter subscription"


def test_phrases_come_from_the_parse_without_determiners_or_passives():
    found = {c.text for c in phrases_of(["The purifier would not pair with our office Wi-Fi.", "It was certified for medical offices by the yearly cost of filters."]).values()}
    assert {"pairing with office Wi-Fi", "office Wi-Fi", "yearly cost of filters", "medical offices"} <= found
    assert not any(p.startswith(("our", "the", "certifying")) for p in found), found
    assert gerund("pair") == "pairing" and gerund("charge") == "charging" and gerund("ship") == "shipping" and gerund("visit") == "visiting" and gerund("reset") == "resetting" and gerund("repair") == "repairing"


def test_theme_size_does_not_grow_with_the_corpus():
    assert min_theme_size(300) == min_theme_size(3000) == min_theme_size(30000) == MIN_THEME
    assert min_theme_size(40) < MIN_THEME  # a tiny study still gets a few themes


def test_analyst_edits_survive_a_refit(themed):
    study, _ = themed
    first, second, third = sorted((t for t in _themes(study) if t["journey"]), key=lambda t: -t["size"])[:3]
    rename_theme(study, first["id"], "Wi-Fi pairing failures")
    merge_themes(study, second["id"], third["id"])
    merged = _members(study, second["id"])
    quote = sorted(_members(study, first["id"]))[-1]
    pin_quote(study, first["id"], quote)
    outside = next(t for t in _themes(study) if not t["journey"])
    hide_theme(study, outside["id"])

    found = run_themes(study)  # a re-fit: new theme ids, same content

    renamed = [t for t in _themes(study) if t["label"] == "Wi-Fi pairing failures"]
    assert len(renamed) == 1 and json.loads(renamed[0]["quotes"])[0] == quote
    assert any(_members(study, t["id"]) == merged for t in _themes(study))
    assert all(t.label != outside["label"] for t in found)  # hidden themes are left out of the summary
    assert study.db["themes"].count_where("hidden = 1") == 1


def test_bad_edits_are_one_line_errors(themed):
    study, _ = themed
    theme = _themes(study)[0]["id"]
    with pytest.raises(ResearchError, match="needs a name"):
        rename_theme(study, theme, "  ")
    with pytest.raises(ResearchError, match="into itself"):
        merge_themes(study, theme, theme)
    with pytest.raises(ResearchError, match="no theme"):
        rename_theme(study, 10_000, "Nothing")


def test_outliers_join_the_theme_they_are_most_similar_to():
    from research.themes.fit import nearest_theme

    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9], [0.8, 0.2], [0.3, 0.95]])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert nearest_theme(vectors, [0, 0, 1, 1, -1, -1]) == [0, 0, 1, 1, 0, 1]


def test_clustering_space_adds_shared_words_only_when_texts_share_them():
    from research.themes.fit import clustering_space

    vectors = np.eye(4)
    assert clustering_space(["alpha", "bravo", "charlie", "delta"], vectors) is vectors  # no content word said twice
    texts = ["the heat map is clear", "heat map colours help", "export button works", "the export button is hidden"]
    space = clustering_space(texts, vectors)
    assert space.shape[0] == 4 and space.shape[1] > 4
    assert np.allclose(np.linalg.norm(space, axis=1), 1.0)
    assert space[0] @ space[1] > space[0] @ space[2]  # the two heat-map remarks share words, not the export one


def test_exact_neighbours_give_umap_the_graph_its_own_search_finds():
    """The neighbours handed to UMAP are the ones its own small-data search finds (the graph agrees to rounding);
    only the per-pair Python calls are saved. (Exact duplicates are 0 apart here, where UMAP's rounding may not be.)"""
    import warnings

    from umap import UMAP

    from research.themes.fit import exact_neighbours

    rows = np.random.default_rng(0).normal(size=(60, 12)).astype(np.float32)
    own = UMAP(n_neighbors=7, n_components=2, metric="cosine", random_state=1, n_epochs=10).fit(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        given = UMAP(n_neighbors=7, n_components=2, metric="cosine", random_state=1, n_epochs=10, precomputed_knn=exact_neighbours(rows, 7)).fit(rows)
    assert abs(own.graph_ - given.graph_).max() < 1e-5
