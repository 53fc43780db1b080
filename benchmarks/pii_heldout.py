"""PERSON recall on sentences no rule was written from: presidio-evaluator's own templates,
filled with its FakeNameGenerator people, side by side with default Presidio.

    pip download presidio-evaluator==0.3.2 --no-deps -d /tmp/pe && unzip -q -o /tmp/pe/*.whl -d /tmp/pe
    python benchmarks/pii_heldout.py /tmp/pe [--seed 11] [--rounds 3] [--reference COMMIT]

With --reference, our detection as it was at COMMIT is measured on the same sentences in the
same run (benchmarks/anonymize_reference.py).

The 750-sentence presidio-research set in ../shared/data was drawn from the same templates,
and the context rules were written while reading its misses; this set keeps the templates
but draws new people (3,000 names from many countries), a tenth of the sentences lower-cased
as the original generator does. Only the filled names are gold, so a PERSON span elsewhere
(a company or a place called a person) counts against precision.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from research.anonymize.detect import PiiDetector  # noqa: E402
from research.anonymize.evaluate import GoldSpan, Score, presidio_default_spans, score  # noqa: E402

RAW_DATA = Path("presidio_evaluator/data_generator/raw_data")
FULL_NAME = {"person", "name", "name_female", "name_male"}
PERSON_SLOTS = FULL_NAME | {"first_name", "first_name_male", "first_name_female", "first_name_nonbinary", "last_name", "last_name_male", "last_name_female"}
PERSON_FIELDS = {"organization": "Company", "city": "City", "country": "CountryFull", "email": "EmailAddress", "phone_number": "TelephoneNumber"}


def sentences(root: Path, seed: int, rounds: int) -> tuple[list[str], list[list[GoldSpan]]]:
    from faker import Faker

    rng, fake = random.Random(seed), Faker("en_US")
    Faker.seed(seed)
    people = list(csv.DictReader((root / RAW_DATA / "FakeNameGenerator.com_3000.csv").open(encoding="utf-8-sig")))
    lines = (root / RAW_DATA / "templates.txt").read_text(encoding="utf-8", errors="replace").splitlines()
    templates = [line.strip().replace("\\n", "\n") for line in lines if any("{{" + slot + "}}" in line for slot in PERSON_SLOTS)]

    def fill(slot: str, person: dict) -> str:
        if slot in FULL_NAME:
            middle = person["MiddleInitial"] + " " if rng.random() < 0.2 else ""
            return f"{person['GivenName']} {middle}{person['Surname']}"
        if slot.startswith("first_name"):
            return person["GivenName"]
        if slot.startswith("last_name"):
            return person["Surname"]
        if slot in PERSON_FIELDS:
            return person[PERSON_FIELDS[slot]]
        provider = getattr(fake, slot, None)
        return str(provider()) if callable(provider) else slot

    texts, gold = [], []
    for _ in range(rounds):
        for template in templates:
            text, spans, position = "", [], 0
            for match in re.finditer(r"{{(\w+)}}", template):  # a new person for every slot, as the original generator does
                text += template[position : match.start()]
                value = fill(match.group(1), rng.choice(people))
                if match.group(1) in PERSON_SLOTS:
                    spans.append(GoldSpan(len(text), len(text) + len(value), "PERSON"))
                text, position = text + value, match.end()
            text += template[position:]
            texts.append(text.lower() if rng.random() < 0.1 else text)
            gold.append(spans)
    return texts, gold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel_dir", type=Path, help="where presidio-evaluator's wheel was unzipped")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--rounds", type=int, default=3, help="how many times each template is filled")
    parser.add_argument("--reference", metavar="COMMIT", help="also measure research/anonymize as it was at COMMIT, in this run")
    parser.add_argument("--json-only", action="store_true", help=argparse.SUPPRESS)  # what a reference run prints
    args = parser.parse_args()
    texts, gold = sentences(args.wheel_dir.resolve(), args.seed, args.rounds)
    ours = {
        "ours, default settings": PiiDetector().detect(texts, propagate=False),
        "ours, organizations + places": PiiDetector(organizations=True, places=True).detect(texts, propagate=False),
    }
    if args.json_only:
        print(json.dumps({title: vars(score(gold, found)["PERSON"]) for title, found in ours.items()}))
        return
    print(f"{len(texts)} sentences, {sum(map(len, gold))} names (seed {args.seed})")
    results = {title: vars(score(gold, found)["PERSON"]) for title, found in ours.items()}
    if args.reference:
        from anonymize_reference import measure_at

        old = measure_at(args.reference, Path(__file__), [str(args.wheel_dir.resolve()), "--seed", str(args.seed), "--rounds", str(args.rounds)])
        results = {f"{title} at {args.reference}": counts for title, counts in old.items()} | results
    results["default Presidio"] = vars(score(gold, presidio_default_spans(texts))["PERSON"])
    for title, counts in results.items():
        person = Score(**counts)
        print(f"{title:<40} PERSON recall {person.recall:.3f} ({person.caught}/{person.gold}), precision of PERSON spans {person.precision:.3f}")


if __name__ == "__main__":
    main()
