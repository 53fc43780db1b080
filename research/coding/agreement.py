"""Cohen's kappa per code group between the machine's suggestions and the researcher's decisions."""

from __future__ import annotations

from dataclasses import dataclass

from sklearn.metrics import cohen_kappa_score
from sqlite_utils import Database

from research.codebook import Codebook


@dataclass(frozen=True)
class GroupAgreement:
    group: str
    utterances: int  # utterances the researcher reviewed in this group
    kappa: float | None  # None when there is nothing to compare or only one category occurs
    observed: float  # share of (utterance, code) judgements where machine and researcher agree


def agreement(db: Database, codebook: Codebook) -> list[GroupAgreement]:
    """For each group, over the utterances with a researcher decision in it.

    Single-choice groups compare the machine's code with the researcher's (or none); multi-code
    groups compare yes/no per (utterance, code). Machine = any non-human coding, whatever its status;
    researcher = accepted codings.
    """
    rows = list(db.query("SELECT utterance_id, code_key, source, status FROM codings"))
    out = []
    for group in codebook.groups:
        prefix = f"{group.id}:"
        mine = [r for r in rows if r["code_key"].startswith(prefix)]
        reviewed = sorted({r["utterance_id"] for r in mine if r["status"] in ("accepted", "rejected")})
        machine = {(r["utterance_id"], r["code_key"]) for r in mine if r["source"] != "human"}
        human = {(r["utterance_id"], r["code_key"]) for r in mine if r["status"] == "accepted"}
        if group.kind == "single":
            a = [next((k for u2, k in machine if u2 == u), "none") for u in reviewed]
            b = [next((k for u2, k in human if u2 == u), "none") for u in reviewed]
        else:
            keys = [f"{prefix}{code.id}" for code in group.codes]
            a = [(u, k) in machine for u in reviewed for k in keys]
            b = [(u, k) in human for u in reviewed for k in keys]
        kappa = None
        if a and len(set(a) | set(b)) > 1:
            kappa = float(cohen_kappa_score(a, b))
        observed = sum(x == y for x, y in zip(a, b)) / len(a) if a else 0.0
        out.append(GroupAgreement(group.name, len(reviewed), kappa, observed))
    return out
