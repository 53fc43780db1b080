"""Feedback loops, read from what an answer says happened between the customer and the company.

A loop opens when the customer gives the company feedback: complains, reports or disputes something, fills in its
form, or writes, calls or emails its support (or the company itself, in an answer about a problem). It is closed
when the company answers that feedback or acts on it (replies, calls back, follows up, fixes or refunds it), and
ignored when nobody does ("never heard back", "nobody replied"). Cancelling, sending the product back or warning
friends is no feedback to the company (`advocacy` tells those), and other people's replies ("quite a few people
replied with the same story") are not the company's, so neither makes a loop, however close its words are to the
codebook's examples. A reply that presupposes the customer's message ("they got back to me", "someone replied
within a day") tells both halves at once.
"""

from __future__ import annotations

import re
from typing import Literal

LoopState = Literal["opened", "closed", "ignored"]

GIVING = {"complain", "report", "raise", "escalate", "dispute", "query", "chase", "flag"}  # feedback whoever hears it, unless aimed at others
CONTACT = {"email", "write", "call", "phone", "ring", "contact", "message", "text", "tell", "ask", "send", "fill", "submit", "chat", "reach", "leave"}
SUPPORT = {"support", "helpline", "help", "service", "care", "complaint", "feedback", "form", "survey", "desk", "hotline"}  # reaching these is feedback about a problem whatever the answer felt
COMPANY = {"they", "them", "company", "bank", "lender", "provider", "store", "shop", "brand", "manufacturer", "seller", "insurer", "firm", "council",
           "office", "team", "agent", "department", "centre", "center"}  # reaching these is feedback only in an answer about a problem ("I called them to order more" is not)
ACTORS = {"they", "someone", "somebody", "agent", "engineer", "technician", "rep", "representative", "manager", "support", "team", "company", "staff",
          "advisor", "adviser", "bank", "lender", "store", "shop", "he", "she", "person", "lady", "guy", "man", "woman", "department", "office",
          "provider", "council", "insurer", "firm", "service", "desk"}  # who answers for the company
NOBODY = {"nobody", "noone", "none", "no one"}
OTHERS = {"friend", "friends", "people", "everyone", "everybody", "neighbour", "neighbor", "neighbours", "neighbors", "family", "colleague",
          "colleagues", "sister", "brother", "group", "forum", "member", "members", "wife", "husband", "partner", "mum", "mom", "dad"}
RESPONDING = {"reply", "respond", "answer", "fix", "refund", "sort", "resolve", "apologise", "apologize", "explain", "replace", "swap", "credit",
              "reimburse", "waive", "compensate", "acknowledge", "follow", "close", "return", "get", "come", "call", "ring", "phone", "email", "write"}
BACK = {"call", "get", "come", "ring", "phone", "email", "write", "return"}  # a response only with "back" ("called me back"), else a contact
PRESUPPOSING = {"reply", "respond", "answer", "follow", "acknowledge", "close"} | BACK  # a reply to something: the customer reached out first
TRIGGER = re.compile(r"\b(complain|report|rais|escalat|disput|quer|chas|flag|e-?mail|wr[io]t|call|phon|rang|ring|contact|messag|text|told|tell|ask|"
                     r"sen[dt]|fill|submit|chat|reach|left|leav|repl|respon|answer|fix|refund|sort|resolv|apologi|explain|replac|swap|credit|"
                     r"reimburs|waiv|compensat|acknowledg|follow|clos|back|heard|hear)", re.IGNORECASE)


def loop_state(doc, troubled: bool) -> LoopState | None:
    """The feedback loop a parsed answer tells, or None when it tells none. `troubled`: the answer is about a
    problem (it felt negative or states one), so reaching the company at all is feedback."""
    gave = any(_gives_feedback(token, troubled) for token in doc if token.pos_ == "VERB")
    answered = [r for r in (_response(token) for token in doc if token.pos_ == "VERB") if r is not None]
    if not gave and not any(presupposes for _, presupposes in answered):
        return None
    if any(not done for done, _ in answered):
        return "ignored" if not any(done for done, _ in answered) else "closed"
    return "closed" if answered else "opened"


def _gives_feedback(verb, troubled: bool) -> bool:
    lemma = verb.lemma_.lower()
    if not _by_customer(verb) or any(c.dep_ == "neg" or c.lower_ == "never" for c in verb.children):
        return False
    targets = _targets(verb)
    if targets & OTHERS:
        return False  # "complained to my neighbours", "sent my referral code to my sister"
    if lemma in GIVING:
        return True
    if lemma in CONTACT:
        if lemma in ("send", "leave") and not targets & SUPPORT:  # "sent it back": a return; "left a review": word of mouth
            return False
        return bool(targets & SUPPORT) or (troubled and (not targets or bool(targets & COMPANY)))  # "when I called, …"
    return False


def _response(verb) -> tuple[bool, bool] | None:
    """(done, presupposes a message) when the verb tells the company's answer to the customer, or the customer hearing
    back; None when it tells neither. Not done: nobody answered, or it is negated."""
    lemma = verb.lemma_.lower()
    back = any(c.lower_ == "back" for c in verb.children)
    negated = any(c.dep_ == "neg" or c.lower_ in ("never", "nothing") for c in verb.children)
    subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
    if not subjects and verb.dep_ == "conj":
        subjects = [c for c in verb.head.children if c.dep_ in ("nsubj", "nsubjpass")]
    words = {s.lower_ for s in subjects} | {f"{s.lower_} {s.head.lower_}" for s in subjects if s.lower_ == "no"}
    nobody = bool(words & NOBODY) or any(s.lower_ == "no" for s in subjects) or any(d.lower_ == "no" and d.dep_ == "det" for s in subjects for d in s.children)
    if lemma == "hear" and (back or any(c.dep_ == "prep" and c.lower_ == "from" for c in verb.children)) and _by_customer(verb):
        return (not negated, True)  # "never heard back", "heard back within a day"
    if lemma not in RESPONDING or (lemma in BACK and not back):
        return None
    if lemma == "close" and not any(c.lemma_.lower() == "loop" for c in verb.children):
        return None
    if lemma == "follow" and not any(c.lower_ == "up" for c in verb.children):
        return None
    by_company = nobody or any(s.lower_ in ACTORS or s.lemma_.lower() in ACTORS or s.ent_type_ == "ORG" for s in subjects) \
        or any(s.dep_ == "nsubjpass" and s.lower_ in ("it", "we", "i", "this", "that") for s in subjects)  # "it was fixed", "we were refunded"
    if not by_company:
        return None  # "quite a few people replied", "I answered"
    handles_feedback = any(c.dep_ == "compound" and c.lemma_.lower() in SUPPORT for s in subjects for c in s.children)  # "the complaints team refunded …"
    return (not (negated or nobody), lemma in PRESUPPOSING or handles_feedback)


def _targets(verb) -> set[str]:
    """Who or what the act reaches: its object, and the objects of its prepositions ("wrote to support")."""
    near = [c for c in verb.children if c.dep_ in ("dobj", "dative", "iobj")]
    near += [g for c in verb.children if c.dep_ == "prep" for g in c.children if g.dep_ == "pobj"]
    near += [c for t in list(near) for c in t.children if c.dep_ == "compound"]  # "the feedback form"
    return {t.lemma_.lower() for t in near} | {t.lower_ for t in near} | ({"company"} if any(t.ent_type_ == "ORG" for t in near) else set())


def _by_customer(verb) -> bool:
    """The customer (I, we) does it, or the subject is left out ("and then rang them again")."""
    subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
    if not subjects and verb.dep_ in ("conj", "xcomp"):
        subjects = [c for c in verb.head.children if c.dep_ in ("nsubj", "nsubjpass")]
    return not subjects or any(s.lower_ in ("i", "we") for s in subjects)
