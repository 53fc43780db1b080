"""Pains told across the journey and the opportunities of a map, a reference revision's beside this checkout's, as a CX
lead reads them: each recurring pain with its reach and one quote per place, and the ranked "How might we" questions.

    python benchmarks/recurring_pains.py [STUDY ...] [--reference 0a2bbca]

Without STUDY, the two domain studies (benchmarks/domain_studies: mortgage, waste) are built as study.db rows (one
participant per interview, as `benchmarks/journey.py` builds its synthetic study), coded and themed once by this
checkout; a STUDY is a coded study with themes (the demo after `research code` and `research themes`). Each side maps
its own copy in a process of its own. Also counts the sentences quoted under two kinds at once (none should be), and
the deck's stage slides that carry a pain's "How might we" beside the stages it is told at.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from at_revision import run_side

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = ROOT / "benchmarks" / "domain_studies"


def build_domain(folder: Path, root: Path) -> None:
    """A labelled domain study as a coded study with themes at `root` (labels unused: the map reads the coder's stages)."""
    from research.coding.evaluate import read_domain_study
    from research.coding.stage import run_code
    from research.store import now, set_stage
    from research.study import Study
    from research.themes import run_themes

    study = Study.create(root, folder.name)
    for n, script in enumerate(read_domain_study(folder), 1):
        interview = study.db["interviews"].insert({"code": f"INT-{n:03d}", "title": script["id"], "sha256": f"{n:064x}", "duration": 3600.0, "added_at": now()}).last_pk
        study.db["participants"].insert({"interview_id": interview, "slot": "customer", "label": f"Participant {n}", "persona": None, "segment": None})
        rows = [{"interview_id": interview, "idx": k, "speaker": "S1" if t["speaker"] == "interviewer" else "S2", "role": "interviewer" if t["speaker"] == "interviewer" else "customer",
                 "start": 10.0 * k, "end": 10.0 * k + 10, "text": t["text"], "words": "[]"} for k, t in enumerate(script["turns"])]
        study.db["utterances"].insert_all(rows)
        set_stage(study.db, interview, "anonymize", "done", params_hash="domain")
    run_code(study)
    run_themes(study)
    study.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def worker(root: Path) -> dict:
    """The map of a copy of the study at `root`, by the research package on this process's path."""
    from research.coding.stage import study_codebook
    from research.journey import build_and_store
    from research.study import Study

    with tempfile.TemporaryDirectory() as folder:
        shutil.copytree(root, Path(folder) / "study")
        study = Study.open(Path(folder) / "study")
        journey = build_and_store(study, study_codebook(study)[0])
        on_slides = _on_stage_slides(journey, Path(folder) / "deck.pptx")
    pains = [{"kind": p.kind, "statement": p.statement, "quotes": [f"{place.name}: {place.quote.participant}: {place.quote.text}" for place in p.places]}
             for p in journey.recurring_pains]
    return {"pains": pains, "opportunities": [f"{o.statement} ({o.participants} of {journey.participants}, score {o.score})" for o in journey.opportunities],
            "across": sum(bool(getattr(o, "places", None)) for o in journey.opportunities), "on_slides": on_slides,
            "places": sum(bool(place.stage) for p in journey.recurring_pains for place in p.places)}


def _on_stage_slides(journey, path: Path) -> int:
    """How many stage slides of the deck carry the "How might we" of a pain told across the journey."""
    from pptx import Presentation

    from research.export.deck import write_deck

    asked = [o.statement for o in journey.opportunities if getattr(o, "places", None)]
    stages = {lane.name for lane in journey.stages}
    slides = [slide for slide in Presentation(str(write_deck(journey, path))).slides if slide.shapes.title.text in stages]
    return sum(statement in shape.text_frame.text for slide in slides for shape in slide.shapes if shape.has_text_frame
               for statement in asked)


def show(name: str, old: dict | None, new: dict, reference: str) -> None:
    print(f"\n== {name}")
    for side, result in ((reference, old), ("this checkout", new)):
        if result is None:
            continue
        quoted = [q.split(": ", 2)[2] for p in result["pains"] for q in p["quotes"]]
        print(f"-- {side}: {len(result['pains'])} recurring pains, {len(quoted) - len(set(quoted))} quotes repeated under another kind; "
              f"{len(result['opportunities'])} opportunities, {result.get('across', 0)} of them for a pain told across the journey, on "
              f"{result.get('on_slides', 0)} stage slides of the {result.get('places', 0)} stages where those pains are told")
        for pain in result["pains"]:
            print(f"   {pain['statement']}")
            print("\n".join(f"      “{q}”" for q in pain["quotes"]))
        print("\n".join(f"   {n}. {o}" for n, o in enumerate(result["opportunities"], 1)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("studies", nargs="*", type=Path, help="coded studies with themes (default: the two domain studies, built here)")
    parser.add_argument("--reference", default="0a2bbca", help="the revision whose map is shown beside this checkout's")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return
    with tempfile.TemporaryDirectory() as folder:
        studies = [study.resolve() for study in args.studies]
        for domain in [] if args.studies else sorted(p for p in DOMAINS.iterdir() if p.is_dir()):
            build_domain(domain, Path(folder) / domain.name)
            studies.append(Path(folder) / domain.name)
        for study in studies:
            script = str(Path(__file__).resolve())
            old = run_side(script, ["--worker", str(study)], args.reference)
            new = run_side(script, ["--worker", str(study)], None)
            show(study.name, old, new, args.reference)


if __name__ == "__main__":
    sys.exit(main())
