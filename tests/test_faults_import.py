"""Issue 19 items 1, 2 and 9, and the import safety that already held: a REFI-QDA project can never corrupt a study."""

from __future__ import annotations

import tracemalloc
import zipfile

import pytest
from click.testing import CliRunner
from lxml import etree

from research.cli import cli
from research.coding.stage import study_codebook
from research.errors import ResearchError
from research.export.qdpx import NS, write_qdpx
from research.export.qdpx_import import MAX_MEMBER_BYTES, import_codings
from research.export.source import transcripts
from tests.fault_study import LINES, add, codings, make_study

OTHER = {
    "INT-001": [("interviewer", "Tell me about your week."), ("customer", "Busy, the delivery van came late twice."), ("customer", "The driver was rude about it.")],
    "INT-002": [("interviewer", "Anything else?"), ("customer", "No, that is all from me, thanks."), ("customer", "Oh, the invoice was wrong too.")],
}


def export_project(study, path, include_suggested=True):
    return write_qdpx(study, study_codebook(study)[0], transcripts(study), path, include_suggested)


def run_import(study, path, coder="maria"):
    return CliRunner().invoke(cli, ["--study", str(study.root), "import", str(path), "--coder", coder])


@pytest.fixture
def reviewed(tmp_path):
    """A study with open suggestions, a memo, an acceptance and a rejection."""
    study = make_study(tmp_path / "study")
    add(study, "INT-001", 1, "stage:discovery", "accepted", coder="ana")
    add(study, "INT-001", 3, "stage:adoption", "suggested")
    add(study, "INT-001", 3, "emotion:frustration", "suggested", memo="strong words here")
    add(study, "INT-001", 4, "channel:phone", "rejected", coder="ana")
    add(study, "INT-002", 1, "stage:decision", "suggested")
    add(study, "INT-002", 3, "channel:app", "accepted", coder="ana")
    study.db.conn.commit()
    return study


def test_another_studys_project_changes_nothing_and_says_why(reviewed, tmp_path):
    """Item 1: the same INT codes in another study used to put 42 codings on unrelated utterances."""
    other = make_study(tmp_path / "other", OTHER, name="other")
    add(other, "INT-001", 1, "stage:adoption", "accepted", coder="bo")
    add(other, "INT-001", 2, "stage:decision", "accepted", coder="bo")
    add(other, "INT-002", 2, "stage:retention", "accepted", coder="bo")
    other.db.conn.commit()
    project = export_project(other, tmp_path / "other.qdpx")
    before = codings(reviewed)
    result = run_import(reviewed, project)
    assert codings(reviewed) == before
    assert result.exit_code == 1
    assert "Imported 0 codings" in result.output
    assert "INT-001: 2 selections refused: their text differs" in result.output and "INT-002: 1 selection refused" in result.output


def test_an_unchanged_round_trip_changes_nothing(reviewed, tmp_path):
    """Item 2: exporting and importing back used to accept every suggestion and take over the coder."""
    before = codings(reviewed)
    project = export_project(reviewed, tmp_path / "round.qdpx")
    result = run_import(reviewed, project)
    assert result.exit_code == 0, result.output
    assert codings(reviewed) == before
    assert "Imported 0 codings" in result.output and "5 already as they are" in result.output


def _add_coding(project, tmp_path, interview: str, idx: int, code_key: str):
    """The project as another tool leaves it after a researcher codes utterance `idx` with `code_key` there."""
    with zipfile.ZipFile(project) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    root = etree.fromstring(members["project.qde"])
    study_codes = {c.get("name"): c.get("guid") for c in root.iter(f"{{{NS}}}Code")}
    codebook_name = {"stage:adoption": "Adoption", "stage:retention": "Retention", "channel:phone": "Phone", "emotion:relief": "Relief"}[code_key]
    (source,) = [s for s in root.iter(f"{{{NS}}}TextSource") if s.get("name") == interview]
    text = members["sources/" + source.get("plainTextPath").removeprefix("internal://")].decode()
    line = text.splitlines()[idx]
    start = sum(len(one) + 1 for one in text.splitlines()[:idx]) + line.index(": ") + 2
    selection = etree.SubElement(source, f"{{{NS}}}PlainTextSelection", guid="11111111-2222-3333-4444-5555555555%02d" % idx, startPosition=str(start), endPosition=str(start + len(line) - line.index(": ") - 2))
    coding = etree.SubElement(selection, f"{{{NS}}}Coding", guid="aaaaaaaa-2222-3333-4444-5555555555%02d" % idx)
    etree.SubElement(coding, f"{{{NS}}}CodeRef", targetGUID=study_codes[codebook_name])
    members["project.qde"] = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    edited = tmp_path / "edited.qdpx"
    with zipfile.ZipFile(edited, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return edited


def test_a_coding_made_in_another_tool_is_accepted_and_nothing_else_changes(reviewed, tmp_path):
    before = codings(reviewed)
    edited = _add_coding(export_project(reviewed, tmp_path / "p.qdpx"), tmp_path, "INT-002", 3, "emotion:relief")
    result = run_import(reviewed, edited)
    assert result.exit_code == 0, result.output
    after = codings(reviewed)
    assert set(after) - set(before) == {("INT-002", 3, "emotion:relief", "accepted", "maria", None, "human")}
    assert set(before) <= set(after)


def test_a_partly_refused_project_imports_the_good_sources_names_each_refused_one_last_and_exits_1(reviewed, tmp_path):
    """Session 11 loose end: a project with one refused source exited 0, its reason above the conflicts."""
    edited = _add_coding(export_project(reviewed, tmp_path / "p.qdpx"), tmp_path, "INT-002", 3, "emotion:relief")
    with zipfile.ZipFile(edited) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    root = etree.fromstring(members["project.qde"])
    sources = next(root.iter(f"{{{NS}}}Sources"))
    etree.SubElement(sources, f"{{{NS}}}TextSource", guid="99999999-2222-3333-4444-555555555555", name="INT-999", plainTextPath="internal://nothing.txt")
    members["project.qde"] = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    mixed = tmp_path / "mixed.qdpx"
    with zipfile.ZipFile(mixed, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    before = codings(reviewed)
    result = run_import(reviewed, mixed)
    assert set(codings(reviewed)) - set(before) == {("INT-002", 3, "emotion:relief", "accepted", "maria", None, "human")}
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines()[-1] == "✗ INT-999: no interview of this study has this source's GUID or name"


def test_importing_never_flips_a_decision_it_lists_the_conflict(reviewed, tmp_path):
    """Item 1: an import set 2 accepted stage codings to rejected; a decision is the researcher's to change."""
    project = export_project(reviewed, tmp_path / "p.qdpx")
    edited = _add_coding(project, tmp_path, "INT-001", 1, "stage:adoption")  # INT-001 #1 is accepted as discovery here
    edited = _add_coding(edited, tmp_path, "INT-001", 4, "channel:phone")  # rejected here
    before = codings(reviewed)
    result = run_import(reviewed, edited)
    assert codings(reviewed) == before
    assert "2 conflicts with your decisions" in result.output
    assert "'stage:discovery' is accepted here, 'stage:adoption' in the import; kept 'stage:discovery'" in result.output
    assert "'channel:phone' is rejected here but coded in the import; kept rejected" in result.output


def test_a_suggestion_coded_in_another_tool_is_accepted_with_its_memo(reviewed, tmp_path):
    project = export_project(reviewed, tmp_path / "p.qdpx", include_suggested=False)  # the other tool never saw the suggestion
    edited = _add_coding(project, tmp_path, "INT-001", 3, "stage:adoption")
    run_import(reviewed, edited)
    assert ("INT-001", 3, "stage:adoption", "accepted", "maria", None, "rule") in codings(reviewed)
    assert ("INT-001", 3, "emotion:frustration", "suggested", None, "strong words here", "rule") in codings(reviewed)


def test_an_oversized_project_is_refused_from_the_zip_directory_unread(reviewed, tmp_path):
    """Item 9: a 300 MB project.qde used to be read into memory (1.25 GB peak) before it was refused."""
    bomb = tmp_path / "bomb.qdpx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("project.qde", "w", force_zip64=True) as member:
        block = b"<a>" + b" " * (1 << 20)
        for _ in range(MAX_MEMBER_BYTES // len(block) + 2):
            member.write(block)
    assert bomb.stat().st_size < 2 << 20
    tracemalloc.start()
    with pytest.raises(ResearchError, match=r"project.qde is \d+ MB uncompressed, over the 64 MB limit; refused unread"):
        import_codings(reviewed, bomb, study_codebook(reviewed)[0])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 << 20, f"{peak / 1e6:.0f} MB allocated"


def test_a_zip_directory_that_understates_a_size_is_still_not_read_past_the_limit(reviewed, tmp_path, monkeypatch):
    import research.export.qdpx_import as qdpx_import

    monkeypatch.setattr(qdpx_import, "MAX_MEMBER_BYTES", 1000)
    project = export_project(reviewed, tmp_path / "p.qdpx")
    with pytest.raises(ResearchError, match="over the 0 MB limit|uncompressed, over"):
        import_codings(reviewed, project, study_codebook(reviewed)[0])


# -- what already held, kept so ------------------------------------------------------------------------------

def _project_with(tmp_path, qde: bytes, extra: dict[str, bytes] | None = None):
    path = tmp_path / "crafted.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", qde)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def test_an_xml_bomb_is_refused(reviewed, tmp_path):
    lol = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)) + b']><Project xmlns="urn:QDA-XML:project:1.0">&lol9;</Project>'
    before = codings(reviewed)
    result = run_import(reviewed, _project_with(tmp_path, lol))
    assert result.exit_code == 1 and "declares a DTD" in result.output and len(result.output.strip().splitlines()) == 1
    assert codings(reviewed) == before


def test_xxe_is_refused_and_never_reads_the_file(reviewed, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    xxe = f'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file://{secret}">]><Project xmlns="urn:QDA-XML:project:1.0" name="&x;"/>'.encode()
    result = run_import(reviewed, _project_with(tmp_path, xxe))
    assert result.exit_code == 1 and "TOP-SECRET" not in result.output and "declares a DTD" in result.output


def test_a_qdc_codebook_with_an_external_entity_never_reads_the_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    qdc = tmp_path / "evil.qdc"
    qdc.write_text(f'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file://{secret}">]><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
                   '<Code guid="8a3c1b2e-0000-4000-8000-000000000001" name="&x;" isCodable="true"/></Codes></CodeBook>')
    target = tmp_path / "out.yaml"
    result = CliRunner().invoke(cli, ["codebook", "import", str(qdc), str(target)])
    assert "TOP-SECRET" not in result.output and (not target.exists() or "TOP-SECRET" not in target.read_text())


def test_a_source_path_outside_the_project_is_never_followed(reviewed, tmp_path):
    (tmp_path / "INT-001.txt").write_text(transcripts(reviewed)[0].text)  # right text, outside the zip
    qde = etree.fromstring(etree.tostring(etree.Element(f"{{{NS}}}Project", nsmap={None: NS})))
    sources = etree.SubElement(qde, f"{{{NS}}}Sources")
    for reference in ("internal://../../INT-001.txt", "file:///etc/passwd", "internal://sub/x.txt"):
        etree.SubElement(sources, f"{{{NS}}}TextSource", name="INT-001", plainTextPath=reference)
    result = run_import(reviewed, _project_with(tmp_path, etree.tostring(qde), {"sources/../../INT-001.txt": b"x"}))
    assert result.output.count("the project holds no text for this source") == 3 and result.exit_code == 1


def test_a_file_that_is_no_project_is_one_line(reviewed, tmp_path):
    junk = tmp_path / "junk.qdpx"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    result = run_import(reviewed, junk)
    assert result.exit_code == 1 and result.output.startswith("Error: junk.qdpx: not a readable REFI-QDA project") and len(result.output.strip().splitlines()) == 1


def test_lines_of_the_small_study_are_what_the_tests_expect(reviewed):
    assert [t.code for t in transcripts(reviewed)] == list(LINES)
