"""Importing what teams already have: transcripts per minute, and the pipeline after import, in one run.

    python benchmarks/imports.py [--files 1000] [--rows 2000] [--pipeline]

1. Import: `research add` on --files transcripts in every supported layout (the fixtures in
   tests/fixtures/transcripts, each copy with its own invented names and numbers, so none is a
   duplicate), against the same files only parsed (the reference, same run). Goal: ≥ 1,000 files/min.
2. Feedback: --rows survey rows from one CSV (`research add --feedback`).
3. --pipeline: 60 transcripts plus the survey rows through speakers, anonymize, code, themes and map,
   per stage and in total. Goal: under 5 minutes after the models load (the models are loaded first, timed
   apart). Each line gives wall and CPU seconds (all threads): on a shared machine the wall time also
   counts the waits for a core, the CPU time does not.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from research.importers import read_transcript  # noqa: E402
from research.importers.add import add_sources  # noqa: E402
from research.importers.feedback import FeedbackColumns, add_feedback  # noqa: E402
from research.study import Study  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
FIRST = ["Dana", "Ines", "Rafe", "Mara", "Theo", "Priya", "Gunnar", "Lena", "Oscar", "Yuki"]
LAST = ["Whitfield", "Okoro", "Lindqvist", "Barros", "Nakamura", "Castellanos", "Ellefsen", "Moreau"]
ANSWERS = [
    "The Wi-Fi pairing failed {n} times before it worked.", "Delivery took {n} days longer than promised.",
    "Support answered within {n} minutes and fixed it.", "The filter reminder is handy, I replaced it after {n} months.",
    "I told {n} friends about it already.", "The app logged me out {n} times this week.",
]


def write_transcripts(folder: Path, count: int, seed: int = 0) -> list[Path]:
    """`count` transcripts cycling through every fixture layout; names and numbers differ per copy."""
    rng = random.Random(seed)
    templates = sorted(p for p in (FIXTURES / "transcripts").iterdir() if p.suffix != ".md" and p.suffix != ".docx")
    paths = []
    for n in range(count):
        template = templates[n % len(templates)]
        text = template.read_text(encoding="utf-8")
        for old in ("Dana Whitfield", "Marisol Quenby", "Tobias Brandvold"):
            text = text.replace(old, f"{rng.choice(FIRST)} {rng.choice(LAST)}")
        text = text.replace("three times", f"{n + 2} times")
        path = folder / f"call-{n:04d}{template.suffix}"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def write_survey(path: Path, rows: int, seed: int = 0) -> Path:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ResponseId", "Submitted", "Plan", "NPS", "Comment"])
        for n in range(rows):
            writer.writerow([f"R_{n:05d}", f"2026-09-{1 + n % 28:02d}", rng.choice(["Home", "Business"]), rng.randint(0, 10), rng.choice(ANSWERS).format(n=n % 9 + 2)])
    return path


def timed(label: str, work, unit_count: int | None = None, unit: str = ""):
    started, cpu = time.perf_counter(), time.process_time()
    result = work()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rate = f"  ({unit_count / seconds * 60:,.0f} {unit}/min)" if unit_count else ""
    print(f"{label:<34}{seconds:8.1f} s  cpu {cpu:7.1f} s{rate}", flush=True)
    return result, seconds, cpu


def load_models(study: Study) -> None:
    """What the stages load on first use (Presidio and spaCy, the sentence encoder, the emotion head), loaded
    before the clock starts; each is cached for the process, so the stages find them loaded."""
    from research.anonymize.detect import analyzer
    from research.coding.emotion_model import EmotionModel
    from research.embeddings import load_encoder
    from research.nlp import load_spacy

    analyzer()
    load_spacy(("parser", "ner"))
    load_spacy()
    load_encoder(study.config.coding.embedding_model)
    EmotionModel.load()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--pipeline", action="store_true", help="also run 60 transcripts + the rows through every stage")
    parser.add_argument("--until", choices=["speakers", "anonymize", "code", "themes", "map"], default="map", help="the last pipeline stage to run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "files").mkdir()
        files = write_transcripts(root / "files", args.files)
        survey = write_survey(root / "survey.csv", args.rows)
        print(f"{args.files} transcript files, {args.rows} survey rows\n")
        _, parse_s, _ = timed("parse only (reference)", lambda: [read_transcript(p) for p in files], len(files), "files")
        study = Study.create(root / "study")
        report, import_s, _ = timed("research add (transcripts)", lambda: add_sources(study, [root / "files"]), len(files), "files")
        assert len(report.added) == args.files and not report.failed, report.failed[:3]
        columns = FeedbackColumns(("Comment",), "ResponseId", {"date": "Submitted", "persona": "Plan", "nps": "NPS"})
        feedback, _, _ = timed("research add --feedback (rows)", lambda: add_feedback(study, survey, columns), args.rows, "rows")
        assert len(feedback.added) == args.rows, feedback.failed[:3]
        print(f"\nimport / parse-only time: {import_s / parse_s:.1f}x; goal ≥ 1,000 files/min: {'met' if len(files) / import_s * 60 >= 1000 else 'NOT met'}")
        if args.pipeline:
            pipeline(root, survey, columns, args.until)


def pipeline(root: Path, survey: Path, columns: FeedbackColumns, until: str = "map") -> None:
    from research.anonymize.stage import run_anonymize
    from research.coding.stage import run_code, study_codebook
    from research.journey import build_and_store
    from research.speakers import run_speakers
    from research.themes import run_themes

    print("\nPipeline: 60 transcripts + survey rows")
    (root / "sixty").mkdir()
    study = Study.create(root / "pipeline")
    timed("models load (apart)", lambda: load_models(study))
    total, total_cpu = 0.0, 0.0
    for label, work in [
        ("import", lambda: (add_sources(study, write_transcripts(root / "sixty", 60, seed=1)), add_feedback(study, survey, columns))),
        ("speakers", lambda: run_speakers(study)),
        ("anonymize", lambda: run_anonymize(study)),
        ("code", lambda: run_code(study)),
        ("themes", lambda: run_themes(study)),
        ("map", lambda: build_and_store(study, study_codebook(study)[0])),
    ]:
        _, seconds, cpu = timed(label, work)
        total, total_cpu = total + seconds, total_cpu + cpu
        if label.startswith(until):
            break
    print(f"{'total through ' + until:<34}{total:8.1f} s  cpu {total_cpu:7.1f} s; goal for the whole pipeline: under 300 s after the models load")


if __name__ == "__main__":
    main()
