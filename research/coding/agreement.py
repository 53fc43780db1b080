"""Cohen's kappa per code group: the machine's suggestions against the researcher's decisions, or the
researcher against a second coder.

Decisions that came from a bulk accept are counted apart: a bulk accept takes the machine's suggestion
as it is, so it agrees with the machine by construction. Each row therefore also gives kappa without them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sklearn.metrics import cohen_kappa_score
from sqlite_utils import Database

from research.codebook import Codebook, CodeGroup
from research.coding.decision_log import bulk_accepted

RUBBER_STAMP_SHARE = 0.2  # above this share of bulk-accepted units, a machine-vs-researcher kappa is flagged

COLUMNS = {
    "group": "the code group",
    "units": "utterances compared: those you decided in this group (or, with a second coder, every customer utterance both projects hold)",
    "kappa": "Cohen's kappa over those utterances: 1 is full agreement, 0 is what chance gives, below 0 is worse than chance",
    "agreement": "share of judgements that agree (a stage per utterance, or yes/no per code and utterance), before correcting for chance",
    "bulk": "of those utterances, how many you decided by bulk accept rather than one by one",
    "kappa w/o bulk": "kappa over the utterances you decided one by one only",
}


@dataclass(frozen=True)
class GroupAgreement:
    group: str
    utterances: int  # units compared
    kappa: float | None  # None when there is nothing to compare or only one category occurs
    observed: float  # share of judgements that agree
    bulk: int = 0  # units whose decision in this group came from a bulk accept
    kappa_without_bulk: float | None = None

    @property
    def rubber_stamped(self) -> bool:
        return self.utterances > 0 and self.bulk / self.utterances > RUBBER_STAMP_SHARE


def _labels(group: CodeGroup, units: list[int], codes: set[tuple[int, str]]) -> list:
    """One label per unit (single-choice: its code or 'none'), or yes/no per (unit, code)."""
    prefix = f"{group.id}:"
    if group.kind == "single":
        first = {}
        for u, k in sorted(codes):
            if k.startswith(prefix):
                first.setdefault(u, k)
        return [first.get(u, "none") for u in units]
    keys = [f"{prefix}{code.id}" for code in group.codes]
    return [(u, k) in codes for u in units for k in keys]


def _kappa(a: list, b: list) -> tuple[float | None, float]:
    kappa = float(cohen_kappa_score(a, b)) if a and len(set(a) | set(b)) > 1 else None
    return kappa, (sum(x == y for x, y in zip(a, b)) / len(a) if a else 0.0)


def _compare(group: CodeGroup, units: list[int], first: set, second: set, bulk_units: set[int]) -> GroupAgreement:
    kappa, observed = _kappa(_labels(group, units, first), _labels(group, units, second))
    own = [u for u in units if u not in bulk_units]
    kappa_own = _kappa(_labels(group, own, first), _labels(group, own, second))[0]
    return GroupAgreement(group.name, len(units), kappa, observed, len(set(units) & bulk_units), kappa_own)


def _accepted(db: Database) -> tuple[list[dict], set[tuple[int, str]], set[tuple[int, str]]]:
    """All codings, the accepted (utterance, code) pairs, and those of them that stand on a bulk accept."""
    rows = list(db.query("SELECT id, utterance_id, code_key, source, status FROM codings"))
    stamped = bulk_accepted(db)
    accepted = {(r["utterance_id"], r["code_key"]) for r in rows if r["status"] == "accepted"}
    bulk = {(r["utterance_id"], r["code_key"]) for r in rows if r["status"] == "accepted" and r["id"] in stamped}
    return rows, accepted, bulk


def agreement(db: Database, codebook: Codebook) -> list[GroupAgreement]:
    """For each group, over the utterances with a researcher decision in it.

    Single-choice groups compare the machine's code with the researcher's (or none); multi-code
    groups compare yes/no per (utterance, code). Machine = any non-human coding, whatever its status;
    researcher = accepted codings.
    """
    rows, human, bulk = _accepted(db)
    machine = {(r["utterance_id"], r["code_key"]) for r in rows if r["source"] != "human"}
    out = []
    for group in codebook.groups:
        prefix = f"{group.id}:"
        units = sorted({r["utterance_id"] for r in rows if r["code_key"].startswith(prefix) and r["status"] in ("accepted", "rejected")})
        out.append(_compare(group, units, machine, human, {u for u, k in bulk if k.startswith(prefix)}))
    return out


def coder_agreement(db: Database, codebook: Codebook, other: set[tuple[int, str]], units: list[int]) -> list[GroupAgreement]:
    """Two coders per group: the researcher's accepted codings in this study against a second coder's
    (`other`, as (utterance id, code key) pairs), over the same `units` (utterances both coded)."""
    _, human, bulk = _accepted(db)
    return [_compare(group, units, human, other, {u for u, k in bulk if k.startswith(f"{group.id}:")}) for group in codebook.groups]
