"""Advocacy holds detractors as well as promoters: who recommends, who warns others, complains in public or leaves.

An utterance is an act of advocacy when spaCy finds a word-of-mouth verb (recommend, tell, post,
review, warn ...) aimed at other people, or a churn verb (cancel, return, switch ...). Its direction
comes from the verb (warning and churn are detraction), from negation ("would not recommend") and
from the feeling coded on the utterance. Acts count wherever the stage coding put them: a warning to
the neighbourhood is advocacy even when it is told as part of a retention story.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Literal

from research.journey.evidence import Utterance
from research.journey.insights import quote_of
from research.journey.model import Advocacy
from research.nlp import load_spacy

Direction = Literal["promoter", "detractor"]

WORD_OF_MOUTH = {"recommend", "refer", "tell", "post", "review", "rate", "share", "mention", "suggest", "write", "rave", "praise", "brag", "evangelize", "endorse"}
ALWAYS_NEGATIVE = {"warn", "complain", "slam", "trash", "badmouth", "report"}
ALWAYS_POSITIVE = {"rave", "praise", "brag", "evangelize", "endorse", "recommend", "refer"}
CHURN = {"cancel", "return", "switch", "leave", "unsubscribe", "refund", "quit", "terminate", "churn"}
CHURN_PHRASES = re.compile(r"\b(sen[dt] (it|them) back|stop(ped)? using|get rid of|got rid of|g[ia]ve up on|never (buy|bought|order|use)|won't (buy|renew|use)|not renew)", re.IGNORECASE)
AUDIENCE = {"friend", "people", "everyone", "everybody", "anyone", "colleague", "neighbour", "neighbor", "family", "sister", "brother", "mum", "mom",
            "dad", "parent", "group", "forum", "online", "review", "star", "facebook", "instagram", "twitter", "tiktok", "reddit", "social", "community",
            "coworker", "peer", "network", "post", "others", "other"}
TRIGGER = re.compile(r"\b(recommend|refer|rav|prais|brag|endors|evangeli|tell|told|post|review|rat(e|ed|ing)|shar|mention|suggest|wr[io]t|warn|complain|slam|"
                     r"trash|badmouth|report|cancel|return|switch|left|leav|unsubscrib|refund|quit|terminat|churn|sen[dt] (it|them) back|stop(ped)? using|"
                     r"rid of|gave up|give up|never (buy|bought|order|use)|won't (buy|renew|use)|not renew)", re.IGNORECASE)


def direction(u: Utterance, doc) -> Direction | None:
    """Whether an utterance promotes or detracts, or is no act of advocacy."""
    if CHURN_PHRASES.search(u.text):
        return "detractor"
    public = any(t.lemma_.lower() in AUDIENCE for t in doc) or bool({"touchpoint:word-of-mouth", "touchpoint:social", "touchpoint:referral", "stage:advocacy"} & u.codes)
    found: Direction | None = None
    for token in doc:
        lemma = token.lemma_.lower()
        if token.pos_ != "VERB":
            continue
        negated = any(c.dep_ == "neg" or c.lower_ == "never" for c in token.children)
        if lemma in CHURN and _first_person(token):
            return "detractor"
        if lemma in ALWAYS_NEGATIVE and (public or lemma == "warn"):
            return "detractor"
        if lemma in WORD_OF_MOUTH and (public or lemma in ALWAYS_POSITIVE):
            if negated or (u.valence or 0) < -0.2:
                return "detractor"
            if lemma in ALWAYS_POSITIVE or (u.valence or 0) > 0.2:
                found = "promoter"
    return found


def _first_person(verb) -> bool:
    """The customer (I, we) does it, or the subject is left out ("cancelled it straight away")."""
    subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
    if not subjects and verb.dep_ == "conj":
        subjects = [c for c in verb.head.children if c.dep_ in ("nsubj", "nsubjpass")]
    return not subjects or any(s.lower_ in ("i", "we") for s in subjects)


def advocacy(utterances: list[Utterance], cohort: int) -> tuple[Advocacy, dict[int, Direction]]:
    """Promoters and detractors across the study, with a net advocacy line, and each act by utterance id."""
    candidates = [u for u in utterances if u.stage and TRIGGER.search(u.text)]
    acts: dict[int, Direction] = {}
    for u, doc in zip(candidates, load_spacy(("ner",)).pipe(u.text for u in candidates)):
        found = direction(u, doc)
        if found:
            acts[u.id] = found
    by_person: dict[str, set[Direction]] = defaultdict(set)
    by_id = {u.id: u for u in utterances}
    for uid, found in acts.items():
        by_person[by_id[uid].participant].add(found)
    detractors = {p for p, kinds in by_person.items() if "detractor" in kinds}
    promoters = {p for p, kinds in by_person.items() if "promoter" in kinds} - detractors
    net = (len(promoters) - len(detractors)) / max(cohort, 1)
    line = (f"{len(promoters)} promoter{'s' * (len(promoters) != 1)} and {len(detractors)} detractor{'s' * (len(detractors) != 1)} "
            f"among {cohort} participant{'s' * (cohort != 1)}: net advocacy {net:+.0%}")
    quotes = {kind: [quote_of(by_id[uid]) for uid, found in acts.items() if found == kind and by_id[uid].participant in people]
              for kind, people in (("promoter", promoters), ("detractor", detractors))}
    return Advocacy(promoters=quotes["promoter"], detractors=quotes["detractor"], promoter_participants=len(promoters),
                    detractor_participants=len(detractors), net=round(net, 3), line=line), acts
