"""Export time for a 20-interview study, 2 threads: each map format beside the map build it reads from.

    python benchmarks/export.py [--interviews 20]

Builds the synthetic study of benchmarks/journey.py, codes it and finds themes. Then, in the same run:
the journey map build (the reference), each map writer on that one map (analyst HTML, Markdown, JSON,
CSV, PNG and editable SVG slides, the one-page story, the PPTX deck) with its time as a share of the
build, and `research export` for each group of formats (every map format rebuilds the map once).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from journey import build_study  # noqa: E402

from research.coding.stage import run_code, study_codebook  # noqa: E402
from research.export import chart, deck, document, markdown, story, tables  # noqa: E402
from research.export.run import ALL_FORMATS, MAP_FORMATS, PROJECT_FORMATS, TRANSCRIPT_FORMATS, export  # noqa: E402
from research.journey import build_and_store  # noqa: E402
from research.themes import run_themes  # noqa: E402


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interviews", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        study = build_study(root / "study", args.interviews)
        run_code(study)
        run_themes(study)
        codebook = study_codebook(study)[0]
        build_and_store(study, codebook)  # models load once, outside the timing
        started = time.perf_counter()
        journey = build_and_store(study, codebook)
        reference = time.perf_counter() - started
        print(f"{'map build':<14} {reference:6.2f} s  (reference)")
        out = root / "writers"
        out.mkdir()
        writers = {
            "html": lambda: document.write_html(journey, out / "journey-map.html"),
            "md": lambda: markdown.write_markdown(journey, out / "journey-map.md"),
            "json": lambda: tables.write_json(journey, out),
            "csv": lambda: tables.write_csv(journey, [], [], out),
            "png": lambda: chart.write_picture(journey, out / "journey-map.png"),
            "svg": lambda: chart.write_picture(journey, out / "journey-map.svg"),
            "story": lambda: story.write_story(journey, out / "journey-story.html"),
            "pptx": lambda: deck.write_deck(journey, out / "journey-map.pptx"),
        }
        for name, write in writers.items():
            seconds = _timed(write)
            print(f"{name:<14} {seconds:6.2f} s  {seconds / reference:5.2f} x the map build")
        for name, formats in (("map", MAP_FORMATS), ("transcripts", TRANSCRIPT_FORMATS), ("REFI-QDA", PROJECT_FORMATS), ("all", ALL_FORMATS)):
            started = time.perf_counter()
            report = export(study, list(formats), root / name)
            seconds = time.perf_counter() - started
            print(f"export {name:<12} {seconds:6.2f} s  {seconds / reference:5.2f} x the map build, {len(report.files)} files")


if __name__ == "__main__":
    main()
