"""Full-text search of the anonymized utterances, forgiving about hyphens, case and plurals.

SQLite's FTS5 index (porter stemmer) already folds case and plurals ("routers" finds "router").
Hyphens split a word into tokens, so "Wi-Fi" is indexed as "wi" "fi": a hyphenated query word is
searched as that phrase or written together, and a word written together ("wifi") also finds the
hyphenated forms the study's transcripts hold ("Wi-Fi").
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from research.errors import ResearchError
from research.study import Study

_OPEN, _CLOSE = "\x02", "\x03"  # marks around a matched word in a snippet; never in a transcript
_WORD = re.compile(r"[\w'-]+\*?")
_COMPOUND = re.compile(r"\w+(?:-\w+)+")


@dataclass(frozen=True)
class SearchHit:
    interview: str
    utterance_id: int
    start: float
    role: str
    snippet: str  # plain text, '…' where it was cut
    matches: tuple[tuple[int, int], ...]  # character spans of the matched words in `snippet`


def _phrase(tokens: list[str], prefix: bool) -> str:
    return '"' + " ".join(tokens) + '"' + ("*" if prefix else "")


def _compounds(study: Study) -> dict[str, set[str]]:
    """Each hyphenated word of the study, written together and lowercased → its hyphenated spellings."""
    found: dict[str, set[str]] = {}
    for row in study.db.execute("SELECT text FROM utterances WHERE text LIKE '%-%'"):
        for word in _COMPOUND.findall(row[0]):
            found.setdefault(word.replace("-", "").lower(), set()).add(word.lower())
    return found


def match_expression(query: str, compounds: dict[str, set[str]]) -> str:
    """The FTS5 expression for a query: every word must occur; `word*` matches a prefix."""
    terms = []
    for raw in _WORD.findall(query):
        prefix = raw.endswith("*")
        word = raw.rstrip("*").strip("-'").lower()
        if not word:
            continue
        parts = [p for p in re.split(r"[-']+", word) if p]
        together = "".join(parts)
        spellings = {_phrase(parts, prefix), _phrase([together], prefix)}
        for joined, hyphenated in compounds.items():
            if joined == together or prefix and joined.startswith(together):
                spellings |= {_phrase([p for p in re.split(r"-+", h) if p], False) for h in hyphenated}
        terms.append("(" + " OR ".join(sorted(spellings)) + ")")
    return " AND ".join(terms)


def _hit(row) -> SearchHit:
    plain, matches, cursor = [], [], 0
    for n, piece in enumerate(re.split(f"[{_OPEN}{_CLOSE}]", row["snippet"])):
        if n % 2:
            matches.append((cursor, cursor + len(piece)))
        plain.append(piece)
        cursor += len(piece)
    return SearchHit(row["code"], row["id"], row["start"] or 0.0, row["role"] or "", "".join(plain), tuple(matches))


def search(study: Study, query: str, limit: int = 200) -> list[SearchHit]:
    """Utterances holding every word of `query`, best first."""
    expression = match_expression(query, _compounds(study) if _WORD.search(query) else {})
    if not expression:
        return []
    try:
        rows = study.db.query(
            f"SELECT i.code, u.id, u.start, u.role, snippet(utterances_fts, 0, '{_OPEN}', '{_CLOSE}', '…', 12) AS snippet FROM utterances_fts "
            "JOIN utterances u ON u.id = utterances_fts.rowid JOIN interviews i ON i.id = u.interview_id WHERE utterances_fts MATCH ? ORDER BY rank LIMIT ?",
            [expression, limit],
        )
        return [_hit(row) for row in rows]
    except sqlite3.OperationalError as error:
        raise ResearchError(f"can't search for '{query}': {error}") from None


def hits_line(count: int, limit: int = 200) -> str:
    """'1 hit', '12 hits', 'no hits', '200+ hits' when the list was cut."""
    if count == 0:
        return "no hits"
    return f"{count}{'+' if count >= limit else ''} hit{'s' if count != 1 else ''}"
