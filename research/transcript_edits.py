"""A researcher's corrections to a transcript: fix words, split an utterance, give words to another
speaker, merge two speakers.

The researcher only ever sees the anonymized text. A correction is made on it and carried back to
the raw words in the vault: an unchanged word keeps its raw word (a pseudonym its real name), a
typed word becomes a raw word with the timing of the words it replaces and probability 1 (a person
checked it). The anonymized utterance is then derived again from the raw one through the anonymizer,
so a name typed into a correction is caught like any other; a name that the redacted audio does not
bleep yet is bleeped by copying the audio again. study.db keeps the history of every correction as
anonymized text only. Re-coding is left to the caller (the app runs it in a worker).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from research.errors import ResearchError
from research.store import now
from research.study import Study

_TRAILING = re.compile(r"[.,!?;:…]+$")


@dataclass(frozen=True)
class Correction:
    interview: str
    utterance_ids: list[int]  # the utterances it changed or made, in order
    before: str
    after: str


@dataclass
class _Located:
    interview_id: int
    interview: str
    row: dict  # the study.db utterance
    raw: dict  # the vault's raw utterance with the same index
    groups: list[list[dict]]  # per anonymized word, the raw words it stands for


def _locate(study: Study, utterance_id: int) -> _Located:
    row = study.db["utterances"].get(utterance_id) if study.db["utterances"].count_where("id = ?", [utterance_id]) else None
    if row is None:
        raise ResearchError(f"no utterance {utterance_id}")
    interview = study.db["interviews"].get(row["interview_id"])["code"]
    raw = next(study.vault.db.query("SELECT * FROM raw_utterances WHERE interview_id = ? AND idx = ?", [row["interview_id"], row["idx"]]), None)
    anonymized, words = json.loads(row["words"] or "[]"), json.loads(raw["words"] or "[]") if raw else []
    groups, cursor = [], 0
    for word in anonymized:
        take = 1
        if word.get("pii"):  # a pseudonym stands for the raw words up to its end
            while cursor + take < len(words) and words[cursor + take - 1]["end"] < word["end"]:
                take += 1
        groups.append(words[cursor : cursor + take])
        cursor += take
    if raw is None or not anonymized or cursor != len(words) or any(not g for g in groups):
        raise ResearchError(f"{interview}: the transcript and the vault's raw words disagree for this utterance; run `research anonymize --force` first")
    return _Located(row["interview_id"], interview, row, raw, groups)


def _typed(tokens: list[str], start: float, end: float, speaker: str) -> list[dict]:
    """Words a researcher typed, spread evenly over [start, end]."""
    step = (end - start) / max(len(tokens), 1)
    return [{"start": round(start + n * step, 3), "end": round(start + (n + 1) * step, 3), "text": " " + t, "probability": 1.0, "speaker": speaker} for n, t in enumerate(tokens)]


def corrected_raw_words(located: _Located, text: str) -> list[dict]:
    """The raw words for a corrected anonymized `text` (see the module's docstring)."""
    anonymized = json.loads(located.row["words"])
    old = [w["text"].strip() for w in anonymized]
    new = text.split()
    if not new:
        raise ResearchError("an utterance can't be empty; split or merge it instead")
    pseudonyms = {w["text"].strip().rstrip(".,!?;:…"): n for n, w in enumerate(anonymized) if w.get("pii")}
    out: list[dict] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            out += [dict(w) for group in located.groups[i1:i2] for w in group]
            continue
        start = anonymized[i1]["start"] if i1 < i2 else (anonymized[i1 - 1]["end"] if i1 else located.raw["start"])
        end = anonymized[i2 - 1]["end"] if i1 < i2 else (anonymized[i1]["start"] if i1 < len(anonymized) else start)
        typed = _typed(new[j1:j2], start, end, located.raw["speaker"])
        for word, token in zip(typed, new[j1:j2]):
            trailing = _TRAILING.search(token)
            kept = pseudonyms.get(token[: trailing.start()] if trailing else token)
            if kept is None:
                out.append(word)
                continue
            real = [dict(w) for w in located.groups[kept]]  # a pseudonym kept in a changed stretch keeps its real name
            real[-1]["text"] = _TRAILING.sub("", real[-1]["text"]) + (trailing.group() if trailing else "")
            out += real
    return out


def _anonymize(study: Study, raws: list[dict]) -> list:
    """Anonymized utterances for raw utterances, through the study's anonymizer (Presidio loads here)."""
    from research.anonymize.detect import PiiDetector
    from research.anonymize.known_names import KnownName
    from research.anonymize.pseudonyms import Pseudonymizer
    from research.anonymize.stage import anonymize_utterance

    settings = study.config.anonymize
    detector = PiiDetector([KnownName(n, k) for n, k in study.vault.known_names()], settings.allow, settings.deny, settings.organizations, settings.places)
    spans = detector.detect([r["text"] for r in raws])
    pseudonyms = Pseudonymizer(study.vault, settings.style)
    return [anonymize_utterance(r, s, pseudonyms) for r, s in zip(raws, spans)]


def _raw_row(template: dict, words: list[dict], speaker: str | None = None, role: str | None = None) -> dict:
    return template | {"speaker": speaker or template["speaker"], "role": role or template["role"], "start": words[0]["start"], "end": words[-1]["end"],
                       "text": "".join(w["text"] for w in words).strip(), "words": json.dumps(words)}


def _bleep_again(study: Study, interview_id: int, code: str, spans: list[tuple[float, float]]) -> None:
    """Copy the redacted audio again when a correction made a name that it does not bleep yet."""
    from research.anonymize.audio_copy import AudioCopier

    source = study.vault.source_path(interview_id)
    if not spans or source is None or not Path(source).is_file():
        return
    every = [(w["start"], w["end"]) for r in study.db.query("SELECT words FROM utterances WHERE interview_id = ?", [interview_id]) for w in json.loads(r["words"] or "[]") if w.get("pii")]
    with AudioCopier() as copier, copier.copy(Path(source), study.redacted_audio_dir / f"{code}.opus", study.config.anonymize.audio) as copy:
        copy.write(sorted(set(every)))


def _history(study: Study, kind: str, interview_id: int, utterance_ids: list[int], before: str, after: str) -> None:
    study.db["transcript_edits"].insert({"interview_id": interview_id, "utterance_ids": json.dumps(utterance_ids), "kind": kind, "text_before": before, "text_after": after, "created_at": now()})


def _replace(study: Study, located: _Located, parts: list[tuple[list[dict], str, str]], kind: str) -> Correction:
    """Put `parts` (raw words, speaker, role) where the utterance was, in the vault and, anonymized, in study.db."""
    db, vault = study.db, study.vault
    raws = [_raw_row(located.raw, words, speaker, role) for words, speaker, role in parts]
    anonymized = _anonymize(study, raws)
    before_pii = {(w["start"], w["end"]) for w in json.loads(located.row["words"]) if w.get("pii")}
    new_pii = [span for a in anonymized for span in a.redacted if span not in before_pii]
    shift = len(parts) - 1
    idx = located.row["idx"]
    ids = [located.row["id"]]
    with db.atomic(), vault.db.atomic():
        if shift:  # later utterances move down; through negative indexes, so the unique (interview, idx) never collides
            for database, table in ((db, "utterances"), (vault.db, "raw_utterances")):
                database.execute(f"UPDATE {table} SET idx = -idx - {shift} WHERE interview_id = ? AND idx > ?", [located.interview_id, idx])
                database.execute(f"UPDATE {table} SET idx = -idx WHERE interview_id = ? AND idx < 0", [located.interview_id])
        for n, (raw, anon) in enumerate(zip(raws, anonymized)):
            vault.db["raw_utterances"].upsert(raw | {"idx": idx + n}, pk=("interview_id", "idx"))
            row = {"interview_id": located.interview_id, "idx": idx + n, "speaker": anon.speaker, "role": anon.role, "start": anon.start, "end": anon.end, "text": anon.text, "words": json.dumps(anon.words)}
            if n == 0:
                db["utterances"].update(located.row["id"], row)
            else:
                ids.append(db["utterances"].insert(row).last_pk)
        after = " ⏎ ".join(a.text for a in anonymized)
        _history(study, kind, located.interview_id, ids, located.row["text"], after)
    _bleep_again(study, located.interview_id, located.interview, new_pii)
    return Correction(located.interview, ids, located.row["text"], after)


def correct_text(study: Study, utterance_id: int, text: str) -> Correction:
    """Replace an utterance's (anonymized) text with the researcher's correction."""
    located = _locate(study, utterance_id)
    if " ".join(text.split()) == " ".join(located.row["text"].split()):
        return Correction(located.interview, [utterance_id], located.row["text"], located.row["text"])
    words = corrected_raw_words(located, text)
    return _replace(study, located, [(words, located.raw["speaker"], located.raw["role"])], "text")


def _role_of(study: Study, interview_id: int, speaker: str) -> str:
    row = next(study.vault.db.query("SELECT role FROM raw_utterances WHERE interview_id = ? AND speaker = ? AND role IS NOT NULL LIMIT 1", [interview_id, speaker]), None)
    if row is None:
        raise ResearchError(f"no speaker {speaker} in this interview")
    return row["role"]


def reassign_words(study: Study, utterance_id: int, first: int, last: int, speaker: str | None = None) -> Correction:
    """Give the anonymized words first..last (inclusive, 0-based) to `speaker`, splitting the utterance
    around them; with no speaker (or its own), split the utterance before word `first`."""
    located = _locate(study, utterance_id)
    count = len(located.groups)
    if not (0 <= first <= last < count):
        raise ResearchError(f"words {first + 1}–{last + 1} are outside this utterance's {count} words")
    own = located.raw["speaker"]
    speaker = speaker or own
    if speaker == own:
        if first == 0:
            raise ResearchError("split at a later word: the first word already starts this utterance")
        pieces = [(0, first, own), (first, count, own)]
    else:
        pieces = [(a, b, s) for a, b, s in ((0, first, own), (first, last + 1, speaker), (last + 1, count, own)) if a < b]
    parts = [([w for g in located.groups[a:b] for w in g], s, located.raw["role"] if s == own else _role_of(study, located.interview_id, s)) for a, b, s in pieces]
    for words, s, _ in parts:
        for w in words:
            w["speaker"] = s
    return _replace(study, located, parts, "split" if speaker == own else "reassign")


def speakers(study: Study, interview_code: str) -> list[tuple[str, str, float]]:
    """(speaker, role, seconds spoken) for an interview's speakers, most talkative first."""
    rows = study.db.query(
        "SELECT u.speaker, u.role, SUM(u.end - u.start) AS seconds FROM utterances u JOIN interviews i ON i.id = u.interview_id "
        "WHERE i.code = ? AND u.speaker IS NOT NULL GROUP BY u.speaker ORDER BY seconds DESC", [interview_code])
    return [(r["speaker"], r["role"] or "", r["seconds"] or 0.0) for r in rows]


def voice_sample(study: Study, interview_code: str, speaker: str, seconds: float = 8.0) -> tuple[float, float]:
    """(start, end) of a stretch where only `speaker` talks: their longest utterance, at most `seconds`."""
    row = next(study.db.query(
        "SELECT u.start, u.end FROM utterances u JOIN interviews i ON i.id = u.interview_id WHERE i.code = ? AND u.speaker = ? "
        "ORDER BY u.end - u.start DESC LIMIT 1", [interview_code, speaker]), None)
    if row is None:
        raise ResearchError(f"{interview_code} has no speaker {speaker}")
    return row["start"], min(row["end"], row["start"] + seconds)


def merge_speakers(study: Study, interview_code: str, keep: str, other: str) -> int:
    """Make every utterance of `other` one of `keep` (and `keep`'s role); returns how many moved."""
    if keep == other:
        raise ResearchError("a speaker can't be merged into itself")
    interview = next(study.db.query("SELECT id FROM interviews WHERE code = ?", [interview_code]), None)
    if interview is None:
        raise ResearchError(f"no interview {interview_code}")
    interview_id = interview["id"]
    role = _role_of(study, interview_id, keep)
    _role_of(study, interview_id, other)  # one clear line when it doesn't exist
    db, vault = study.db, study.vault
    moved = [r["id"] for r in db.query("SELECT id FROM utterances WHERE interview_id = ? AND speaker = ? ORDER BY idx", [interview_id, other])]
    with db.atomic(), vault.db.atomic():
        for database, table in ((db, "utterances"), (vault.db, "raw_utterances")):
            for row in list(database.query(f"SELECT rowid AS r, words FROM {table} WHERE interview_id = ? AND speaker = ?", [interview_id, other])):
                words = [w | ({"speaker": keep} if w.get("speaker") == other else {}) for w in json.loads(row["words"] or "[]")]
                database.execute(f"UPDATE {table} SET speaker = ?, role = ?, words = ? WHERE rowid = ?", [keep, role, json.dumps(words), row["r"]])
        db.execute("DELETE FROM speaker_roles WHERE interview_id = ? AND speaker = ?", [interview_id, other])
        if role == "interviewer" and moved:  # the interviewer's words are never coded
            db.execute(f"DELETE FROM codings WHERE status = 'suggested' AND utterance_id IN ({','.join('?' * len(moved))})", moved)
        _history(study, "merge-speakers", interview_id, moved, other, keep)
    return len(moved)


def history(study: Study, interview_code: str) -> list[dict]:
    """The corrections to an interview, newest first (anonymized text only)."""
    return list(study.db.query(
        "SELECT e.* FROM transcript_edits e JOIN interviews i ON i.id = e.interview_id WHERE i.code = ? ORDER BY e.id DESC", [interview_code]))
