"""Shared fixtures: an offline model cache, study folders, real audio and external data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from research.demo_corpus import BRAND_TERMS, DEMO_DIR

REPO = Path(__file__).resolve().parent.parent
DEMO = DEMO_DIR
SHARED_DATA = REPO.parent / "shared" / "data"

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never download


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Converted and joined models go to a per-session cache, not the user's."""
    folder = Path(os.environ.get("RESEARCH_TEST_MODELS") or tmp_path_factory.mktemp("models"))
    os.environ["RESEARCH_MODELS"] = str(folder)
    return folder


@pytest.fixture
def study(tmp_path: Path):
    from research.study import Study

    return Study.create(tmp_path / "study", "test")


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"external test data not found at {SHARED_DATA} (it ships beside the repository in CI, not in a clone)")
    return SHARED_DATA


# What the demo study fixture is built from: a developer's cache of it is only reused while these are unchanged.
DEMO_STUDY_INPUTS = (
    "research/transcribe", "research/anonymize", "research/speakers.py", "research/diarize.py",
    "research/diarize_ge2e.py", "research/attribution.py", "research/enrolment.py", "research/fbank.py",
    "research/embeddings.py", "research/voice_models.py", "research/ingest.py", "research/metadata.py",
    "research/store.py", "research/study.py", "research/vault.py", "research/audio.py", "research/config.py",
    "interviews/demo", "tests/conftest.py",
)


def _demo_study_key() -> str:
    """A hash of every file the demo study fixture depends on."""
    import hashlib

    digest = hashlib.sha256()
    for name in DEMO_STUDY_INPUTS:
        path = REPO / name
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(str(file.relative_to(REPO)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _build_demo_study(root: Path):
    from research.anonymize.stage import run_anonymize
    from research.config import TranscribeSettings
    from research.ingest import add_files
    from research.metadata import MetadataSheet
    from research.speakers import run_speakers
    from research.study import Study
    from research.transcribe.batch import TranscriptionBatch

    study = Study.create(root, "demo")
    study.config.anonymize.allow = BRAND_TERMS
    study.save_config()
    add_files(study, [DEMO], MetadataSheet.load(DEMO / "metadata.csv"))
    TranscriptionBatch(study, TranscribeSettings(model="tiny.en")).run()
    run_speakers(study)
    run_anonymize(study)
    return study


@pytest.fixture(scope="session")
def demo_study(tmp_path_factory: pytest.TempPathFactory):
    """The demo corpus through transcription (tiny.en), speaker separation and anonymization, once per session.

    Developers may set RESEARCH_TEST_DEMO_CACHE to a folder: the built study is kept there under a hash of its
    inputs (DEMO_STUDY_INPUTS) and copied from it while they are unchanged. CI leaves it unset and builds afresh.
    """
    import shutil

    from research.study import Study

    root = tmp_path_factory.mktemp("demo") / "study"
    cache = os.environ.get("RESEARCH_TEST_DEMO_CACHE")
    cached = Path(cache) / _demo_study_key() if cache else None
    if cached is not None and cached.is_dir():
        shutil.copytree(cached, root)
        return Study.open(root)
    study = _build_demo_study(root)
    if cached is not None:
        study.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        staging = cached.with_name(cached.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(root, staging)
        staging.rename(cached)
    return study


@pytest.fixture(scope="session")
def coded_demo(demo_study):
    """The demo study after `research code` (suggestions only; nobody has reviewed anything)."""
    from research.coding.stage import run_code

    run_code(demo_study)
    return demo_study


@pytest.fixture
def coded_copy(coded_demo, tmp_path: Path):
    """A private copy of the coded demo study, for tests that change decisions."""
    import shutil

    from research.study import Study

    coded_demo.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    target = tmp_path / "copy"
    shutil.copytree(coded_demo.root, target)
    return Study.open(target)
