"""Shared fixtures: an offline model cache, study folders, real audio and external data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from research.demo_corpus import BRAND_TERMS, DEMO_DIR

REPO = Path(__file__).resolve().parent.parent
DEMO = DEMO_DIR
SHARED_DATA = REPO.parent / "shared" / "data"
# How long a test waits for a subprocess before calling it hung: a fresh interpreter importing torch, spaCy and the
# models took over 300 s at load 20 on 2 cores, and that is slowness, not a hang
HANG_GUARD_S = 900

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never download
os.environ.pop("COLUMNS", None)  # pytest-xdist sets COLUMNS=80 in its workers; the CLI would take it for a terminal's width


def _share_the_cores() -> None:
    """Each parallel worker gets its share of the cores, and idle OpenMP threads sleep instead of spinning.

    With two workers on two cores, torch's and CTranslate2's default of one thread per core puts four
    spinning threads on two cores; on a busy machine that multiplied a model's CPU time many times over.
    Set before any model library is imported; a developer's own OMP_* settings win."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
    threads = max(1, (os.cpu_count() or 1) // workers)
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    os.environ.setdefault("MKL_NUM_THREADS", str(threads))
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


_share_the_cores()


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Converted, joined and quantized models go to a cache of this run, not the user's.

    Parallel workers share it, so what one converts or quantizes the others reuse. Whisper base is joined into it
    before any test runs (by the first worker; the others wait), as its join replaces the folder and so may not
    run while another worker loads it. Everything else in it is written whole under a temporary name."""
    given = os.environ.get("RESEARCH_TEST_MODELS")
    folder = Path(given) if given else (_shared_folder(tmp_path_factory, "models") or tmp_path_factory.mktemp("models"))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["RESEARCH_MODELS"] = str(folder)
    if not given and _xdist_worker() is not None:
        from filelock import FileLock

        from research.transcribe.models import PACKAGED_CT2

        with FileLock(str(folder) + ".lock"):
            PACKAGED_CT2["base"]()
    return folder


def _one_speaker_export_at_a_time() -> None:
    """Parallel workers export and quantize the speaker models one at a time: the first to need them does it (CAM++'s
    calibrated quantization alone is ~35 CPU-s) while any other that needs them waits, then loads what it wrote,
    instead of every worker deriving the same files at once. A lock file beside them, in whichever model cache is set."""
    from filelock import FileLock

    from research import voice_models
    from research.transcribe.models import models_dir

    export = voice_models._onnx_session
    if getattr(export, "locked", False):
        return

    def locked(*args, **kwargs):
        (models_dir() / "speakers").mkdir(parents=True, exist_ok=True)
        with FileLock(str(models_dir() / "speakers" / "export.lock")):
            return export(*args, **kwargs)

    locked.locked = True
    voice_models._onnx_session = locked


_one_speaker_export_at_a_time()


def _prepare_speaker_models() -> None:
    """Export and quantize the speaker models into the run's model cache (the demo study's speakers stage needs
    them), before the other workers' first speaker test would quantize them again."""
    from research import voice_models

    if voice_models.available():
        voice_models.segmentation_runner()
        voice_models.frames_runner()


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
    # sequential decoding, as the demo-based tests' expectations were set on it; batching has its own tests.
    # Saved in the study's config, so that a later `research run` (or the app's `r`) finds nothing to transcribe again
    study.config.transcribe = TranscribeSettings(model="tiny.en", batching="off")
    study.save_config()
    add_files(study, [DEMO], MetadataSheet.load(DEMO / "metadata.csv"))
    TranscriptionBatch(study, study.config.transcribe).run()
    run_speakers(study)
    run_anonymize(study)
    return study


DEMO_FIXTURES = {"demo_study", "coded_demo", "coded_copy", "mapped_demo", "mapped_copy"}


def _xdist_worker() -> str | None:
    """This process's pytest-xdist worker id (gw0, gw1 ...), or None when the run is not split."""
    return os.environ.get("PYTEST_XDIST_WORKER")


def _built_once(folder: Path, build) -> Path:
    """`folder` holding what `build(folder)` makes, built by the first process to ask; the rest wait, then reuse it."""
    import shutil

    from filelock import FileLock

    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder) + ".lock"):
        if not folder.is_dir():
            staging = folder.with_name(folder.name + ".partial")
            shutil.rmtree(staging, ignore_errors=True)
            study = build(staging / "study")
            study.db.conn.close()  # the last connection to close folds the WAL into the database file
            study.vault.db.conn.close()
            staging.rename(folder)
    return folder / "study"


def _private_copy(source: Path, tmp_path_factory: pytest.TempPathFactory, name: str):
    import shutil

    from research.study import Study

    root = tmp_path_factory.mktemp(name) / "study"
    shutil.copytree(source, root)
    return Study.open(root)


def _shared_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path | None:
    """Where parallel workers share a study built once per run (none when the run is not split)."""
    if _xdist_worker() is None:
        return None
    return tmp_path_factory.getbasetemp().parent / name  # the run's folder, above every worker's own


def _demo_source(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """The built demo study to copy from: a developer's cache, or this run's shared build (None: build in place)."""
    cache = os.environ.get("RESEARCH_TEST_DEMO_CACHE")
    folder = Path(cache) / _demo_study_key() if cache else _shared_folder(tmp_path_factory, "demo-study")
    return _built_once(folder, _build_demo_study) if folder is not None else None


def _needs_demo(item: pytest.Item) -> bool:
    return bool(DEMO_FIXTURES & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on the demo study run last: under xdist the other workers run the rest while one builds it."""
    items.sort(key=_needs_demo)


_early_failure: list[BaseException] = []  # a failed early build, raised again by the demo fixtures only


@pytest.fixture(scope="session", autouse=True)
def demo_built_early(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> None:
    """Under xdist, worker gw0 builds the shared demo study (and its coded copy) first; the others steal its queue.
    It converts and exports models into the run's model cache, never the user's.

    A failure here fails only the tests that use the demo study, not every test this worker runs."""
    items = request.session.items
    if _xdist_worker() != "gw0" or not any(_needs_demo(item) for item in items):
        return
    try:
        if not os.environ.get("RESEARCH_TEST_MODELS"):
            _prepare_speaker_models()
        demo = _demo_source(tmp_path_factory)
        wanted = set().union(*(item.fixturenames for item in items))
        if {"coded_demo", "coded_copy", "mapped_demo", "mapped_copy"} & wanted:
            coded = _built_once(_shared_folder(tmp_path_factory, "coded-demo"), lambda root: _build_coded_demo(root, demo))
        if {"mapped_demo", "mapped_copy"} & wanted:
            _built_once(_shared_folder(tmp_path_factory, "mapped-demo"), lambda root: _build_mapped_demo(root, coded))
    except Exception as error:  # noqa: BLE001 - kept for the demo fixtures to raise
        _early_failure.append(error)


@pytest.fixture(scope="session")
def demo_study(tmp_path_factory: pytest.TempPathFactory, model_cache: Path):
    """The demo corpus through transcription (tiny.en), speaker separation and anonymization, once per run.

    Under pytest-xdist the first worker that needs it builds it and the others copy it. Developers may set
    RESEARCH_TEST_DEMO_CACHE to a folder: the built study is kept there under a hash of its inputs
    (DEMO_STUDY_INPUTS) and copied from it while they are unchanged. CI leaves it unset and builds afresh.
    """
    if _early_failure:
        raise _early_failure[0]
    source = _demo_source(tmp_path_factory)
    if source is None:
        return _build_demo_study(tmp_path_factory.mktemp("demo") / "study")
    return _private_copy(source, tmp_path_factory, "demo")


def _build_coded_demo(root: Path, demo: Path):
    import shutil

    from research.coding.stage import run_code
    from research.study import Study

    shutil.copytree(demo, root)
    study = Study.open(root)
    run_code(study)
    return study


@pytest.fixture(scope="session")
def coded_demo(tmp_path_factory: pytest.TempPathFactory, demo_study):
    """The demo study after `research code` (suggestions only; nobody has reviewed anything), once per run."""
    from research.coding.stage import run_code

    shared = _shared_folder(tmp_path_factory, "coded-demo")
    if shared is None:
        run_code(demo_study)
        return demo_study
    demo = _demo_source(tmp_path_factory)
    source = _built_once(shared, lambda root: _build_coded_demo(root, demo))
    return _private_copy(source, tmp_path_factory, "coded")


def _copy_of(study, tmp_path: Path):
    """A private copy of a study, for one test to change."""
    import shutil

    from research.study import Study

    study.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    target = tmp_path / "copy"
    shutil.copytree(study.root, target)
    return Study.open(target)


@pytest.fixture
def coded_copy(coded_demo, tmp_path: Path):
    """A private copy of the coded demo study, for tests that change decisions."""
    return _copy_of(coded_demo, tmp_path)


def _build_mapped_demo(root: Path, coded: Path):
    import shutil

    from research.coding.stage import study_codebook
    from research.journey import build_and_store
    from research.study import Study
    from research.themes import run_themes

    shutil.copytree(coded, root)
    study = Study.open(root)
    run_themes(study)
    build_and_store(study, study_codebook(study)[0])
    return study


@pytest.fixture(scope="session")
def mapped_demo(tmp_path_factory: pytest.TempPathFactory, coded_demo):
    """The coded demo study with its themes found and its journey map stored (`research themes`, `research map`), once per run."""
    shared = _shared_folder(tmp_path_factory, "mapped-demo")
    if shared is None:
        coded_demo.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return _build_mapped_demo(tmp_path_factory.mktemp("mapped") / "study", coded_demo.root)
    coded = _built_once(_shared_folder(tmp_path_factory, "coded-demo"), lambda root: _build_coded_demo(root, _demo_source(tmp_path_factory)))
    source = _built_once(shared, lambda root: _build_mapped_demo(root, coded))
    return _private_copy(source, tmp_path_factory, "mapped")


@pytest.fixture
def mapped_copy(mapped_demo, tmp_path: Path):
    """A private copy of the mapped demo study, for tests that change it."""
    return _copy_of(mapped_demo, tmp_path)
