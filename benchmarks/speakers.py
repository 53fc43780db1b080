"""Speaker separation: accuracy and time per audio hour.

    python benchmarks/speakers.py

Transcribes the demo interviews (tiny.en; transcription time is not counted), then
times speaker separation alone and reports the share of words given the right role
(reference: the per-turn timings the demo audio was generated with). When
../shared/data is present, also reports word attribution accuracy on a real
two-speaker phone call (RTTM reference) and checks a stereo call split by channel.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from research.attribution import ReferenceTurn, labelled_accuracy, mapped_accuracy, read_rttm, utterance_words  # noqa: E402
from research.config import TranscribeSettings  # noqa: E402
from research.demo_corpus import DEMO_DIR as DEMO  # noqa: E402
from research.diarize import _encoder  # noqa: E402
from research.ingest import add_files  # noqa: E402
from research.metadata import MetadataSheet  # noqa: E402
from research.speakers import run_speakers  # noqa: E402
from research.study import Study  # noqa: E402
from research.transcribe.batch import TranscriptionBatch  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"


def words(study: Study, interview_id: int, field: str) -> list[tuple[float, float, str]]:
    return utterance_words(study.vault.raw_utterances(interview_id), field)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        study = Study.create(Path(folder) / "study", "bench")
        add_files(study, [DEMO], MetadataSheet.load(DEMO / "metadata.csv"))
        TranscriptionBatch(study, TranscribeSettings(model="tiny.en")).run()
        _encoder()  # load the voice encoder before timing
        audio_seconds = sum(row["duration"] for row in study.db.query("SELECT duration FROM interviews"))
        started = time.perf_counter()
        run_speakers(study)
        seconds = time.perf_counter() - started
        timings = json.loads((DEMO / "timings.json").read_text())
        total_words = correct = 0.0
        for row in study.db.query("SELECT id FROM interviews ORDER BY id"):
            ours = words(study, row["id"], "role")
            reference = [ReferenceTurn(t["start"], t["end"], t["speaker"]) for t in timings[f"int-{row['id']:02d}"]]
            correct += labelled_accuracy(ours, reference) * len(ours)
            total_words += len(ours)
        print(f"demo interviews: {audio_seconds / 60:.1f} min of audio, separated in {seconds:.1f} s")
        print(f"  time per audio hour: {seconds * 3600 / audio_seconds:.0f} s (real-time factor {seconds / audio_seconds:.3f}), {os.cpu_count()} cores")
        print(f"  words with the right role: {correct / total_words:.4f} of {int(total_words)}")
    phone = SHARED / "diarization-pyannote-sample"
    if phone.is_dir():
        with tempfile.TemporaryDirectory() as folder:
            study = Study.create(Path(folder) / "study", "phone")
            add_files(study, [phone / "sample.wav"])
            TranscriptionBatch(study, TranscribeSettings(model="base")).run()
            run_speakers(study, 2)
            accuracy = mapped_accuracy(words(study, 1, "speaker"), read_rttm(phone / "sample.rttm"))
            print(f"real two-speaker phone call (30 s, RTTM reference): word attribution accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
