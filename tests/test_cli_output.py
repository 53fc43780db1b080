"""CLI output (issue 17 items 8-9): tables use the terminal's width, output that is not a terminal is never
wrapped, waits show a spinner with the step and the time elapsed, and reported times are the process's wall time."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from research.cli import _print_status, cli
from research.console import waiting
from research.store import now

LONG_TITLE = "Operations buyer at a regional dental practice group who switched suppliers after the pairing failed twice"


def _with_long_title(study):
    study.db["interviews"].insert({"code": "INT-001", "title": LONG_TITLE, "sha256": "x", "added_at": now(), "duration": 600.0})
    study.db.conn.commit()
    return study


def test_status_uses_the_terminals_width_and_cuts_only_when_narrow(study):
    _with_long_title(study)
    wide, narrow = io.StringIO(), io.StringIO()
    _print_status(study, Console(file=wide, force_terminal=True, width=160, color_system=None))
    _print_status(study, Console(file=narrow, force_terminal=True, width=80, color_system=None))
    wide_row = next(line for line in wide.getvalue().splitlines() if "INT-001" in line)
    narrow_row = next(line for line in narrow.getvalue().splitlines() if "INT-001" in line)
    assert len(wide_row.rstrip()) > 100  # not capped at 80 columns in a 160-column terminal
    assert "Operations buyer at a regional dental practice group who switched" in wide_row
    assert all(len(line) <= 80 for line in narrow.getvalue().splitlines()) and "…" in narrow_row and "10.0" in narrow_row


def test_output_that_is_not_a_terminal_is_never_wrapped(study):
    _with_long_title(study)
    result = CliRunner().invoke(cli, ["--study", str(study.root), "status"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "INT-001" in line)
    assert LONG_TITLE in row and len(row) > 120  # the whole title on the row: a pipe or a file gets every word


def test_markup_in_a_title_is_shown_as_text(study):
    study.db["interviews"].insert({"code": "INT-002", "title": "[b]Café[/b] owner [PERSON_6]", "sha256": "y", "added_at": now()})
    study.db.conn.commit()
    result = CliRunner().invoke(cli, ["--study", str(study.root), "status"])
    assert "[b]Café[/b] owner [PERSON_6]" in result.output


def test_a_wait_shows_its_step_and_the_time_elapsed_on_a_terminal_and_nothing_in_a_pipe():
    terminal, pipe = io.StringIO(), io.StringIO()
    with waiting("Finding themes: loading", on=Console(file=terminal, force_terminal=True, width=100, color_system=None)) as wait:
        wait.step("Finding themes: fitting topics")
    assert "Finding themes: loading" in terminal.getvalue() and "Finding themes: fitting topics" in terminal.getvalue() and "0:00:0" in terminal.getvalue()
    with waiting("Exporting", on=Console(file=pipe, force_terminal=False)) as wait:
        wait.step("writing")
    assert pipe.getvalue() == ""


def test_reported_times_are_the_processes_wall_time_imports_included():
    """What `research export` and `research themes` report: time since the process started, not since the command's body began."""
    if not Path("/proc/self/stat").is_file():
        pytest.skip("the process's start time is read from /proc (Linux); elsewhere the time counts from when research.console loads")
    script = "import time; time.sleep(1.5); from research.console import wall_seconds; print(wall_seconds())"
    seconds = float(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout)
    assert seconds >= 1.5


def test_the_status_legend_breaks_between_entries_at_80_columns(study):
    _with_long_title(study)
    narrow = io.StringIO()
    _print_status(study, Console(file=narrow, force_terminal=True, width=80, color_system=None))
    lines = narrow.getvalue().splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert any("· pending" in line for line in lines) and any("‼ interrupted (run again to resume)" in line for line in lines)  # never "·" / "pending"


def test_an_interview_without_speech_is_not_called_uncoded(study, tmp_path):
    """A silent recording is ∅ (no speech) and stays out of the map; the note must not promise `research code` will code it."""
    import numpy as np

    from research.ingest import add_files
    from research.status import uncoded_line
    from tests.audio_factory import write_audio

    add_files(study, [write_audio(tmp_path / "silent.wav", np.zeros(16_000 * 3, np.float32))])
    result = CliRunner().invoke(cli, ["--study", str(study.root), "transcribe", "--model", "tiny.en"])
    assert "INT-001: no speech" in result.output, result.output
    assert uncoded_line(study) is None


def test_the_pipeline_shows_each_stage_under_way_on_a_terminal(study, tmp_path, monkeypatch):
    """Speakers, anonymize and code (in `research run` and `research watch`) printed nothing until each had finished: a spinner names each while it runs."""
    import numpy as np

    from tests.audio_factory import write_audio

    terminal = io.StringIO()
    monkeypatch.setattr("research.console.progress_console", Console(file=terminal, force_terminal=True, width=100, color_system=None))
    drop = tmp_path / "drop"
    drop.mkdir()
    write_audio(drop / "silent.wav", np.zeros(16_000 * 3, np.float32))
    study.config.transcribe.model = "tiny.en"
    study.save_config()
    result = CliRunner().invoke(cli, ["--study", str(study.root), "watch", str(drop), "--settle", "0", "--once", "--through", "code"])
    assert result.exit_code == 0, result.output
    shown = terminal.getvalue()
    assert all(step in shown for step in ("Separating speakers", "Anonymizing", "Coding")), shown[-2000:]


def test_each_stage_command_shows_its_spinner_on_a_terminal(study, monkeypatch):
    """`research speakers`, `anonymize` and `code` run alone printed nothing until the end: a first `research
    speakers` (the speaker models prepared) sat silent for minutes, a first `research code` over a minute."""
    terminal = io.StringIO()
    monkeypatch.setattr("research.console.progress_console", Console(file=terminal, force_terminal=True, width=100, color_system=None))
    for command, step in (("speakers", "Separating speakers"), ("anonymize", "Anonymizing"), ("code", "Coding")):
        result = CliRunner().invoke(cli, ["--study", str(study.root), command])
        assert result.exit_code == 0 and "up to date" in result.output, result.output
        assert step in terminal.getvalue(), (command, terminal.getvalue())


def test_transcription_progress_in_a_log_is_a_short_bar():
    """Off a terminal the console is 1000 columns wide (nothing wraps), and the bars stretched to fill it:
    each file's line in a piped demo log was about a thousand bar characters."""
    from research.console import UNWRAPPED_WIDTH, RichProgress
    from research.transcribe.batch import Outcome

    log = io.StringIO()
    with RichProgress(Console(file=log, width=UNWRAPPED_WIDTH, soft_wrap=True, color_system=None)) as progress:
        progress.batch_started(120.0, 1)
        progress.file_started("INT-001", 120.0)
        progress.file_progress("INT-001", 60.0)
        progress.file_finished(Outcome("INT-001", "done", None, 120.0, 10.0))
    lines = [line for line in log.getvalue().splitlines() if line.strip()]
    assert any(line.startswith("INT-001 ✓") and "100%" in line for line in lines), lines
    assert max(len(line) for line in lines) < 120, lines


def test_a_stopped_transcription_leaves_no_running_bar():
    """Ctrl-C in `research transcribe` left the batch's "all (N)" bar and the file in flight on screen, as if still
    running, above the line saying what was kept. Only the finished files' lines stay."""
    from research.console import UNWRAPPED_WIDTH, RichProgress
    from research.transcribe.batch import Outcome

    log = io.StringIO()
    with pytest.raises(KeyboardInterrupt), RichProgress(Console(file=log, width=UNWRAPPED_WIDTH, soft_wrap=True, color_system=None)) as progress:
        progress.batch_started(200.0, 2)
        progress.file_started("INT-001", 80.0)
        progress.file_finished(Outcome("INT-001", "done", None, 80.0, 5.0))
        progress.file_started("INT-002", 120.0)
        progress.file_progress("INT-002", 30.0)
        raise KeyboardInterrupt
    lines = [line for line in log.getvalue().splitlines() if line.strip()]
    assert any(line.startswith("INT-001 ✓") for line in lines), lines
    assert not any(line.startswith(("all", "INT-002")) for line in lines), lines


def test_terminal_bars_leave_room_for_the_echoed_ctrl_c():
    """A terminal echoes "^C" where the cursor is, after the last bar; a bar as wide as the terminal wrapped it onto a
    new line, and the last render, counting lines up from there, left the batch's bar on screen (seen in tmux)."""
    from rich.console import Console
    from rich.segment import Segment

    from research.console import ECHO_ROOM, RichProgress

    screen = io.StringIO()
    progress = RichProgress(Console(file=screen, width=80, force_terminal=True, color_system=None))
    progress.batch_started(120.0, 1)
    widths = [Segment.get_line_length(line) for line in Console(file=io.StringIO(), width=80).render_lines(progress.progress.get_renderable(), pad=False)]
    assert widths and max(widths) <= 80 - ECHO_ROOM, widths
