"""Run a benchmark's measurements again with PII detection as it was at an earlier commit.

The old method is measured in the same run as the new one: a copy of today's `research`
package whose detection modules (everything in research/anonymize but evaluate.py, which
the benchmarks use for scoring) are replaced by the commit's, imported by a child process.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KEPT = "research/anonymize/evaluate.py"  # scoring stays the same on both sides


def reference_tree(commit: str) -> Path:
    """A folder holding `research/` with research/anonymize as of `commit` (scoring kept)."""
    folder = Path(tempfile.mkdtemp(prefix="pii-reference-"))
    shutil.copytree(REPO / "research", folder / "research", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.rmtree(folder / "research" / "anonymize")
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "research/anonymize"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    shutil.copy2(REPO / KEPT, folder / KEPT)
    (folder / "interviews").symlink_to(REPO / "interviews")  # the demo corpus is found beside the package
    return folder


def measure_at(commit: str, script: Path, args: list[str]) -> dict:
    """Run `script --json-only ARGS` against the commit's detection; its JSON result."""
    folder = reference_tree(commit)
    try:
        env = os.environ | {"PYTHONPATH": str(folder)}
        done = subprocess.run([sys.executable, str(script), *args, "--json-only"], env=env, capture_output=True, text=True, cwd=folder)
        if done.returncode:
            raise SystemExit(f"the reference run at {commit} failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
