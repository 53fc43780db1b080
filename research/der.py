"""Diarization error rate, as md-eval and pyannote.metrics define it.

DER = (missed speech + false alarm + speaker confusion) / reference speech, over the
scored region: the UEM minus a collar of `collar` seconds on each side of every
reference boundary. Overlapped speech counts once per speaker. Our speakers are mapped
to the reference's one-to-one so that the time they share is largest (Hungarian).
Time is sampled every 10 ms, so results match the exact computation to within a frame.
`errors_by_overlap` splits the same errors by where they fall: overlapped reference speech (two or
more speakers) or the rest (one speaker or none), the mapping still made over the whole region.
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
    frames = _frame_errors(reference, hypothesis, uem, collar)
    return _summed(frames, np.ones(len(frames[0]), dtype=bool))


def errors_by_overlap(reference: list[ReferenceTurn], hypothesis: list[ReferenceTurn], uem: tuple[float, float], collar: float = 0.25) -> dict[str, DiarizationError]:
    """The errors of `diarization_error`, split into "overlap" (two or more reference speakers) and "single" (one or none)."""
    frames = _frame_errors(reference, hypothesis, uem, collar)
    overlapped = frames[3] >= 2
    return {"overlap": _summed(frames, overlapped), "single": _summed(frames, ~overlapped)}


def _summed(frames: tuple[np.ndarray, ...], region: np.ndarray) -> DiarizationError:
    missed, false_alarm, confusion, reference = (float(values[region].sum() * STEP) for values in frames)
    return DiarizationError(missed=missed, false_alarm=false_alarm, confusion=confusion, reference=reference)


def _frame_errors(reference: list[ReferenceTurn], hypothesis: list[ReferenceTurn], uem: tuple[float, float], collar: float) -> tuple[np.ndarray, ...]:
    """Per scored frame: missed, false-alarm and confused speakers, and reference speakers."""
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
    return np.maximum(0, n_ref - n_hyp), np.maximum(0, n_hyp - n_ref), np.minimum(n_ref, n_hyp) - correct, n_ref
