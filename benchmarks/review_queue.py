"""The review app's `N` key on a synthetic study: CPU seconds per press, old beside new, and whether the study's queue
is the review order.

    python benchmarks/review_queue.py [--interviews 20] [--per 150] [--presses 40] [--walk 200] [--reference 504265d]

The study is built straight into study.db: every customer utterance a stage suggestion with a random confidence and a
random unit embedding, one in ten already accepted, so no model runs. Each side runs in a process of its own (`benchmarks.at_revision`), on the
same study in the same run, and presses `N` in the first interview as its transcript does:

- reference (504265d): `most_needed(db, model, interview)`, the interview's 20 ranked on every press;
- this checkout: `next_needed` (the interview's next, with those already shown counted as asked), both within the
  interview and past it (every one of the interview's shown: the study's next, the rows read once per press).

CPU seconds (process time) per press, the mean of `--presses`. Then, on this checkout, the first `--walk` presses of
`N` from the dashboard (no decisions) against `most_needed(..., count=--walk)`: the queue should be the review order.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from at_revision import run_side

SCRIPT = str(Path(__file__).resolve())


def build(root: Path, interviews: int, per: int) -> None:
    import numpy as np

    from research.coding.stage import study_codebook, sync_codes
    from research.store import now
    from research.study import Study

    study = Study.create(root, "review queue")
    db, model = study.db, study.config.coding.embedding_model
    sync_codes(db, study_codebook(study)[0])
    stages = [r["key"] for r in db.query("SELECT key FROM codes WHERE key LIKE 'stage:%'")]
    rng = np.random.default_rng(0)
    for n in range(interviews):
        interview = db["interviews"].insert({"code": f"INT-{n + 1:03d}", "title": "t", "sha256": f"{n:064x}", "duration": per * 4.0, "added_at": now()}).last_pk
        for k in range(per):
            utterance = db["utterances"].insert({"interview_id": interview, "idx": k, "speaker": "S2", "role": "customer", "start": k * 4.0, "end": k * 4.0 + 3, "text": "x"}).last_pk
            vector = rng.normal(size=384).astype(np.float32)
            db["utterance_embeddings"].insert({"utterance_id": utterance, "model": model, "text_hash": "x", "vector": (vector / np.linalg.norm(vector)).tobytes()})
            db["codings"].insert({"utterance_id": utterance, "code_key": stages[rng.integers(len(stages))], "source": "model",
                                  "confidence": float(rng.uniform(0.2, 0.95)), "status": "accepted" if k % 10 == 0 else "suggested", "created_at": "t", "updated_at": "t"})
    db.conn.commit()


def measure(root: Path, presses: int, walk: int) -> dict:
    """CPU s per `N` press in the first interview, as this package's transcript screen does it."""
    from research.coding import review_order
    from research.study import Study

    study = Study.open(root)
    db, model = study.db, study.config.coding.embedding_model

    def per_press(press) -> float:
        started = time.process_time()
        for _ in range(presses):
            press()
        return (time.process_time() - started) / presses

    if not hasattr(review_order, "next_needed"):  # before the study's queue: the interview's 20 ranked on every press
        return {"within": per_press(lambda: review_order.most_needed(db, model, "INT-001"))}
    shown: set = set()
    within = per_press(lambda: review_order.next_needed(db, model, "INT-001", shown))
    done = {(r["utterance_id"], r["id"]) for r in db.query("SELECT c.id, c.utterance_id FROM codings c JOIN utterances u ON u.id = c.utterance_id JOIN interviews i ON i.id = u.interview_id WHERE i.code = 'INT-001'")}
    past = per_press(lambda: review_order.next_needed(db, model, "INT-001", set(done)))
    queue: set = set()
    walked = [review_order.next_needed(db, model, None, queue) for _ in range(walk)]
    order = review_order.most_needed(db, model, None, walk)
    same = sum(a == b for a, b in zip(walked, order))
    return {"within": within, "past": past, "walk": walk, "same": same}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=20)
    parser.add_argument("--per", type=int, default=150, help="stage suggestions per interview")
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--walk", type=int, default=200)
    parser.add_argument("--reference", default="504265d")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # one side, in its own process
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.presses, args.walk)))
        return
    with tempfile.TemporaryDirectory(prefix="review-queue-") as folder:
        root = Path(folder) / "study"
        build(root, args.interviews, args.per)
        side = ["--measure", str(root), "--presses", str(args.presses), "--walk", str(args.walk)]
        old = run_side(SCRIPT, side, args.reference)
        new = run_side(SCRIPT, side, None)
    print(f"{args.interviews} interviews x {args.per} stage suggestions (one in ten accepted), CPU s per N press (mean of {args.presses}):")
    print(f"  within the interview: {args.reference} {old['within'] if old else float('nan'):.4f}   this checkout {new['within']:.4f}")
    print(f"  past the interview (the study's next): this checkout {new['past']:.4f} ({args.reference} stays in the interview)")
    print(f"  N from the dashboard, {new['walk']} presses: {new['same']} of {new['walk']} in the review order")


if __name__ == "__main__":
    main()
