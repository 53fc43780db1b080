"""A benchmark script run on another git revision's research package, in a subprocess, so that the old method's
numbers print beside the new in the same run (the benchmarks' `--reference REV`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent



@contextmanager
def study_copy(study: Path) -> Iterator[Path]:
    """A scratch copy of the study folder `study`, removed afterwards: what a benchmark's side opens or changes is the copy."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "study"
        shutil.copytree(study, copy)
        yield copy


def run_at_revision(revision: str, script: str, args: list[str] | Callable[[Path], list[str]], paths: tuple[str, ...] = ("research",)) -> dict | list | None:
    """The JSON that `script` prints last, run with `revision`'s `paths` (from `git archive`) on its PYTHONPATH and as its
    working folder; `args` may be made from that folder (to pass files written into it). None, with a line saying why,
    when the revision does not run."""
    folder = Path(tempfile.mkdtemp(prefix="reference-"))
    try:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", revision, *paths], capture_output=True, check=True).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        argv = args(folder) if callable(args) else args
        result = subprocess.run([sys.executable, script, *argv], capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(folder)}, cwd=folder)
        if result.returncode:
            print(f"reference {revision}: failed ({result.stderr.strip().splitlines()[-1] if result.stderr.strip() else result.returncode})")
            return None
        return json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_here(script: str, args: list[str], env: dict[str, str] | None = None) -> dict | list:
    """The JSON that `script` prints last, run on this checkout's research package in a subprocess (`env` added to
    the environment); a failure stops the benchmark with the script's error."""
    result = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(REPO)} | (env or {}), cwd=REPO)
    if result.returncode:
        raise SystemExit(f"this checkout failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_side(script: str, args: list[str], reference: str | None, env: dict[str, str] | None = None) -> dict | list | None:
    """The JSON `script` prints on one side of an old-beside-new benchmark: with `reference`, that revision's research
    package and codebooks (`run_at_revision`); without, this checkout with `env` added (`run_here`)."""
    if reference:
        return run_at_revision(reference, script, args, paths=("research", "codebooks"))
    return run_here(script, args, env)
