"""The keys, on one screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# research review: keys

| where | key | does |
|---|---|---|
| everywhere | `d` `j` `t` `k` `/` | dashboard, journey map, themes, codebook, search |
| everywhere | `ctrl+p` | command palette (screens, interviews, actions) |
| everywhere | `ctrl+t` | light or dark theme |
| everywhere | `w` | the last comparison of two waves (`research compare`) |
| everywhere | `?` / `q` | this help / quit |
| dashboard | `enter` / `r` / `N` | review the interview / run the pipeline in the background / the study's most needed |
| transcript | `n` / `p` | next / previous open suggestion |
| transcript | `N` | the stage coding that most needs you (least sure first): this interview's, then the study's |
| transcript | `a` / `x` | accept / reject the selected code |
| transcript | `←` `→` | select another code of the utterance |
| transcript | `c` / `+` | recode (fuzzy picker) / add a code |
| transcript | `m` / `M` | memo on the selected code / on the utterance itself (marked ✎) |
| transcript | `b` / `u` | bulk accept (scope first: interview, code or study) / undo the last decision or memo edit |
| transcript | `space` | play the utterance (redacted audio) |
| transcript | `e` | correct the words while the utterance plays (`ctrl+r` plays it again); unsure words are underlined |
| transcript | `s` | split the utterance before a word, or give a range of words to another speaker |
| transcript | `R` | the speaker: listen to a sample (`space`), set the role, or merge into another speaker |
| journey map | `enter` / `g` | into the evidence list / open the quote in its transcript |
| journey map | `v` / `o` / `f` | personas side by side / opportunities and advocacy (the same key goes back to the map) / show the filters |
| journey map | `e` / `h` / `P` | rewrite the insight / hide it / pin the highlighted quote first |
| journey map | `space` `M` / `u` | mark and merge into this insight / undo the last insight edit |
| themes | `e` / `space` `M` / `P` | rename / mark and merge / promote to a code |
| codebook | `enter` | every quote of the code across interviews; `enter` again opens one in its transcript |
| search | `enter` | search (hyphens, case and plurals don't matter: `wifi` finds Wi-Fi); `enter` on a hit opens it |

Every decision and correction is saved the moment you make it; a correction re-codes the interview in the background.
"""


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90; max-width: 100%; height: 90%; border: round $accent; background: $surface; }
    """
    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)
