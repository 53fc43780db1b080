"""A newcomer's first hour with the CLI: answers that were no answer."""

from __future__ import annotations

from click.testing import CliRunner

from research.cli import cli
from tests.fault_study import make_study


def test_speakers_for_an_interview_that_does_not_exist_says_so(tmp_path):
    """`research speakers --interview INT-099` said "Nothing to separate: every transcribed interview is up to date"."""
    study = make_study(tmp_path / "s")
    result = CliRunner().invoke(cli, ["--study", str(study.root), "speakers", "--interview", "INT-099"])
    assert result.exit_code == 1 and result.output.strip() == "Error: no interview INT-099 (see `research status`)"


def test_agreement_before_any_decision_says_there_is_nothing_to_compare(tmp_path):
    """A table of zeros and dashes, with no word on why."""
    study = make_study(tmp_path / "s")
    result = CliRunner().invoke(cli, ["--study", str(study.root), "agreement"])
    assert result.exit_code == 0 and "No decisions yet, so nothing to compare" in result.output


def test_a_working_directory_deleted_under_the_shell_is_one_line(tmp_path, monkeypatch):
    """A shell left in a study folder that was removed and made again gave a traceback (FileNotFoundError from Path.cwd())."""
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    result = CliRunner().invoke(cli, ["status"])
    assert result.exit_code == 1 and result.output.strip() == "Error: the working directory no longer exists; cd into the study again, or pass --study"
