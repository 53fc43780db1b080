"""`research anonymize`: speaker-attributed raw utterances (vault) → anonymized utterances (study.db).

PII spans are mapped onto the words they cover; those words become one pseudonym word
that keeps the first word's start and the last word's end, so word timestamps and the
character offsets of the rebuilt text stay exact. The same entity gets the same
pseudonym across the whole study. A redacted copy of the audio, with the same spans
bleeped, goes to redacted-audio/.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from research.anonymize.audio_copy import AudioCopier
from research.anonymize.detect import PiiDetector, PiiSpan
from research.anonymize.known_names import KnownName
from research.anonymize.pseudonyms import Pseudonymizer
from research.errors import ResearchError
from research.stages import run_stage
from research.study import Study

STAGE = "anonymize"
_TRAILING = re.compile(r"[.,!?;:]+$")


@dataclass(frozen=True)
class AnonymizedUtterance:
    speaker: str
    role: str
    start: float
    end: float
    text: str
    words: list[dict]
    redacted: list[tuple[float, float]]  # audio spans to bleep


def anonymize_utterance(raw: dict, spans: list[PiiSpan], pseudonyms: Pseudonymizer) -> AnonymizedUtterance:
    words = json.loads(raw["words"])
    joined = "".join(w["text"] for w in words)
    offsets, cursor = [], -(len(joined) - len(joined.lstrip()))  # the utterance text is the stripped join
    for word in words:
        offsets.append((cursor, cursor + len(word["text"])))
        cursor += len(word["text"])
    out, redacted, index = [], [], 0
    while index < len(words):
        span = next((s for s in spans if s.start < offsets[index][1] and s.end > offsets[index][0]), None)
        if span is None:
            out.append(words[index])
            index += 1
            continue
        last = index
        while last + 1 < len(words) and offsets[last + 1][0] < span.end:
            last += 1
        trailing = _TRAILING.search(words[last]["text"])
        keep_punctuation = trailing.group() if trailing and offsets[last][1] - len(trailing.group()) >= span.end else ""
        first_word, last_word = words[index], words[last]
        out.append(
            {
                "start": first_word["start"],
                "end": last_word["end"],
                "text": " " + pseudonyms.replacement(span.entity_type, span.key) + keep_punctuation,
                "probability": min(w["probability"] for w in words[index : last + 1]),
                "speaker": first_word.get("speaker", raw["speaker"]),
                "pii": span.entity_type,
            }
        )
        redacted.append((first_word["start"], last_word["end"]))
        index = last + 1
    return AnonymizedUtterance(raw["speaker"], raw["role"], raw["start"], raw["end"], "".join(w["text"] for w in out).strip(), out, redacted)


def run_anonymize(study: Study, force: bool = False) -> dict[str, str]:
    """Anonymize every interview whose speakers are separated; returns {code: status or note}."""
    settings = study.config.anonymize
    vault = study.vault
    known = [KnownName(name, kind) for name, kind in vault.known_names()]
    pseudonyms = Pseudonymizer(vault, settings.style)
    detector: list[PiiDetector] = []  # built on first use: loading Presidio and spaCy takes seconds
    batches: list[TextBatches] = []

    with AudioCopier() as copier:

        def work(interview_id: int, code: str, params: dict) -> str | None:
            if not detector:
                detector.append(PiiDetector(known, settings.allow, settings.deny, settings.organizations, settings.places))
                batches.append(TextBatches(study, detector[0]))
            return _anonymize_interview(study, interview_id, code, detector[0], pseudonyms, copier, batches[0])

        settings_params = settings.model_dump() | {"known_names": len(known)}
        return run_stage(study, STAGE, "speakers", lambda interview_id, speakers: settings_params | {"speakers": speakers}, work, force=force)


class TextBatches:
    """Spans for the sources without audio (feedback, bare transcripts), detected `size` sources at a time:
    one survey answer is far too small a batch for the NLP pipeline."""

    def __init__(self, study: Study, detector: PiiDetector, size: int = 256):
        self.study, self.detector, self.size = study, detector, size
        self._cache: dict[int, tuple[list[str], list[list[PiiSpan]]]] = {}

    def spans(self, interview_id: int, raw: list[dict]) -> list[list[PiiSpan]]:
        texts = [u["text"] for u in raw]
        if interview_id not in self._cache:
            ids = [r[0] for r in self.study.db.execute("SELECT id FROM interviews WHERE id >= ? AND source_format NOT IN ('audio', 'tracks') ORDER BY id LIMIT ?", [interview_id, self.size])]
            documents = {i: [u["text"] for u in self.study.vault.raw_utterances(i)] for i in ids} | {interview_id: texts}
            self._cache = dict(zip(documents, zip(documents.values(), self.detector.detect_documents(list(documents.values())))))
        cached_texts, spans = self._cache.pop(interview_id)
        return spans if cached_texts == texts else self.detector.detect(texts)


def _anonymize_interview(study: Study, interview_id: int, code: str, detector: PiiDetector, pseudonyms: Pseudonymizer, copier: AudioCopier, batches: TextBatches | None = None) -> str | None:
    source = study.vault.source_path(interview_id)
    if source is None and study.db["interviews"].get(interview_id)["source_format"] not in ("audio", "tracks"):  # a transcript without its recording, or feedback
        anonymized, note = _anonymize_text(study, interview_id, code, detector, pseudonyms, batches)
        _store_utterances(study, interview_id, anonymized)
        return note
    if source is None or not Path(source).is_file():
        raise ResearchError(f"{code}: the audio file is no longer where it was added; the redacted copy can't be made")
    study.redacted_audio_dir.mkdir(exist_ok=True)
    with copier.copy(Path(source), study.redacted_audio_dir / f"{code}.opus", study.config.anonymize.audio) as copy:  # decodes meanwhile
        anonymized, note = _anonymize_text(study, interview_id, code, detector, pseudonyms)
        copy.write([span for u in anonymized for span in u.redacted])  # the audio first: a full disk stops it before study.db changes
        _store_utterances(study, interview_id, anonymized)
    return note


def _anonymize_text(study: Study, interview_id: int, code: str, detector: PiiDetector, pseudonyms: Pseudonymizer, batches: TextBatches | None = None) -> tuple[list[AnonymizedUtterance], str | None]:
    """An interview's raw utterances anonymized (not yet stored), and a note when there were none."""
    raw = study.vault.raw_utterances(interview_id)
    spans = (batches.spans(interview_id, raw) if batches else detector.detect([u["text"] for u in raw])) if raw else []
    anonymized = [anonymize_utterance(u, s, pseudonyms) for u, s in zip(raw, spans)]
    return anonymized, (None if raw else f"{code}: empty transcript, nothing to anonymize")


def _store_utterances(study: Study, interview_id: int, anonymized: list[AnonymizedUtterance]) -> None:
    rows = [
        {"interview_id": interview_id, "idx": i, "speaker": u.speaker, "role": u.role, "start": u.start, "end": u.end, "text": u.text, "words": json.dumps(u.words)}
        for i, u in enumerate(anonymized)
    ]
    db = study.db
    existing = {row["idx"]: row["id"] for row in db.query("SELECT id, idx FROM utterances WHERE interview_id = ?", [interview_id])}
    with db.atomic():
        # Keep each utterance's id, so a researcher's codings on it survive a re-run.
        db.execute("DELETE FROM utterances WHERE interview_id = ? AND idx >= ?", [interview_id, len(rows)])
        for row in rows:
            if row["idx"] in existing:
                db["utterances"].update(existing[row["idx"]], row)
            else:
                db["utterances"].insert(row)
