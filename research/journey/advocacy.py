"""Advocacy holds detractors as well as promoters: who recommends, who warns others, complains in public or leaves.

An utterance is an act of advocacy when spaCy finds a word-of-mouth verb (recommend, tell, post,
review, warn ...) aimed at other people, or a churn verb (cancel, return, switch ...). Its direction
comes from the verb (warning and churn are detraction), from negation ("would not recommend") and
from the feeling coded on the utterance. Acts count wherever the stage coding put them: a warning to
the neighbourhood is advocacy even when it is told as part of a retention story.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Literal, NamedTuple

from sqlite_utils import Database

from research.journey.evidence import Utterance
from research.journey.insights import Group, InsightContext, make_insight, quote_of
from research.journey.model import Advocacy, Insight
from research.nlp import parse
from research.text_facts import cached_per_text

Direction = Literal["promoter", "detractor"]
READER_VERSION = "1"  # part of the cache key: a change to how acts are read re-parses stored utterances
BAD_FEELING = -0.2  # told to others with a valence below this, an act of word of mouth is a warning


class Act(NamedTuple):
    """An utterance's act of advocacy: its direction and the verbs it was told with (lemmas)."""

    direction: Direction
    verbs: frozenset[str]

WORD_OF_MOUTH = {"recommend", "refer", "tell", "post", "review", "rate", "share", "mention", "suggest", "write", "rave", "praise", "brag", "evangelize",
                 "endorse", "send", "show", "invite"}
WORD_OF_MOUTH_OBJECTS = {"review", "rating", "comment", "post", "recommendation", "testimonial", "referral", "star"}  # "left a four-star review"
PUBLISHING = {"leave", "write", "post", "give", "submit", "add", "publish", "put", "send", "share"}  # not "read the reviews"
ALWAYS_NEGATIVE = {"warn", "complain", "slam", "trash", "badmouth"}
ALWAYS_POSITIVE = {"rave", "praise", "brag", "evangelize", "endorse", "recommend", "refer"}
CANCEL = {"cancel", "unsubscribe", "terminate", "churn", "refund"}  # leaving, whatever the object
RETURN = {"return", "send"}  # sending the product back ("return it", "sent it back"), not a call or an email
SWITCH = {"switch", "leave", "quit", "drop", "ditch", "abandon"}  # leaving a provider, not a router setting or a room
COMMUNICATION = {"call", "email", "message", "text", "favour", "favor", "visit", "home", "form", "review", "comment", "feedback", "note", "voicemail"}
PROVIDER = {"it", "them", "provider", "brand", "company", "supplier", "vendor", "service", "subscription", "plan", "contract", "membership",
            "account", "app", "platform", "carrier", "network", "bank", "product"}
CHURN_PHRASES = re.compile(r"\b(stop(ped)? using|get rid of|got rid of|g[ia]ve up on|never (buy|bought|order|use) (it|them|from)|won't (buy|renew)|not renew(ing)?)\b", re.IGNORECASE)
AUDIENCE = {"friend", "people", "everyone", "everybody", "anyone", "colleague", "neighbour", "neighbor", "family", "sister", "brother", "mum", "mom",
            "dad", "parent", "group", "forum", "online", "review", "star", "facebook", "instagram", "twitter", "tiktok", "reddit", "social", "community",
            "coworker", "peer", "network", "post", "others", "him", "her", "them", "member", "customer", "client", "wife", "husband", "partner"}
TRIGGER = re.compile(r"\b(recommend|refer|rav|prais|brag|endors|evangeli|tell|told|post|review|rat(e|ed|ing)|shar|mention|suggest|wr[io]t|warn|complain|slam|"
                     r"trash|badmouth|cancel|return|sen[dt]|switch|left|leav|quit|drop|ditch|abandon|unsubscrib|refund|terminat|churn|stop(ped)? using|"
                     r"rid of|gave up|give up|never (buy|bought|order|use)|won't (buy|renew)|not renew)", re.IGNORECASE)


def direction(doc, feels_bad: bool) -> Direction | None:
    """Whether a parsed utterance promotes or detracts, or is no act of advocacy. Only the customer's own acts
    count ("I told my sister"), not what others did to them ("a friend recommended it"). Telling others is
    praise unless a negation or a bad feeling (`feels_bad`) makes it a warning."""
    if CHURN_PHRASES.search(doc.text):
        return "detractor"
    found: Direction | None = None
    for token in doc:
        lemma = token.lemma_.lower()
        if token.pos_ != "VERB" or not _by_customer(token) or _hypothetical(token):
            continue
        negated = any(c.dep_ == "neg" or c.lower_ == "never" for c in token.children)
        public = _aimed_at_others(token)
        reviews = lemma in PUBLISHING and any(c.dep_ == "dobj" and c.lemma_.lower() in WORD_OF_MOUTH_OBJECTS for c in token.children)
        if lemma in WORD_OF_MOUTH and (public or lemma in ALWAYS_POSITIVE) or reviews:
            if negated or feels_bad:
                return "detractor"
            found = "promoter"
        elif negated:  # "we didn't cancel", "I never complained"
            continue
        elif _churns(token, lemma) or lemma in ALWAYS_NEGATIVE and (public or lemma == "warn"):
            return "detractor"
    return found


def read_acts(texts: dict[int, str]) -> dict[int, dict]:
    """What one parse of each text says about advocacy: its direction when the speaker feels bad and
    otherwise, and its verbs. Texts with no advocacy word are not parsed."""
    candidates = {key: text for key, text in texts.items() if TRIGGER.search(text)}
    out: dict[int, dict] = {key: {"feels_bad": None, "otherwise": None, "verbs": []} for key in texts if key not in candidates}
    for key, doc in zip(candidates, parse(list(candidates.values()))):
        out[key] = {"feels_bad": direction(doc, True), "otherwise": direction(doc, False), "verbs": sorted({t.lemma_.lower() for t in doc if t.pos_ == "VERB"})}
    return out


def stored_readings(db: Database, texts: dict[int, str]) -> dict[int, dict]:
    """`read_acts` of utterances by id, parsed once per text and kept in study.db (`utterance_acts`)."""
    return cached_per_text(db, "utterance_acts", "reading", READER_VERSION, texts, read_acts)


def stored_acts(db: Database, utterances: list[Utterance]) -> dict[int, Act]:
    """Each staged utterance's act of advocacy, with its feeling deciding between the stored readings."""
    readings = stored_readings(db, {u.id: u.text for u in utterances if u.stage})
    acts = {}
    for u in utterances:
        reading = readings.get(u.id)
        found = reading and reading["feels_bad" if (u.valence or 0) < BAD_FEELING else "otherwise"]
        if found:
            acts[u.id] = Act(found, frozenset(reading["verbs"]))
    return acts


def _churns(verb, lemma: str) -> bool:
    objects = [c for c in verb.children if c.dep_ in ("dobj", "pobj")] + [g for c in verb.children if c.dep_ == "prep" for g in c.children if g.dep_ == "pobj"]
    heads = {o.lemma_.lower() for o in objects}
    if lemma in CANCEL:
        return True
    if lemma in RETURN:
        back = lemma == "return" or any(c.lower_ == "back" for c in verb.children)
        return back and bool(objects) and not heads & COMMUNICATION
    if lemma in SWITCH:
        return bool(heads & PROVIDER) or any(o.pos_ == "PROPN" or o.ent_type_ == "ORG" for o in objects)
    return False


def _aimed_at_others(verb) -> bool:
    """The act reaches other people: an audience among the verb's own dependents."""
    return any(t.lower_ in AUDIENCE or t.lemma_.lower() in AUDIENCE or t.ent_type_ in ("ORG", "PERSON") for t in verb.subtree if t.i != verb.i)


def _hypothetical(verb) -> bool:
    """"ready to send it back", "thinking about cancelling", "if it breaks again I'll return it": not done."""
    if verb.dep_ == "xcomp" and verb.head.lemma_.lower() not in ("have", "decide", "end", "go"):
        return True
    return verb.dep_ == "pcomp" or any(c.dep_ == "mark" and c.lower_ in ("if", "unless") for c in verb.children)


def _by_customer(verb) -> bool:
    """The customer (I, we) does it, or the subject is left out ("cancelled it straight away")."""
    subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
    if not subjects and verb.dep_ in ("conj", "xcomp"):
        subjects = [c for c in verb.head.children if c.dep_ in ("nsubj", "nsubjpass")]
    return not subjects or any(s.lower_ in ("i", "we") for s in subjects)


def percent(share: float) -> str:
    """A signed whole percentage, halves rounded away from zero as a reader does (5 of 8 = +63%, not Python's +62%)."""
    points = math.floor(abs(share) * 100 + 0.5)
    return f"{'-' if share < 0 and points else '+'}{points}%"


def advocacy(db: Database, utterances: list[Utterance], cohort: int) -> tuple[Advocacy, dict[int, Act]]:
    """Promoters and detractors across the study, with a net advocacy line, and each act by utterance id."""
    acts = stored_acts(db, utterances)
    by_person: dict[str, set[Direction]] = defaultdict(set)
    by_id = {u.id: u for u in utterances}
    for uid, act in acts.items():
        by_person[by_id[uid].participant].add(act.direction)
    detractors = {p for p, kinds in by_person.items() if "detractor" in kinds}
    promoters = {p for p, kinds in by_person.items() if "promoter" in kinds} - detractors
    net = (len(promoters) - len(detractors)) / max(cohort, 1)
    line = (f"{len(promoters)} promoter{'s' * (len(promoters) != 1)} and {len(detractors)} detractor{'s' * (len(detractors) != 1)} "
            f"among {cohort} participant{'s' * (cohort != 1)}: net advocacy {percent(net)}")
    quotes = {kind: [quote_of(by_id[uid]) for uid, act in acts.items() if act.direction == kind and by_id[uid].participant in people]
              for kind, people in (("promoter", promoters), ("detractor", detractors))}
    return Advocacy(promoters=quotes["promoter"], detractors=quotes["detractor"], promoter_participants=len(promoters),
                    detractor_participants=len(detractors), net=round(net, 3), line=line), acts


PROMOTING_KINDS = {"by word of mouth": {"tell", "recommend", "mention", "refer", "suggest", "rave", "praise", "brag", "evangelize", "endorse", "show", "invite"},
                   "in posts": {"post", "share", "write"}, "in reviews": {"review", "rate", "leave"}, "with referrals": {"send"}}
DETRACTING_KINDS = {"warned others off": {"warn", "slam", "trash", "badmouth"}, "complained in public": {"complain", "post", "write", "review"},
                    "cancelled, returned or left": CANCEL | RETURN | SWITCH}


def _claim(verbs: set[str], kinds: dict[str, set[str]], lead: str) -> str:
    """"Told others about it by word of mouth, in posts and in reviews": the kinds of act the members' verbs show."""
    found = [kind for kind, kind_verbs in kinds.items() if verbs & kind_verbs]
    if lead:
        return lead + (" " + _join(found) if found else "")
    return _join(found).capitalize() if found else "Turned against it"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def advocacy_insights(acts: dict[int, Act], by_id: dict[int, Utterance], context: InsightContext) -> list[Insight]:
    """The last stage's insights from acts of advocacy: one for promoters, one for detractors."""
    out = []
    for kind, kinds, lead, polarity in (("promoter", PROMOTING_KINDS, "Told others about it", "delight"), ("detractor", DETRACTING_KINDS, "", "pain")):
        members = [by_id[uid] for uid, act in acts.items() if act.direction == kind]
        if not members:
            continue
        claim = _claim(set().union(*(acts[u.id].verbs for u in members)), kinds, lead)
        insight = make_insight(Group.of(members), context)
        people = len({u.participant for u in members})
        insight.headline = claim
        insight.polarity = polarity
        insight.participants = people
        insight.statement = f"{claim} — {people} of {context.cohort} participant{'s' * (context.cohort != 1)}, {context.stage_name}"
        by_feeling = sorted(members, key=lambda u: -(u.valence or 0) if kind == "promoter" else (u.valence or 0))
        firsts: dict[str, Utterance] = {}
        for u in by_feeling:
            firsts.setdefault(u.participant, u)
        insight.quotes = [quote_of(u) for u in firsts.values()][:3]
        out.append(insight)
    return out
