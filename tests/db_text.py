"""Every value in a SQLite database as text, for tests that check what never reaches it (names, PII)."""

from __future__ import annotations

import sqlite3


def all_text(db_path) -> str:
    connection = sqlite3.connect(db_path)
    chunks = []
    for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in connection.execute(f'SELECT * FROM "{table}"'):
            chunks += [str(value) for value in row]
    return "\n".join(chunks)
