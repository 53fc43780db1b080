"""`research compare`: two waves side by side, per stage: two studies (their stored journey maps), or one
study split by interview date or by a feedback wave column (a map built for each half).

Per stage: the change in coverage (share of participants who speak about the stage) and the shift in
mean valence, with a 95% percentile bootstrap interval over utterances; which patterns are new, grew,
shrank or disappeared (insights matched by their headline's wording within a stage); and how the
opportunities moved in rank.
"""

from __future__ import annotations

import datetime as dt
import html
import json

from pathlib import Path

import numpy as np
from pydantic import BaseModel
from rapidfuzz import fuzz

from research import codebook as codebooks
from research.codebook import Codebook
from research.errors import ResearchError
from research.journey.model import JourneyMap
from research.study import Study

SAME_PATTERN = 70  # token-set similarity of two headlines that tell the same pattern
SHARE_CHANGE = 0.10  # a pattern grows or shrinks when its share of participants moves this much
BOOTSTRAP_SAMPLES = 2000


class StageShift(BaseModel):
    stage: str
    name: str
    coverage_a: float
    coverage_b: float
    valence_a: float | None
    valence_b: float | None
    valence_shift: float | None
    ci_low: float | None
    ci_high: float | None


class PatternChange(BaseModel):
    stage: str
    kind: str  # new, grown, shrunk, disappeared, steady
    headline: str
    share_a: float
    share_b: float


class OpportunityMove(BaseModel):
    statement: str
    rank_a: int | None
    rank_b: int | None


class Comparison(BaseModel):
    study_a: str
    study_b: str
    stages: list[StageShift]
    patterns: list[PatternChange]
    opportunities: list[OpportunityMove]


def bootstrap_shift(a: list[float], b: list[float], samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of mean(b) − mean(a), resampling each wave's values with replacement."""
    rng = np.random.default_rng(seed)
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    diffs = rng.choice(y, (samples, len(y))).mean(axis=1) - rng.choice(x, (samples, len(x))).mean(axis=1)
    low, high = np.percentile(diffs, [2.5, 97.5])
    return round(float(low), 3), round(float(high), 3)


def compare(a: Study, b: Study) -> Comparison:
    """Two studies, each by its stored map."""
    return compare_maps(_map(a), _valences(a), _map(b), _valences(b))


def compare_waves(study: Study, split_date: dt.date | None = None, wave_column: str | None = None) -> Comparison:
    """One study split in two waves: interviews before and from `split_date`, or by the two values of a feedback `wave_column`."""
    rows = list(study.db.query("SELECT id, interview_date, source_meta FROM interviews"))
    if split_date:
        dated = [r for r in rows if r["interview_date"]]
        waves = {f"before {split_date}": {r["id"] for r in dated if r["interview_date"] < split_date.isoformat()}, f"from {split_date}": {r["id"] for r in dated if r["interview_date"] >= split_date.isoformat()}}
    elif wave_column:
        values: dict[str, set[int]] = {}
        for r in rows:
            value = json.loads(r["source_meta"] or "{}").get(wave_column)
            if value not in (None, ""):
                values.setdefault(str(value), set()).add(r["id"])
        if len(values) != 2:
            raise ResearchError(f"a wave column needs exactly two values; {wave_column} has {len(values)}: {', '.join(sorted(values)) or 'none'}")
        waves = dict(sorted(values.items()))
    else:
        raise ResearchError("give a second study, a split date or a wave column")
    (name_a, ids_a), (name_b, ids_b) = waves.items()
    if not ids_a or not ids_b:
        raise ResearchError(f"one wave is empty: {name_a} has {len(ids_a)} sources, {name_b} has {len(ids_b)}")
    from research.journey.build import MapBuilder  # the map's clustering loads scikit-learn: only when comparing

    builder = MapBuilder(study, _codebook(study))
    valences = _valences(study)
    comparison = compare_maps(builder.build(interview_ids=ids_a), valences, builder.build(interview_ids=ids_b), valences)
    return comparison.model_copy(update={"study_a": f"{comparison.study_a} {name_a}", "study_b": f"{comparison.study_b} {name_b}"})


def compare_maps(map_a: JourneyMap, valences_a: dict[int, float | None], map_b: JourneyMap, valences_b: dict[int, float | None]) -> Comparison:
    stages = []
    for lane_a, lane_b in zip(map_a.stages, map_b.stages):
        va = [valences_a[i] for i in lane_a.utterance_ids if valences_a.get(i) is not None]
        vb = [valences_b[i] for i in lane_b.utterance_ids if valences_b.get(i) is not None]
        low, high = bootstrap_shift(va, vb) if va and vb else (None, None)
        mean_a, mean_b = (round(float(np.mean(v)), 3) if v else None for v in (va, vb))
        stages.append(StageShift(
            stage=lane_a.stage, name=lane_a.name, coverage_a=_share(lane_a.participants, map_a), coverage_b=_share(lane_b.participants, map_b),
            valence_a=mean_a, valence_b=mean_b, valence_shift=round(mean_b - mean_a, 3) if va and vb else None, ci_low=low, ci_high=high,
        ))
    return Comparison(study_a=map_a.study, study_b=map_b.study, stages=stages, patterns=_patterns(map_a, map_b), opportunities=_opportunities(map_a, map_b))


def _map(study: Study) -> JourneyMap:
    from research.journey.build import stored_map

    journey = stored_map(study)
    if journey is None:
        raise ResearchError(f"{study.root.name}: no journey map yet; run `research map` in it first")
    return journey


def _valences(study: Study) -> dict[int, float | None]:
    from research.journey.evidence import load_utterances, participants_matching

    cohort = participants_matching(study, {})
    return {u.id: u.valence for u in load_utterances(study, _codebook(study), cohort)}


def _share(participants: int, journey: JourneyMap) -> float:
    return round(participants / journey.participants, 3) if journey.participants else 0.0


def _patterns(a: JourneyMap, b: JourneyMap) -> list[PatternChange]:
    changes = []
    for lane_a, lane_b in zip(a.stages, b.stages):
        unmatched = list(lane_b.patterns)
        for old in lane_a.patterns:
            match = max(unmatched, key=lambda new: fuzz.token_set_ratio(old.headline, new.headline), default=None)
            share_a = _share(old.participants, a)
            if match is None or fuzz.token_set_ratio(old.headline, match.headline) < SAME_PATTERN:
                changes.append(PatternChange(stage=lane_a.stage, kind="disappeared", headline=old.headline, share_a=share_a, share_b=0.0))
                continue
            unmatched.remove(match)
            share_b = _share(match.participants, b)
            kind = "grown" if share_b - share_a >= SHARE_CHANGE else "shrunk" if share_a - share_b >= SHARE_CHANGE else "steady"
            changes.append(PatternChange(stage=lane_a.stage, kind=kind, headline=match.headline, share_a=share_a, share_b=share_b))
        changes += [PatternChange(stage=lane_b.stage, kind="new", headline=new.headline, share_a=0.0, share_b=_share(new.participants, b)) for new in unmatched]
    return changes


def _opportunities(a: JourneyMap, b: JourneyMap) -> list[OpportunityMove]:
    moves, remaining = [], dict(enumerate(b.opportunities, start=1))
    for rank_a, old in enumerate(a.opportunities, start=1):
        best = max(remaining.items(), key=lambda item: fuzz.token_set_ratio(old.statement, item[1].statement), default=None)
        if best and fuzz.token_set_ratio(old.statement, best[1].statement) >= SAME_PATTERN:
            moves.append(OpportunityMove(statement=best[1].statement, rank_a=rank_a, rank_b=best[0]))
            del remaining[best[0]]
        else:
            moves.append(OpportunityMove(statement=old.statement, rank_a=rank_a, rank_b=None))
    return moves + [OpportunityMove(statement=new.statement, rank_a=None, rank_b=rank) for rank, new in remaining.items()]


COMPARISON_FILE = "compare.json"


def save_comparison(comparison: Comparison, folder: Path) -> list[Path]:
    """compare.md, compare.html and compare.json (what the review app shows) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {"compare.md": to_markdown(comparison), "compare.html": to_html(comparison), COMPARISON_FILE: comparison.model_dump_json(indent=2)}
    for name, text in written.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [folder / name for name in written]


def _codebook(study: Study) -> Codebook:
    """The study's codebook, read as `research code` reads it but without loading the coding models."""
    return codebooks.load(codebooks.resolve(study.config.coding.codebook, study.root))


def latest_comparison(study: Study) -> Comparison | None:
    """The comparison last written to the study's exports, if any."""
    path = study.exports_dir / COMPARISON_FILE
    try:
        return Comparison.model_validate_json(path.read_text(encoding="utf-8")) if path.is_file() else None
    except ValueError:
        return None


def to_markdown(c: Comparison) -> str:
    out = [f"# {c.study_a} → {c.study_b}", "", "## Stages", "", "| stage | coverage | change | valence | shift (95% CI) |", "|---|---|---|---|---|"]
    for s in c.stages:
        shift = "–" if s.valence_shift is None else f"{s.valence_shift:+.2f} ({s.ci_low:+.2f} … {s.ci_high:+.2f})"
        valence = " → ".join("–" if v is None else f"{v:+.2f}" for v in (s.valence_a, s.valence_b))
        out.append(f"| {s.name} | {s.coverage_a:.0%} → {s.coverage_b:.0%} | {s.coverage_b - s.coverage_a:+.0%} | {valence} | {shift} |")
    out += ["", "## Patterns", ""]
    out += [f"- **{p.kind}** ({p.stage}, {p.share_a:.0%} → {p.share_b:.0%}): {p.headline}" for p in c.patterns if p.kind != "steady"] or ["- no pattern changed"]
    out += ["", "## Opportunities", ""]
    out += [f"- {'new' if o.rank_a is None else f'#{o.rank_a}'} → {'gone' if o.rank_b is None else f'#{o.rank_b}'}: {o.statement}" for o in c.opportunities] or ["- none"]
    return "\n".join(out) + "\n"


def to_html(c: Comparison) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(s.name)}</td><td>{s.coverage_a:.0%} → {s.coverage_b:.0%}</td><td>{'–' if s.valence_shift is None else f'{s.valence_shift:+.2f} ({s.ci_low:+.2f} … {s.ci_high:+.2f})'}</td></tr>"
        for s in c.stages
    )
    patterns = "".join(f"<li><b>{p.kind}</b> ({html.escape(p.stage)}, {p.share_a:.0%} → {p.share_b:.0%}): {html.escape(p.headline)}</li>" for p in c.patterns if p.kind != "steady")
    moves = "".join(f"<li>{'new' if o.rank_a is None else f'#{o.rank_a}'} → {'gone' if o.rank_b is None else f'#{o.rank_b}'}: {html.escape(o.statement)}</li>" for o in c.opportunities)
    title = html.escape(f"{c.study_a} → {c.study_b}")
    return (
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{title}</title></head><body><h1>{title}</h1>"
        f"<h2>Stages</h2><table><tr><th>stage</th><th>coverage</th><th>valence shift (95% CI)</th></tr>{rows}</table>"
        f"<h2>Patterns</h2><ul>{patterns or '<li>no pattern changed</li>'}</ul><h2>Opportunities</h2><ul>{moves or '<li>none</li>'}</ul></body></html>\n"
    )
