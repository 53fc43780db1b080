"""`research add` for transcripts, per-participant tracks and text feedback: formats, pairing, privacy, bad files."""

import datetime
import shutil
import json
import re
from pathlib import Path

import numpy as np
import pytest

from tests.db_text import all_text
from research.importers import read_transcript
from research.importers.transcript import TranscriptFormatError
from research.importers.add import add_sources
from research.importers.feedback import FeedbackColumns, add_feedback
from research.metadata import MetadataSheet
from research.speakers import run_speakers
from research.transcribe.batch import pending_interviews
from research.config import TranscribeSettings
from tests.audio_factory import write_audio

FIXTURES = Path(__file__).parent / "fixtures"
TRANSCRIPTS = FIXTURES / "transcripts"
FEEDBACK = FIXTURES / "feedback"
REAL = FIXTURES / "real_interviews"
NAMES = re.compile(r"\b(Dana|Whitfield|Marisol|Quenby|Tobias|Brandvold|Priya|Castellanos|Gunnar|Ellefsen)\b")
TIMED = {"teams-call.vtt", "zoom-call.vtt", "otter-call.srt", "noscribe-call.html", "whisperx-call.json", "faster-whisper-call.json"}


@pytest.mark.parametrize("name", sorted(p.name for p in TRANSCRIPTS.iterdir() if p.name != "README.md"))
def test_every_format_reads_the_same_conversation(name):
    transcript = read_transcript(TRANSCRIPTS / name)
    text = " ".join(t.text for t in transcript.turns)
    assert text.startswith("Thanks for joining. How did you first set up the AeroPure purifier?")
    assert "My husband Tobias Brandvold wanted to return it." in text
    assert text.endswith("I already told my sister about it.")
    if name != "faster-whisper-call.json":  # faster-whisper writes no speakers
        assert len(transcript.speakers) == 2
        assert transcript.turns[0].speaker == transcript.speakers[0] != transcript.turns[1].speaker
    if name in TIMED:
        second = transcript.turns[1]
        assert (second.start, second.end) == (4.5, 11.0)
    else:
        assert transcript.turns[1].start == (None if name == "notes-call.txt" else 4.0)  # whole seconds in Zoom TXT and DOCX headers; plain notes have no times
    assert transcript.timed == (name != "notes-call.txt")


def test_text_from_windows_tools_and_zoom_and_meet_layouts_reads_the_same_conversation(tmp_path):
    """Notepad's "Unicode" (UTF-16), Word's Windows-1252 plain text and CRLF captions with a BOM were refused
    as "not a UTF-8 text file"; Zoom's saved captions ("[Name] 14:03:05", times of day) made a 14-hour interview
    with "[Name]" as the speaker; a Meet-style clock line became an utterance of its own."""
    notes = (TRANSCRIPTS / "notes-call.txt").read_text().replace("sister", "café owner")
    (tmp_path / "unicode.txt").write_bytes(notes.replace("\n", "\r\n").encode("utf-16"))
    (tmp_path / "ansi.txt").write_bytes(notes.encode("cp1252"))
    (tmp_path / "crlf.srt").write_bytes("\ufeff".encode() + (TRANSCRIPTS / "otter-call.srt").read_text().replace("\n", "\r\n").encode())
    zoom = [f"[{t.speaker}] 14:{3 + int(t.start) // 60:02d}:{5 + int(t.start) % 60:02d}\n{t.text}\n" for t in read_transcript(TRANSCRIPTS / "otter-call.srt").turns]
    (tmp_path / "meeting_saved_closed_caption.txt").write_text("\n".join(zoom))
    (tmp_path / "meet.txt").write_text("00:00:00\n" + notes)
    for name in ("unicode.txt", "ansi.txt"):
        turns = read_transcript(tmp_path / name).turns
        assert turns[0].text.startswith("Thanks for joining.") and turns[-1].text.endswith("told my café owner about it.")
    assert [t.text for t in read_transcript(tmp_path / "crlf.srt").turns] == [t.text for t in read_transcript(TRANSCRIPTS / "otter-call.srt").turns]
    saved = read_transcript(tmp_path / "meeting_saved_closed_caption.txt")
    assert saved.speakers == ["Dana Whitfield", "Marisol Quenby"] and saved.turns[0].start == 0.0 and saved.turns[-1].start == 25.0
    meet = read_transcript(tmp_path / "meet.txt")
    assert meet.turns[0].text.startswith("Thanks for joining.") and meet.turns[0].start == 0.0 and meet.speakers == ["Dana Whitfield", "Marisol Quenby"]


def test_word_timings_come_through_and_a_word_without_one_follows_its_neighbour():
    whisperx = read_transcript(TRANSCRIPTS / "whisperx-call.json")
    words = whisperx.turns[1].words
    forty = next(w for w in words if w.text == " forty")
    before = words[words.index(forty) - 1]
    assert forty.start == before.end and all(w.text.startswith(" ") for w in words)
    faster = read_transcript(TRANSCRIPTS / "faster-whisper-call.json")
    assert faster.format == "faster-whisper-json" and faster.turns[0].words[0].probability == 0.93
    # a file without word timings gets words spread over the turn, in order, inside it
    spread = read_transcript(TRANSCRIPTS / "otter-call.srt").segments()[1][1].words
    assert spread[0].start == 4.5 and spread[-1].end == pytest.approx(11.0) and all(a.end <= b.start + 1e-6 for a, b in zip(spread, spread[1:]))


def test_untimed_text_continues_the_speaker_above_one_paragraph_per_utterance(study):
    transcript = read_transcript(TRANSCRIPTS / "notes-call.txt")
    assert not transcript.timed
    assert transcript.turns[3].text.endswith("frustrated by then.") and transcript.turns[4].speaker is None
    add_sources(study, [TRANSCRIPTS / "notes-call.txt"])
    run_speakers(study)
    said = [(u["role"], u["text"]) for u in study.vault.raw_utterances(1)]
    assert said[3] == ("customer", "The agent fixed it in two minutes, but I was frustrated by then.")
    assert said[4] == ("customer", "My husband Tobias Brandvold wanted to return it.")  # no pause to split at: the paragraph is the utterance
    assert [role for role, _ in said] == ["interviewer", "customer", "interviewer", "customer", "customer", "interviewer", "customer"]
    # a timed file's speakerless line joins the turn above it, as the words of one utterance do
    timed = study.root / "timed.txt"
    timed.write_text("[00:00:01] Dana Whitfield: How was setup?\n[00:00:04] Marisol Quenby: Slow.\nIt failed twice.\n")
    assert [t.text for t in read_transcript(timed).turns] == ["How was setup?", "Slow. It failed twice."]


def test_bad_transcripts_get_one_line_each_and_the_batch_goes_on(study, tmp_path):
    tmp_path = tmp_path / "bad"
    tmp_path.mkdir()
    (tmp_path / "broken.vtt").write_text("not a caption file at all\n")
    (tmp_path / "broken.json").write_text('{"segments": [')
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 garbage")
    (tmp_path / "utf16-without-bom.txt").write_bytes("José: hola".encode("utf-16-le"))  # NUL bytes: no text read here
    bad = sorted(tmp_path.iterdir())
    report = add_sources(study, [*bad, TRANSCRIPTS / "teams-call.vtt"])
    assert report.added == ["teams-call.vtt"]
    assert len(report.failed) == 4 and all("\n" not in line for line in report.failed)
    assert {line.split(":")[0].split(",")[0] for line in report.failed} == {f"transcript {n} of 5" for n in range(1, 5)}  # positions, never names
    assert not any(p.stem in line for p in bad for line in report.failed)


def test_a_bad_recording_and_a_bad_transcript_in_one_folder_are_told_apart(study, tmp_path):
    """Recordings and transcripts were both numbered "file N of M", each kind on its own count, so one folder
    gave "file 1 of 1" (the recording) and "file 1 of 3" (a transcript): two first files."""
    (tmp_path / "a-corrupt.wav").write_bytes(b"RIFF not really audio")
    (tmp_path / "b-empty.vtt").write_text("")
    shutil.copy(TRANSCRIPTS / "teams-call.vtt", tmp_path / "c-teams.vtt")
    report = add_sources(study, [tmp_path])
    assert report.added == ["c-teams.vtt"]
    assert sorted(line.split(":")[0] for line in report.failed) == ["file 1 of 1", "transcript 1 of 2"]


def test_imported_transcript_is_transcribed_and_names_stay_in_the_vault(study):
    sheet_path = study.root / "sheet.csv"
    sheet_path.write_text("file,speaker,participant,persona\nteams-call.vtt,customer,Marisol Quenby,Home owner\n")
    report = add_sources(study, [TRANSCRIPTS / "teams-call.vtt"], MetadataSheet.load(sheet_path))
    assert report.added == ["teams-call.vtt"]
    row = next(study.db["interviews"].rows)
    assert (row["source_type"], row["source_format"], row["duration"]) == ("interview", "vtt", 31.0)
    assert pending_interviews(study, TranscribeSettings()) == []  # it needs no transcription
    assert run_speakers(study) == {"INT-001": "done"}
    raw = study.vault.raw_utterances(1)
    assert [u["role"] for u in raw] == ["interviewer", "customer"] * 3
    assert {name for name, _ in study.vault.known_names()} == {"Dana Whitfield", "Marisol Quenby"}
    assert not NAMES.search(all_text(study.db_path))
    assert add_sources(study, [TRANSCRIPTS / "teams-call.vtt"]).duplicates == ["teams-call.vtt"]


def test_sheet_rows_matched_by_transcripts_are_not_reported_unused(study):
    sheet_path = study.root / "sheet.csv"
    sheet_path.write_text("file,speaker,participant\nteams-call.vtt,customer,Marisol Quenby\nzoom-call.vtt,customer,Ines Okoro\n")
    report = add_sources(study, [TRANSCRIPTS / "teams-call.vtt"], MetadataSheet.load(sheet_path))
    assert report.notes == ["sheet row 3 names a file that is not among those given; check its 'file' value"]
    again = add_sources(study, [TRANSCRIPTS / "teams-call.vtt"], MetadataSheet.load(sheet_path))  # the same command again, as after a kill
    assert (again.duplicates, again.updated, again.notes) == (["teams-call.vtt"], [], report.notes)
    sheet_path.write_text("file,speaker,participant,persona\nteams-call.vtt,customer,Marisol Quenby,Home owner\n")  # a corrected sheet
    corrected = add_sources(study, [TRANSCRIPTS / "teams-call.vtt"], MetadataSheet.load(sheet_path))
    assert (corrected.updated, corrected.notes) == (["INT-001"], [])
    assert study.db.execute("SELECT persona FROM participants WHERE slot = 'customer'").fetchone()[0] == "Home owner"


def test_the_sheet_decides_roles_over_question_rate(study):
    # the customer asks every question here; the sheet still says who the customer is
    (study.root / "flip.vtt").write_text(
        "WEBVTT\n\n00:00:00.000 --> 00:00:03.000\n<v Ines Okoro>Why does the app log me out? How do I stop it?\n\n"
        "00:00:03.500 --> 00:00:08.000\n<v Rafe Lindqvist>Tell me more. When did it start happening for you, roughly?\n\n"
        "00:00:08.500 --> 00:00:12.000\n<v Ines Okoro>Last week. Is there a fix coming? Can I get a refund?\n"
    )
    (study.root / "sheet.csv").write_text("file,speaker,participant\nflip.vtt,customer,Rafe Lindqvist\n")
    add_sources(study, [study.root / "flip.vtt"], MetadataSheet.load(study.root / "sheet.csv"))
    run_speakers(study)
    roles = {u["speaker"]: u["role"] for u in study.vault.raw_utterances(1)}
    assert roles == {"S1": "interviewer", "S2": "customer"}


def test_a_recording_beside_its_transcript_is_paired_by_name(study, tmp_path):
    folder = tmp_path / "calls"
    folder.mkdir()
    (folder / "acme-call.transcript.vtt").write_text((TRANSCRIPTS / "zoom-call.vtt").read_text())
    tone = (0.2 * np.sin(np.linspace(0, 20000, 16_000 * 32))).astype(np.float32)
    recording = write_audio(folder / "acme-call.wav", tone)
    write_audio(folder / "other.wav", tone[: 16_000 * 2])
    report = add_sources(study, [folder])
    assert sorted(report.added) == ["acme-call.transcript.vtt", "other.wav"] and not report.failed
    imported = next(study.db["interviews"].rows_where("source_format = 'vtt'"))
    assert imported["duration"] == pytest.approx(32.0, abs=0.1)
    assert study.vault.source_path(imported["id"]) == recording.resolve()
    # the paired recording gets its redacted copy, with the named husband bleeped where the transcript says he was named
    from research.anonymize.stage import run_anonymize

    run_speakers(study)
    assert run_anonymize(study)[imported["code"]] == "done"
    assert (study.redacted_audio_dir / f"{imported['code']}.opus").is_file()
    husband = next(w for u in study.db["utterances"].rows_where("interview_id = ?", [imported["id"]]) for w in json.loads(u["words"]) if w.get("pii") == "PERSON")
    assert 14.5 < husband["start"] < husband["end"] <= 22.0
    # a recording shorter than its transcript is not its recording
    short = tmp_path / "short"
    short.mkdir()
    (short / "s.vtt").write_text((TRANSCRIPTS / "zoom-call.vtt").read_text().replace("Dana", "Dina"))
    write_audio(short / "s.wav", tone[: 16_000 * 5])
    failed = add_sources(study, [short / "s.vtt"]).failed
    assert len(failed) == 1 and "is it the right recording" in failed[0]


def test_a_folder_of_tracks_is_one_interview_with_a_channel_per_speaker(study, tmp_path):
    folder = tmp_path / "Audio Record"
    folder.mkdir()
    t = np.linspace(0, 3, 16_000 * 3, dtype=np.float32)
    write_audio(folder / "audioIrisNakamura11.m4a", 0.3 * np.sin(2 * np.pi * 220 * t))
    write_audio(folder / "audioTheoBarros12.m4a", 0.3 * np.sin(2 * np.pi * 330 * t))
    report = add_sources(study, [], tracks=[folder])
    assert report.added == ["Audio Record"]
    row = next(study.db["interviews"].rows)
    assert (row["source_format"], row["channels"]) == ("tracks", 2)
    assert [p.name for p in study.vault.tracks(row["id"])] == ["audioIrisNakamura11.m4a", "audioTheoBarros12.m4a"]
    mix = study.vault.source_path(row["id"])
    assert mix.is_file() and mix.is_relative_to(study.vault_dir)
    assert [r["code"] for r in pending_interviews(study, TranscribeSettings())] == ["INT-001"]
    assert add_sources(study, [], tracks=[folder]).duplicates == ["Audio Record"]
    assert "needs two or more" in add_sources(study, [], tracks=[tmp_path]).failed[0]


SURVEY = FeedbackColumns(("Why did you give this score?", "What should we improve?"), "ResponseId", {"date": "Submitted", "persona": "Plan", "nps": "NPS"})


def test_survey_rows_become_sources_with_their_metadata(study):
    report = add_feedback(study, FEEDBACK / "nps-survey.csv", SURVEY)
    assert report.added == ["nps-survey.csv#R_1001", "nps-survey.csv#R_1002", "nps-survey.csv#R_1003"]
    assert report.failed == ["nps-survey.csv, row 5: date: Value error, 'not a date' is not a date; use YYYY-MM-DD, or day first as 14/09/2026"]
    rows = list(study.db.query("SELECT i.code, i.source_type, i.interview_date, i.source_meta, p.persona FROM interviews i JOIN participants p ON p.interview_id = i.id ORDER BY i.id"))
    assert [r["code"] for r in rows] == ["SRV-001", "SRV-002", "SRV-003"]
    assert rows[0] == {"code": "SRV-001", "source_type": "survey", "interview_date": "2026-09-02", "source_meta": '{"nps": "3"}', "persona": "Home"}
    run_speakers(study)
    answers = study.vault.raw_utterances(1)
    assert [(u["role"], u["text"]) for u in answers] == [
        ("customer", "The Wi-Fi pairing failed three times and support kept me waiting for forty minutes."),
        ("customer", "Make setup work the first time."),
    ]
    assert study.db["stage_status"].count_where("stage = 'speakers' AND note IS NOT NULL") == 0
    assert "R_1001" not in all_text(study.db_path)  # response ids stay in the vault
    again = add_feedback(study, FEEDBACK / "nps-survey.csv", SURVEY)
    assert len(again.duplicates) == 3 and not again.added


def test_tickets_from_json_and_surveys_from_excel(study, tmp_path):
    tickets = add_feedback(study, FEEDBACK / "support-tickets.json", FeedbackColumns(("description",), "id", {"segment": "requester.segment", "tags": "tags"}))
    assert tickets.added == ["support-tickets.json#58001", "support-tickets.json#58002"]
    row = next(study.db["interviews"].rows)
    assert (row["code"], row["source_type"], row["source_meta"]) == ("TKT-001", "ticket", '{"tags": "wifi, setup"}')
    import openpyxl
    workbook = openpyxl.Workbook()
    workbook.active.append(["Comment", "Score"])
    workbook.active.append(["Delivery was two days late.", 4])
    workbook.active.append([None, 9])
    workbook.save(tmp_path / "nps.xlsx")
    survey = add_feedback(study, tmp_path / "nps.xlsx", FeedbackColumns(fields={"nps": "score"}))
    assert survey.added == ["nps.xlsx#2"] and not survey.failed  # the text column is found by its name; a blank answer is no evidence
    missing = add_feedback(study, tmp_path / "nps.xlsx", FeedbackColumns(("Answer",)))
    assert missing.failed == ["nps.xlsx: no text column 'Answer' (columns: Comment, Score)"]


def test_every_stage_after_transcription_runs_unchanged_on_an_imported_study(study, tmp_path):
    from research.anonymize.stage import run_anonymize
    from research.coding.stage import run_code, study_codebook
    from research.export.run import export
    from research.journey import build_and_store
    from research.themes import run_themes

    assert not add_sources(study, [TRANSCRIPTS / "teams-call.vtt", TRANSCRIPTS / "zoom-call.txt"]).failed
    assert len(add_feedback(study, FEEDBACK / "nps-survey.csv", SURVEY).added) == 3
    run_speakers(study)
    assert set(run_anonymize(study).values()) == {"done"}
    run_code(study)
    run_themes(study)
    journey = build_and_store(study, study_codebook(study)[0])
    assert journey.interviews == 5
    feedback = {source: n for lane in journey.stages for source, n in lane.sources.items()}
    assert set(feedback) == {"survey"} and sum(n for lane in journey.stages for n in lane.sources.values()) >= 3
    surveys_only = build_and_store(study, study_codebook(study)[0], {"source_type": "survey"})
    assert surveys_only.interviews == 3 and all(q.interview.startswith("SRV-") for lane in surveys_only.stages for q in lane.quotes)
    folder = tmp_path / "exports"
    export(study, ["md", "csv", "txt", "qdpx"], folder)
    written = "\n".join(p.read_text(errors="ignore") for p in folder.rglob("*") if p.is_file() and p.suffix != ".qdpx")
    assert "from surveys:" in (folder / "journey-map.md").read_text()
    assert "(survey)" in written and ",survey," in (folder / "codings.csv").read_text()
    assert not NAMES.search(written) and not NAMES.search(all_text(study.db_path))
    # a second wave: the same study without the survey evidence
    import shutil

    from click.testing import CliRunner

    from research.cli import cli
    from research.compare import compare
    from research.study import Study

    wave_b = Study.open(Path(shutil.copytree(study.root, tmp_path / "wave-b")))
    wave_b.db.execute("UPDATE codings SET status = 'rejected' WHERE code_key LIKE 'stage:%' AND utterance_id IN (SELECT u.id FROM utterances u JOIN interviews i ON i.id = u.interview_id WHERE i.source_type = 'survey')")
    wave_b.db.conn.commit()
    build_and_store(wave_b, study_codebook(wave_b)[0])
    same = compare(study, study)
    assert all(s.valence_shift in (None, 0.0) and (s.ci_low is None or s.ci_low <= 0 <= s.ci_high) for s in same.stages)
    assert {p.kind for p in same.patterns} <= {"steady"} and all(o.rank_a == o.rank_b for o in same.opportunities)
    waves = compare(study, wave_b)
    surveyed = [lane.stage for lane in journey.stages if lane.sources]
    assert all(s.coverage_b < s.coverage_a for s in waves.stages if s.stage in surveyed)
    # one study in two waves, by date: the surveys dated before 4 September and those from it (undated transcripts in neither)
    from research.compare import compare_waves
    from research.errors import ResearchError

    by_date = compare_waves(study, split_date=datetime.date(2026, 9, 4))
    assert by_date.study_a.endswith("before 2026-09-04") and by_date.study_b.endswith("from 2026-09-04")
    assert [s.stage for s in by_date.stages] == [lane.stage for lane in journey.stages]
    with pytest.raises(ResearchError, match="wave column needs exactly two values; wave has 0"):
        compare_waves(study, wave_column="wave")
    result = CliRunner().invoke(cli, ["compare", str(study.root), str(wave_b.root), "--out", str(tmp_path / "cmp")])
    assert result.exit_code == 0, result.output
    assert "## Stages" in (tmp_path / "cmp" / "compare.md").read_text() and "<table>" in (tmp_path / "cmp" / "compare.html").read_text()


def test_real_interviews_run_through_every_stage(study):
    """Three real interviews (fixtures/real_interviews/PROVENANCE.md): a podcast host asks three guests about their
    working lives. Not a customer journey, except where the insurance founder talks about her customers: the map
    must say so, rather than place daily routines and family memories on a journey."""
    from research.anonymize.stage import run_anonymize
    from research.coding.stage import run_code, study_codebook
    from research.journey import build_and_store
    from research.themes import run_themes

    files = sorted(REAL.glob("*.txt"))
    assert add_sources(study, [REAL]).added == [f.name for f in files]
    run_speakers(study)
    for interview_id, path in enumerate(files, start=1):  # each paragraph is an utterance; the host is the interviewer
        names = [t.speaker for t in read_transcript(path).turns]
        speaking = [next(n for n in reversed(names[: i + 1]) if n) for i in range(len(names))]
        expected = ["interviewer" if name == "Tim Smith" else "customer" for name in speaking]
        assert [u["role"] for u in study.vault.raw_utterances(interview_id)] == expected
    assert {name for name, _ in study.vault.known_names()} == {"Tim Smith", "Jason Snell", "Justin Jackson", "Ashley Baxter"}
    assert set(run_anonymize(study).values()) == {"done"}
    assert set(run_code(study).values()) == {"done"}
    themes = run_themes(study)
    journey = build_and_store(study, study_codebook(study)[0])

    customer = study.db.execute("SELECT count(*) FROM utterances WHERE role = 'customer'").fetchone()[0]
    scope = {(r["code"], r["scope"]): r["n"] for r in study.db.query(
        "SELECT i.code, s.scope, count(*) AS n FROM utterances u JOIN interviews i ON i.id = u.interview_id JOIN utterance_scope s ON s.utterance_id = u.id WHERE u.role = 'customer' GROUP BY i.code, s.scope")}
    assert sum(scope.values()) == customer == journey.coverage.customer_utterances  # every paragraph the guests said is coded and counted
    life_stories = scope.get(("INT-001", "journey"), 0) + scope.get(("INT-002", "journey"), 0)
    life_paragraphs = sum(n for (code, _), n in scope.items() if code in ("INT-001", "INT-002"))
    assert life_stories <= life_paragraphs // 6  # a working day and a childhood are not a customer journey
    assert scope.get(("INT-003", "journey"), 0) > life_stories  # her customers' trust, claims and buying are
    assert journey.coverage.on_journey < journey.coverage.outside and "outside it:" in journey.coverage.line
    assert any(t.journey for t in themes) and journey.hidden_themes  # themes on the journey, and the rest shown apart
    assert not re.search(r"\b(Tim|Smith|Jason|Snell|Justin|Jackson|Ashley|Baxter|Nyberg)\b", all_text(study.db_path))


def test_bootstrap_interval_finds_a_real_shift_and_not_a_false_one():
    from research.compare import bootstrap_shift

    rng = np.random.default_rng(1)
    before, after = list(rng.normal(-0.4, 0.3, 60)), list(rng.normal(0.2, 0.3, 60))
    low, high = bootstrap_shift(before, after)
    assert 0 < low < 0.6 < high
    low, high = bootstrap_shift(before, list(rng.normal(-0.4, 0.3, 60)))
    assert low < 0 < high


async def test_the_review_app_shows_the_source_type_and_the_last_comparison(study):
    from textual.widgets import DataTable, Markdown

    from research.compare import Comparison, StageShift, save_comparison
    from tui.app import ResearchApp
    from tui.screens.compare import CompareScreen
    from tui.widgets.footer import KeyFooter

    add_sources(study, [TRANSCRIPTS / "teams-call.vtt"])
    add_feedback(study, FEEDBACK / "nps-survey.csv", SURVEY)
    app = ResearchApp(study)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        rows = [[str(cell) for cell in table.get_row_at(n)] for n in range(table.row_count)]
        assert [(row[0], row[-1]) for row in rows[:2]] == [("INT-001", "INT-001"), ("SRV-002", "SRV-002 · survey")]  # code first, title last
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        assert "No comparison yet" in app.screen.query_one(Markdown).source
        assert app.screen.query_one(KeyFooter)  # help and quit first, as on every screen
    stage = StageShift(stage="adoption", name="Adoption", coverage_a=0.5, coverage_b=0.75, valence_a=-0.4, valence_b=0.1, valence_shift=0.5, ci_low=0.2, ci_high=0.8)
    save_comparison(Comparison(study_a="2025", study_b="2026", stages=[stage], patterns=[], opportunities=[]), study.exports_dir)
    app = ResearchApp(study)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("w")
        await pilot.pause()
        shown = app.screen.query_one(Markdown).source
        assert "# 2025 → 2026" in shown and "| Adoption | 50% → 75% | +25% | -0.40 → +0.10 | +0.50 (+0.20 … +0.80) |" in shown


def test_each_track_is_transcribed_apart_and_is_its_own_speaker(study, tmp_path):
    from research.transcribe.batch import TranscriptionBatch
    from tests.audio_factory import speech_clip
    from tests.conftest import DEMO

    folder = tmp_path / "Audio Record"
    folder.mkdir()
    silence = np.zeros(16_000 * 6, dtype=np.float32)
    write_audio(folder / "audioFirst1.wav", np.concatenate([speech_clip(DEMO / "int-01.opus", 6), silence]))  # speaks first
    write_audio(folder / "audioSecond2.wav", np.concatenate([silence, speech_clip(DEMO / "int-02.opus", 6)]))  # then this one
    add_sources(study, [], tracks=[folder])
    report = TranscriptionBatch(study, TranscribeSettings(model="tiny.en")).run()
    assert [o.status for o in report.outcomes] == ["done"]
    assert study.vault.channels(1) == [0, 1]
    run_speakers(study)
    raw = study.vault.raw_utterances(1)
    first = [u for u in raw if u["speaker"] == "S1"]
    second = [u for u in raw if u["speaker"] == "S2"]
    assert first and second
    assert max(u["end"] for u in first) <= 6.5 and min(u["start"] for u in second) >= 5.5  # each speaker only where its own track speaks


@pytest.mark.parametrize("suffix, clock", [(".srt", "00:00:05,000 --> 00:00:0x,500"), (".srt", "00:00:05,000 --> 00:00:04,500"), (".vtt", "00:00:05.000 --> 00:00:0x.500")])
def test_a_cue_with_a_bad_timestamp_is_refused_naming_its_number(tmp_path, suffix, clock):
    """The srt library read "00:00:0x,500" as 00:00:00 plus position data, so the cue was imported ending before it began."""
    header = "WEBVTT\n\n" if suffix == ".vtt" else ""
    good = "00:00:01,000 --> 00:00:04,000" if suffix == ".srt" else "00:00:01.000 --> 00:00:04.000"
    path = tmp_path / f"call{suffix}"
    path.write_text(f"{header}1\n{good}\nDana Whitfield: Hello.\n\n2\n{clock}\nMarisol Quenby: Hi.\n\n3\n{good.replace('01', '09').replace('04', '12')}\nDana Whitfield: Go on.\n")
    with pytest.raises(TranscriptFormatError, match=r"^call\.(srt|vtt): cue 2 (has a malformed timestamp|ends before it starts)") as refused:
        read_transcript(path)
    assert "\n" not in str(refused.value)
    path.write_text(path.read_text().replace(clock, clock.replace("0x", "06").replace("04,500", "06,500")))
    assert [(t.start, t.end) for t in read_transcript(path).turns][1] == (5.0, 6.5)  # the same file, mended, reads
