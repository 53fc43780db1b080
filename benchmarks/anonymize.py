"""PII detection quality and speed, side by side with Presidio's default configuration.

    python benchmarks/anonymize.py [--model base]

1. The demo scripts: every PII span written into them (names, company names, spoken
   emails and phone numbers, an order number, a street), on the script text.
2. presidio-research's synthetic PII sentences (../shared/data, when present).
3. Over-redaction: generic time expressions that must survive.
4. Throughput: anonymizing a 60-minute interview (the two-voice demo recordings end to end)
   against the time its transcription took (the default model, base, unless --model says).
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from pathlib import Path


os.environ.setdefault("HF_HUB_OFFLINE", "1")

from research.anonymize.detect import PiiDetector, analyzer  # noqa: E402
from research.config import TranscribeSettings  # noqa: E402
from research.demo_corpus import BRAND_TERMS, reference_scripts  # noqa: E402
from research.demo_corpus import DEMO_DIR as DEMO  # noqa: E402
from research.anonymize.evaluate import PRESIDIO_RESEARCH_TYPES as SYNTH_TYPES  # noqa: E402
from research.anonymize.evaluate import GoldSpan, load_presidio_research, presidio_default_spans, score, spans_of_substrings  # noqa: E402
from research.anonymize.known_names import KnownName  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
GENERIC_TIME = ["We renew every year.", "It took six weeks to arrive.", "I called them today and again last month.", "After a couple of days it worked.", "Every spring the filter price goes up.", "We have used it for three years now."]


def demo_known() -> list[KnownName]:
    rows = list(csv.DictReader((DEMO / "metadata.csv").open()))
    return [KnownName(r["participant"], "PERSON") for r in rows] + [KnownName(c, "ORGANIZATION") for c in sorted({r["company"] for r in rows})]


def demo_corpus() -> list[tuple[list[str], list[list[GoldSpan]]]]:
    """Per interview: its turns and their gold spans."""
    interviews = []
    for script in reference_scripts():
        turns = script["turns"]
        gold = [spans_of_substrings(t["text"], [(p["text"], "ID" if p["type"] == "ORDER_ID" else p["type"]) for p in t.get("pii", [])]) for t in turns]
        interviews.append(([t["text"] for t in turns], gold))
    return interviews


def detect_per_interview(detector, interviews) -> tuple[list[list[GoldSpan]], list]:
    gold, found = [], []
    for texts, spans in interviews:
        gold += spans
        found += detector.detect(texts)
    return gold, found


def synth_corpus() -> tuple[list[str], list[list[GoldSpan]]] | None:
    path = SHARED / "pii-presidio-synth" / "synth_dataset_v2_part1.json"
    return load_presidio_research(path) if path.is_file() else None


def table(title: str, ours: dict, theirs: dict, types: list[str]) -> None:
    print(f"\n{title}")
    print(f"{'type':<14}{'ours P':>8}{'R':>7}{'F2':>7}   {'default P':>10}{'R':>7}{'F2':>7}")
    for kind in types:
        a, b = ours.get(kind), theirs.get(kind)
        if a is None and b is None:
            continue
        fmt = lambda s: f"{s.precision:>8.3f}{s.recall:>7.3f}{s.f2:>7.3f}" if s else f"{'-':>8}{'-':>7}{'-':>7}"  # noqa: E731
        print(f"{kind:<14}{fmt(a)}   {fmt(b).replace('  ', ' ', 1):>24}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=TranscribeSettings().model, help="the Whisper model the 60-minute interview is transcribed with")
    args = parser.parse_args()
    started = time.perf_counter()
    analyzer()
    print(f"engine load: {time.perf_counter() - started:.1f} s (once per run)")
    interviews = demo_corpus()
    gold, found = detect_per_interview(PiiDetector(demo_known(), allow=BRAND_TERMS), interviews)
    texts = [text for turns, _ in interviews for text in turns]
    table("demo scripts (spoken PII, known participants)", score(gold, found), score(gold, presidio_default_spans(texts)), ["PERSON", "EMAIL", "PHONE", "ORGANIZATION", "LOCATION", "ID", "ALL"])
    synth = synth_corpus()
    if synth:
        texts, gold = synth
        baseline = score(gold, presidio_default_spans(texts), SYNTH_TYPES)
        kinds = ["PERSON", "EMAIL", "PHONE", "ADDRESS", "LOCATION", "ORGANIZATION", "ID", "ALL"]
        ours = PiiDetector().detect(texts, propagate=False)  # independent sentences, not one interview
        table(f"presidio-research synthetic set ({len(texts)} sentences, no metadata), default settings (cities, countries, other organisations kept)", score(gold, ours, SYNTH_TYPES), baseline, kinds)
        strict = PiiDetector(organizations=True, places=True).detect(texts, propagate=False)
        table("same, with organizations = true and places = true", score(gold, strict, SYNTH_TYPES), baseline, kinds)
    kept = sum(not spans for spans in PiiDetector().detect(GENERIC_TIME))
    kept_default = sum(not spans for spans in presidio_default_spans(GENERIC_TIME))
    print(f"\nover-redaction: generic time expressions kept intact: ours {kept}/{len(GENERIC_TIME)}, default {kept_default}/{len(GENERIC_TIME)}")
    throughput(args.model)


def throughput(model: str) -> None:
    """A 60-minute interview (the two-voice demo recordings end to end): anonymizing it against transcribing it."""
    import numpy as np

    from research.anonymize.stage import run_anonymize
    from research.audio import SAMPLE_RATE, decode, write_opus
    from research.ingest import add_files
    from research.speakers import run_speakers
    from research.study import Study
    from research.transcribe.batch import TranscriptionBatch

    with tempfile.TemporaryDirectory() as folder:
        recordings = [decode(path) for path in sorted(DEMO.glob("int-*.opus")) if path.stem != "int-04"]  # int-04 has a third voice
        hour = np.concatenate(recordings * (1 + 3600 * SAMPLE_RATE // sum(map(len, recordings))))[: 3600 * SAMPLE_RATE]
        write_opus(hour, Path(folder) / "hour.opus")
        study = Study.create(Path(folder) / "s", "bench")
        study.config.anonymize.allow = BRAND_TERMS
        add_files(study, [Path(folder) / "hour.opus"])
        report = TranscriptionBatch(study, TranscribeSettings(model=model)).run()
        run_speakers(study)
        started = time.perf_counter()
        run_anonymize(study)
        seconds = time.perf_counter() - started
        utterances = study.db.execute("SELECT count(*) FROM utterances").fetchone()[0]
        words = sum(len(row["text"].split()) for row in study.db.query("SELECT text FROM utterances"))
    print(
        f"\nthroughput, one 60-minute interview ({utterances} utterances, {words} words): transcription ({model}) {report.wall_seconds:.0f} s; "
        f"anonymization {seconds:.1f} s (engine loaded beforehand, see above), text and bleeped audio = {100 * seconds / report.wall_seconds:.1f}% of transcription"
    )


if __name__ == "__main__":
    main()
