"""Reviewing one interview: utterances with code chips, keyboard-first decisions on suggestions, and
corrections to the transcript (words, splits, speakers, roles) saved at once and re-coded in a worker."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from research.coding.decision_log import undo
from research.coding.memos import memo_redactor, set_utterance_memo
from research.coding.decisions import Scope, add_coding, bulk_accept, bulk_candidates, decide, recode, set_memo
from research.coding.review_order import Open, next_needed
from research.errors import ResearchError
from research.faults import fault_line, machine_fault
from research.playback import Playback, play_clip
from research.review import CodingView, UtteranceView, change_role, recode_interview, transcript, utterance_view
from research.study import Study
from research.timecode import clock
from tui.correction_dialogs import EditDialog, RoleDialog, SpeakerChoice, WordsChoice, WordsDialog
from tui.dialogs import CodePicker, Prompt
from tui.read_only import SavesToStudy
from tui.resume import Position, load, save
from tui.widgets.footer import KeyFooter
from tui.widgets.utterance_list import UtteranceList


class CorrectionProgress(Message):
    def __init__(self, text: str, step: int):
        super().__init__()
        self.text, self.step = text, step


class CorrectionDone(Message):
    def __init__(self, text: str, failed: bool):
        super().__init__()
        self.text, self.failed = text, failed


STATUS_MARK = {"suggested": "?", "accepted": "✓", "rejected": "✗"}
MEMO_KEYS = "Enter saves, an empty memo is removed · Escape cancels · names, emails and phone numbers become placeholders"


CHIP_INDENT = 6
PLAYER_START_CHECK = 1.0  # seconds after starting a player to look whether it stopped with an error (no sound device)


def chip(c: CodingView, selected: bool) -> Text:
    """One coding as a chip: ✓ accepted (filled), ? suggested, ✗ rejected (struck); ✎ when it has a memo."""
    style = f"on {c.color}" if c.status == "accepted" else f"{c.color}"
    if c.status == "rejected":
        style += " strike dim"
    if selected:
        style += " reverse"
    return Text(f" {STATUS_MARK[c.status]} {c.name} {c.confidence:.2f}{' ✎' if c.memo else ''} ", style=style)


def render_utterance(u: UtteranceView, selected_coding: int | None = None, width: int = 0) -> Text:
    """Timestamp, speaker and text, then the chips, broken into lines between chips (never inside
    one) to fit `width` (0: one line). Study text is plain `Text`, never markup."""
    text = Text()
    text.append(f"{clock(u.start)} ", style="dim")
    text.append(f"{u.speaker}: ", style="bold" if u.role != "interviewer" else "bold dim")
    if u.memo:
        text.append("✎ ", style="bold yellow")  # the utterance carries a memo (shown in the detail line)
    text.append_text(utterance_text(u))
    if u.codings:
        text.append("\n" + " " * CHIP_INDENT)
        used = CHIP_INDENT
        for n, c in enumerate(u.codings):
            piece = chip(c, n == selected_coding)
            if width and used > CHIP_INDENT and used + piece.cell_len > width:
                text.append("\n" + " " * CHIP_INDENT)
                used = CHIP_INDENT
            text.append_text(piece)
            text.append(" ")
            used += piece.cell_len + 1
    return text


def utterance_text(u: UtteranceView) -> Text:
    """The utterance's words; those the recogniser was unsure of (probability below UNSURE) underlined in yellow."""
    text = Text(u.text, style="dim" if u.role == "interviewer" else "")
    for start, end in u.unsure:
        text.stylize("underline yellow", start, end)
    return text


class TranscriptScreen(SavesToStudy, Screen):
    """One interview. n/p move between open suggestions; a/x decide; c recodes; m adds a memo."""

    DEFAULT_CSS = """
    TranscriptScreen OptionList { height: 1fr; }
    TranscriptScreen #detail { height: 3; border-top: solid $primary; padding: 0 1; }
    TranscriptScreen #working { height: 1; padding: 0 1; }
    TranscriptScreen #memo-saving { height: 1; padding: 0 1; color: $warning; }
    TranscriptScreen #work { width: 1fr; }
    TranscriptScreen #work-bar { width: 24; }
    """
    SAVING = frozenset({"accept", "reject", "recode", "add_code", "memo", "utterance_memo", "bulk_accept", "undo", "edit", "words", "role"})
    BINDINGS = [
        Binding("n", "next_suggestion", "Next", id="transcript.next"),
        Binding("p", "previous_suggestion", "Prev", id="transcript.previous"),
        Binding("N", "most_needed", "Most needed", id="transcript.most_needed"),
        Binding("a", "accept", "Accept", id="transcript.accept"),
        Binding("x", "reject", "Reject", id="transcript.reject"),
        Binding("c", "recode", "Recode", id="transcript.recode"),
        Binding("plus,i", "add_code", "Add code", id="transcript.add"),
        Binding("m", "memo", "Memo", id="transcript.memo"),
        Binding("M", "utterance_memo", "Memo ¶", id="transcript.utterance_memo"),
        Binding("b", "bulk_accept", "Bulk accept", id="transcript.bulk"),
        Binding("u", "undo", "Undo", id="transcript.undo"),
        Binding("space", "play", "Play", id="transcript.play"),
        Binding("left", "coding(-1)", "◀ code", show=False, id="transcript.coding_left"),
        Binding("right", "coding(1)", "code ▶", show=False, id="transcript.coding_right"),
        Binding("e", "edit", "Edit words", id="transcript.edit"),
        Binding("s", "words", "Split/give words", id="transcript.words"),
        Binding("R", "role", "Speaker", id="transcript.role"),
        Binding("escape", "app.pop_screen", "Back", id="transcript.back"),
    ]

    def __init__(self, interview: str, focus_utterance: int | None = None, needed: Open | None = None, needed_shown: set[tuple[int, int | None]] | None = None):
        super().__init__()
        self.interview = interview
        self.focus_utterance = needed.utterance_id if needed else focus_utterance
        self._needed = needed  # opened at the study's most needed coding (`N` on the dashboard or in another interview)
        self.utterances: list[UtteranceView] = []
        self.coding_index = 0
        self._marked: tuple[int, int] | None = None  # (row, chip) drawn as selected
        self._placed: int | None = None  # a row the screen moved to itself (keep its chip selection)
        self._started = False  # the first "next" may land on the suggestion under the cursor
        self.correcting = False  # a correction is being saved and re-coded in a worker
        self._at: int | None = None  # the utterance under the cursor (kept for when the screen's widgets are gone)
        self._needed_shown = set() if needed_shown is None else needed_shown  # (utterance, coding) the most-needed key went to, in any interview

    @property
    def study(self):
        return self.app.study

    def compose(self) -> ComposeResult:
        yield Header()
        yield UtteranceList(id="utterances")
        with Horizontal(id="working"):
            yield Static(id="work")
            yield ProgressBar(id="work-bar", show_eta=False, show_percentage=False)
        yield Static(id="memo-saving")
        yield Static(id="detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = f"{self.interview}: transcript review"
        self.query_one("#working").display = False
        self.query_one("#memo-saving").display = False
        self.app.freeze_startup_objects()
        self.reload()
        last = load(self.study.root)
        if self.focus_utterance is None and last is not None and last.interview == self.interview:
            self.focus_utterance = last.utterance_id  # reopened: where the researcher left off
        if self._needed is not None:
            self._go_to_needed(self._needed)
        elif self.focus_utterance is not None:
            self.highlight_utterance(self.focus_utterance)

    def remember_position(self) -> None:
        """Keep the utterance under the cursor, for the next time this interview (or the app) is opened."""
        if self._at is not None:
            save(self.study.root, Position(self.interview, self._at))

    def on_screen_suspend(self) -> None:
        self.remember_position()

    def on_unmount(self) -> None:
        self.remember_position()

    def reload(self, full: bool = True) -> None:
        """Read the interview again from study.db and redraw, keeping the cursor; `full=False`
        reads and redraws only the highlighted utterance (after a decision on it)."""
        options = self.query_one("#utterances", UtteranceList)
        keep = options.highlighted
        if not full and keep is not None:
            self.utterances[keep] = utterance_view(self.study, self.utterances[keep].id)
            options.replace_prompts({keep: render_utterance(self.utterances[keep], self.coding_index, self.chip_width)})
            self._marked = (keep, self.coding_index)
            self.refresh_current()
            return
        self.utterances = transcript(self.study, self.interview)
        options.clear_options()
        self._marked = None
        options.add_options([Option(render_utterance(u, width=self.chip_width), id=str(u.id)) for u in self.utterances])
        options.highlighted = min(keep, len(self.utterances) - 1) if keep is not None and self.utterances else (0 if self.utterances else None)
        self.refresh_current()

    def highlight_utterance(self, utterance_id: int) -> None:
        for n, u in enumerate(self.utterances):
            if u.id == utterance_id:
                self._place(n, 0)
                return

    @property
    def chip_width(self) -> int:
        """How wide a row's chips may run before the next chip goes on a new line."""
        return max(20, self.query_one("#utterances", OptionList).scrollable_content_region.width - 2)

    def on_resize(self) -> None:
        if self.utterances:
            self.reload()

    @property
    def current(self) -> UtteranceView | None:
        index = self.query_one("#utterances", OptionList).highlighted
        return self.utterances[index] if index is not None and self.utterances else None

    @property
    def current_coding(self):
        u = self.current
        if u is None or not u.codings:
            return None
        return u.codings[min(self.coding_index, len(u.codings) - 1)]

    @on(OptionList.OptionHighlighted, "#utterances")
    def _moved(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index == self._placed:  # we moved the cursor and chose the chip ourselves
            self._placed = None
            self.refresh_current()
        else:
            self.coding_index = 0
            self.refresh_current(redraw=False)  # moving with the arrows: the chip marker follows on the next chip action

    def _place(self, row: int, coding_index: int) -> None:
        """Put the cursor on a row and a chip of it."""
        options = self.query_one("#utterances", OptionList)
        self.coding_index = coding_index
        if options.highlighted != row:
            self._placed = row
            options.highlighted = row
        self.refresh_current()

    def refresh_current(self, redraw: bool = True) -> None:
        """Redraw the rows whose selected chip changed (unless `redraw` is False) and the detail line."""
        options = self.query_one("#utterances", UtteranceList)
        wanted = (options.highlighted, self.coding_index) if self.current_coding is not None else None
        if redraw and wanted != self._marked:
            rows = {self._marked[0] if self._marked else None, options.highlighted} - {None}
            options.replace_prompts({row: render_utterance(self.utterances[row], self.coding_index if row == options.highlighted else None, self.chip_width)
                                     for row in rows if row < len(self.utterances)})
            self._marked = wanted
        coding = self.current_coding
        self._at = self.current.id if self.current else None
        detail = self.query_one("#detail", Static)
        note = f"  Utterance memo: {self.current.memo}" if self.current and self.current.memo else ""
        if coding is None:
            line = Text(("No codes on this utterance. + adds one." if self.current and self.current.role != "interviewer" else "Interviewer: not coded.") + note)
        else:
            memo = f"  memo: {coding.memo}" if coding.memo else ""
            line = Text(f"{coding.group} › {coding.name}: {coding.status}, confidence {coding.confidence:.2f} from {coding.source}.{memo}{note}")
        detail.update(line, layout=False)  # its height is fixed: no layout of the whole screen for a new line

    def _suggestion_positions(self) -> list[tuple[int, int]]:
        return [(n, k) for n, u in enumerate(self.utterances) for k, c in enumerate(u.codings) if c.status == "suggested"]

    def _jump(self, step: int) -> None:
        options = self.query_one("#utterances", OptionList)
        here = (options.highlighted or 0, self.coding_index)
        positions = self._suggestion_positions()
        if not positions:
            self.notify("No open suggestions in this interview.")
            return
        first = not self._started
        self._started = True
        if step > 0:
            later = [p for p in positions if (p >= here if first else p > here)]
            target = later[0] if later else positions[0]
        else:
            earlier = [p for p in positions if p < here]
            target = earlier[-1] if earlier else positions[-1]
        self._place(*target)

    def action_next_suggestion(self) -> None:
        self._jump(1)

    def action_previous_suggestion(self) -> None:
        self._jump(-1)

    def action_most_needed(self) -> None:
        """Go to the stage coding that most needs the researcher (`review_order`: uncertain first, spread out), one
        not yet shown by this key unless all were: this interview's first, then the study's, in its own transcript."""
        db, model = self.study.db, self.study.config.coding.embedding_model
        target = next_needed(db, model, self.interview, self._needed_shown)
        if target is None:
            self.notify("No open stage suggestions in the study.")
        elif target.interview == self.interview:
            self._go_to_needed(target)
        elif self._busy():  # a correction's worker belongs to this screen: leave once it is saved
            self._needed_shown.discard((target.utterance_id, target.coding_id))
        else:
            self.notify(f"Next most needed: {target.interview} {clock(db['utterances'].get(target.utterance_id)['start'] or 0.0)}")
            self.app.switch_screen(TranscriptScreen(target.interview, needed=target, needed_shown=self._needed_shown))

    def _go_to_needed(self, target: Open) -> None:
        """Put the cursor on a most needed coding of this interview (an utterance with no clear stage is told to add one)."""
        row = next((n for n, u in enumerate(self.utterances) if u.id == target.utterance_id), None)
        if row is None:  # re-coded away since it was ranked
            return
        self._place(row, next((k for k, c in enumerate(self.utterances[row].codings) if c.id == target.coding_id), 0))
        if target.coding_id is None:
            self.notify("No clear stage: + adds the stage this utterance is at.")

    def action_coding(self, step: int) -> None:
        u = self.current
        if u and u.codings:
            self.coding_index = (self.coding_index + step) % len(u.codings)
            self.refresh_current()

    def _decide(self, status: str) -> None:
        coding = self.current_coding
        if coding is None:
            return
        with self.saving():
            decide(self.study.db, coding.id, status)
            self.app.map_is_stale = True
            self.reload(full=False)
            self._jump(1)

    def action_accept(self) -> None:
        self._decide("accepted")

    def action_reject(self) -> None:
        self._decide("rejected")

    def _codes(self) -> list[tuple[str, str]]:
        return [(r["key"], f"{r['group_name']} › {r['name']}") for r in self.study.db.query("SELECT key, group_name, name FROM codes ORDER BY position")]

    def action_recode(self) -> None:
        coding = self.current_coding
        if coding is None:
            self.action_add_code()
            return

        def done(key: str | None) -> None:
            if key:
                with self.saving():
                    recode(self.study.db, coding.id, key)
                    self.app.map_is_stale = True
                    self.reload(full=False)

        group = coding.key.split(":")[0] + ":"  # a recode mostly stays in its group (another stage, another emotion): those first
        codes = [c for c in self._codes() if c[0] != coding.key]
        self.app.push_screen(CodePicker(sorted(codes, key=lambda c: not c[0].startswith(group)), f"Recode '{coding.name}' as"), done)

    def action_add_code(self) -> None:
        u = self.current
        if u is None or u.role == "interviewer":
            self.notify("Only customer utterances are coded.", severity="warning")
            return

        def done(key: str | None) -> None:
            if key:
                with self.saving():
                    add_coding(self.study.db, u.id, key)
                    self.app.map_is_stale = True
                    self.reload(full=False)

        self.app.push_screen(CodePicker(self._codes(), "Add a code"), done)

    def action_memo(self) -> None:
        coding = self.current_coding
        if coding is None:
            self.notify("Select a code to attach a memo to.", severity="warning")
            return

        def done(text: str | None) -> None:
            if text is not None:
                self.save_memo(lambda study: set_memo(study.db, coding.id, memo_redactor(study)(text)))

        self.app.push_screen(Prompt(f"Memo on '{coding.name}'", coding.memo or "", keys=MEMO_KEYS), done)
        self.app.anonymizer.start_after_refresh(self.app)  # once the dialog is on screen it loads while the memo is typed

    def action_utterance_memo(self) -> None:
        u = self.current
        if u is None:
            return

        def done(text: str | None) -> None:
            if text is not None:
                self.save_memo(lambda study: set_utterance_memo(study, u.id, text))

        self.app.push_screen(Prompt(f"Memo on the utterance at {clock(u.start)}", u.memo or "", keys=MEMO_KEYS), done)
        self.app.anonymizer.start_after_refresh(self.app)

    def save_memo(self, write: Callable[[Study], object]) -> None:
        """Save a memo with its PII replaced, in a worker; the line above the detail says so until it is saved."""
        self._memo_line("Saving the memo: loading the anonymizer, which replaces names first…" if self.app.anonymizer.loading
                        else "Saving the memo: replacing names, emails and phone numbers first…")  # one line at 80 columns
        self.run_memo_save(write)

    def _memo_line(self, text: str | None) -> None:
        line = self.query_one("#memo-saving", Static)
        line.update(Text(text or "", style="bold"))
        line.display = text is not None

    @work(thread=True, group="memo")
    def run_memo_save(self, write: Callable[[Study], object]) -> None:
        """`write` redacts the memo (`memo_redactor`) and saves it, once the anonymizer the dialog started has loaded."""
        self.app.anonymizer.wait()
        try:
            write(Study.open(self.study.root))  # this thread's own connection
        except ResearchError as error:
            self.app.call_from_thread(self._memo_saved, str(error), "error")
            return
        except (sqlite3.DatabaseError, OSError) as error:  # one line, never the app's traceback (its locals hold the memo as typed)
            line = fault_line(error, self.study.root) or f"{type(error).__name__}: {str(error).splitlines()[0]}"
            self.app.call_from_thread(self._memo_saved, f"Memo not saved: {line}", "error")
            return
        if self.is_attached:
            self.app.call_from_thread(self.reload, full=False)
        self.app.call_from_thread(self._memo_saved, "Memo saved; u undoes it.", "information")

    def _memo_saved(self, message: str, severity: str) -> None:
        if self.is_attached:  # the researcher may have left the transcript meanwhile
            self._memo_line(None)
        self.app.notify(message, severity=severity, markup=False)

    def action_bulk_accept(self) -> None:
        """Ask the scope first (this interview, this code, or the whole study), then the confidence; `u` undoes it."""
        coding = self.current_coding
        scopes = [(f"interview:{self.interview}", f"This interview ({self.interview})")]
        if coding is not None:
            scopes.append((f"code:{coding.key}", f"This code ({coding.name}) in every interview"))
        scopes.append(("study", "The whole study"))

        def scoped(choice: str | None) -> None:
            if choice is None:
                return
            scope = Scope.parse(choice)
            waiting = bulk_candidates(self.study.db, 0.9, scope)

            def done(text: str | None) -> None:
                if not text:
                    return
                try:
                    threshold = float(text)
                except ValueError:
                    self.notify(f"'{text}' is not a number between 0 and 1.", severity="error", markup=False)
                    return
                with self.saving():
                    count = bulk_accept(self.study.db, threshold, scope)
                    self.app.map_is_stale = True
                    self.notify(f"Accepted {count} suggestions with confidence ≥ {threshold:.2f} in {scope.words}. u undoes it.", markup=False)
                    self.reload()

            question = f"Accept open suggestions in {scope.words} with confidence at least ({waiting} at 0.9)"
            self.app.push_screen(Prompt(question, "0.9", keys="Enter accepts them · Escape cancels"), done)

        self.app.push_screen(CodePicker(scopes, "Bulk accept: which suggestions?", "↑ ↓ and Enter choose · Escape cancels"), scoped)

    def action_undo(self) -> None:
        """Undo the last decision or memo edit, whichever came last, and show what came back."""
        if any(worker.group == "memo" and not worker.is_finished for worker in self.workers):
            self.notify("The memo is still being saved; press u again in a moment to undo it.", severity="warning")
            return
        with self.saving():
            self._undo()

    def _undo(self) -> None:
        result = undo(self.study.db)
        if result.undone:
            if result.batches:  # a memo is no part of the map
                self.app.map_is_stale = True
            self.reload()
            rows = {u.id: n for n, u in enumerate(self.utterances)}
            restored = [(utterance, coding) for utterance, coding in result.put_back if utterance in rows]
            restored += [(utterance, coding) for utterance, coding, _ in result.memos if utterance in rows]
            if restored:  # the cursor goes to the first coding (or utterance) the undo put back
                utterance, coding = restored[0]
                chips = [c.id for c in self.utterances[rows[utterance]].codings]
                self._place(rows[utterance], chips.index(coding) if coding in chips else 0)
        self.notify(result.line, markup=False)

    def action_play(self) -> None:
        u = self.current
        if u is not None:
            self._play(u.start, u.end)

    # --- corrections: words, speakers and roles, saved at once and re-coded in a worker ---

    def _speaker_of(self, u: UtteranceView) -> str:
        return self.study.db["utterances"].get(u.id)["speaker"] or "?"

    def _play(self, start: float, end: float) -> None:
        """Play a stretch of the redacted audio; a player that stops at once with an error says why a moment later."""
        playback = play_clip(self.study.redacted_audio_dir / f"{self.interview}.opus", start, end)
        self.notify(playback.message, markup=False)
        if playback.process is not None:
            self.set_timer(PLAYER_START_CHECK, lambda: self._player_failed(playback))

    def _player_failed(self, playback: Playback) -> None:
        if failure := playback.failure():
            self.notify(failure, severity="error", markup=False)

    def action_edit(self) -> None:
        u = self.current
        if u is None or self._busy():
            return
        self._play(u.start, u.end)

        def done(text: str | None) -> None:
            if text is not None and text.strip() and " ".join(text.split()) != " ".join(u.text.split()):
                from research.transcript_edits import correct_text

                def save(study) -> str:
                    correct_text(study, u.id, text)
                    return "Corrected."

                self.correct("Saving the correction", save)

        self.app.push_screen(EditDialog(u.text, lambda: self._play(u.start, u.end)), done)

    def action_words(self) -> None:
        u = self.current
        if u is None or self._busy():
            return
        from research.transcript_edits import reassign_words, speakers

        speaker = self._speaker_of(u)
        names = [name for name, _, _ in speakers(self.study, self.interview)]

        def done(choice: WordsChoice | None) -> None:
            if choice is None:
                return
            what = f"Words {choice.first + 1}–{choice.last + 1} go to {choice.speaker}" if choice.speaker and choice.speaker != speaker else f"Split before word {choice.first + 1}"

            def save(study) -> str:
                reassign_words(study, u.id, choice.first, choice.last, choice.speaker)
                return f"{what}: done."

            self.correct(what, save)

        self.app.push_screen(WordsDialog(u.text.split(), speaker, names), done)

    def action_role(self) -> None:
        u = self.current
        if u is None or self._busy():
            return
        from research.transcript_edits import merge_speakers, speakers, voice_sample

        speaker = self._speaker_of(u)

        def sample(name: str) -> None:
            self._play(*voice_sample(self.study, self.interview, name))

        def done(choice: SpeakerChoice | None) -> None:
            if choice is None or choice.action == "role" and choice.value == u.role:
                return
            def save(study) -> str:
                if choice.action == "merge":
                    return f"{merge_speakers(study, self.interview, choice.value, speaker)} utterances of {speaker} are now {choice.value}'s."
                change_role(study, self.interview, speaker, choice.value)
                return f"{speaker} is now {choice.value}."

            self.correct(f"Merging {speaker} into {choice.value}" if choice.action == "merge" else f"{speaker} becomes {choice.value}", save)

        self.app.push_screen(RoleDialog(speaker, u.role, speakers(self.study, self.interview), sample), done)

    def _busy(self) -> bool:
        if self.correcting:
            self.notify("A correction is still being saved and re-coded; try again in a moment.", severity="warning")
        return self.correcting

    def correct(self, what: str, change: Callable[[Study], str]) -> None:
        """Save a correction and re-code the interview in a worker; the screen keeps taking keys meanwhile."""
        self.correcting = True
        self.query_one("#work", Static).update(Text(f"{what}…", style="bold"))
        self.query_one("#work-bar", ProgressBar).update(total=2, progress=0)
        self.query_one("#working").display = True
        self.run_correction(what, change)

    @work(thread=True, exclusive=True, group="correction")
    def run_correction(self, what: str, change: Callable[[Study], str]) -> None:
        study = Study.open(self.study.root)  # this thread's own connection
        started = time.perf_counter()
        try:
            summary = change(study)
            self.post_message(CorrectionProgress(f"Saved. Re-coding {self.interview}…", 1))
            recode_interview(study, self.interview)
        except ResearchError as error:
            self.post_message(CorrectionDone(str(error), failed=True))
            return
        except (OSError, sqlite3.DatabaseError) as error:  # a full disk or read-only study: one line, and the app goes on
            self.post_message(CorrectionDone(machine_fault(error, study.root), failed=True))
            return
        self.post_message(CorrectionDone(f"{summary} {self.interview} re-coded in {time.perf_counter() - started:.1f} s.", failed=False))

    @on(CorrectionProgress)
    def _correction_progress(self, message: CorrectionProgress) -> None:
        self.query_one("#work", Static).update(Text(message.text, style="bold"))
        self.query_one("#work-bar", ProgressBar).update(progress=message.step)
        self.reload()  # the saved words and speakers show at once; the new suggestions follow

    @on(CorrectionDone)
    def _correction_done(self, message: CorrectionDone) -> None:
        self.correcting = False
        self.query_one("#working").display = False
        self.app.map_is_stale = True
        self.notify(message.text, severity="error" if message.failed else "information", markup=False)
        self.reload()
