"""Advocacy holds detractors as well as promoters: who recommends, who warns others, complains in public or leaves.

An utterance is an act of advocacy when spaCy finds a word-of-mouth verb (recommend, tell, post,
review, warn ...) aimed at other people, or a churn verb (cancel, return, switch ...), done or said to be
done ("I'd tell them ..."). Its direction follows what the participant does or would do: warning and
leaving detract; telling others follows what they are told to do ("told them to use the same broker",
"I'd tell them to go somewhere that understands it"), else negation ("would not recommend") and the
feeling coded on the utterance. An answer that recommends and warns ("told two colleagues to use the
broker, but warned them about the silence") is mixed: neither a promoter nor a detractor. Acts count
wherever the stage coding put them: a warning to the neighbourhood is advocacy even when it is told as
part of a retention story.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import replace
from typing import Literal, NamedTuple

from sqlite_utils import Database

from research.journey.evidence import Utterance
from research.journey.feedback import TRIGGER as LOOP_TRIGGER
from research.journey.feedback import loop_state
from research.journey.insights import Group, InsightContext, make_insight, quote_of
from research.journey.model import Advocacy, Insight
from research.nlp import parse
from research.text_facts import cached_per_text

Direction = Literal["promoter", "detractor", "mixed"]
READER_VERSION = "4"  # part of the cache key: a change to how acts are read re-parses stored utterances
LOOP_CODE = "signal:feedback-"  # the codebook's feedback-loop codes: signal:feedback-opened, -closed, -ignored
PROBLEM_CODES = {"signal:pain-point", "signal:expectation-gap"}
BAD_FEELING = -0.2  # told to others with a valence below this, an act of word of mouth is a warning


class Act(NamedTuple):
    """An utterance's act of advocacy: its direction and the verbs it was told with (lemmas)."""

    direction: Direction
    verbs: frozenset[str]

WORD_OF_MOUTH = {"recommend", "refer", "tell", "post", "review", "rate", "share", "mention", "suggest", "write", "rave", "praise", "brag", "evangelize",
                 "endorse", "send", "show", "invite", "advise", "urge"}
ADVISING = {"tell", "advise", "suggest", "recommend", "urge"}  # their complement says what the others should do ("told them to use it")
ADOPTING = {"use", "buy", "get", "try", "choose", "pick", "join", "order", "book", "sign", "go"}  # "told two colleagues to use the same broker"
RIVALS = {"lender", "broker", "insurer", "firm", "store", "shop", "one", "bank", "provider"}  # "moved to another lender"
ELSEWHERE = {"elsewhere", "another", "different", "other"}  # "look elsewhere", "moved to another bank"
MOVING = {"go", "move", "look", "shop", "switch", "stay"}  # with ELSEWHERE: leaving for another provider; "stay away"
WARNINGS = {"warning", "complaint"}  # "posted a thread ... with a warning to phone them": the act warns as well
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
TRIGGER = re.compile(r"\b(recommend|refer|rav|prais|brag|endors|evangeli|tell|told|post|review|rat(e|ed|ing)|shar|mention|suggest|advi[sc]|urg|wr[io]t|warn|complain|slam|"
                     r"trash|badmouth|cancel|return|sen[dt]|switch|left|leav|quit|drop|ditch|abandon|unsubscrib|refund|terminat|churn|stop(ped)? using|"
                     r"rid of|gave up|give up|never (buy|bought|order|use)|won't (buy|renew)|not renew|elsewhere|another|different|other|away)", re.IGNORECASE)


def direction(doc, feels_bad: bool) -> Direction | None:
    """Whether a parsed utterance promotes, detracts, does both (mixed), or is no act of advocacy. Only the
    customer's own acts count ("I told my sister", "I'd tell them"), not what others did to them ("a friend
    recommended it"). Telling others follows what they are told to do, else it is praise unless a negation or a
    bad feeling (`feels_bad`) makes it a warning."""
    found: set[Direction] = {"detractor"} if CHURN_PHRASES.search(doc.text) else set()
    for token in doc:
        lemma = token.lemma_.lower()
        if token.pos_ != "VERB" or not _by_customer(token) or _hypothetical(token):
            continue
        negated = any(c.dep_ == "neg" or c.lower_ == "never" for c in token.children)
        public = _aimed_at_others(token)
        reviews = lemma in PUBLISHING and any(c.dep_ == "dobj" and c.lemma_.lower() in WORD_OF_MOUTH_OBJECTS for c in token.children)
        if lemma in WORD_OF_MOUTH and (public or lemma in ALWAYS_POSITIVE) or reviews:
            advised = _advised(token) if lemma in ADVISING else None
            found.add("detractor" if negated or advised == "detractor" or (advised is None and feels_bad) else "promoter")
            if any(t.lemma_.lower() in WARNINGS for t in token.subtree if t.i != token.i):
                found.add("detractor")
        elif negated:  # "we didn't cancel", "I never complained"
            continue
        elif _churns(token, lemma) or lemma in ALWAYS_NEGATIVE and (public or lemma == "warn"):
            found.add("detractor")
    if len(found) == 2:
        return "mixed"
    return next(iter(found), None)


def _advised(verb) -> Direction | None:
    """What the customer tells others to do, when they tell them to do something: leave or avoid it (a detractor's
    advice), or use, buy or choose it (a promoter's); None when they tell a fact or an opinion ("told him it was worth it")."""
    told = [c for c in verb.children if c.dep_ in ("xcomp", "ccomp") and c.pos_ in ("VERB", "AUX")]
    told += [c for t in told for c in t.children if c.dep_ == "conj" and c.pos_ == "VERB"]
    for action in told:
        lemma = action.lemma_.lower()
        negated = any(c.dep_ == "neg" or c.lower_ == "never" for c in action.children)
        if lemma == "avoid" or _churns(action, lemma) or _leaves(action, lemma, advice=True):
            return "promoter" if negated else "detractor"
        if lemma in ADOPTING:
            return "detractor" if negated else "promoter"
    return None


def read_acts(texts: dict[int, str]) -> dict[int, dict]:
    """What one parse of each text says about the customer's acts: its direction of advocacy when the speaker feels
    bad and otherwise, its verbs, and the feedback loop it tells (`feedback.loop_state`) when the answer is about a
    problem and otherwise. Texts with neither an advocacy nor a feedback word are not parsed."""
    candidates = {key: text for key, text in texts.items() if TRIGGER.search(text) or LOOP_TRIGGER.search(text)}
    out: dict[int, dict] = {key: {"feels_bad": None, "otherwise": None, "verbs": [], "loop": {"troubled": None, "calm": None}} for key in texts if key not in candidates}
    for key, doc in zip(candidates, parse(list(candidates.values()))):
        acts = TRIGGER.search(doc.text) is not None
        out[key] = {"feels_bad": direction(doc, True) if acts else None, "otherwise": direction(doc, False) if acts else None,
                    "verbs": sorted({t.lemma_.lower() for t in doc if t.pos_ == "VERB"}), "loop": {"troubled": loop_state(doc, True), "calm": loop_state(doc, False)}}
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


def stored_loops(db: Database, utterances: list[Utterance]) -> dict[int, str]:
    """{utterance id: the feedback loop it tells (opened, closed, ignored)} for staged utterances, read as about a
    problem where the answer felt negative or states one. A researcher's accepted feedback-loop code wins."""
    readings = stored_readings(db, {u.id: u.text for u in utterances if u.stage})
    loops = {}
    for u in utterances:
        state = loop_of(readings.get(u.id), u.accepted, about_a_problem(u.valence, u.felt, u.codes))
        if state:
            loops[u.id] = state
    return loops


def about_a_problem(valence: float | None, felt: frozenset[str], codes: set[str] | frozenset[str]) -> bool:
    """An answer is about a problem when it felt negative or was coded with one: reaching the company is then feedback."""
    return (valence or 0) < 0 or "negative" in felt or bool(codes & PROBLEM_CODES)


def loop_of(reading: dict | None, accepted: set[str], troubled: bool) -> str | None:
    """The feedback loop an utterance tells (opened, closed, ignored) or None: a researcher's accepted loop code,
    else its stored reading (`read_acts`) as about a problem or not."""
    decided = sorted(c.removeprefix(LOOP_CODE) for c in accepted if c.startswith(LOOP_CODE))
    if decided:
        return decided[0]
    return reading.get("loop", {}).get("troubled" if troubled else "calm") if reading else None


def _leaves(verb, lemma: str, advice: bool = False) -> bool:
    """Going to another provider: "look elsewhere", "moved to another bank", "stay away". In advice to others any
    action done elsewhere counts ("find a lender elsewhere"), and so does "go somewhere that answers the phone"
    (somewhere other than here)."""
    if not advice and lemma not in MOVING:
        return False
    near = [c for c in verb.children if c.dep_ in ("advmod", "dobj", "npadvmod")] + [g for c in verb.children if c.dep_ == "prep" for g in c.children if g.dep_ == "pobj"]
    if lemma == "stay":
        return any(t.lower_ == "away" for t in near)
    places = ELSEWHERE | ({"somewhere"} if advice and lemma in MOVING else set())
    other_provider = [t for t in near if t.lemma_.lower() in PROVIDER | RIVALS and any(d.dep_ in ("det", "amod") and d.lower_ in ELSEWHERE for d in t.children)]
    return bool(other_provider) or any(t.lower_ in places for t in near)


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
    return lemma != "look" and _leaves(verb, lemma)  # "we moved to another bank"; looking elsewhere is not yet leaving


def _aimed_at_others(verb) -> bool:
    """The act reaches other people: an audience among the verb's own dependents."""
    return any(t.lower_ in AUDIENCE or t.lemma_.lower() in AUDIENCE or t.ent_type_ in ("ORG", "PERSON") for t in verb.subtree if t.i != verb.i)


def _hypothetical(verb) -> bool:
    """"ready to send it back", "thinking about cancelling", "if it breaks again I'll return it": not done."""
    if verb.dep_ == "xcomp" and verb.head.lemma_.lower() not in ("have", "decide", "end", "go"):
        return True
    return verb.dep_ == "pcomp" or any(c.dep_ == "mark" and c.lower_ in ("if", "unless") for c in verb.children)


def _by_customer(verb) -> bool:
    """The customer (I, we) does it, or the subject is left out ("cancelled it straight away"); not an imperative
    ("Tell people what is happening during underwriting": what the company should do)."""
    if verb.tag_ == "VB" and verb.dep_ == "ROOT" and not any(c.dep_ in ("aux", "nsubj") for c in verb.children):
        return False
    subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
    if not subjects and verb.dep_ in ("conj", "xcomp"):
        subjects = [c for c in verb.head.children if c.dep_ in ("nsubj", "nsubjpass")]
    return not subjects or any(s.lower_ in ("i", "we") for s in subjects)


def percent(share: float) -> str:
    """A signed whole percentage, halves rounded away from zero as a reader does (5 of 8 = +63%, not Python's +62%)."""
    points = math.floor(abs(share) * 100 + 0.5)
    return f"{'-' if share < 0 and points else '+'}{points}%"


def advocacy(db: Database, utterances: list[Utterance], cohort: int) -> tuple[Advocacy, dict[int, Act]]:
    """Promoters and detractors across the study, with a net advocacy line, and each act by utterance id. A participant
    who both recommends and warns (in one answer or two) is mixed: counted as neither, and shown apart."""
    acts = stored_acts(db, utterances)
    by_person: dict[str, set[Direction]] = defaultdict(set)
    by_id = {u.id: u for u in utterances}
    for uid, act in acts.items():
        by_person[by_id[uid].participant] |= {"promoter", "detractor"} if act.direction == "mixed" else {act.direction}
    people = {kind: {p for p, kinds in by_person.items() if kinds == {kind}} for kind in ("promoter", "detractor")}
    people["mixed"] = {p for p, kinds in by_person.items() if len(kinds) == 2}
    promoters, detractors, mixed = len(people["promoter"]), len(people["detractor"]), len(people["mixed"])
    net = (promoters - detractors) / max(cohort, 1)
    line = (f"{promoters} promoter{'s' * (promoters != 1)} and {detractors} detractor{'s' * (detractors != 1)} among {cohort} participant{'s' * (cohort != 1)}"
            + (f" ({mixed} both recommend{'s' * (mixed == 1)} and warn{'s' * (mixed == 1)}, counted as neither)" if mixed else "") + f": net advocacy {percent(net)}")
    quotes = {kind: [quote_of(by_id[uid]) for uid, act in acts.items() if by_id[uid].participant in members and (act.direction == kind or kind == "mixed")]
              for kind, members in people.items()}
    return Advocacy(promoters=quotes["promoter"], detractors=quotes["detractor"], mixed=quotes["mixed"], promoter_participants=promoters,
                    detractor_participants=detractors, mixed_participants=mixed, net=round(net, 3), line=line), acts


PROMOTING_KINDS = {"by word of mouth": {"tell", "recommend", "mention", "refer", "suggest", "rave", "praise", "brag", "evangelize", "endorse", "show", "invite", "advise", "urge"},
                   "in posts": {"post", "share", "write"}, "in reviews": {"review", "rate", "leave"}, "with referrals": {"send"}}
DETRACTING_KINDS = {"warned others off": {"warn", "slam", "trash", "badmouth", "tell", "advise", "urge", "suggest"}, "complained in public": {"complain", "post", "write", "review"},
                    "cancelled, returned or left": CANCEL | RETURN | SWITCH | MOVING}
CLAIMS = {"promoter": ("Told others about it", PROMOTING_KINDS, "delight"), "detractor": ("", DETRACTING_KINDS, "pain"),
          "mixed": ("Both recommended it and warned others", {}, "mixed")}


def _claim(verbs: set[str], kinds: dict[str, set[str]], lead: str) -> str:
    """"Told others about it by word of mouth, in posts and in reviews": the kinds of act the members' verbs show."""
    found = [kind for kind, kind_verbs in kinds.items() if verbs & kind_verbs]
    if lead:
        return lead + (" " + _join(found) if found else "")
    return _join(found).capitalize() if found else "Turned against it"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def advocacy_insights(acts: dict[int, Act], by_id: dict[int, Utterance], context: InsightContext) -> list[Insight]:
    """The last stage's insights from acts of advocacy: one for promoters, one for detractors, one for those who do
    both. The headline names the kinds of act the members did ("Told others about it by word of mouth and in
    reviews"), not one participant's sentence, so it speaks for every member: no act is claimed for another."""
    out = []
    for kind, (lead, kinds, polarity) in CLAIMS.items():
        members = [by_id[uid] for uid, act in acts.items() if act.direction == kind]
        if not members:
            continue
        claim = _claim(set().union(*(acts[u.id].verbs for u in members)), kinds, lead)
        insight = make_insight(Group.of(members), replace(context, floor=None))  # the act claimed speaks for every member
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
