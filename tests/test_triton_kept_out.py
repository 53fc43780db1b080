"""What a process imports: nothing the chosen engine does not need."""

import subprocess
import sys

from tests.conftest import REPO


def test_triton_stays_out_of_a_cpu_process_and_nothing_leaks_at_exit():
    """Presidio and sentence-transformers import transformers, and so torch._dynamo, which imports triton when installed;
    triton's bindings then print 'nanobind: leaked ...' at exit. A CPU run never needs triton."""
    code = (
        "import sys, research.anonymize.stage, sentence_transformers, torch._dynamo\n"
        "print('triton loaded' if sys.modules.get('triton') is not None else 'no triton')"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "no triton"
    assert "nanobind" not in result.stderr and "leaked" not in result.stderr


def test_openai_whisper_on_a_gpu_may_still_load_triton():
    from research.triton_guard import allow_triton, block_triton

    assert "triton" in sys.modules and sys.modules["triton"] is None  # blocked by `import research`
    allow_triton()
    assert "triton" not in sys.modules
    block_triton()
    assert sys.modules["triton"] is None


def test_idle_library_threads_sleep_unless_the_user_chose_otherwise():
    """torch's and CTranslate2's idle OpenMP threads spin by default; `import research` asks them to sleep, before either loads."""
    import os

    code = "import research, os, torch\nprint(os.environ['OMP_WAIT_POLICY'])"
    for chosen, expected in ((None, "PASSIVE"), ("ACTIVE", "ACTIVE")):
        env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"} | ({"OMP_WAIT_POLICY": chosen} if chosen else {})
        result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == expected
