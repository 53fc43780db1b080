"""What the study calls a participant: a pseudonym ("Participant 3"), whether or not the metadata sheet names them.

A participant the sheet names gets the study-wide pseudonym of that name. One it does not name (a study without a
sheet, a transcript imported alone, a second customer found later) gets the next pseudonym too, keyed on the
interview and speaker slot, so every sentence of the map reads the same way ("Only Participant 3 describes this")
instead of naming a database slot ("INT-003 customer").
"""

from __future__ import annotations

import re

from research.store import is_read_only
from research.study import Study
from research.vault import Vault, entity_key

PREFIX = "Participant"


def participant_label(vault: Vault, code: str, slot: str, name: str | None) -> str:
    """The pseudonym of a named participant, else the one kept for this interview's speaker slot. A sheet that names a
    participant first seen unnamed hands the slot's pseudonym to the name, so "Participant 1" stays Participant 1."""
    if name:
        _hand_over(vault, entity_key(unnamed_key(code, slot)), entity_key(name))
    return vault.pseudonym("PARTICIPANT", name or unnamed_key(code, slot), PREFIX)


def _hand_over(vault: Vault, unnamed: str, named: str) -> None:
    """Re-key the unnamed slot's pseudonym (vault keys `unnamed`, `named`) to the name, unless the name has one already."""
    with vault.db.atomic():
        taken = vault.db["pseudonyms"].count_where("entity_type = 'PARTICIPANT' AND value_key = ?", [named])
        if not taken:
            vault.db.execute("UPDATE pseudonyms SET value_key = ? WHERE entity_type = 'PARTICIPANT' AND value_key = ?", [named, unnamed])


def unnamed_key(code: str, slot: str) -> str:
    """The vault key of a participant the sheet does not name: never a person's name, so never matched in text."""
    return f"unnamed {code} {slot}"


def new_label(study: Study, code: str, slot: str) -> str:
    """A label for a speaker slot added after the sheet was read; with the vault purged, the next number unused."""
    if not study.config.vault_purged:
        return participant_label(study.vault, code, slot, None)
    numbers = [int(m.group(1)) for r in study.db.query("SELECT label FROM participants") if (m := re.fullmatch(rf"{PREFIX} (\d+)", r["label"]))]
    return f"{PREFIX} {max(numbers, default=0) + 1}"


def name_unnamed(study: Study) -> int:
    """Give the participants of a study made before this, labelled by their slot ("INT-003 customer"), their
    pseudonym; how many were renamed (none once done, with the vault purged, or in a read-only study, whose map
    then reads the slots)."""
    rows = list(study.db.query("SELECT p.id, i.code, p.slot FROM participants p JOIN interviews i ON i.id = p.interview_id WHERE p.label = i.code || ' ' || p.slot"))
    if not rows or study.config.vault_purged or is_read_only(study.db):
        return 0
    with study.db.atomic():
        for r in rows:
            study.db["participants"].update(r["id"], {"label": participant_label(study.vault, r["code"], r["slot"], None)})
    return len(rows)
