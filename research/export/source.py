"""What every exporter reads: the stored map and codings, and each interview's anonymized transcript.

Transcript text is built once here, so character offsets (REFI-QDA selections, sync points) agree
across formats. Only study.db is read: exports never see the vault.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from research.study import Study

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A CSV cell that spreadsheets will not run as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@dataclass(frozen=True)
class Line:
    utterance_id: int
    speaker: str  # "Interviewer" or the participant's pseudonymous label
    role: str
    start: float
    end: float
    text: str
    offset: int  # character offset of `text` in the transcript
    line_offset: int  # character offset of the line (speaker label included)


@dataclass
class Transcript:
    code: str
    title: str
    audio: str | None  # the redacted audio file name, when it exists
    source_type: str = "interview"  # interview, survey or ticket
    lines: list[Line] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(f"{line.speaker}: {line.text}\n" for line in self.lines)

    @property
    def timed(self) -> bool:
        """False for a transcript imported without timings (TXT, Word): every start and end is 0."""
        return any(line.start or line.end for line in self.lines)


def transcripts(study: Study, interview_codes: set[str] | None = None) -> list[Transcript]:
    """Every anonymized interview as speaker-labelled lines, in order."""
    db = study.db
    labels = {(r["interview_id"], r["slot"]): r["label"] for r in db.query("SELECT interview_id, slot, label FROM participants")}
    out = []
    for interview in db.query("SELECT id, code, title, source_type FROM interviews ORDER BY id"):
        if interview_codes is not None and interview["code"] not in interview_codes:
            continue
        audio = study.redacted_audio_dir / f"{interview['code']}.opus"
        transcript = Transcript(interview["code"], interview["title"] or interview["code"], audio.name if audio.is_file() else None, interview["source_type"])
        position = 0
        for row in db.query("SELECT id, role, start, end, text FROM utterances WHERE interview_id = ? ORDER BY idx", [interview["id"]]):
            role = row["role"] or "unknown"
            speaker = "Interviewer" if role == "interviewer" else labels.get((interview["id"], role), role.replace("_", " ").title())
            prefix = f"{speaker}: "
            transcript.lines.append(Line(row["id"], speaker, role, row["start"] or 0.0, row["end"] or 0.0, row["text"], position + len(prefix), position))
            position += len(prefix) + len(row["text"]) + 1
        if transcript.lines:
            out.append(transcript)
    return out


def codings(study: Study, include_suggested: bool = True) -> list[dict]:
    """Codings with their code, utterance and interview; rejected ones never."""
    statuses = "('accepted', 'suggested')" if include_suggested else "('accepted')"
    return list(study.db.query(
        f"""SELECT c.id, c.utterance_id, c.code_key, k.name AS code_name, k.group_name, c.source, c.confidence, c.status, c.coder, c.memo,
                   i.code AS interview, i.source_type, u.start, u.end, u.role, u.text
            FROM codings c JOIN utterances u ON u.id = c.utterance_id JOIN interviews i ON i.id = u.interview_id
            LEFT JOIN codes k ON k.key = c.code_key
            WHERE c.status IN {statuses} ORDER BY i.id, u.idx, k.position"""
    ))
