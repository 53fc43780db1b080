"""UMAP's numba functions compiled once per machine, not once per process.

UMAP declares its numba functions without `cache=True`, so every process that fits themes compiles them
again: most of a small study's `research themes`. `keep_umap_compiled` turns on numba's own disk cache for
them, as `cache=True` would: the same machine code, kept beside the installed package (or in numba's
user-wide cache where that folder is read-only) and recompiled by numba when UMAP's source changes.
"""

from __future__ import annotations

from functools import cache

UMAP_MODULES = ("umap.distances", "umap.layouts", "umap.sparse", "umap.spectral", "umap.umap_", "umap.utils")  # all but the plotting, TensorFlow and aligned extras


@cache
def keep_umap_compiled() -> None:
    """Enable numba's disk cache on every jitted function of the installed UMAP, before any is compiled."""
    from importlib import import_module

    from numba.core.dispatcher import Dispatcher

    for name in UMAP_MODULES:
        module = import_module(name)
        for value in vars(module).values():
            if isinstance(value, Dispatcher) and value.__module__ == module.__name__:
                value.enable_caching()
