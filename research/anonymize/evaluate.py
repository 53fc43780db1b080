"""Precision, recall and F2 of PII detection against gold character spans.

A gold span counts as caught when a detected span overlaps it (it is redacted, whatever
type was guessed); a detected span is correct when it overlaps some gold span. Recall
is per gold type, precision per detected type.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from research.anonymize.detect import PiiSpan


# presidio-research's entity types → ours (its TITLE, AGE, NRP and ZIP_CODE have no equivalent here)
PRESIDIO_RESEARCH_TYPES = {
    "PHONE_NUMBER": "PHONE",
    "EMAIL_ADDRESS": "EMAIL",
    "STREET_ADDRESS": "ADDRESS",
    "GPE": "LOCATION",
    "CREDIT_CARD": "ID",
    "IBAN_CODE": "ID",
    "US_SSN": "ID",
    "US_DRIVER_LICENSE": "ID",
    "IP_ADDRESS": "ID",
    "DOMAIN_NAME": "URL",
    "DATE_TIME": "DATE",
}


@dataclass(frozen=True)
class GoldSpan:
    start: int
    end: int
    entity_type: str


@dataclass
class Score:
    caught: int = 0
    gold: int = 0
    correct: int = 0
    detected: int = 0

    @property
    def recall(self) -> float:
        return self.caught / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.detected if self.detected else 1.0

    @property
    def f2(self) -> float:
        p, r = self.precision, self.recall
        return 5 * p * r / (4 * p + r) if p + r else 0.0


def score(gold: list[list[GoldSpan]], detected: list[list[PiiSpan]], type_map: dict[str, str] | None = None) -> dict[str, Score]:
    """Scores per entity type (gold types mapped through `type_map`), plus 'ALL'."""
    scores: dict[str, Score] = defaultdict(Score)
    for gold_spans, found in zip(gold, detected):
        for g in gold_spans:
            kind = (type_map or {}).get(g.entity_type, g.entity_type)
            hit = any(s.start < g.end and s.end > g.start for s in found)
            for key in (kind, "ALL"):
                scores[key].gold += 1
                scores[key].caught += hit
        for s in found:
            ok = any(s.start < g.end and s.end > g.start for g in gold_spans)
            for key in (s.entity_type, "ALL"):
                scores[key].detected += 1
                scores[key].correct += ok
    return dict(scores)


def spans_of_substrings(text: str, pieces: list[tuple[str, str]]) -> list[GoldSpan]:
    """Gold spans from (substring, type) pairs, each found left to right in `text`."""
    spans, cursor = [], 0
    for piece, kind in pieces:
        start = text.find(piece, cursor)
        if start < 0:
            start = text.find(piece)
        if start < 0:
            raise ValueError(f"{piece!r} is not in the text")
        spans.append(GoldSpan(start, start + len(piece), kind))
        cursor = start + len(piece)
    return spans


def presidio_default_spans(texts: list[str]) -> list[list[PiiSpan]]:
    """The baseline: Presidio's default configuration on the same spaCy model, every entity it finds."""
    from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from research.anonymize.detect import ENTITY_TYPES
    from research.nlp import SPACY_MODEL

    provider = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": SPACY_MODEL}]})
    engine = BatchAnalyzerEngine(AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"]))
    results = engine.analyze_iterator(texts, language="en")
    return [[PiiSpan(r.start, r.end, ENTITY_TYPES.get(r.entity_type, r.entity_type), "") for r in found] for found in results]


def load_presidio_research(path: Path) -> tuple[list[str], list[list[GoldSpan]]]:
    """Texts and gold spans from a presidio-research dataset file (synth_dataset_v2 JSON)."""
    items = json.loads(path.read_text())
    return [item["full_text"] for item in items], [[GoldSpan(s["start_position"], s["end_position"], s["entity_type"]) for s in item["spans"]] for item in items]


def load_marked_transcript(path: Path) -> tuple[list[str], list[list[GoldSpan]]]:
    """Turns (one a line) and their PERSON spans from a transcript whose names are marked in braces: "Go ahead, {Toluse}."."""
    texts, gold = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        text, spans, position = "", [], 0
        for mark in re.finditer(r"{([^{}]+)}", line):
            text += line[position : mark.start()]
            spans.append(GoldSpan(len(text), len(text) + len(mark.group(1)), "PERSON"))
            text, position = text + mark.group(1), mark.end()
        texts.append(text + line[position:])
        gold.append(spans)
    return texts, gold
