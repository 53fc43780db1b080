"""Speaker separation, old (GE2E windows + spectral clustering) beside new (segmentation-3.0 + CAM++), same run.

    python benchmarks/speakers.py [--skip-demo] [--baseline REV] [--float]

`--baseline REV` adds research/diarize.py, diarize_ge2e.py and voice_models.py (the models' export and
quantization, where REV has it) as they were at git revision REV (e.g. 2997370), so that a change to the CAM++
method or its models is measured beside its predecessor in one run; the baseline's speaker stage also decodes
with research/audio.py's `decode` as it was at REV.
`--float` adds today's CAM++ method on the float models (int8 by default; see research.voice_models).

Reports, for each method:
- DER on the AMI clips in ../shared/data/diarization-ami-train (collar 0.25 s each side,
  inside the UEM, overlap scored; the speaker count found automatically), per clip (with its
  missed, false-alarm and confused seconds), the mean over clips and pooled over all clips
  (total error / total reference speech), and the pooled errors in overlapped speech and elsewhere;
- word attribution on pyannote's real phone call (RTTM reference, two voices, Whisper base);
- words with the right role on the demo interviews (tiny.en; per-turn timings as reference);
- seconds of speaker separation per audio hour (CPU time and wall time, this machine's cores);
- determinism: the phone call and the first AMI clip diarized twice, compared frame by frame;
- one voice (jfk.flac, 11 s) with two voices asked for, as the sheet's default count does: voices found.
Transcription time is never counted. The speaker stage runs as in `research run`: the samples decoded for
transcription are read back (`research.audio.shared_decodes`) rather than decoded again; a baseline's `decode`
from before that decodes again.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from research.attribution import ReferenceTurn, labelled_accuracy, mapped_accuracy, read_rttm, utterance_words  # noqa: E402
from research.audio import decode, shared_decodes  # noqa: E402
from research.config import TranscribeSettings  # noqa: E402
from research.demo_corpus import DEMO_DIR as DEMO  # noqa: E402
from research.der import diarization_error, errors_by_overlap, read_uem  # noqa: E402
from research import speakers as speakers_stage  # noqa: E402
from research import voice_models  # noqa: E402
from research.diarize import diarize  # noqa: E402
from research.ingest import add_files  # noqa: E402
from research.metadata import MetadataSheet  # noqa: E402
from research.speakers import run_speakers  # noqa: E402
from research.study import Study  # noqa: E402
from research.transcribe.batch import TranscriptionBatch  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
METHODS = ["ge2e", "campplus"]
NAMES = {"ge2e": "old (GE2E)", "campplus": "new (CAM++ int8)"}
DIARIZE: dict[str, Callable] = {"ge2e": diarize, "campplus": diarize}
DECODE: dict[str, Callable] = {}  # a method's own decoder for the speaker stage, where it is not today's
ENGINE = {"ge2e": "ge2e", "campplus": "campplus", "baseline": "campplus", "float": "campplus"}


def add_float() -> None:
    """Today's CAM++ method on the float models, as the method "float"."""

    def on_float(*args, **kwargs):
        with voice_models.precision("float"):
            return diarize(*args, **kwargs)

    METHODS.insert(len(METHODS) - 1, "float")
    NAMES["float"] = "CAM++ float models"
    DIARIZE["float"] = on_float


def add_baseline(revision: str) -> None:
    """research/diarize.py, its GE2E fallback (diarize_ge2e.py) and its models (voice_models.py, where `revision` has
    it) as they were at `revision`, loaded beside today's as the method "baseline", whose speaker stage decodes with
    research/audio.py's `decode` at `revision`."""
    import research.diarize_ge2e  # noqa: F401 - today's, put back after each baseline call
    import research.voice_models  # noqa: F401 - likewise

    folder = Path(tempfile.mkdtemp())
    modules = {}
    for name in ("voice_models", "diarize", "diarize_ge2e", "audio"):
        shown = subprocess.run(["git", "-C", str(REPO), "show", f"{revision}:research/{name}.py"], capture_output=True, text=True)
        if shown.returncode and name == "voice_models":
            continue  # a revision from before the models had a module of their own
        shown.check_returncode()
        source = shown.stdout
        path = folder / f"{name}_baseline.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location(f"{name}_baseline", path)
        modules[name] = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = modules[name]  # its dataclasses look themselves up there
        old_models = {"research.voice_models": modules["voice_models"]} if name == "diarize" and "voice_models" in modules else {}
        with modules_as(old_models):  # what the old diarize imports from its models at its own import
            spec.loader.exec_module(modules[name])
    swapped = {f"research.{name}": modules[name] for name in ("diarize_ge2e", "voice_models") if name in modules}

    def baseline(*args, **kwargs):
        with modules_as(swapped):  # what the old diarize imports inside its functions (its models, its fallback)
            return modules["diarize"].diarize(*args, **kwargs)

    METHODS.insert(1, "baseline")
    NAMES["baseline"] = f"CAM++ at {revision}"
    DIARIZE["baseline"] = baseline
    DECODE["baseline"] = modules["audio"].decode


@contextmanager
def modules_as(replacements: dict[str, ModuleType]):
    """`sys.modules` holds `replacements` for the duration; today's modules are put back after."""
    today = {name: sys.modules[name] for name in replacements}
    sys.modules.update(replacements)
    try:
        yield
    finally:
        sys.modules.update(today)


@contextmanager
def stage_uses(method: str):
    """`research speakers` diarizes (and decodes) with `method`'s functions for the duration."""
    original = speakers_stage.diarize, speakers_stage.decode
    speakers_stage.diarize, speakers_stage.decode = DIARIZE[method], DECODE.get(method, decode)
    try:
        yield
    finally:
        speakers_stage.diarize, speakers_stage.decode = original


class Clock:
    """Wall and CPU seconds spent inside `with clock:` blocks."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def __enter__(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def __exit__(self, *_) -> None:
        self.wall += time.perf_counter() - self._wall
        self.cpu += time.process_time() - self._cpu


def ami(clocks: dict[str, Clock]) -> dict[str, float]:
    folder = SHARED / "diarization-ami-train"
    uem = (folder / "debug.train.uem").read_text()
    clips = sorted(p.stem for p in folder.glob("trn*.flac"))
    totals = {m: np.zeros(4) for m in METHODS}
    regions = {m: {r: np.zeros(4) for r in ('overlap', 'single')} for m in METHODS}
    rates = {m: [] for m in METHODS}
    print("AMI clips: DER (collar 0.25 s, UEM), speakers found / true")
    print(f"  {'clip':6} {'true':>4}  " + "  ".join(f"{NAMES[m]:>22}" for m in METHODS))
    for clip in clips:
        audio = decode(folder / f"{clip}.flac")
        reference = read_rttm(folder / "debug.train.rttm", clip)
        cells = []
        for method in METHODS:
            with clocks[method]:
                result = DIARIZE[method](audio, method=ENGINE[method])
            hypothesis = [ReferenceTurn(a, b, str(s)) for a, b, s in result.turns()]
            error = diarization_error(reference, hypothesis, read_uem(uem, clip))
            totals[method] += [error.missed, error.false_alarm, error.confusion, error.reference]
            for region, part in errors_by_overlap(reference, hypothesis, read_uem(uem, clip)).items():
                regions[method][region] += [part.missed, part.false_alarm, part.confusion, part.reference]
            rates[method].append(error.rate)
            cells.append(f"{error.rate:>15.3f} ({result.speakers} spk) [m {error.missed:.1f} f {error.false_alarm:.1f} c {error.confusion:.1f} s]")
        print(f"  {clip:6} {len({t.label for t in reference}):>4}  " + "  ".join(cells))
    pooled = {}
    for method in METHODS:
        missed, false_alarm, confusion, reference = totals[method]
        pooled[method] = (missed + false_alarm + confusion) / reference
        print(f"  {NAMES[method]}: mean of clips {np.mean(rates[method]):.3f}, pooled {pooled[method]:.3f} (missed {missed / reference:.3f}, false alarm {false_alarm / reference:.3f}, confusion {confusion / reference:.3f})")
        print("    " + "; ".join(f"{region} speech {r[3]:.1f} s: missed {r[0]:.1f}, false alarm {r[1]:.1f}, confused {r[2]:.1f}" for region, r in regions[method].items()))
    return pooled


def phone_call(clocks: dict[str, Clock]) -> None:
    folder = SHARED / "diarization-pyannote-sample"
    with tempfile.TemporaryDirectory() as tmp:
        study = Study.create(Path(tmp) / "study", "phone")
        add_files(study, [folder / "sample.wav"])
        with shared_decodes(study.vault_dir / "decoded"):  # as `research run`: transcription's decode serves the speaker stage
            TranscriptionBatch(study, TranscribeSettings(model="base")).run()
            each_method_separates_the_call(study, folder, clocks)


def each_method_separates_the_call(study: Study, folder: Path, clocks: dict[str, Clock]) -> None:
    for method in METHODS:
        with clocks[method], stage_uses(method):
            run_speakers(study, 2, force=True, method=ENGINE[method])
        first = [w[2] for w in utterance_words(study.vault.raw_utterances(1), "speaker")]
        with stage_uses(method):
            run_speakers(study, 2, force=True, method=ENGINE[method])
        words = utterance_words(study.vault.raw_utterances(1), "speaker")
        same = "identical" if [w[2] for w in words] == first else "DIFFERENT"
        accuracy = mapped_accuracy(words, read_rttm(folder / "sample.rttm"))
        print(f"pyannote phone call (30 s, 2 voices), {NAMES[method]}: word attribution {accuracy:.3f}; two runs {same}")


def determinism() -> None:
    audio = decode(SHARED / "diarization-ami-train" / "trn09.flac")
    for method in METHODS:
        first, second = DIARIZE[method](audio, method=ENGINE[method]), DIARIZE[method](audio, method=ENGINE[method])
        same = np.array_equal(first.activity, second.activity)
        print(f"AMI trn09 diarized twice, {NAMES[method]}: {'identical' if same else 'DIFFERENT'}")


def one_voice() -> None:
    audio = decode(SHARED / "asr-faster-whisper-jfk" / "jfk.flac")
    for method in METHODS:
        print(f"one voice (jfk.flac), two asked for, {NAMES[method]}: {DIARIZE[method](audio, 2, 2, method=ENGINE[method]).speakers} found")


def demo(clocks: dict[str, Clock]) -> float:
    with tempfile.TemporaryDirectory() as folder:
        study = Study.create(Path(folder) / "study", "bench")
        add_files(study, [DEMO], MetadataSheet.load(DEMO / "metadata.csv"))
        with shared_decodes(study.vault_dir / "decoded"):  # as `research run`: transcription's decode serves the speaker stage
            TranscriptionBatch(study, TranscribeSettings(model="tiny.en")).run()
            return each_method_separates_the_demo(study, clocks)


def each_method_separates_the_demo(study: Study, clocks: dict[str, Clock]) -> float:
    audio_seconds = sum(row["duration"] for row in study.db.query("SELECT duration FROM interviews"))
    timings = json.loads((DEMO / "timings.json").read_text())
    for method in METHODS:
        with clocks[method], stage_uses(method):
            run_speakers(study, force=True, method=ENGINE[method])
        total = correct = 0.0
        for row in study.db.query("SELECT id FROM interviews ORDER BY id"):
            ours = utterance_words(study.vault.raw_utterances(row["id"]), "role")
            reference = [ReferenceTurn(t["start"], t["end"], t["speaker"]) for t in timings[f"int-{row['id']:02d}"]]
            correct += labelled_accuracy(ours, reference) * len(ours)
            total += len(ours)
        print(f"demo interviews ({audio_seconds / 60:.1f} min), {NAMES[method]}: words with the right role {correct / total:.4f} of {int(total)}")
    return audio_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-demo", action="store_true", help="leave out the demo interviews (transcribing them takes minutes)")
    parser.add_argument("--baseline", metavar="REV", help="also run research/diarize.py (and its GE2E fallback) as it was at this git revision")
    parser.add_argument("--float", action="store_true", help="also run today's CAM++ method on the float models (int8 by default)")
    arguments = parser.parse_args()
    if not SHARED.is_dir():
        raise SystemExit(f"needs the shared data at {SHARED}")
    if arguments.baseline:
        add_baseline(arguments.baseline)
    if arguments.float:
        add_float()
    warm_up = decode(SHARED / "diarization-pyannote-sample" / "sample.wav")
    for method in METHODS:  # load each method's models and libraries before timing
        DIARIZE[method](warm_up, method=ENGINE[method])
    clocks = {m: Clock() for m in METHODS}
    audio_seconds = 9 * 30.0
    ami(clocks)
    audio_seconds += 30.0
    phone_call(clocks)
    determinism()
    one_voice()
    if not arguments.skip_demo:
        audio_seconds += demo(clocks)
    print(f"time per audio hour ({audio_seconds / 60:.1f} min of audio, {os.cpu_count()} cores, torch threads as set):")
    for method in METHODS:
        clock = clocks[method]
        print(f"  {NAMES[method]}: {clock.wall * 3600 / audio_seconds:.0f} s wall, {clock.cpu * 3600 / audio_seconds:.0f} s CPU")
    for method in METHODS[:-1]:
        print(f"  new / {NAMES[method]} CPU time: {clocks['campplus'].cpu / max(clocks[method].cpu, 1e-9):.2f}")


if __name__ == "__main__":
    main()
