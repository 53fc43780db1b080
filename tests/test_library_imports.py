"""What a process imports: nothing the chosen engine does not need, and never Textual from the library."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest

from tests.conftest import HANG_GUARD_S, REPO


@dataclass(frozen=True)
class FreshImports:
    """What one fresh interpreter loaded after importing every library module, then what Presidio and sentence-transformers
    pull in (transformers, torch._dynamo), with no OMP_WAIT_POLICY of its own."""

    returncode: int
    stdout: str
    stderr: str
    textual: list[str]  # the textual modules loaded
    triton_loaded: bool
    omp_wait_policy: str | None


@pytest.fixture(scope="module")
def fresh_imports() -> FreshImports:
    """One interpreter for the checks below: each import costs seconds, and they ask the same question of the same process."""
    modules = sorted(p.relative_to(REPO).with_suffix("").as_posix().replace("/", ".") for p in (REPO / "research").rglob("*.py"))
    code = (
        "import sys, os, json\n"
        + "".join(f"import {m}\n" for m in modules if not m.endswith("__main__"))
        + "import research.anonymize.stage, sentence_transformers, torch._dynamo\n"
        + "print(json.dumps({'textual': sorted(m for m in sys.modules if m.split('.')[0] == 'textual'),"
        " 'triton': sys.modules.get('triton') is not None, 'omp': os.environ.get('OMP_WAIT_POLICY')}))"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=HANG_GUARD_S, env=env)
    seen = json.loads(result.stdout.strip().splitlines()[-1]) if result.returncode == 0 else {"textual": [], "triton": False, "omp": ""}
    return FreshImports(result.returncode, result.stdout, result.stderr, seen["textual"], seen["triton"], seen["omp"])


def test_the_library_never_imports_textual(fresh_imports):
    assert fresh_imports.returncode == 0, fresh_imports.stderr[-2000:]
    assert fresh_imports.textual == []


def test_triton_stays_out_of_a_cpu_process_and_nothing_leaks_at_exit(fresh_imports):
    """Presidio and sentence-transformers import transformers, and so torch._dynamo, which imports triton when installed;
    triton's bindings then print 'nanobind: leaked ...' at exit. A CPU run never needs triton."""
    assert fresh_imports.returncode == 0, fresh_imports.stderr[-2000:]
    assert fresh_imports.stdout.strip().count("\n") == 0  # nothing printed but the answer
    assert not fresh_imports.triton_loaded
    assert "nanobind" not in fresh_imports.stderr and "leaked" not in fresh_imports.stderr


def test_openai_whisper_on_a_gpu_may_still_load_triton():
    from research.triton_guard import allow_triton, block_triton

    assert "triton" in sys.modules and sys.modules["triton"] is None  # blocked by `import research`
    allow_triton()
    assert "triton" not in sys.modules
    block_triton()
    assert sys.modules["triton"] is None


def test_idle_library_threads_sleep_unless_the_user_chose_otherwise(fresh_imports):
    """torch's and CTranslate2's idle OpenMP threads spin by default; `import research` asks them to sleep, before either loads."""
    assert fresh_imports.returncode == 0, fresh_imports.stderr[-2000:]
    assert fresh_imports.omp_wait_policy == "PASSIVE"  # nobody chose: the library's choice
    code = "import research, os, torch\nprint(os.environ['OMP_WAIT_POLICY'])"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"} | {"OMP_WAIT_POLICY": "ACTIVE"}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=HANG_GUARD_S, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ACTIVE"  # the user's choice wins
