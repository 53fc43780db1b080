"""Import sqlite-utils without pandas, which would be most of its import time.

sqlite-utils imports pandas (about 0.4 s of CPU) only to map a pandas Timestamp to a TEXT column
when it creates a table from values. Nothing here needs that: every table is declared with Python
types (research.store, research.vault) and no module uses pandas. So `research/__init__` imports
sqlite-utils first, while `import pandas` fails; pandas itself still imports normally afterwards.
"""

from __future__ import annotations

import sys


def import_sqlite_utils_without_pandas() -> None:
    """Import sqlite_utils with pandas hidden (a no-op when either is imported already)."""
    if "sqlite_utils" in sys.modules or "pandas" in sys.modules:
        return
    sys.modules["pandas"] = None  # a None entry makes `import pandas` raise ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        if "pandas" in sys.modules and sys.modules["pandas"] is None:
            del sys.modules["pandas"]
