"""The Ray backend: a local 2-CPU cluster, a worker killed mid-file, and the install hint without the extra."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from research.config import TranscribeSettings
from research.ingest import add_files
from research.transcribe.batch import SilentListener, TranscriptionBatch
from research.transcribe.wer import word_error_rate
from tests.audio_factory import speech_clip, write_audio
from tests.conftest import DEMO, HANG_GUARD_S, REPO
from tests.test_transcribe import vault_text


def test_without_the_extra_the_error_says_how_to_install_it(study):
    code = (
        "import sys; sys.modules['ray'] = None\n"  # as if the cluster extra were not installed
        "from research.cli import main; main()"
    )
    result = subprocess.run([sys.executable, "-c", code, "--study", str(study.root), "transcribe", "--cluster", "local"], cwd=REPO, capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert result.returncode == 0  # nothing to transcribe: without work, no cluster is needed
    add_files(study, [DEMO / "int-02.opus"])
    result = subprocess.run([sys.executable, "-c", code, "--study", str(study.root), "transcribe", "--cluster", "local"], cwd=REPO, capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert result.returncode == 1
    assert "pip install -e '.[cluster]'" in result.stderr and "Traceback" not in result.stderr


def _worker_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"ray::TranscriptionWorker" in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


class KillAWorkerMidFile(SilentListener):
    """Kills the Ray worker processes once the first file has two segments in the vault."""

    def __init__(self):
        self.killed: list[int] = []
        self.segments = 0

    def file_progress(self, code: str, audio_seconds_done: float) -> None:
        if code == "INT-001" and audio_seconds_done > 0:
            self.segments += 1
            if self.segments == 2 and not self.killed:
                self.killed = _worker_pids()
                for pid in self.killed:
                    os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_a_local_cluster_survives_a_worker_killed_mid_file(study, tmp_path):
    pytest.importorskip("ray", reason="the cluster extra (ray) is not installed")
    import ray

    # four or five segments each, cut where a turn ends (39 s and 29 s): a clip cut mid-word decodes its last words
    # differently from wherever the resumed attempt starts, which is no fault of the resume
    turns = json.loads((DEMO / "timings.json").read_text())
    clips = [write_audio(tmp_path / f"{name}.wav", speech_clip(DEMO / f"{name}.opus", turns[name][count - 1]["end"] + 0.5)) for name, count in (("int-01", 4), ("int-05", 5))]
    add_files(study, clips)
    settings = TranscribeSettings(model="tiny.en", workers=2, batching="off")  # sequential: segments stream one by one
    listener = KillAWorkerMidFile()
    try:
        report = TranscriptionBatch(study, settings, listener, cluster="local").run()
    finally:
        ray.shutdown()
    assert listener.killed, "no Ray worker was running mid-file"
    assert [o.status for o in report.outcomes] == ["done", "done"], report.outcomes
    for interview_id in (1, 2):
        rows = study.vault.db.execute("SELECT idx, start FROM raw_segments WHERE interview_id = ? ORDER BY idx", [interview_id]).fetchall()
        assert [idx for idx, _ in rows] == list(range(len(rows)))  # nothing duplicated, nothing skipped
        assert all(a[1] <= b[1] for a, b in zip(rows, rows[1:]))
    # the same words as one uninterrupted process gives
    alone = study.root.parent / "alone"
    from research.study import Study

    reference = Study.create(alone, "alone")
    add_files(reference, clips)
    TranscriptionBatch(reference, settings).run()
    for interview_id in (1, 2):
        assert word_error_rate([vault_text(reference, interview_id)], [vault_text(study, interview_id)]) < 0.05
