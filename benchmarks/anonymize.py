"""PII detection quality and speed, side by side with Presidio's default configuration.

    python benchmarks/anonymize.py

1. The demo scripts: every PII span written into them (names, company names, spoken
   emails and phone numbers, an order number, a street), on the script text.
2. presidio-research's synthetic PII sentences (../shared/data, when present).
3. Over-redaction: generic time expressions that must survive.
4. Throughput: anonymizing the demo study (transcribed with tiny.en) against the time
   its transcription took.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
import time
from pathlib import Path


os.environ.setdefault("HF_HUB_OFFLINE", "1")

from research.anonymize.detect import PiiDetector, analyzer  # noqa: E402
from research.demo_corpus import BRAND_TERMS, reference_scripts  # noqa: E402
from research.demo_corpus import DEMO_DIR as DEMO  # noqa: E402
from research.anonymize.evaluate import GoldSpan, presidio_default_spans, score, spans_of_substrings  # noqa: E402
from research.anonymize.known_names import KnownName  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
SYNTH_TYPES = {"PHONE_NUMBER": "PHONE", "EMAIL_ADDRESS": "EMAIL", "STREET_ADDRESS": "ADDRESS", "GPE": "LOCATION", "CREDIT_CARD": "ID", "IBAN_CODE": "ID", "US_SSN": "ID", "US_DRIVER_LICENSE": "ID", "IP_ADDRESS": "ID", "DOMAIN_NAME": "URL", "DATE_TIME": "DATE"}
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
    if not path.is_file():
        return None
    items = json.loads(path.read_text())
    return [i["full_text"] for i in items], [[GoldSpan(s["start_position"], s["end_position"], s["entity_type"]) for s in i["spans"]] for i in items]


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
    throughput()


def throughput() -> None:
    from research.anonymize.stage import run_anonymize
    from research.config import TranscribeSettings
    from research.ingest import add_files
    from research.metadata import MetadataSheet
    from research.speakers import run_speakers
    from research.study import Study
    from research.transcribe.batch import TranscriptionBatch

    with tempfile.TemporaryDirectory() as folder:
        study = Study.create(Path(folder) / "s", "bench")
        study.config.anonymize.allow = BRAND_TERMS
        add_files(study, [DEMO], MetadataSheet.load(DEMO / "metadata.csv"))
        report = TranscriptionBatch(study, TranscribeSettings(model="tiny.en")).run()
        run_speakers(study)
        started = time.perf_counter()
        run_anonymize(study)
        seconds = time.perf_counter() - started
        audio = report.audio_seconds
        print(f"\nthroughput: {audio / 60:.1f} min of audio; transcription (tiny.en) {report.wall_seconds:.1f} s; anonymization {seconds:.1f} s "
              f"= {100 * seconds / report.wall_seconds:.1f}% of transcription ({seconds * 3600 / audio:.0f} s per audio hour, text and redacted audio)")


if __name__ == "__main__":
    main()
