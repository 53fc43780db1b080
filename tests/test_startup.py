"""Starting fast (issue 17): the review app's first frame and the light commands load no model library,
and the transcript's rows are repainted one by one exactly as a freshly drawn list shows them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.text import Text
from textual.app import App
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tests.conftest import HANG_GUARD_S
from tui.widgets.utterance_list import UtteranceList

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "spacy", "sklearn", "scipy", "pandas", "transformers", "sentence_transformers", "bertopic", "umap", "hdbscan",
         "presidio_analyzer", "faster_whisper", "ctranslate2", "av", "docx", "resemblyzer")


def modules_after(code: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running `code`."""
    script = code + "\nimport json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=HANG_GUARD_S)
    assert result.returncode == 0, result.stderr[-2000:]
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_and_the_app_loads_no_model_library():
    assert modules_after("import research.cli, tui.app") & set(HEAVY) == set()


def test_research_status_loads_no_model_library(study):
    code = f"from research.cli import cli\ncli.main(['--study', {str(study.root)!r}, 'status'], standalone_mode=False)"
    assert modules_after(code) & set(HEAVY) == set()


def test_the_app_paints_its_first_screen_without_a_model_library(study):
    code = f"""
import asyncio
from pathlib import Path
from research.study import Study
from tui.app import ResearchApp

async def first_frame():
    app = ResearchApp(Study.open(Path({str(study.root)!r})))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "DashboardScreen"

asyncio.run(first_frame())
"""
    assert modules_after(code) & set(HEAVY) == set()


def test_pandas_still_imports_after_the_study_library():
    pytest.importorskip("pandas")
    assert "pandas" in modules_after("import research.study, sqlite_utils, pandas\nassert pandas.DataFrame({'a': [1]}).shape == (1, 1)")


class Rows(App):
    def __init__(self, widget: OptionList):
        super().__init__()
        self.widget = widget

    def compose(self):
        yield self.widget


def row(n: int, lines: int = 1) -> Text:
    return Text("\n".join(f"row {n} line {k} " + "x" * (n % 7) for k in range(lines)))


async def painted(rows: list[Text], change: dict[int, Text], highlight: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The screen of an UtteranceList whose rows at `change` were replaced one by one, and of an
    OptionList drawn afresh with the same rows: both with `highlight` highlighted."""
    screens = []
    for fresh in (False, True):
        final = [change.get(n, prompt) for n, prompt in enumerate(rows)]
        widget = OptionList(*[Option(p) for p in final]) if fresh else UtteranceList(*[Option(p) for p in rows])
        app = Rows(widget)
        async with app.run_test(size=(60, 20)) as pilot:
            await pilot.pause()
            if not fresh:
                widget.highlighted = 2
                await pilot.pause()
                widget.replace_prompts(change)
            widget.highlighted = highlight
            await pilot.pause()
            screens.append([(strip.text, str(next(iter(strip.crop(3, 4))).style)) for strip in app.screen._compositor.render_strips()])  # text and highlight, from the widgets' cached lines
    return screens[0], screens[1]


async def test_a_replaced_row_is_painted_as_a_fresh_list_paints_it():
    rows = [row(n) for n in range(40)]
    mine, fresh = await painted(rows, {3: row(103), 4: row(104)}, highlight=4)
    assert mine == fresh
    assert any("row 103" in text for text, _ in mine)


async def test_a_row_that_grows_moves_the_rows_below_it():
    rows = [row(n) for n in range(40)]
    mine, fresh = await painted(rows, {2: row(102, lines=3)}, highlight=5)
    assert mine == fresh
    lines = [text for text, _ in mine]
    assert [n for n, text in enumerate(lines) if "row 3 " in text] == [n + 1 for n, text in enumerate(lines) if "row 102 line 2" in text]
