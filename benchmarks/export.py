"""Export time for a 20-interview study (every format), 2 threads.

    python benchmarks/export.py [--interviews 20]

Builds the synthetic study of benchmarks/journey.py, codes it, finds themes, then times
`research export --format all` (map in HTML/Markdown/JSON/CSV/PNG/SVG, transcripts in
TXT/DOCX/SRT/VTT, QDPX and QDC), and each group of formats on its own.
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

from research.coding.stage import run_code  # noqa: E402
from research.export.run import ALL_FORMATS, MAP_FORMATS, PROJECT_FORMATS, TRANSCRIPT_FORMATS, export  # noqa: E402
from research.themes import run_themes  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interviews", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as folder:
        study = build_study(Path(folder) / "study", args.interviews)
        run_code(study)
        run_themes(study)
        for name, formats in (("map", MAP_FORMATS), ("transcripts", TRANSCRIPT_FORMATS), ("REFI-QDA", PROJECT_FORMATS), ("all", ALL_FORMATS)):
            started = time.perf_counter()
            report = export(study, list(formats), Path(folder) / name)
            print(f"{name:<12} {len(report.files):>4} files in {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
