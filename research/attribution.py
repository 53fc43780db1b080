"""How well words were attributed to speakers, against a reference of who spoke when.

Used by the tests and benchmarks on the demo interviews (reference: their per-turn
timings) and on external recordings with an RTTM reference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class ReferenceTurn:
    start: float
    end: float
    label: str


def utterance_words(utterances: list[dict], field: str) -> list[tuple[float, float, str]]:
    """(start, end, label) for every word of the vault's raw utterances, labelled by `field` (speaker or role)."""
    return [(w["start"], w["end"], u[field]) for u in utterances for w in json.loads(u["words"])]


def read_rttm(path: Path, recording: str | None = None) -> list[ReferenceTurn]:
    """Who spoke when, from an RTTM file; `recording` picks one file's turns from a shared RTTM."""
    turns = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "SPEAKER" and recording in (None, fields[1]):
            start, duration = float(fields[3]), float(fields[4])
            turns.append(ReferenceTurn(start, start + duration, fields[7]))
    return turns


def reference_label(turns: list[ReferenceTurn], start: float, end: float) -> str | None:
    """The reference speaker who overlaps the word most; None when nobody does."""
    best, best_overlap = None, 0.0
    for turn in turns:
        overlap = min(end, turn.end) - max(start, turn.start)
        if overlap > best_overlap:
            best, best_overlap = turn.label, overlap
    if best is None:  # a word just outside every turn: the nearest turn within 0.5 s
        gaps = [(min(abs(turn.start - end), abs(start - turn.end)), turn.label) for turn in turns]
        gap, label = min(gaps, default=(1.0, None))
        best = label if gap <= 0.5 else None
    return best


def labelled_accuracy(words: list[tuple[float, float, str]], turns: list[ReferenceTurn]) -> float:
    """Share of words whose label equals the reference label (labels already comparable, e.g. roles)."""
    pairs = [(label, reference_label(turns, start, end)) for start, end, label in words]
    pairs = [(ours, theirs) for ours, theirs in pairs if theirs is not None]
    return sum(ours == theirs for ours, theirs in pairs) / max(1, len(pairs))


def mapped_accuracy(words: list[tuple[float, float, str]], turns: list[ReferenceTurn]) -> float:
    """Share of words attributed correctly under the best one-to-one mapping of our speakers to theirs."""
    from scipy.optimize import linear_sum_assignment

    pairs = [(label, reference_label(turns, start, end)) for start, end, label in words]
    pairs = [(ours, theirs) for ours, theirs in pairs if theirs is not None]
    if not pairs:
        return 0.0
    ours_labels = sorted({o for o, _ in pairs})
    their_labels = sorted({t for _, t in pairs})
    counts = np.zeros((len(ours_labels), len(their_labels)))
    for ours, theirs in pairs:
        counts[ours_labels.index(ours), their_labels.index(theirs)] += 1
    rows, cols = linear_sum_assignment(-counts)
    return float(counts[rows, cols].sum() / len(pairs))
