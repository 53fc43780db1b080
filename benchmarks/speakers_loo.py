"""Which separation settings generalise on the AMI clips: each chosen on eight clips, scored on the ninth.

    python benchmarks/speakers_loo.py

The models hear each clip of ../shared/data/diarization-ami-train once (`research.diarize.listen`); each
setting of research/diarize.py below is then swept alone (the two count shares also together), the rest
of separation (`separate`) re-run per value. For each it prints DER (collar 0.25 s, inside the UEM,
speakers found automatically) as the mean over clips and pooled, at today's value, at the value best on
all nine clips (in-sample), and leave-one-clip-out: the value best on the other eight, scored on the
held-out clip, averaged over the nine. A value is worth shipping only if the leave-one-clip-out mean
beats today's.

The floor: DER with every chunk's local speakers given to the reference speaker they share most time
with (perfect clustering; same segmentation and frame-level reconstruction): what clustering can still
win, and what only a segmentation that hears more can; also with the two count shares then chosen on all
nine clips (in-sample, the most any threshold could add).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from research import diarize as D  # noqa: E402
from research.attribution import ReferenceTurn, read_rttm  # noqa: E402
from research.audio import decode  # noqa: E402
from research.der import DiarizationError, diarization_error, read_uem  # noqa: E402

FOLDER = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "diarization-ami-train"
SWEEPS: dict[str, list[float]] = {
    "SILENCE_SHARE": [0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8],
    "OVERLAP_SHARE": [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6],
    "CLUSTER_THRESHOLD": [0.6, 0.65, 0.7, 0.75, 0.8],
    "MIN_CLUSTER_SECONDS": [0.5, 1.0, 1.5, 2.0, 3.0],
    "MIN_EMBEDDING_FRAMES": [10, 20, 40],
    "PIECE_MARGIN": [0.05, 0.1, 0.2, 1.0],
    "MIN_TOGETHER_SECONDS": [0.25, 0.5, 1.0, 2.0, float("inf")],  # inf: no voice from simultaneous speech alone
}
JOINT = ("SILENCE_SHARE", "OVERLAP_SHARE")


@dataclass
class Clip:
    name: str
    heard: D.Heard
    reference: list[ReferenceTurn]
    uem: tuple[float, float]


@dataclass
class Scores:
    """Per-clip errors of one setting."""

    errors: list[DiarizationError]

    @property
    def rates(self) -> np.ndarray:
        return np.array([e.rate for e in self.errors])

    @property
    def pooled(self) -> float:
        return sum(e.missed + e.false_alarm + e.confusion for e in self.errors) / sum(e.reference for e in self.errors)


@contextmanager
def settings(values: dict[str, float]) -> Iterator[None]:
    """research.diarize's module settings hold `values` for the duration."""
    before = {name: getattr(D, name) for name in values}
    for name, value in values.items():
        setattr(D, name, value)
    try:
        yield
    finally:
        for name, value in before.items():
            setattr(D, name, value)


def load_clips() -> list[Clip]:
    uem = (FOLDER / "debug.train.uem").read_text()
    clips = []
    with D.one_thread():
        for path in sorted(FOLDER.glob("trn*.flac")):
            clips.append(Clip(path.stem, D.listen(decode(path)), read_rttm(FOLDER / "debug.train.rttm", path.stem), read_uem(uem, path.stem)))
    return clips


def scored(clips: list[Clip], separate: Callable[[Clip], D.Diarization]) -> Scores:
    errors = []
    for clip in clips:
        found = separate(clip)
        hypothesis = [ReferenceTurn(a, b, str(s)) for a, b, s in found.turns()]
        errors.append(diarization_error(clip.reference, hypothesis, clip.uem))
    return Scores(errors)


def automatic(clip: Clip) -> D.Diarization:
    with D.one_thread():
        return D.separate(clip.heard, 1, D.MAX_AUTO_SPEAKERS)


def leave_one_out(results: dict[tuple, Scores], today: tuple) -> tuple[Scores, list[tuple]]:
    """Each clip's errors at the value best on the other clips (mean DER over them; ties: the value nearest today's)."""
    values = list(results)
    clips = len(results[today].errors)
    held, chosen = [], []
    for i in range(clips):
        best = min(values, key=lambda v: (np.delete(results[v].rates, i).mean(), sum(abs(a - b) for a, b in zip(v, today))))
        held.append(results[best].errors[i])
        chosen.append(best)
    return Scores(held), chosen


def sweep(clips: list[Clip], names: tuple[str, ...]) -> None:
    today = tuple(getattr(D, name) for name in names)
    results = {}
    for values in itertools.product(*(SWEEPS[name] for name in names)):
        with settings(dict(zip(names, values))):
            results[values] = scored(clips, automatic)
    if today not in results:
        results[today] = scored(clips, automatic)
    best = min(results, key=lambda v: results[v].rates.mean())
    held, chosen = leave_one_out(results, today)
    label = " × ".join(names)
    print(f"{label}: today {shown(today)}: mean {results[today].rates.mean():.3f}, pooled {results[today].pooled:.3f}; "
          f"in-sample best {shown(best)}: {results[best].rates.mean():.3f}, {results[best].pooled:.3f}; "
          f"leave-one-clip-out: mean {held.rates.mean():.3f}, pooled {held.pooled:.3f} (chosen {', '.join(shown(v) for v in chosen)})")


def shown(values: tuple) -> str:
    return "/".join(f"{x:g}" for x in values)


def perfect_clustering(clip: Clip) -> D.Diarization:
    """Each chunk's local speakers go to the reference speakers they share most frames with (distinct, Hungarian)."""
    from scipy.optimize import linear_sum_assignment

    heard = clip.heard
    labels = sorted({t.label for t in clip.reference})
    truth = np.zeros((heard.frames, len(labels)))
    for turn in clip.reference:
        truth[int(turn.start / D.FRAME_STEP) : int(turn.end / D.FRAME_STEP), labels.index(turn.label)] = 1
    local = D._powerset_table()[heard.classes.argmax(axis=-1)]
    clusters = np.full(local.shape, -1)
    for c, start in enumerate(heard.starts):
        index = int(round(start / D.FRAME_STEP)) + np.arange(local.shape[1])
        inside = index < heard.frames
        shared = local[c][inside].T.astype(float) @ truth[index[inside]]
        for k, speaker in zip(*linear_sum_assignment(-shared)):
            if shared[k, speaker] > 0:
                clusters[c, :, k] = speaker
    activity = D._reconstruct(heard.starts, heard.classes, clusters, len(labels), heard.frames)
    return D.Diarization(D.FRAME_STEP, activity, np.zeros((len(labels), 192)), "campplus")


def main() -> None:
    if not FOLDER.is_dir():
        raise SystemExit(f"needs the shared data at {FOLDER}")
    clips = load_clips()
    today = scored(clips, automatic)
    print("clips:      " + " ".join(f"{c.name:>6}" for c in clips))
    print("today:      " + " ".join(f"{r:6.3f}" for r in today.rates) + f"   mean {today.rates.mean():.3f}, pooled {today.pooled:.3f}")
    floor = scored(clips, perfect_clustering)
    print("floor:      " + " ".join(f"{r:6.3f}" for r in floor.rates) + f"   mean {floor.rates.mean():.3f}, pooled {floor.pooled:.3f} (perfect clustering)")
    tuned = {}
    for values in itertools.product(*(SWEEPS[name] for name in JOINT)):
        with settings(dict(zip(JOINT, values))):
            tuned[values] = scored(clips, perfect_clustering)
    best = min(tuned, key=lambda v: tuned[v].rates.mean())
    print(f"floor with {' and '.join(JOINT)} best on all nine ({shown(best)}): mean {tuned[best].rates.mean():.3f}, pooled {tuned[best].pooled:.3f}")
    for name in SWEEPS:
        sweep(clips, (name,))
    sweep(clips, JOINT)


if __name__ == "__main__":
    main()
