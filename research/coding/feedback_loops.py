"""Feedback-loop suggestions say the loop the map shows: the feedback reader's, not the codebook's words alone.

Coding finds loop codes by the codebook's words and examples, which a cancellation ("I sent it back") or other
people's replies match as well as a real answer from the company, and misses a loop told in other words ("I had to
call support"). `CodingEngine.code_turns` (the one path `research code`, the benchmarks and the evaluations take)
checks each customer turn's loop codes against the feedback reader (`journey.feedback`, read as about a problem
exactly as the map reads it, with `advocacy.loop_of`): a suggested loop is kept where the reader finds that loop,
turned into the loop it finds instead, and dropped where it finds none; where the reader finds a loop on a turn
on the journey that coding did not suggest, it becomes a suggestion of its own (source `reader`). Codings
re-coding keeps (decided ones, suggestions carrying a researcher's memo) are never touched: a researcher's
accepted loop wins, and a loop code the researcher rejected on that utterance is not suggested again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from research.codebook import Codebook
from research.journey.advocacy import LOOP_CODE, about_a_problem, loop_of
from research.journey.evidence import feelings, utterance_valence

if TYPE_CHECKING:
    from research.coding.engine import Suggestion

SOURCE = "reader"  # a suggestion the feedback reader made or turned into the loop it found
READER_CONFIDENCE = 0.5  # the reader parses what happened and has no score: a loop only it finds sits mid-scale
Kept = Mapping[int, Mapping[str, str]]  # {turn id: {code key: status}} of the codings re-coding leaves as they are


def gate_loops(codebook: Codebook, suggestions: list[Suggestion], texts: Mapping[int, str], readings: Mapping[int, dict], kept: Kept) -> list[Suggestion]:
    """`suggestions` for the customer turns `texts` ({id: text}), in order, with their loop codes made the reader's
    (`readings`: `advocacy.read_acts` of those turns); `kept`: the turns' decided and memoed codings."""
    from research.coding.engine import Suggestion  # engine calls this module: imported here, not at the top

    valences = {key: code.valence for key, (_, code) in codebook.codes.items() if code.valence is not None}
    journey = next((f"{group.id}:" for group in codebook.groups if group.ordered), None)
    loops: dict[int, list[int]] = {uid: [] for uid in texts}  # the open loop suggestions of each turn, by position
    codes: dict[int, set[str]] = {uid: set() for uid in texts}
    for n, s in enumerate(suggestions):
        if s.turn_id in texts:
            codes[s.turn_id].add(s.code_key)
            if s.code_key.startswith(LOOP_CODE) and s.code_key not in kept.get(s.turn_id, {}):
                loops[s.turn_id].append(n)
    out: dict[int, Suggestion | None] = dict(enumerate(suggestions))
    added = []
    for uid in texts:
        decided = kept.get(uid, {})
        felt = (codes[uid] | set(decided)) - {key for key, status in decided.items() if status == "rejected"}
        accepted = {key for key, status in decided.items() if status == "accepted"}
        state = loop_of(readings.get(uid), accepted, about_a_problem(utterance_valence(felt, valences), feelings(felt, valences), felt))
        target = f"{LOOP_CODE}{state}" if state and f"{LOOP_CODE}{state}" in codebook.codes else None
        if target in decided:  # decided or memoed as it is
            target = None
        for n in loops[uid]:
            if suggestions[n].code_key != target:
                out[n] = None
        if target is None or any(suggestions[n].code_key == target for n in loops[uid]):
            continue
        if loops[uid]:
            best = max(loops[uid], key=lambda n: suggestions[n].confidence)
            out[best] = replace(suggestions[best], code_key=target, source=SOURCE)
        elif journey is not None and any(code.startswith(journey) for code in felt):  # the map reads loops on the journey only
            added.append(Suggestion(uid, target, READER_CONFIDENCE, SOURCE))
    return [s for s in out.values() if s is not None] + added
