"""Exports: every format from the stored map (analyst HTML and Markdown, one-page story, editable SVG, PPTX,
JSON/CSV), REFI-QDA validity and round trip, no PII, escaping, filtered folders, and a look at the HTML
in headless Chromium."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from docx import Document
from lxml import etree, html
from pptx import Presentation

from research.cli import cli
from research.demo_corpus import BRAND_TERMS, reference_scripts
from research.export.run import ALL_FORMATS, export
from research.export.document import write_html
from research.export.wording import insight_facts, opportunity_patterns
from research.journey.model import Advocacy, Coverage, Insight, Item, JourneyMap, Opportunity, PersonaCell, PersonaRow, Quote, Saturation, StageLane
from tests.conftest import HANG_GUARD_S

NS = "{urn:QDA-XML:project:1.0}"
SVG = "{http://www.w3.org/2000/svg}"
PAIRING_FAILED = (re.compile(r"pair|connect", re.I), re.compile(r"fail|refus|would ?n[o']t|could ?n[o']t|won'?t", re.I))


@pytest.fixture(scope="module")
def exported(mapped_demo, tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    report = export(mapped_demo, list(ALL_FORMATS), folder, qdpx_suggestions=True)  # nobody reviewed the demo: its QDPX codes the suggestions
    journey = JourneyMap.model_validate_json((folder / "journey-map.json").read_text())
    return mapped_demo, folder, report, journey


def pii_strings() -> set[str]:
    """Every PII span written into the demo scripts (names, emails, phones), less the allowed brand."""
    allowed = {b.lower() for b in BRAND_TERMS}
    spans = {span["text"] for script in reference_scripts() for turn in script["turns"] for span in turn.get("pii") or []}
    names = {s["participant"] for script in reference_scripts() for s in script["speakers"].values() if s.get("participant")}
    return {s for s in spans | names if s.lower() not in allowed and len(s) > 3}


def deck_text(path: Path) -> list[str]:
    """Every piece of text in a deck: text boxes, table cells and speaker notes."""
    parts = []
    for slide in Presentation(str(path)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [cell.text for row in shape.table.rows for cell in row.cells]
        parts.append(slide.notes_slide.notes_text_frame.text)
    return parts


def all_text(folder: Path) -> str:
    """The text of every export file: plain files, DOCX paragraphs, PPTX text and notes, and the members of the QDPX zip."""
    parts = []
    for path in folder.rglob("*"):
        if path.suffix in (".html", ".md", ".json", ".csv", ".txt", ".srt", ".vtt", ".qdc", ".svg"):
            parts.append(path.read_text(encoding="utf-8"))
        elif path.suffix == ".docx":
            parts += [p.text for p in Document(str(path)).paragraphs]
        elif path.suffix == ".pptx":
            parts += deck_text(path)
        elif path.suffix == ".qdpx":
            with zipfile.ZipFile(path) as archive:
                parts += [archive.read(n).decode("utf-8") for n in archive.namelist() if not n.endswith(".m4a")]
    return "\n".join(parts).lower()


def svg_texts(path: Path) -> dict[str, str]:
    """{id of the group: its text} for every <text> in an SVG, joined line by line."""
    root = etree.parse(str(path)).getroot()
    found: dict[str, str] = {}
    for text in root.iter(f"{SVG}text"):
        group = next((a.get("id") for a in text.iterancestors(f"{SVG}g") if a.get("id")), "")
        found[group] = " ".join(filter(None, [found.get(group), "".join(text.itertext())]))
    return found


def test_every_format_is_written(exported):
    study, folder, report, _ = exported
    names = {p.relative_to(folder).as_posix() for p in report.files}
    assert {"journey-map.html", "journey-story.html", "journey-map.md", "journey-map.json", "journey-map.schema.json", "journey-map.pptx", "codings.csv",
            "quotes.csv", "patterns.csv", "outliers.csv", "opportunities.csv", "themes.csv", "journey-map.png", "journey-map.svg", "codebook.qdc", "demo.qdpx"} <= names
    for code in ("INT-001", "INT-007"):
        assert {f"transcripts/{code}.{ext}" for ext in ("txt", "docx", "srt", "vtt")} <= names
    srt_text = (folder / "transcripts" / "INT-001.srt").read_text()
    assert srt_text.startswith("1\n00:00:") and "Interviewer:" in srt_text
    assert (folder / "transcripts" / "INT-001.vtt").read_text().startswith("WEBVTT")
    assert (folder / "journey-map.png").read_bytes()[:4] == b"\x89PNG"


def test_json_follows_its_schema_regenerated_from_the_model(exported):
    from jsonschema import validate

    _, folder, _, journey = exported
    data = json.loads((folder / "journey-map.json").read_text())
    schema = json.loads((folder / "journey-map.schema.json").read_text())
    validate(data, schema)
    assert data["schema_version"] == "2.0" and schema["$id"].endswith("journey-map-2.0.json")
    assert schema["properties"] == JourneyMap.model_json_schema()["properties"]
    assert {"Insight", "Opportunity", "Advocacy", "Coverage", "PersonaRow", "Moment"} <= set(schema["$defs"])
    assert [s["stage"] for s in data["stages"]] == ["discovery", "decision", "adoption", "retention", "advocacy"]


def test_csv_tables_hold_insights_outliers_and_opportunities(exported):
    _, folder, _, journey = exported

    def rows(name: str) -> tuple[list[str], list[dict]]:
        assert (folder / name).read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads "—" in a file without the BOM as "â€”"
        with (folder / name).open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            return list(reader.fieldnames or []), list(reader)

    header, patterns = rows("patterns.csv")
    assert header == ["stage", "statement", "participants", "cohort", "polarity", "valence", "intensity", "personas", "quote", "utterance_ids"]
    assert [r["statement"] for r in patterns] == [i.statement for i in journey.insights()]
    assert all(r["quote"] and r["polarity"] in ("pain", "delight", "mixed", "neutral") for r in patterns)
    header, outliers = rows("outliers.csv")
    assert {"kind", "label", "participant", "why", "utterance_ids"} <= set(header)
    assert len(outliers) == sum(len(lane.outliers) for lane in journey.stages) and all(r["why"] for r in outliers)
    header, opportunities = rows("opportunities.csv")
    assert header == ["statement", "stage", "participants", "reach", "intensity", "evidence", "score"]
    assert [r["statement"] for r in opportunities] == [o.statement for o in journey.opportunities]
    assert all(r["statement"].startswith("How might we") for r in opportunities)


def test_html_is_self_contained_and_reads_as_insight(exported):
    _, folder, _, journey = exported
    page = (folder / "journey-map.html").read_text()
    for external in ('src="http', "src='http", 'href="http', "url(http", "@import", "<script", "<link"):
        assert external not in page
    assert "<svg" in page and "Emotion curve" in page
    for stage in ("Discovery", "Decision / Purchase", "Adoption", "Retention", "Advocacy"):
        assert stage in page
    root = html.fromstring(page)
    insights = root.find_class("insight")
    assert len(insights) == len(journey.insights()) > 0
    numbers = [n for lane in journey.stages for n, _ in enumerate(lane.patterns, start=1)]  # "see insight 2" names these
    for card, insight, number in zip(insights, journey.insights(), numbers):
        assert insight.polarity in card.get("class")
        assert card.find_class("statement")[0].text_content() == f"{number}. {insight.claim}"
        said = card.text_content().split("“")[0]  # the card without its quotes: each fact once
        assert said.count(f"{insight.participants} of {insight.cohort} participants") == 1, said
        stage = next(lane.name for lane in journey.stages if lane.stage == insight.stage)
        assert stage not in said and (not insight.emotion or said.lower().count(insight.emotion.lower()) == 1), said
        cites = [c.text_content() for c in card.iter("cite")]
        assert 1 <= len(cites) <= 3 and all(re.match(r"INT-\d{3} at \d\d:\d\d · ", c) for c in cites)
    for lane in journey.stages:  # "see insight N" names an insight numbered N in the same stage
        refs = [q.see for q in lane.pain_points + lane.delights + lane.tollgates + lane.gaps if q.see and q.see.startswith("insight ")]
        assert all(1 <= int(ref.split()[1]) <= len(lane.patterns) for ref in refs), (lane.name, refs)
    from research.export.markdown import md

    markdown = (folder / "journey-map.md").read_text()
    for insight, number in zip(journey.insights(), numbers):  # the Markdown insight: its number and claim in bold, then its evidence once
        item = markdown[markdown.index(f"- **{number}. {md(insight.claim)}**"):].split("\n  - ")[0]
        assert item.count(f"{insight.participants} of {insight.cohort} participants") == 1 and " — " not in item, item
    moments = [m for lane in journey.stages for m in lane.moments_of_truth]
    assert moments and all(m.touchpoint not in m.why and f"{m.valence:+.2f}" not in m.why for m in moments)  # said in the heading beside it
    skipped = [(lane, o) for lane in journey.stages for o in lane.outliers if o.kind == "skipped-stage"]
    assert all(o.label == o.participant and lane.name not in o.why and lane.stage not in o.why for lane, o in skipped)
    answers = [row.findall("td")[3].text_content() for row in root.iter("tr") if len(row.findall("td")) == 6]
    assert answers and all(" — " not in a and "participants" not in a for a in answers)  # the stage and reach have their own columns
    text = root.text_content()
    for line in (journey.coverage.line, journey.advocacy.line, "Moments of truth", "Outliers", "Tollgates", "Outside the journey"):
        assert line in text
    assert all(o.statement in text for o in journey.opportunities) and journey.opportunity_formula not in text  # the formula and its numbers stay in the JSON
    cells = [c for c in root.iter("td") if (c.get("class") or "").startswith("cell-")]
    assert len(cells) == len(journey.personas) * len(journey.stages)
    assert any(c.get("class") == "cell-thin" for c in cells) and ".cell-thin { opacity: 0.45" in page


def test_story_is_one_page_of_insights_curve_and_opportunities(exported):
    _, folder, _, journey = exported
    page = (folder / "journey-story.html").read_text()
    assert "<script" not in page and "<svg" in page and "@page" in page
    root = html.fromstring(page)
    stages = root.find_class("stage")
    assert [s.find("h2").text_content() for s in stages] == [lane.name for lane in journey.stages]
    for section, lane in zip(stages, journey.stages):
        assert len(section.find_class("insight")) <= 2 and len(section.findall(".//blockquote")) <= 2
        for insight in lane.patterns[:2]:
            assert insight.headline in section.text_content()
    opportunities = root.find_class("opportunities")[0].findall(".//li")
    shared = [o for o in journey.opportunities if o.participants >= 2]
    assert len(opportunities) == min(3, len(shared)) > 0  # one participant's pain is a single voice, not a top opportunity
    assert all(len(item.findall("blockquote")) == 1 for item in opportunities)  # one quote each
    assert len(root.findall(".//blockquote")) <= 2 * len(journey.stages) + 3 + 2


def test_svg_slide_has_editable_text(exported):
    _, folder, _, journey = exported
    svg = (folder / "journey-map.svg").read_text()
    texts = svg_texts(folder / "journey-map.svg")
    assert "DejaVuSans-" not in svg  # no glyph outlines: text stays text
    words = " ".join(texts.values()).split()
    insight = journey.insights()[0]
    assert all(word in words for word in insight.headline.split()), insight.headline
    assert {f"{lane.stage}-heading" for lane in journey.stages} <= set(texts) and "opportunity-1" in texts


def test_the_slide_tells_each_experience_once_and_adoption_is_pairing_failing(exported):
    """A column shows an insight with another participant's words than its headline's, then only pain points,
    delights, moments and outliers about utterances it has not told yet: the old slide put the adoption insight's
    own lead quote under "Pain point", and the courier's story as a pain point, a moment and an outlier."""
    _, folder, _, journey = exported
    texts = svg_texts(folder / "journey-map.svg")
    told = texts["adoption-insight-1"] + " " + texts["adoption-insight-1-quote"]
    assert all(pattern.search(told) for pattern in PAIRING_FAILED), told
    for lane in journey.stages:
        said = [q for q in lane.quotes + lane.pain_points + lane.delights + [i for p in lane.patterns for i in p.quotes]]
        said += [m.quote for m in lane.moments_of_truth]

        def utterance(block: str) -> int:
            opening = " ".join(texts[block].lstrip("“").split()[:6]).rstrip("…”")
            return next(q.utterance_id for q in said if " ".join(q.text.split()).startswith(opening))

        quoted = {block: utterance(block) for block in texts if block.startswith(f"{lane.stage}-") and texts[block].startswith("“")}
        assert len(set(quoted.values())) == len(quoted), (lane.name, quoted)
        insights = {u for p in lane.patterns[:2] for u in p.utterance_ids}
        assert not [b for b, u in quoted.items() if not b.startswith(f"{lane.stage}-insight") and u in insights], lane.name
        if f"{lane.stage}-moment" in texts:
            moment = next(m for m in lane.moments_of_truth if texts[f"{lane.stage}-moment"].startswith(m.touchpoint))
            assert moment.quote.utterance_id not in set(quoted.values()) | insights
        if f"{lane.stage}-outlier" in texts:
            outlier = next(o for o in lane.outliers if " ".join(o.label.split()[:5]) in texts[f"{lane.stage}-outlier"])
            assert outlier.kind != "skipped-stage" and not set(outlier.utterance_ids) & (set(quoted.values()) | insights), lane.name


def test_deck_has_a_summary_a_slide_per_stage_and_opportunities(exported):
    _, folder, _, journey = exported
    slides = list(Presentation(str(folder / "journey-map.pptx")).slides)
    titles = [slide.shapes.title.text for slide in slides]
    across = ["Pains told across the journey"] if journey.recurring_pains else []
    assert titles == [f"{journey.study}: the customer journey"] + [lane.name for lane in journey.stages] + across + ["Opportunities"]
    if across:  # the widest on the summary; each recurring pain's label, reach and quotes, all of them in the notes
        assert journey.recurring_pains[0].label in " ".join(shape.text_frame.text for shape in slides[0].shapes if shape.has_text_frame)
        text = " ".join(shape.text_frame.text for shape in slides[-2].shapes if shape.has_text_frame)
        assert all(pain.label in text and pain.reach in text for pain in journey.recurring_pains[:4])
        assert all(place.quote.text in slides[-2].notes_slide.notes_text_frame.text for pain in journey.recurring_pains[:4] for place in pain.places)
    assert any(shape.shape_type == 13 for shape in slides[0].shapes)  # the emotion curve picture
    for slide, lane in zip(slides[1:], journey.stages):
        text = " ".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)
        assert all(insight.headline in text for insight in lane.patterns[:3])
        assert all(q.text in slide.notes_slide.notes_text_frame.text for insight in lane.patterns[:3] for q in insight.quotes)
    table = next(shape.table for shape in slides[-1].shapes if shape.has_table)
    assert [table.cell(r, 1).text for r in range(1, len(table.rows))] == [o.statement for o in opportunity_patterns(journey)[:8]]  # single voices apart


def test_exports_never_contain_raw_pii(exported):
    _, folder, _, _ = exported
    text = all_text(folder)
    leaks = sorted(s for s in pii_strings() if re.search(rf"(?<!\w){re.escape(s.lower())}(?!\w)", text))  # whole words: 'disgrace' is not Grace
    assert not leaks, leaks


def test_qdpx_and_qdc_validate_against_the_refi_schemas(exported, shared_data):
    from lxml import etree

    _, folder, _, _ = exported
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
        codings = list(project.iter(f"{NS}Coding"))
        notes = {n.get("guid"): n.findtext(f"{NS}PlainTextContent") for n in project.iter(f"{NS}Note")}
        assert codings and len(notes) == len(codings)  # every suggestion carries its confidence in a note, linked from its selection
        assert all(notes[s.find(f"{NS}NoteRef").get("targetGUID")].startswith("Not reviewed: suggested by the") for s in project.iter(f"{NS}PlainTextSelection"))
        audio = list(project.iter(f"{NS}AudioSource"))
        assert len(audio) == 7 and all(a.get("path").replace("internal://", "sources/") in names for a in audio)
        sync = list(audio[0].iter(f"{NS}SyncPoint"))
        assert sync and [int(s.get("timeStamp")) for s in sync] == sorted(int(s.get("timeStamp")) for s in sync)
        cases = list(project.iter(f"{NS}Case"))
        assert len(cases) == 8 and all(c.get("name").startswith("Participant") for c in cases)
        assert any(v.text == "Operations buyer" for v in project.iter(f"{NS}TextValue"))
    assert codebook_schema.validate(etree.parse(str(folder / "codebook.qdc"))), codebook_schema.error_log


def test_qdpx_audio_is_aac_in_m4a_as_long_as_the_redacted_audio(exported):
    """NVivo, ATLAS.ti and MAXQDA don't import Opus; AAC in an .m4a they do."""
    import av

    study, folder, _, _ = exported
    with zipfile.ZipFile(folder / "demo.qdpx") as archive:
        project = etree.fromstring(archive.read("project.qde"))
        media = [n for n in archive.namelist() if n.startswith("sources/") and not n.endswith(".txt")]
        assert len(media) == 7 and all(n.endswith(".m4a") for n in media)
        for source in list(project.iter(f"{NS}AudioSource"))[:2]:
            probe = folder / "probe.m4a"
            probe.write_bytes(archive.read(source.get("path").replace("internal://", "sources/")))
            original = study.redacted_audio_dir / (source.get("name").split()[0] + ".opus")
            with av.open(str(probe)) as m4a, av.open(str(original)) as opus:
                assert m4a.streams.audio[0].codec_context.name == "aac" and m4a.format.name.startswith("mov,mp4,m4a")
                assert abs(m4a.duration - opus.duration) / 1e6 < 0.1
            probe.unlink()


def test_memos_reach_the_html_and_markdown_maps_escaped(coded_copy, tmp_path):
    from research.coding.decisions import set_memo
    from research.coding.memos import set_utterance_memo

    db = coded_copy.db
    utterance = db.execute("SELECT id FROM utterances WHERE role = 'customer' ORDER BY id LIMIT 1").fetchone()[0]
    coding = db.execute("SELECT id FROM codings WHERE status = 'suggested' AND code_key LIKE 'stage:%' ORDER BY id LIMIT 1").fetchone()[0]
    set_utterance_memo(coded_copy, utterance, "Contradicts <b>the</b> pricing answer [PERSON_6]")
    set_memo(db, coding, "Onboarding | not **adoption**")
    export(coded_copy, ["html", "md"], tmp_path)
    markdown = (tmp_path / "journey-map.md").read_text()
    memos = markdown[markdown.index("## Memos"):]
    assert "Contradicts &lt;b&gt;the&lt;/b&gt; pricing answer \\[PERSON\\_6\\]" in memos and "Onboarding \\| not \\*\\*adoption\\*\\*" in memos
    assert "(suggestion)" in memos  # the coding is not reviewed yet, and says so
    page = html.fromstring((tmp_path / "journey-map.html").read_text())
    items = [li.text_content() for li in page.xpath("//ul[@class='memos']/li")]
    assert len(items) == 2 and "Contradicts <b>the</b> pricing answer [PERSON_6]" in items[0] and "Onboarding | not **adoption**" in items[1]
    export(coded_copy, ["md"], tmp_path / "accepted", include_suggested=False)
    assert "Onboarding" not in (tmp_path / "accepted" / "journey-map.md").read_text()  # a suggestion's memo only with the suggestions


def test_qdpx_codings_import_back_into_a_study(coded_copy, tmp_path):
    from research.coding.decisions import Scope, bulk_accept

    db = coded_copy.db
    bulk_accept(db, 0.8, Scope("code", "stage:"))
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
    evil = '=HYPERLINK("http://evil.example","x") <script>alert(1)</script> | **bold** <b>'
    db.execute("UPDATE utterances SET text = ? || ' ' || text WHERE role = 'customer'", [evil])  # every quote the map shows carries it
    db.conn.commit()
    export(coded_copy, ["html", "csv", "md", "vtt", "txt", "story"], tmp_path)
    for name in ("journey-map.html", "journey-story.html"):
        page = (tmp_path / name).read_text()
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<b>" not in page
    with (tmp_path / "codings.csv").open(newline="") as handle:
        texts = [r["text"] for r in csv.DictReader(handle) if "HYPERLINK" in r["text"]]
    assert texts and all(t.startswith("'=") for t in texts)
    markdown = (tmp_path / "journey-map.md").read_text()
    assert "<script>" not in markdown and "&lt;script&gt;alert(1)&lt;/script&gt; \\| \\*\\*bold\\*\\* &lt;b&gt;" in markdown
    vtt = next((tmp_path / "transcripts").glob("*.vtt")).read_text()
    assert "<script>" not in vtt


def test_markup_from_metadata_is_escaped_in_markdown_and_html(coded_copy, tmp_path):
    """Issue 19 item 13: a study name, persona or segment holding HTML never passes through as markup."""
    db = coded_copy.db
    persona, segment = '<img src=x onerror="alert(1)">', "<script>alert(2)</script> [x](javascript:alert(3)) | **y**"
    db.execute("UPDATE participants SET persona = ?, segment = ? WHERE interview_id IN (SELECT id FROM interviews WHERE code IN ('INT-001', 'INT-002'))", [persona, segment])
    db.conn.commit()
    coded_copy.config.name = "<b onmouseover=alert(4)>Study</b>"
    coded_copy.save_config()
    report = export(coded_copy, ["html", "md", "story", "pptx"], tmp_path, {"segment": segment})
    markdown = (report.folder / "journey-map.md").read_text()
    pages = [(report.folder / name).read_text() for name in ("journey-map.html", "journey-story.html")]
    for text in [markdown, *pages]:
        assert not re.search(r"<(img|script|b)\b", text), re.search(r".{40}<(img|script|b)\b.{40}", text)
    assert "&lt;img src=x onerror=" in markdown and "&lt;script&gt;alert(2)&lt;/script&gt;" in markdown and "\\[x\\](javascript" in markdown
    assert "&lt;b onmouseover=alert(4)&gt;Study&lt;/b&gt;" in markdown.splitlines()[0]
    assert all("&lt;img src=x onerror=" in page and "segment = &lt;script&gt;" in page for page in pages)
    assert any(segment in part for part in deck_text(report.folder / "journey-map.pptx"))  # stored as text in the deck's XML, never as markup


def test_a_filtered_export_goes_to_its_own_folder(coded_demo, tmp_path):
    export(coded_demo, ["json"], tmp_path)
    whole = (tmp_path / "journey-map.json").read_text()
    result = CliRunner().invoke(cli, ["--study", str(coded_demo.root), "export", "--format", "txt,json,story", "--segment", "Household", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "segment-household"
    assert re.fullmatch(rf"Wrote 6 files to {re.escape(str(folder))} in \d+\.\d s\.\n", result.output), result.output
    assert sorted(p.stem for p in (folder / "transcripts").glob("*.txt")) == ["INT-003", "INT-004", "INT-007"]
    assert json.loads((folder / "journey-map.json").read_text())["filters"] == {"segment": "Household"}
    assert "segment = Household" in (folder / "journey-story.html").read_text()
    assert (tmp_path / "journey-map.json").read_text() == whole and not (tmp_path / "transcripts").exists()  # the whole study's files are untouched
    bad = CliRunner().invoke(cli, ["--study", str(coded_demo.root), "export", "--format", "pdf"])
    assert bad.exit_code == 2 and "unknown format pdf" in bad.output
    unknown = CliRunner().invoke(cli, ["--study", str(coded_demo.root), "export", "--format", "json", "--persona", "Nobody", "--out", str(tmp_path)])
    assert unknown.exit_code == 1 and len(unknown.output.strip().splitlines()) == 1 and "Operations buyer" in unknown.output
    assert not (tmp_path / "persona-nobody").exists()


def test_the_readme_and_the_help_list_every_export_format():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    listed = re.search(r"`research export \[--format all\\\|([a-z,]+)\]", readme)[1].split(",")
    assert sorted(listed) == sorted(ALL_FORMATS)
    format_help = next(p.help for p in cli.commands["export"].params if p.name == "formats")
    assert set(re.findall(r"\b([a-z]+)\b(?: \([^)]*\))?(?:,|, or all)", format_help)) == set(ALL_FORMATS)


def test_filter_folders_are_safe_names():
    from research.export.run import filter_folder

    assert filter_folder({"persona": "Operations buyer"}) == "persona-operations-buyer"
    assert filter_folder({"segment": "Small business", "persona": "Operations  Buyer"}) == "persona-operations-buyer--segment-small-business"
    assert filter_folder({"region": "../../etc"}) == "region-etc"
    assert re.fullmatch(r"region-[0-9a-f]{8}", filter_folder({"region": "/../"}))


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
    _, folder, _, _ = exported
    shot = tmp_path / "map.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--screenshot={shot}", "--window-size=1400,1000",
                    (folder / "journey-map.html").as_uri()], check=True, capture_output=True, timeout=HANG_GUARD_S)
    image = Image.open(shot).convert("L")
    assert image.size == (1400, 1000)
    stat = ImageStat.Stat(image)
    assert stat.stddev[0] > 20  # text, lines and the chart, not a blank page
    top = image.crop((0, 0, 1400, 60))
    assert ImageStat.Stat(top).mean[0] < 250  # the title is drawn at the top


def test_counts_of_people_read_as_english():
    from research.export.wording import people

    assert [people(n) for n in (0, 1, 2)] == ["0 people", "1 person", "2 people"]


def test_map_and_export_say_which_interviews_are_not_coded_yet(mapped_copy, tmp_path):
    coded = CliRunner().invoke(cli, ["--study", str(mapped_copy.root), "export", "--format", "md", "--out", str(tmp_path / "all")])
    assert coded.exit_code == 0, coded.output
    assert "not coded yet" not in coded.output
    interview = mapped_copy.db.execute("SELECT id FROM interviews WHERE code = 'INT-003'").fetchone()[0]
    mapped_copy.db.execute("UPDATE stage_status SET status = 'pending' WHERE stage = 'code' AND interview_id = ?", [interview])
    mapped_copy.db.conn.commit()
    for args in (["map"], ["export", "--format", "md", "--out", str(tmp_path / "one")]):
        result = CliRunner().invoke(cli, ["--study", str(mapped_copy.root), *args])
        assert result.exit_code == 0, result.output
        assert "1 interview is not coded yet (INT-003)" in " ".join(result.output.split())


def _lane(stage: str, name: str, valences: list[float]) -> StageLane:
    """A stage whose utterances each carry one coded emotion with these valences (none: nobody spoke about it)."""
    ids = list(range(1, len(valences) + 1))
    emotions = [Item(key="emotion:frustration", label="Frustration", utterances=len(ids), participants=len(ids), utterance_ids=ids)] if ids else []
    quotes = [Quote(utterance_id=i, interview=f"INT-00{i}", participant=f"Participant {i}", start=1.0, text="It took a whole evening to connect.", valence=v) for i, v in zip(ids, valences)]
    lists = {name: [] for name in ("touchpoints", "channels", "silos", "who", "what", "when", "where", "why", "moments_of_truth", "tollgates", "gaps", "themes", "patterns", "outliers", "delights")}
    return StageLane(stage=stage, name=name, participants=len(ids), utterances=len(ids), utterance_ids=ids, emotions=emotions,
                     valence_mean=sum(valences) / len(valences) if valences else None, valence_sd=float(np.std(valences)) if valences else None,
                     positive=sum(v > 0 for v in valences), negative=sum(v < 0 for v in valences), pain_points=quotes, quotes=quotes, feedback_loops={}, **lists)


def _small_journey(valences: dict[str, list[float]]) -> JourneyMap:
    """A map of a small study: per stage key, the valences of what was said there; no promoter, detractor or theme."""
    lanes = [_lane(key, key.title(), values) for key, values in valences.items()]
    said = sum(lane.utterances for lane in lanes)
    return JourneyMap(
        study="small", built_at="2026-11-29T00:00:00+00:00", filters={}, interviews=3, participants=3, pattern_share=0.3,
        coverage=Coverage(customer_utterances=said + 2, on_journey=said, outside=2, share=0.5, reasons={"logistics": 2}, line=f"{said} of {said + 2} customer utterances are placed on the journey"),
        stages=lanes, opportunities=[], opportunity_formula="score = reach × intensity × evidence",
        advocacy=Advocacy(promoters=[], detractors=[], promoter_participants=0, detractor_participants=0, net=0.0, line="0 promoters and 0 detractors among 3 participants: net advocacy +0%"),
        personas=[PersonaRow(persona="Operations buyer", participants=1, cells=[PersonaCell(stage=lane.stage, participants=0, of=1, quotes=0, valence=None, strength="none", top_insight=None) for lane in lanes])],
        participants_journeys=[], saturation=Saturation(steps=[], window=2, saturated_after=None))


def _read_everywhere(journey: JourneyMap, folder: Path) -> dict[str, str]:
    """The map as each reader sees it: the analyst page, the Markdown, the story and the deck, as text."""
    from research.export.chart import write_picture
    from research.export.deck import write_deck
    from research.export.document import write_html
    from research.export.markdown import write_markdown
    from research.export.story import write_story

    return {"html": " ".join(html.fromstring(write_html(journey, folder / "map.html").read_text()).text_content().split()),
            "md": write_markdown(journey, folder / "map.md").read_text(),
            "story": " ".join(html.fromstring(write_story(journey, folder / "story.html").read_text()).text_content().split()),
            "deck": " ".join(deck_text(write_deck(journey, folder / "deck.pptx"))),
            "slide": " ".join(svg_texts(write_picture(journey, folder / "slide.svg")).values())}


def test_a_stage_nobody_spoke_about_says_so_and_one_value_has_no_spread(tmp_path):
    from research.export.wording import NO_INSIGHT, NOT_DISCUSSED

    texts = _read_everywhere(_small_journey({"discovery": [-0.6], "adoption": [], "retention": [-0.2, -0.6]}), tmp_path)
    assert texts["story"].count("No shared pattern yet") == 2  # the story's own words; the slide shows a pain point's quote there
    for name, text in texts.items():
        assert NOT_DISCUSSED in text, name  # the empty stage, not "no experience is shared enough"
        assert text.count(NO_INSIGHT) == (0 if name in ("story", "slide") else 2), name  # only the two stages someone spoke about
        assert "1 utterances" not in text and "1 utterance" in text, name
        assert "all negative (1)" in text and "all negative (2)" in text, name  # feelings in words, not "valence -0.40 ± 0.20"
        assert not re.search(r"valence [+-]|± |[+-]0\.\d\d|intensity \d", text), name  # the chart's axis keeps its numbers


def test_no_promoter_or_detractor_is_not_reported_as_a_net_advocacy_of_zero(tmp_path):
    texts = _read_everywhere(_small_journey({"discovery": [-0.6], "advocacy": [0.0]}), tmp_path)
    assert "No pain insight to answer." in texts["slide"]  # not a bare "Top opportunities" heading
    for name, text in texts.items():
        if name == "slide":
            continue  # the slide has no room for advocacy
        assert "net advocacy +0%" not in text and "no net advocacy to report" in text, name
    assert texts["md"].count("\n## Advocacy\n") == 1 and "\n## Promoters and detractors\n" in texts["md"]  # the stage and the section have different headings


def test_the_reading_formats_state_shared_ws_name_the_quote_they_refer_to_and_give_no_time_a_transcript_lacks(tmp_path):
    """The 5 W's list what two or more participants say and are silent on one person's details; a quote shown in a
    row above is named by its opening words, not "see pain points"; a transcript without timings is cited without
    a time, not "at 00:00"; the page leaves out a row that every stage leaves empty."""
    journey = _small_journey({"discovery": [-0.6, -0.4]})
    lane = journey.stages[0]
    lane.pain_points = [lane.pain_points[0].model_copy(update={"text": "The mortgage portal rejected my payslips three times before anyone explained why."}),
                        Quote(utterance_id=9, interview="INT-009", participant="Participant 9", start=0.0, timed=False, valence=-0.4,
                              text="Nobody phoned while the valuation was pending, so I assumed we had been declined.")]
    lane.tollgates = [lane.pain_points[0].model_copy(update={"see": "pain points"})]
    lane.who = [Item(key="the broker", label="the broker", utterances=3, participants=2, utterance_ids=[1, 2]),
                Item(key="their cousin", label="their cousin", utterances=1, participants=1, utterance_ids=[1])]
    lane.what = [Item(key="scan payslips", label="scan payslips at a library", utterances=1, participants=1, utterance_ids=[2])]
    texts = _read_everywhere(journey, tmp_path)
    for name in ("html", "md"):
        text = texts[name]
        assert "the broker (2)" in text and "their cousin" not in text and "scan payslips" not in text, name
        assert "told under pain points: “The mortgage portal rejected my payslips three times before …” (Participant 1)" in text, name
        assert "INT-009 · Participant 9" in text and "INT-009 at 00:00" not in text, name
    assert "**What**" not in texts["md"] and "**Who**" in texts["md"]
    assert not [row for row in ("Gaps", "Moments of truth", "Outliers", "Feedback loops", "What") if row in texts["html"]]  # rows no stage fills
    assert not [n for n, text in texts.items() if "see pain points" in text]


def test_the_reading_formats_say_feelings_in_words_and_colour_a_gap_as_a_gap(tmp_path):
    """A CX lead reads "mixed feelings: 3 negative, 2 positive" and 'strongly felt', not 'valence -0.10 ± 0.48' and
    'intensity 0.61' (the JSON and CSV keep the numbers); a surprise gap is a gap, not a green delight."""
    journey = _small_journey({"retention": [-0.6, -0.4, 0.5, 0.3, -0.2]})
    lane = journey.stages[0]
    lane.patterns = [Insight(key="k", stage="retention", statement="The pool was shut — 2 of 3 participants", headline="The pool was shut", participants=2, cohort=3,
                             personas=[], touchpoints=[], emotion="Frustration", polarity="pain", valence=-0.5, intensity=0.61, theme=None,
                             quotes=lane.pain_points[:2], utterance_ids=[1, 2], related=1, related_about="Membership")]
    lane.gaps = [Quote(utterance_id=7, interview="INT-007", participant="Participant 7", start=3.0, valence=0.5, text="I never expected the sauna to be free.")]
    texts = _read_everywhere(journey, tmp_path)
    for name in ("html", "md"):
        assert "mixed feelings: 3 negative, 2 positive" in texts[name] and "strongly felt" in texts[name], name
        assert "2 of 3 participants and 1 more on Membership" in texts[name], name
        assert not re.search(r"valence [+-]|± |intensity \d", texts[name]), name
    page = html.fromstring(write_html(journey, tmp_path / "gap.html").read_text())
    gap = next(b for b in page.iter("blockquote") if "sauna" in b.text_content())
    assert gap.get("class") == "gap"


def test_an_insight_with_no_clear_feeling_is_not_said_to_be_felt():
    """'no clear feeling · mildly felt' contradicts itself: a neutral insight says no strength."""
    neutral = Insight(key="k", stage="discovery", statement="A friend told them — 2 of 3 participants", headline="A friend told them", participants=2,
                      cohort=3, personas=[], touchpoints=[], emotion=None, polarity="neutral", valence=0.0, intensity=0.0, theme=None,
                      quotes=[], utterance_ids=[1, 2])
    assert insight_facts(neutral) == "2 of 3 participants · no clear feeling"
    assert insight_facts(neutral.model_copy(update={"polarity": "pain", "emotion": "Anger", "intensity": 0.7})) == "2 of 3 participants · a pain · anger · strongly felt"


def test_outside_the_journey_agrees_with_the_coverage_line_when_no_theme_lies_there(tmp_path):
    texts = _read_everywhere(_small_journey({"discovery": [-0.6]}), tmp_path)
    for name in ("html", "md"):
        assert "No theme lies outside the journey" not in texts[name] and "No theme groups the 2 utterances outside the journey." in texts[name], name


def test_the_persona_chart_is_left_out_when_no_persona_has_an_emotion(tmp_path):
    from research.export.document import write_html

    page = write_html(_small_journey({"discovery": [-0.6]}), tmp_path / "map.html").read_text()
    assert "Emotion curve per persona" not in page and "no curve per persona" in page


def test_the_emotion_curve_is_not_drawn_through_stages_without_an_emotion():
    import matplotlib.pyplot as plt

    from research.export.chart import _curve, stage_runs

    assert stage_runs([(0, "a"), (1, "b"), (3, "c")]) == [[(0, "a"), (1, "b")], [(3, "c")]]
    fig, ax = plt.subplots()
    _curve(ax, _small_journey({"discovery": [-0.6], "decision": [], "adoption": [-0.2, -0.4], "retention": [0.1]}))
    drawn = [list(np.asarray(line.get_xdata())) for line in ax.lines][1:]  # after the zero line
    plt.close(fig)
    assert drawn == [[0], [2, 3]]  # Discovery alone, then Adoption to Retention: nothing across Decision


def test_a_map_with_nothing_placed_says_so_once_and_saturation_cannot_tell(tmp_path):
    """Real clips that are not about a customer experience: one line says nothing is placed, instead of five
    empty stages, and saturation is "too early to tell" rather than "not reached"."""
    from research.export.wording import NOT_DISCUSSED, nothing_placed_line, saturation_line

    journey = _small_journey({"discovery": [], "adoption": [], "retention": []})
    line = nothing_placed_line(journey)
    assert line and saturation_line(journey).startswith("Too early to tell")
    texts = _read_everywhere(journey, tmp_path)
    for name in ("html", "md"):
        text = " ".join(texts[name].replace("\\", "").split())
        assert line in text and NOT_DISCUSSED not in text and "Too early to tell" in text, name
    assert "| stage | people |" not in texts["md"]  # no table of empty stages either
    assert nothing_placed_line(_small_journey({"discovery": [-0.6]})) is None


def test_opportunities_are_read_in_words_with_single_voices_apart(tmp_path):
    """A reader sees who feels the pain, how strongly and the quote it rests on, not 'score = reach × intensity ×
    evidence' and columns of 0.63 and 0.037; one participant's pain is a single voice, not ranked among the patterns
    (the JSON and CSV keep every number)."""
    journey = _small_journey({"retention": [-0.6, -0.7, -0.5]})
    lane = journey.stages[0]
    lane.patterns = [Insight(key="shared", stage="retention", statement="The statement was late — 2 of 3 participants", headline="The statement was late", participants=2,
                             cohort=3, personas=[], touchpoints=["Billing"], emotion="Frustration", polarity="pain", valence=-0.65, intensity=0.65, theme=None,
                             quotes=lane.pain_points[:2], utterance_ids=[1, 2])]
    journey.opportunities = [
        Opportunity(stage="retention", statement="How might we make billing work for customers without frustration?", insight_key="shared", insight=lane.patterns[0].statement,
                    touchpoint="Billing", participants=2, reach=0.667, intensity=0.65, evidence=0.667, score=0.289, utterance_ids=[1, 2]),
        Opportunity(stage="retention", statement="How might we make the courier work for customers without anger?", insight_key="single", insight="The box was soaked — 1 of 3 participants",
                    touchpoint="Delivery", participants=1, reach=0.333, intensity=0.9, evidence=0.333, score=0.1, utterance_ids=[3])]
    texts = _read_everywhere(journey, tmp_path)
    for name, text in texts.items():
        assert not re.search(r"score|reach \(|0\.289|0\.65\b|0\.667", text), name
        assert "2 of 3 participants · strongly felt" in text, name
    for name in ("html", "md"):
        single = texts[name].index("How might we make the courier work")
        assert texts[name].index("Single voices") < single and texts[name].index("without frustration?") < texts[name].index("Single voices"), name
        assert "“It took a whole evening to connect.” (Participant 1)" in texts[name], name  # the quote the pattern rests on
    for name in ("story", "deck", "slide"):
        assert "courier" not in texts[name], name  # one participant's pain is no top opportunity
    from research.export.tables import write_csv

    (tmp_path / "tables").mkdir()
    write_csv(journey, [], [], tmp_path / "tables")
    rows = list(csv.DictReader((tmp_path / "tables" / "opportunities.csv").open(encoding="utf-8")))
    assert [(r["participants"], r["score"]) for r in rows] == [("2", "0.289"), ("1", "0.1")]


def test_a_transcript_without_timings_is_written_without_times(tmp_path):
    """A transcript imported from TXT or Word has no timings, and its export put "[00:00]" on every line and wrote
    subtitles whose every cue ran 0:00-0:00.5. Its lines now carry no time and it gets no SRT or VTT."""
    from research.export.source import Line, Transcript
    from research.export.transcripts import formats_for, write_txt

    said = [("Interviewer", "interviewer", "How did the move go?"), ("Participant 1", "customer", "Completion slipped by a day.")]
    untimed = Transcript("INT-001", "INT-001", None, lines=[Line(n, who, role, 0.0, 0.0, text, 0, 0) for n, (who, role, text) in enumerate(said)])
    timed = Transcript("INT-002", "INT-002", None, lines=[Line(n, who, role, 4.0 * n, 4.0 * n + 3, text, 0, 0) for n, (who, role, text) in enumerate(said)])
    text = write_txt(untimed, tmp_path / "a.txt").read_text()
    assert "[00:00]" not in text and "Participant 1: Completion slipped by a day." in text
    assert "[00:04] Participant 1: Completion slipped by a day." in write_txt(timed, tmp_path / "b.txt").read_text()
    assert formats_for(untimed, ["txt", "docx", "srt", "vtt"]) == ["txt", "docx"]
    assert formats_for(timed, ["txt", "srt", "vtt"]) == ["txt", "srt", "vtt"]


def test_a_stage_slide_carries_the_opportunities_of_pains_told_there(tmp_path):
    """The Opportunities and summary slides carried a pain told across the journey, no stage's slide did: each stage
    it is told at now shows its "How might we" with how many tell it there, and that place's quote in its notes."""
    from research.export.deck import write_deck
    from research.journey.model import PainAt, RecurringPain
    from research.journey.opportunities import across

    journey = _small_journey({"discovery": [-0.6], "retention": [-0.5, -0.3], "advocacy": [-0.4]})
    said = [Quote(utterance_id=n, interview=f"INT-00{n}", participant=f"Participant {n}", start=30.0 * n, text=text, valence=-0.6)
            for n, text in ((1, "We waited a fortnight for the first reply."), (2, "Three weeks on hold before the refund came."), (3, "The survey link took ages."))]
    places = [PainAt(stage=key, name=name, participants=n, quote=quote, utterance_ids=[quote.utterance_id])
              for n, (key, name, quote) in enumerate(zip(("discovery", "retention", None), ("Discovery", "Retention", "Outside the stages"), said), 1)]
    journey.recurring_pains = [RecurringPain(kind="waiting", label="Waiting and delays", goal="cut the waiting customers go through", participants=3, cohort=3,
                                             places=places, utterance_ids=[1, 2, 3], intensity=0.6)]
    journey.opportunities = [across(journey.recurring_pains[0], 3)]
    statement = "How might we cut the waiting customers go through at Discovery, Retention and elsewhere?"
    slides = {slide.shapes.title.text: slide for slide in Presentation(str(write_deck(journey, tmp_path / "deck.pptx"))).slides}

    def text(slide) -> str:
        return " ".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)

    assert statement in text(slides["Discovery"]) and "Waiting and delays · 1 here · 3 of 3 in all" in text(slides["Discovery"])
    assert "Waiting and delays · 2 here · 3 of 3 in all" in text(slides["Retention"]) and said[1].text in slides["Retention"].notes_slide.notes_text_frame.text
    assert statement not in text(slides["Advocacy"]) and "across the journey" not in text(slides["Advocacy"])


def test_a_pain_told_across_the_journey_is_an_opportunity_in_every_format(tmp_path):
    """Its "How might we" is ranked with the stages' and read where they are, with the places it is told as its stage
    and its first place's quote as the evidence."""
    from research.journey.model import PainAt, RecurringPain
    from research.journey.opportunities import across

    journey = _small_journey({"discovery": [-0.6], "retention": [-0.5, -0.3], "advocacy": []})
    said = [Quote(utterance_id=n, interview=f"INT-00{n}", participant=f"Participant {n}", start=30.0 * n, text=text, valence=-0.6)
            for n, text in ((1, "We waited a fortnight for the first reply."), (2, "Three weeks on hold before the refund came."))]
    places = [PainAt(stage=key, name=key.title(), participants=1, quote=quote, utterance_ids=[quote.utterance_id]) for key, quote in zip(("discovery", "retention"), said)]
    journey.recurring_pains = [RecurringPain(kind="waiting", label="Waiting and delays", goal="cut the waiting customers go through", participants=2, cohort=3,
                                             places=places, utterance_ids=[1, 2], intensity=0.6)]
    journey.opportunities = [across(journey.recurring_pains[0], 3)]
    statement = "How might we cut the waiting customers go through at Discovery and Retention?"
    assert journey.opportunities[0].statement == statement
    texts = _read_everywhere(journey, tmp_path)
    assert all(statement in texts[name] for name in ("html", "md", "story", "deck")), {name: statement in text for name, text in texts.items()}
    assert "across Discovery, Retention" in texts["md"] and "across Discovery, Retention" in texts["html"]
    assert said[0].text in texts["md"].split("## Opportunities")[1]  # the first place's words are the quote it rests on
