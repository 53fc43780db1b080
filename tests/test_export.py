"""Exports: every format from the stored map, REFI-QDA validity and round trip, no PII, escaping,
filters, and a look at the HTML in headless Chromium."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from research.cli import cli
from research.demo_corpus import BRAND_TERMS, reference_scripts
from research.export.run import ALL_FORMATS, export

NS = "{urn:QDA-XML:project:1.0}"


@pytest.fixture(scope="module")
def exported(coded_demo, tmp_path_factory):
    from research.themes import run_themes

    run_themes(coded_demo)
    folder = tmp_path_factory.mktemp("exports")
    report = export(coded_demo, list(ALL_FORMATS), folder)
    return coded_demo, folder, report


def pii_strings() -> set[str]:
    """Every PII span written into the demo scripts (names, emails, phones), less the allowed brand."""
    allowed = {b.lower() for b in BRAND_TERMS}
    spans = {span["text"] for script in reference_scripts() for turn in script["turns"] for span in turn.get("pii") or []}
    names = {s["participant"] for script in reference_scripts() for s in script["speakers"].values() if s.get("participant")}
    return {s for s in spans | names if s.lower() not in allowed and len(s) > 3}


def all_text(folder: Path) -> str:
    """The text of every export file: plain files, DOCX paragraphs, and the members of the QDPX zip."""
    parts = []
    for path in folder.rglob("*"):
        if path.suffix in (".html", ".md", ".json", ".csv", ".txt", ".srt", ".vtt", ".qdc", ".svg"):
            parts.append(path.read_text(encoding="utf-8"))
        elif path.suffix == ".docx":
            parts += [p.text for p in Document(str(path)).paragraphs]
        elif path.suffix == ".qdpx":
            with zipfile.ZipFile(path) as archive:
                parts += [archive.read(n).decode("utf-8") for n in archive.namelist() if not n.endswith(".opus")]
    return "\n".join(parts).lower()


def test_every_format_is_written(exported):
    study, folder, report = exported
    names = {p.relative_to(folder).as_posix() for p in report.files}
    assert {"journey-map.html", "journey-map.md", "journey-map.json", "journey-map.schema.json", "codings.csv", "quotes.csv", "patterns.csv",
            "outliers.csv", "themes.csv", "journey-map.png", "journey-map.svg", "codebook.qdc", "demo.qdpx"} <= names
    for code in ("INT-001", "INT-007"):
        assert {f"transcripts/{code}.{ext}" for ext in ("txt", "docx", "srt", "vtt")} <= names
    srt_text = (folder / "transcripts" / "INT-001.srt").read_text()
    assert srt_text.startswith("1\n00:00:") and "Interviewer:" in srt_text
    assert (folder / "transcripts" / "INT-001.vtt").read_text().startswith("WEBVTT")
    assert (folder / "journey-map.png").read_bytes()[:4] == b"\x89PNG"


def test_json_follows_its_versioned_schema(exported):
    from jsonschema import validate

    _, folder, _ = exported
    data = json.loads((folder / "journey-map.json").read_text())
    schema = json.loads((folder / "journey-map.schema.json").read_text())
    validate(data, schema)
    assert data["schema_version"] == "1.0" and schema["$id"].endswith("journey-map-1.0.json")
    assert [s["stage"] for s in data["stages"]] == ["discovery", "decision", "adoption", "retention", "advocacy"]


def test_html_is_self_contained_with_stages_curve_and_marks(exported):
    _, folder, _ = exported
    page = (folder / "journey-map.html").read_text()
    for external in ('src="http', "src='http", 'href="http', "url(http", "@import", "<script", "<link"):
        assert external not in page
    assert "<svg" in page and "Emotion curve" in page
    for stage in ("Discovery", "Decision / Purchase", "Adoption", "Retention", "Advocacy"):
        assert stage in page
    assert 'class="pattern"' in page and 'class="outlier"' in page and "INT-00" in page


def test_exports_never_contain_raw_pii(exported):
    _, folder, _ = exported
    text = all_text(folder)
    leaks = sorted(s for s in pii_strings() if s.lower() in text)
    assert not leaks, leaks


def test_qdpx_and_qdc_validate_against_the_refi_schemas(exported, shared_data):
    from lxml import etree

    _, folder, _ = exported
    project_schema = etree.XMLSchema(etree.parse(str(shared_data / "refi-qda" / "Project.xsd")))
    codebook_schema = etree.XMLSchema(etree.parse(str(shared_data / "refi-qda" / "Codebook.xsd")))
    with zipfile.ZipFile(folder / "demo.qdpx") as archive:
        names = archive.namelist()
        project = etree.fromstring(archive.read("project.qde"))
        assert project_schema.validate(etree.ElementTree(project)), project_schema.error_log
        assert all(n == "project.qde" or n.startswith("sources/") for n in names)  # lowercase sources/, as ATLAS.ti needs
        for source in project.iter(f"{NS}TextSource"):
            member = source.get("plainTextPath").replace("internal://", "sources/")
            text = archive.read(member).decode("utf-8")
            assert source.get("richTextPath") is None
            for selection in source.iter(f"{NS}PlainTextSelection"):  # offsets are characters and point at the utterance
                assert text[int(selection.get("startPosition")) : int(selection.get("endPosition"))].startswith(selection.get("name"))
        audio = list(project.iter(f"{NS}AudioSource"))
        assert len(audio) == 7 and all(a.get("path").replace("internal://", "sources/") in names for a in audio)
        sync = list(audio[0].iter(f"{NS}SyncPoint"))
        assert sync and [int(s.get("timeStamp")) for s in sync] == sorted(int(s.get("timeStamp")) for s in sync)
        cases = list(project.iter(f"{NS}Case"))
        assert len(cases) == 8 and all(c.get("name").startswith("Participant") for c in cases)
        assert any(v.text == "Operations buyer" for v in project.iter(f"{NS}TextValue"))
    assert codebook_schema.validate(etree.parse(str(folder / "codebook.qdc"))), codebook_schema.error_log


def test_qdpx_codings_import_back_into_a_study(coded_copy, tmp_path):
    from research.coding.decisions import bulk_accept

    db = coded_copy.db
    bulk_accept(db, 0.8, "stage:")
    accepted = {(r["utterance_id"], r["code_key"]) for r in db.query("SELECT utterance_id, code_key FROM codings WHERE status = 'accepted'")}
    export(coded_copy, ["qdpx"], tmp_path, include_suggested=False)
    db.execute("DELETE FROM codings")
    db.conn.commit()
    result = CliRunner().invoke(cli, ["--study", str(coded_copy.root), "import", str(tmp_path / "demo.qdpx"), "--coder", "maria"])
    assert result.exit_code == 0, result.output
    restored = {(r["utterance_id"], r["code_key"]) for r in db.query("SELECT utterance_id, code_key FROM codings WHERE status = 'accepted' AND coder = 'maria'")}
    assert accepted and restored == accepted


def test_text_is_escaped_in_every_format(coded_copy, tmp_path):
    db = coded_copy.db
    row = next(db.query("SELECT id FROM utterances WHERE role = 'customer' ORDER BY id LIMIT 1"))
    evil = '=HYPERLINK("http://evil.example","x") <script>alert(1)</script> | **bold** <b>'
    db["utterances"].update(row["id"], {"text": evil})
    db.execute("UPDATE codings SET status = 'accepted' WHERE utterance_id = ?", [row["id"]])
    db.conn.commit()
    export(coded_copy, ["html", "csv", "md", "vtt", "txt"], tmp_path)
    page = (tmp_path / "journey-map.html").read_text()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    with (tmp_path / "codings.csv").open(newline="") as handle:
        texts = [r["text"] for r in csv.DictReader(handle) if "HYPERLINK" in r["text"]]
    assert texts and all(t.startswith("'=") for t in texts)
    markdown = (tmp_path / "journey-map.md").read_text()
    assert "<script>" not in markdown
    vtt = next((tmp_path / "transcripts").glob("*.vtt")).read_text()
    assert "<script>" not in vtt


def test_filters_limit_what_is_exported(coded_demo, tmp_path):
    result = CliRunner().invoke(cli, ["--study", str(coded_demo.root), "export", "--format", "txt,json", "--segment", "Household", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.stem for p in (tmp_path / "transcripts").glob("*.txt")) == ["INT-003", "INT-004", "INT-007"]
    assert json.loads((tmp_path / "journey-map.json").read_text())["filters"] == {"segment": "Household"}
    bad = CliRunner().invoke(cli, ["--study", str(coded_demo.root), "export", "--format", "pdf"])
    assert bad.exit_code == 2 and "unknown format pdf" in bad.output


def test_an_unwritable_export_folder_is_one_line(coded_demo, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(cli, ["--study", str(coded_demo.root), "export", "--format", "md", "--out", str(blocker / "exports")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot write exports to") and len(result.output.strip().splitlines()) == 1


def test_the_html_renders_in_a_browser(exported, tmp_path):
    """A real look: headless Chromium screenshots the page; it must be a full, non-blank picture."""
    from PIL import Image, ImageStat

    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not browser:
        pytest.skip("no Chromium on this machine (Debian package 'chromium'); the HTML is still checked above")
    _, folder, _ = exported
    shot = tmp_path / "map.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--screenshot={shot}", "--window-size=1400,1000",
                    (folder / "journey-map.html").as_uri()], check=True, capture_output=True, timeout=120)
    image = Image.open(shot).convert("L")
    assert image.size == (1400, 1000)
    stat = ImageStat.Stat(image)
    assert stat.stddev[0] > 20  # text, lines and the chart, not a blank page
    top = image.crop((0, 0, 1400, 60))
    assert ImageStat.Stat(top).mean[0] < 250  # the title is drawn at the top
