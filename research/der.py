"""Diarization error rate, as md-eval and pyannote.metrics define it.

DER = (missed speech + false alarm + speaker confusion) / reference speech, over the
scored region: the UEM minus a collar of `collar` seconds on each side of every
reference boundary. Overlapped speech counts once per speaker. Our speakers are mapped
to the reference's one-to-one so that the time they share is largest (Hungarian).
Time is sampled every 10 ms, so results match the exact computation to within a frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from research.attribution import ReferenceTurn

STEP = 0.01


@dataclass(frozen=True)
class DiarizationError:
    missed: float
    false_alarm: float
    confusion: float
    reference: float

    @property
    def rate(self) -> float:
        return (self.missed + self.false_alarm + self.confusion) / self.reference if self.reference else 0.0


def read_uem(text: str, recording: str) -> tuple[float, float] | None:
    """The scored region of one recording in a UEM file (`name channel start end`)."""
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[0] == recording:
            return float(fields[2]), float(fields[3])
    return None


def _activity(turns: list[ReferenceTurn], labels: list[str], frames: int) -> np.ndarray:
    active = np.zeros((frames, len(labels)), dtype=bool)
    for turn in turns:
        a, b = int(round(turn.start / STEP)), int(round(turn.end / STEP))
        active[max(0, a) : max(0, min(frames, b)), labels.index(turn.label)] = True
    return active


def diarization_error(reference: list[ReferenceTurn], hypothesis: list[ReferenceTurn], uem: tuple[float, float], collar: float = 0.25) -> DiarizationError:
    """Missed, false-alarm and confused speech (seconds) of `hypothesis` against `reference` inside `uem`."""
    from scipy.optimize import linear_sum_assignment

    frames = int(round(uem[1] / STEP))
    scored = np.zeros(frames, dtype=bool)
    scored[int(round(uem[0] / STEP)) :] = True
    for turn in reference:
        for boundary in (turn.start, turn.end):
            scored[max(0, int(round((boundary - collar) / STEP))) : max(0, int(round((boundary + collar) / STEP)))] = False
    ref_labels = sorted({t.label for t in reference})
    hyp_labels = sorted({t.label for t in hypothesis})
    ref = _activity(reference, ref_labels, frames)[scored]
    hyp = _activity(hypothesis, hyp_labels, frames)[scored]
    n_ref, n_hyp = ref.sum(axis=1), hyp.sum(axis=1)
    correct = np.zeros(len(ref))
    if ref_labels and hyp_labels:
        shared = ref.T.astype(float) @ hyp.astype(float)
        rows, cols = linear_sum_assignment(-shared)
        for r, c in zip(rows, cols):
            correct += ref[:, r] & hyp[:, c]
    return DiarizationError(
        missed=float(np.maximum(0, n_ref - n_hyp).sum() * STEP),
        false_alarm=float(np.maximum(0, n_hyp - n_ref).sum() * STEP),
        confusion=float((np.minimum(n_ref, n_hyp) - correct).sum() * STEP),
        reference=float(n_ref.sum() * STEP),
    )
