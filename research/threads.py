"""Idle OpenMP threads sleep rather than spin.

torch (MiniLM, the emotion model) and CTranslate2 (Whisper) run on libgomp thread pools, whose idle
threads by default spin before they sleep. Coding runs hundreds of small operations per batch with
Python in between, so a pool thread spins through every gap: on a machine whose cores are shared
(parallel workers, other programs) that doubled coding's CPU time and slowed it too. With PASSIVE
they sleep at once; the work, and so every result, is the same. libgomp reads the setting once, when
torch or CTranslate2 loads it, so it is set on `import research`; a user's own setting is kept.
"""

from __future__ import annotations

import os


def idle_threads_sleep() -> None:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
