"""Loading a model without stalling the threads that run beside it.

A worker thread shares the interpreter lock with the others (the review app's screen). Loading the anonymizer
(Presidio on spaCy) makes hundreds of thousands of objects that live as long as the process, and each of the
collector's automatic full passes over them holds the lock: seven passes of 0.04-1.8 s each during one load,
measured on a loaded 2-core machine, and the screen answered no key meanwhile. With automatic passes held back
for the load and what it made frozen after it, the others get the lock every few milliseconds instead; the load
itself took less CPU and no more memory. Only for a load whose objects live as long as the process: frozen
garbage is never collected (freezing after every map build grew the app by 2 MB a filter change).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from threading import Lock

_lock = Lock()
_holders = 0
_thresholds: tuple[int, int, int] | None = None


@contextmanager
def collections_held() -> Iterator[None]:
    """No automatic garbage collection while the block runs (in any thread); nested and concurrent holds end
    when the last one does: what is alive then is frozen (the model stays for the life of the app, and later
    passes skip it), and the thresholds come back as they were."""
    global _holders, _thresholds
    with _lock:
        if _holders == 0:
            _thresholds = gc.get_threshold()
            gc.set_threshold(0)
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                gc.freeze()
                gc.set_threshold(*_thresholds)
