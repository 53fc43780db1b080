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


@pytest.fixture(scope="session")
def demo_study(tmp_path_factory: pytest.TempPathFactory):
    """The demo corpus through transcription (tiny.en), speaker separation and anonymization, once per session."""
    from research.anonymize.stage import run_anonymize
    from research.config import TranscribeSettings
    from research.ingest import add_files
    from research.metadata import MetadataSheet
    from research.speakers import run_speakers
    from research.study import Study
    from research.transcribe.batch import TranscriptionBatch

    study = Study.create(tmp_path_factory.mktemp("demo") / "study", "demo")
    study.config.anonymize.allow = BRAND_TERMS
    study.save_config()
    add_files(study, [DEMO], MetadataSheet.load(DEMO / "metadata.csv"))
    TranscriptionBatch(study, TranscribeSettings(model="tiny.en")).run()
    run_speakers(study)
    run_anonymize(study)
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
