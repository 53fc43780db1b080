"""Metadata sheets: CSV and YAML, validated with row numbers in the errors."""

from datetime import date
from pathlib import Path

import pytest

from research.errors import MetadataError
from research.metadata import MetadataSheet
from tests.conftest import DEMO


def test_the_demo_sheet_has_two_customers_for_the_couple():
    sheet = MetadataSheet.load(DEMO / "metadata.csv")
    rows = sheet.rows_for(Path("int-04.opus"))
    assert [row.speaker for row in rows] == ["customer", "customer_b"]
    assert rows[1].participation == "gatekeeper"
    assert sheet.rows_for(Path("/elsewhere/INT-04.opus")) == rows  # matched by name, case-insensitively
    assert sheet.rows_for(Path("int-04.wav")) == rows  # and by stem, for a converted file


def test_yaml_sheet_as_mapping(tmp_path):
    sheet = tmp_path / "meta.yaml"
    sheet.write_text("call-1.m4a:\n  participant: Ada Lovelace\n  participation: Driver\n  date: 2026-01-05\n")
    (row,) = MetadataSheet.load(sheet).rows_for(Path("call-1.m4a"))
    assert row.participation == "driver" and row.date.isoformat() == "2026-01-05"


def test_invalid_participation_names_the_row(tmp_path):
    sheet = tmp_path / "meta.csv"
    sheet.write_text("file,participation\na.wav,driver\nb.wav,boss\n")
    with pytest.raises(MetadataError, match=r"meta.csv, row 3: participation"):
        MetadataSheet.load(sheet)


def test_missing_file_column(tmp_path):
    sheet = tmp_path / "meta.csv"
    sheet.write_text("name,role\nx,y\n")
    with pytest.raises(MetadataError, match="'file' column"):
        MetadataSheet.load(sheet)


def test_malformed_yaml_names_the_line(tmp_path):
    sheet = tmp_path / "meta.yaml"
    sheet.write_text("- file: a.wav\n  role: [unclosed\n")
    with pytest.raises(MetadataError, match=r"meta.yaml, line \d+: not valid YAML"):
        MetadataSheet.load(sheet)


def test_unknown_column_is_rejected(tmp_path):
    sheet = tmp_path / "meta.csv"
    sheet.write_text("file,favourite_colour\na.wav,blue\n")
    with pytest.raises(MetadataError, match="favourite_colour"):
        MetadataSheet.load(sheet)


def test_a_blank_date_is_no_date(tmp_path):
    """Only `file` is required, yet a row with its date left empty stopped the whole sheet: "date: '' is not a date"."""
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("file,participant,date\na.wav,Jane Roe,\nb.wav,John Doe,  \nc.wav,Ann Lee,14/09/2026\n")
    rows = MetadataSheet.load(sheet).rows
    assert [row.date for row in rows] == [None, None, date(2026, 9, 14)]


def test_a_sheet_saved_by_excel_on_windows_is_read(tmp_path):
    """Excel's "CSV" on a Western Windows is Windows-1252 and its "Unicode text" UTF-16: both were "not a UTF-8 text file"."""
    (tmp_path / "ansi.csv").write_bytes("file,persona,participant\r\nint-01.opus,Café owner,José Pérez\r\n".encode("cp1252"))
    (tmp_path / "unicode.csv").write_bytes("file\tpersona\r\nint-01.opus\tCafé owner\r\n".encode("utf-16"))
    for name in ("ansi.csv", "unicode.csv"):
        (row,) = MetadataSheet.load(tmp_path / name).rows_for(Path("int-01.opus"))
        assert row.persona == "Café owner"
    assert row.participant is None and MetadataSheet.load(tmp_path / "ansi.csv").rows_for(Path("int-01.opus"))[0].participant == "José Pérez"
