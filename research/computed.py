"""Results computed from a codebook, never from a study's text, kept on disk so a process need not compute them again.

Every `research code` embedded the codebook's definitions and examples and trained its classifiers on them:
about 8 CPU seconds, the same each time. joblib's Memory keys a result by the function's code and its
arguments (the texts or training arrays, the model, the library versions and thread count, the source of
the module that computes it), so a changed codebook, model, library or computation computes afresh; a result read back is the very one that was computed.
Kept beside the converted models ($RESEARCH_MODELS or ~/.cache/research/models).
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


@cache
def memory():
    import joblib

    from research.transcribe.models import models_dir

    return joblib.Memory(models_dir() / "computed", verbose=0)


def kept(function: Callable, *args, ignore: list[str] | None = None):
    """`function(*args)`, read back from the disk cache when it was kept before. The cache only saves time: where
    its folder cannot be used (read-only, a full disk, a file in its place) the result is computed here instead."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module="joblib")  # its "Unable to write" warnings: the fallback below says it all
            return memory().cache(function, ignore=ignore)(*args)
    except OSError:
        return function(*args)


def versions(*packages: str) -> tuple[str, ...]:
    """The installed version of each package ('' when absent), part of a kept result's key."""
    found = []
    for package in packages:
        try:
            found.append(version(package))
        except PackageNotFoundError:
            found.append("")
    return tuple(found)


def source_hash(path: str) -> str:
    """A module's source (pass its `__file__`): an edit to how a kept result is computed computes it afresh."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
