"""The map and codings as JSON (with a JSON Schema) and CSV tables."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from research.export.source import safe_cell
from research.export.wording import opportunity_stage, stage_name
from research.journey.model import JourneyMap


def write_json(journey: JourneyMap, folder: Path) -> list[Path]:
    """journey-map.json and its JSON Schema (versioned by `schema_version`)."""
    data = folder / "journey-map.json"
    data.write_text(journey.model_dump_json(indent=2), encoding="utf-8")
    schema = folder / "journey-map.schema.json"
    document = JourneyMap.model_json_schema() | {"$id": f"https://research.local/schemas/journey-map-{journey.schema_version}.json", "title": f"Journey map, schema {journey.schema_version}"}
    schema.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return [data, schema]


def _write(path: Path, header: list[str], rows: list[list]) -> Path:
    """UTF-8 with a byte-order mark: without it Excel reads the file as the system's code page ("—" as "â€”")."""
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([[safe_cell(value) for value in row] for row in rows])
    return path


def _ids(ids: list[int]) -> str:
    return " ".join(map(str, ids))


def write_csv(journey: JourneyMap, codings: list[dict], themes: list[dict], folder: Path) -> list[Path]:
    """codings.csv, quotes.csv, patterns.csv (the insights), outliers.csv, opportunities.csv, themes.csv."""
    quotes = [
        [lane.name, kind, q.interview, q.participant, q.start, q.text, q.utterance_id]
        for lane in journey.stages
        for kind, items in (("quote", lane.quotes), ("pain point", lane.pain_points), ("delight", lane.delights), ("tollgate", lane.tollgates), ("gap", lane.gaps))
        for q in items
    ]
    return [
        _write(folder / "codings.csv", ["interview", "source_type", "start", "role", "group", "code", "code_key", "status", "source", "confidence", "coder", "memo", "text", "utterance_id"],
               [[c["interview"], c["source_type"], c["start"], c["role"], c["group_name"], c["code_name"], c["code_key"], c["status"], c["source"], c["confidence"], c["coder"], c["memo"], c["text"], c["utterance_id"]] for c in codings]),
        _write(folder / "quotes.csv", ["stage", "kind", "interview", "participant", "start", "text", "utterance_id"], quotes),
        _write(folder / "patterns.csv", ["stage", "statement", "participants", "cohort", "polarity", "valence", "intensity", "personas", "quote", "utterance_ids"],
               [[lane.name, i.statement, i.participants, i.cohort, i.polarity, i.valence, i.intensity, "; ".join(i.personas), i.quotes[0].text if i.quotes else "", _ids(i.utterance_ids)]
                for lane in journey.stages for i in lane.patterns]),
        _write(folder / "outliers.csv", ["stage", "kind", "label", "participant", "why", "quote", "utterance_ids"],
               [[lane.name, o.kind, o.label, o.participant, o.why, o.quote.text if o.quote else "", _ids(o.utterance_ids)] for lane in journey.stages for o in lane.outliers]),
        _write(folder / "opportunities.csv", ["statement", "stage", "participants", "reach", "intensity", "evidence", "score"],
               [[o.statement, opportunity_stage(journey, o), o.participants, o.reach, o.intensity, o.evidence, o.score] for o in journey.opportunities]),
        _write(folder / "themes.csv", ["theme", "words", "utterances", "participants", "stage", "stage_share"],
               [[t["label"], " ".join(json.loads(t["words"] or "[]")), t["size"], t["participants"], t["stage"], t["stage_share"]] for t in themes]),
    ]
