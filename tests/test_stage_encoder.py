"""The study's own stage encoder (`research.coding.stage_encoder`): a tiny fine-tune on a handful of decisions
changes the embeddings, the same way every time, and is read back from the study folder rather than tuned again."""

from __future__ import annotations

import numpy as np

from research.coding.stage_encoder import StageDecision, StageEncoder, lower_states, training_pairs, tuned_stage_encoder

EXAMPLES = {
    "discovery": ["I first heard about them from a friend.", "An advert on the radio caught my eye."],
    "decision": ["We compared three quotes before signing.", "The price decided it for us."],
    "": ["Can you hear me now?", "Thanks for having me."],
}
DECISIONS = [
    StageDecision("The broker mentioned a fixed rate when we met at the open day.", "discovery"),
    StageDecision("We went with the two-year fix after the broker ran the numbers.", "decision", ("discovery",)),
    StageDecision("Sorry, the dog is barking.", "", ("decision",)),
]


def test_pairs_pair_each_decision_with_its_stage_and_others():
    pairs = training_pairs(DECISIONS, EXAMPLES)
    assert pairs == training_pairs(DECISIONS, EXAMPLES)  # drawn by a seed from the decisions
    first = [p for p in pairs if p.first == DECISIONS[0].text and p.second in EXAMPLES["discovery"]]
    assert first and all(p.label == 1.0 for p in first)
    rejected = [p for p in pairs if p.first == DECISIONS[2].text]
    assert rejected and all(p.label == 0.0 and p.second in EXAMPLES["decision"] for p in rejected)
    assert any(p.first == DECISIONS[0].text and p.second == DECISIONS[1].text and p.label == 0.0 for p in pairs)


def test_a_tiny_fine_tune_changes_embeddings_deterministically_and_is_reused(tmp_path):
    lower = lower_states()  # the one the tunings read: a text's lower states differ in the last bits with what it was batched with
    texts = [d.text for d in DECISIONS] + EXAMPLES["decision"]
    base = StageEncoder.base(lower).embed(texts)
    encoder, classifier = tuned_stage_encoder(DECISIONS, EXAMPLES, "stage", tmp_path)
    tuned = encoder.embed(texts)
    assert np.abs(tuned - base).max() > 1e-3 and np.allclose(np.linalg.norm(tuned, axis=1), 1, atol=1e-5)
    assert set(classifier.keys) == {"stage:discovery", "stage:decision", "stage:"}
    again = StageEncoder.tuned(lower, training_pairs(DECISIONS, EXAMPLES)).embed(texts)
    assert np.allclose(again, tuned, atol=1e-6)  # the same decisions tune the same encoder (to the last bits of threaded sums)
    [stored] = tmp_path.glob("stage-encoder-*.npz")
    stamp = stored.stat().st_mtime_ns
    reused, _ = tuned_stage_encoder(DECISIONS, EXAMPLES, "stage", tmp_path)
    assert np.allclose(reused.embed(texts), tuned, atol=1e-6) and stored.stat().st_mtime_ns == stamp and len(list(tmp_path.iterdir())) == 1
    changed, _ = tuned_stage_encoder(DECISIONS[:2], EXAMPLES, "stage", tmp_path)
    assert [p.name for p in tmp_path.iterdir()] != [stored.name] and not np.array_equal(changed.embed(texts), tuned)  # other decisions: tuned again, in place of the old
    assert tuned_stage_encoder([DECISIONS[2]], EXAMPLES, "stage", tmp_path) is None  # no accepted stage: nothing to learn
