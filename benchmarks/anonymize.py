"""PII detection quality and speed, side by side with Presidio's default configuration
and, with --reference COMMIT, with our own detection as it was at that commit (same run).

    python benchmarks/anonymize.py [--model base] [--reference bfa6884] [--no-throughput] [--names-only]

1. The demo scripts: every PII span written into them (names, company names, spoken
   emails and phone numbers, an order number, a street), on the script text.
2. presidio-research's synthetic PII sentences (../shared/data, when present).
3. Real speech: two White House press briefings (tests/fixtures/pii_real_speech), a roundtable
   where four workers tell their stories (tests/fixtures/pii_roundtable), names marked by hand,
   and pyannote's phone call (../shared/data), as one interview each: PERSON precision and
   recall, per transcript and pooled.
4. Known names at study scale: 60-person sheets drawn by Faker (three seeds, ten locales)
   against GoEmotions' dev comments (real text whose names are already masked as [NAME]):
   words wrongly matched to a participant, per 1,000 words.
5. Names in interview speech (benchmarks/names_in_speech.tsv, written apart from every other set):
   names after a role noun, before who/that, rare, listed, lower-case and after a title, and
   as many traps of the same shapes; scored per half (dev, test, fresh, s14): PERSON recall, PERSON
   precision, and trap sentences with no PERSON.
6. Over-redaction: generic time expressions, speech look-alikes of PII (a stutter,
   quarters, years, acronyms, COVID-19), and product, brand and mode names with no allow list
   ("AeroPure", "the Zentrix app", "Whisper Quiet"; one interview) that must survive, while
   the people in sentences of the same kind are still found.
7. Throughput: anonymizing a 60-minute interview (the two-voice demo recordings end to end)
   against the time its transcription took (the default model, base, unless --model says).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import tempfile
import time
from pathlib import Path


os.environ.setdefault("HF_HUB_OFFLINE", "1")

from research.anonymize.detect import PiiDetector, analyzer  # noqa: E402
from research.config import TranscribeSettings  # noqa: E402
from research.demo_corpus import BRAND_TERMS, reference_scripts  # noqa: E402
from research.demo_corpus import DEMO_DIR as DEMO  # noqa: E402
from research.anonymize.evaluate import PRESIDIO_RESEARCH_TYPES as SYNTH_TYPES  # noqa: E402
from research.anonymize.evaluate import GoldSpan, load_marked_transcript, load_presidio_research, presidio_default_spans, score, spans_of_substrings  # noqa: E402
from research.anonymize.known_names import KnownName, find_known_names  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
REAL_SPEECH = REPO / "tests" / "fixtures" / "pii_real_speech"
ROUNDTABLE = REPO / "tests" / "fixtures" / "pii_roundtable"
NAMES_IN_SPEECH = REPO / "benchmarks" / "names_in_speech.tsv"
GENERIC_TIME = ["We renew every year.", "It took six weeks to arrive.", "I called them today and again last month.", "After a couple of days it worked.", "Every spring the filter price goes up.", "We have used it for three years now."]
LOOKALIKES = [
    "I- I- I think the second quarter was better.",
    "Our Q3 and Q4 numbers were flat, and Q1 looks weak.",
    "Sales fell during COVID-19 and COVID hit the stores hard.",
    "Prices were like that in 1918, 1919 and again in 2020 and 2021.",
    "We spent 1,250,000 dollars on the new line.",
    "The F-B-I and the U-S-A were mentioned on the call.",
    "The mode is called Whisper Quiet and it really is quiet.",
    "We met at the yoga studio and then at the gym.",
]
PRODUCTS = [  # one interview with no allow list: product, brand and mode names that are nobody (written for this benchmark)
    "AeroPure sent me a voucher after the first filter change.",
    "I switched the HomeHub off and on again.",
    "The Aeropure purifier was louder than the Aeropure the shop had on display.",
    "We put it on Whisper Quiet at night and Turbo Boost in the morning.",
    "My Corvana subscription renewed without telling me.",
    "The Zentrix app kept logging me out, so I deleted the Zentrix app.",
    "We moved to the Solvelo plan because the Solvelo plan had no contract.",
    "I read about the FlexSaver tariff on a forum.",
    "The Brevanto kettle broke, and the Brevanto replacement broke too.",
    "Honestly the PhotoVault was the reason I stayed.",
    "We first saw the Aeropure Purifier at a trade fair.",
    "My Lumio Brevanto kept beeping all night.",
    "I bought the Zentrix Halo after reading the Zentrix Halo reviews.",
]
NAMES_BESIDE_PRODUCTS = [  # the same kind of sentence with a person in it: the person must still be found
    ("Priya from the Zentrix shop set it up for us.", "Priya"),
    ("I spoke to Tsetseg Batbayar about my Corvana subscription.", "Tsetseg Batbayar"),
    ("Daniel Okonkwo fitted the AeroPure in the waiting room.", "Daniel Okonkwo"),
    ("Our engineer, Oyelaran, fixed the HomeHub in ten minutes.", "Oyelaran"),
    ("Nwachukwu said the Solvelo plan was cheaper.", "Nwachukwu"),
    ("The Kovalenko family lent us their Brevanto kettle.", "Kovalenko"),
]
SHEET_LOCALES = ["en_US", "en_GB", "de_DE", "es_ES", "fr_FR", "it_IT", "nl_NL", "pl_PL", "en_IN", "pt_BR"]


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


def real_speech() -> dict[str, tuple[list[str], list[list[GoldSpan]]]]:
    """Real spoken transcripts with their PERSON spans: the briefing fixture, and pyannote's call when ../shared/data is here."""
    corpora = {f"White House briefing {path.stem[-10:]}": load_marked_transcript(path) for path in sorted(REAL_SPEECH.glob("whitehouse-*.txt"))}
    corpora |= {f"White House roundtable {path.stem[-10:]}": load_marked_transcript(path) for path in sorted(ROUNDTABLE.glob("whitehouse-*.txt"))}
    stm = SHARED / "diarization-pyannote-sample" / "sample.stm"
    if stm.is_file():
        texts = [line.split(maxsplit=5)[5] for line in stm.read_text().splitlines() if line.strip()]
        corpora["pyannote phone call"] = (texts, [[GoldSpan(m.start(), m.end(), "PERSON") for m in re.finditer(r"\b(?:Diane|Sheila)\b", text)] for text in texts])
    return corpora


def names_in_speech() -> dict[str, tuple[list[str], list[list[GoldSpan]], list[str]]]:
    """Per half of names_in_speech.tsv: its sentences, their PERSON spans and their patterns."""
    halves: dict[str, tuple[list[str], list[list[GoldSpan]], list[str]]] = {}
    for line in NAMES_IN_SPEECH.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        pattern, half, marked = line.split("\t")
        text, gold = marked_sentence(marked)
        texts, spans, patterns = halves.setdefault(half, ([], [], []))
        texts.append(text)
        spans.append(gold)
        patterns.append(pattern)
    return halves


def marked_sentence(marked: str) -> tuple[str, list[GoldSpan]]:
    """A sentence whose names are in braces, without them, and the names' spans."""
    text, spans, position = "", [], 0
    for mark in re.finditer(r"{([^{}]+)}", marked):
        text += marked[position : mark.start()]
        spans.append(GoldSpan(len(text), len(text) + len(mark.group(1)), "PERSON"))
        text, position = text + mark.group(1), mark.end()
    return text + marked[position:], spans


def names_in_speech_numbers(detector) -> tuple[dict[str, float], dict]:
    """PERSON recall and precision, and trap sentences kept intact, per half; and what was found."""
    numbers, detail = {}, {}
    for half, (texts, gold, patterns) in names_in_speech().items():
        found = detector.detect(texts, propagate=False)  # independent sentences
        person = score(gold, found)["PERSON"]
        traps = [not any(s.entity_type == "PERSON" for s in spans) for spans, pattern in zip(found, patterns) if pattern.startswith("trap")]
        numbers |= {f"names in speech ({half}): PERSON recall": person.recall, f"names in speech ({half}): PERSON precision": person.precision, f"names in speech ({half}): traps kept intact": sum(traps)}
        detail[half] = (texts, gold, patterns, found)
    return numbers, detail


def names_in_speech_table(detail: dict) -> None:
    """Recall per name pattern and traps kept per trap pattern, for the dev half only: the other
    halves are held apart and read in totals (the summary)."""
    for half, (texts, gold, patterns, found) in detail.items():
        if half != "dev":
            continue
        print(f"\nnames in speech, {half} half ({len(texts)} sentences)")
        for pattern in dict.fromkeys(patterns):
            rows = [i for i, p in enumerate(patterns) if p == pattern]
            if pattern.startswith("trap"):
                kept = sum(not any(s.entity_type == "PERSON" for s in found[i]) for i in rows)
                print(f"  {pattern:<18} kept intact {kept}/{len(rows)}")
            else:
                person = score([gold[i] for i in rows], [found[i] for i in rows])["PERSON"]
                print(f"  {pattern:<18} names found {person.caught}/{person.gold}")


def false_known_name_rate(seeds=(1, 2, 3), size: int = 60) -> float | None:
    """Words of GoEmotions' dev comments matched to someone on a Faker sheet of `size` people, per 1,000 words."""
    path = SHARED / "goemotions" / "dev.tsv"
    if not path.is_file():
        return None
    from faker import Faker

    texts = [line.split("\t")[0] for line in path.read_text(encoding="utf-8").splitlines()]
    words = sum(len(text.split()) for text in texts)
    rates = []
    for seed in seeds:
        fake = Faker(SHEET_LOCALES)
        Faker.seed(seed)
        sheet = [KnownName(f"{fake.first_name()} {fake.last_name()}", "PERSON") for _ in range(size)]
        rates.append(1000 * sum(len(find_known_names(text, sheet)) for text in texts) / words)
    return sum(rates) / len(rates)


def measure(names_only: bool = False) -> tuple[dict[str, float], dict]:
    """Every quality number, flat (for the side-by-side summary), and the detail tables;
    `names_only`: only the names-in-speech set's."""
    numbers, names = names_in_speech_numbers(PiiDetector())
    detail = {"names in speech": names}
    if names_only:
        return numbers, detail
    interviews = demo_corpus()
    gold, found = detect_per_interview(PiiDetector(demo_known(), allow=BRAND_TERMS), interviews)
    detail["demo"] = (gold, found, [text for turns, _ in interviews for text in turns])
    demo = score(gold, found)
    numbers |= {"demo PERSON recall": demo["PERSON"].recall, "demo PERSON precision": demo["PERSON"].precision, "demo ALL F2": demo["ALL"].f2}
    synth = synth_corpus()
    if synth:
        texts, gold = synth
        ours = score(gold, PiiDetector().detect(texts, propagate=False), SYNTH_TYPES)  # independent sentences, not one interview
        strict = score(gold, PiiDetector(organizations=True, places=True).detect(texts, propagate=False), SYNTH_TYPES)
        detail["synth"] = (texts, gold, ours, strict)
        numbers |= {"presidio-research PERSON recall": ours["PERSON"].recall, "presidio-research PERSON precision": ours["PERSON"].precision, "presidio-research ALL F2": ours["ALL"].f2, "presidio-research strict ALL F2": strict["ALL"].f2}
    pooled_gold, pooled_found = [], []
    for name, (texts, gold) in real_speech().items():
        found = PiiDetector().detect(texts)  # one interview: names found once are looked for again
        person = score(gold, found)["PERSON"]
        numbers |= {f"{name} PERSON precision": person.precision, f"{name} PERSON recall": person.recall}
        pooled_gold, pooled_found = pooled_gold + gold, pooled_found + found
    pooled = score(pooled_gold, pooled_found)["PERSON"]
    numbers |= {"real speech, pooled: PERSON precision": pooled.precision, "real speech, pooled: PERSON recall": pooled.recall}
    rate = false_known_name_rate()
    if rate is not None:
        numbers["60-name sheet: false matches per 1,000 words"] = rate
    numbers["generic time kept intact"] = sum(not spans for spans in PiiDetector().detect(GENERIC_TIME))
    numbers["speech look-alikes kept intact"] = sum(not spans for spans in PiiDetector().detect(LOOKALIKES, propagate=False))
    numbers["product names kept intact (no allow list)"] = sum(not any(s.entity_type == "PERSON" for s in spans) for spans in PiiDetector().detect(PRODUCTS))
    found = PiiDetector().detect([text for text, _ in NAMES_BESIDE_PRODUCTS])
    numbers["names beside products found"] = sum(any(s.entity_type == "PERSON" and text[s.start : s.end] == name for s in spans) for (text, name), spans in zip(NAMES_BESIDE_PRODUCTS, found))
    return numbers, detail


def summary(now: dict[str, float], reference: dict[str, float] | None, commit: str | None) -> None:
    print(f"\n{'summary':<52}{'reference ' + commit if reference else '':>20}{'this tree':>12}")
    for key, value in now.items():
        old = (reference or {}).get(key)
        fmt = lambda v: "-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)  # noqa: E731
        print(f"{key:<52}{fmt(old) if reference else '':>20}{fmt(value):>12}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=TranscribeSettings().model, help="the Whisper model the 60-minute interview is transcribed with")
    parser.add_argument("--reference", metavar="COMMIT", help="also measure research/anonymize as it was at COMMIT, in this run")
    parser.add_argument("--no-throughput", action="store_true", help="skip the 60-minute interview (it transcribes an hour of audio)")
    parser.add_argument("--names-only", action="store_true", help="measure only the names-in-speech set (section 5)")
    parser.add_argument("--json-only", action="store_true", help=argparse.SUPPRESS)  # what a reference run prints
    args = parser.parse_args()
    if args.json_only:
        print(json.dumps(measure(args.names_only)[0]))
        return
    reference = None
    if args.reference:
        from anonymize_reference import measure_at

        reference = measure_at(args.reference, Path(__file__), ["--names-only"] if args.names_only else [])
    started = time.perf_counter()
    analyzer()
    print(f"engine load: {time.perf_counter() - started:.1f} s (once per run)")
    numbers, detail = measure(args.names_only)
    names_in_speech_table(detail["names in speech"])
    if args.names_only:
        summary(numbers, reference, args.reference)
        return
    gold, found, texts = detail["demo"]
    table("demo scripts (spoken PII, known participants)", score(gold, found), score(gold, presidio_default_spans(texts)), ["PERSON", "EMAIL", "PHONE", "ORGANIZATION", "LOCATION", "ID", "ALL"])
    if "synth" in detail:
        texts, gold, ours, strict = detail["synth"]
        baseline = score(gold, presidio_default_spans(texts), SYNTH_TYPES)
        kinds = ["PERSON", "EMAIL", "PHONE", "ADDRESS", "LOCATION", "ORGANIZATION", "ID", "ALL"]
        table(f"presidio-research synthetic set ({len(texts)} sentences, no metadata), default settings (cities, countries, other organisations kept)", ours, baseline, kinds)
        table("same, with organizations = true and places = true", strict, baseline, kinds)
    for name, (texts, gold) in real_speech().items():
        table(f"real speech: {name} ({sum(len(t.split()) for t in texts)} words, {sum(map(len, gold))} names)", score(gold, PiiDetector().detect(texts)), score(gold, presidio_default_spans(texts)), ["PERSON"])
    kept_default = sum(not spans for spans in presidio_default_spans(GENERIC_TIME))
    print(f"\nover-redaction: generic time expressions kept intact: ours {numbers['generic time kept intact']}/{len(GENERIC_TIME)}, default {kept_default}/{len(GENERIC_TIME)}")
    lookalikes_default = sum(not spans for spans in presidio_default_spans(LOOKALIKES))
    print(f"over-redaction: speech look-alikes kept intact: ours {numbers['speech look-alikes kept intact']}/{len(LOOKALIKES)}, default {lookalikes_default}/{len(LOOKALIKES)}")
    print(f"over-redaction: product names kept intact with no allow list: ours {numbers['product names kept intact (no allow list)']}/{len(PRODUCTS)} sentences; names beside them found: {numbers['names beside products found']}/{len(NAMES_BESIDE_PRODUCTS)}")
    summary(numbers, reference, args.reference)
    if not args.no_throughput:
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
