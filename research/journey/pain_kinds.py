"""Recurring pains: one kind of problem that participants tell at several stages of their journey.

Stage coding places each answer at one stage, and sentence embeddings read "we waited three weeks to hear anything"
and "nobody rang to say the valuation was booked" as different experiences, so a problem many customers share
is scattered over stages and groups. What went wrong has a small number of kinds that hold in any domain (waiting,
no information, a failure, a charge, effort, how staff behaved). A kind is read from the words of each part that
feels negative or states a problem: plain cues ("waited", "charged") only where nothing in the three words before
denies them ("didn't have to wait"), and phrases that carry their own denial ("never heard back", "nobody told
us"). A kind that enough participants tell (the map's pattern share) at two or more places (stages, or talk the map
could not place) is a recurring pain, with its count of participants and one quote from each place. Cues are words
for what went wrong, never a topic ("invoice", "paperwork" are named in calm answers as often as in angry ones) nor
a feeling ("confusing": the emotion codes tell it; on the demo "My staff found the app confusing" read as no information).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from research.journey.evidence import Part, Utterance
from research.journey.model import PainAt, Quote, RecurringPain

OUTSIDE = "Outside the stages"  # where an answer the map could not place on the journey is told
NEGATION = re.compile(r"\b(?:not|no|never|without|nothing|n't|hardly)\b|n't\b")
NEGATION_WINDOW = 3  # words before a plain cue that may deny it
SUPPOSITION = re.compile(r"\b(?:if|unless|in case|whether)\b")
SHORT = 6  # words: a sentence this short is quoted with the next


@dataclass(frozen=True)
class Kind:
    """A kind of problem: its key, how a reader names it, cues denied by a negation before them and cues that are
    themselves a denial (absence of news, of a reply)."""

    key: str
    label: str
    plain: re.Pattern
    denied: re.Pattern | None = None


def _words(*forms: str) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(forms) + r")\b")


KINDS = (
    Kind("waiting", "Waiting and delays",
         _words(r"wait(?:ed|ing|s)?", r"delay(?:ed|s)?", "late", r"slow(?:ly|er)?", "ages", "forever", "on hold", "backlog", "queue",
                r"took (?:weeks|months|days|hours)", r"(?:weeks|months|days|hours) later", r"still (?:waiting|hadn't|haven't|hasn't|not)",
                r"(?:days|weeks|months|hours) of (?:silence|waiting|nothing|chasing)")),
    Kind("no-information", "No news or information",
         _words(r"chas(?:e|ed|ing)", "unclear", "in the dark", "no idea", "silence"),
         _words(r"no (?:news|update|updates|information|word|reply|response|explanation)",
                r"(?:nobody|no one|no-one|never) (?:\w+ ){0,4}?(?:told|tell|explained|explain|called|rang|replied|got back|acknowledged|updated|knew|heard|let (?:me|us) know)",
                r"(?:nobody|no one) (?:could|would) (?:say|tell|explain)",
                r"(?:didn't|did not|wouldn't) (?:tell|explain|update|let (?:me|us) know)", r"(?:wasn't|weren't|was not|were not) (?:told|informed|updated)",
                r"(?:heard|got) nothing", "not a word", "radio silence", r"didn't hear (?:anything|back)")),
    Kind("failure", "Something failed or went wrong",
         _words("broke", "broken", r"fail(?:ed|s|ing|ure)?", r"errors?", r"crash(?:ed|es)?", r"reject(?:ed|s|ing)?", "faulty", r"bugs?", "glitch",
                "wrong", "lost", "missing", "damaged", r"defect(?:ive)?", "stopped working", "mistake", "mix-up"),
         _words(r"(?:wouldn't|won't|didn't|doesn't|couldn't|would not|did not|never) (?:work|worked|connect|connected|pair|paired|load|loaded|accept|open|start|arrive|arrived|turn up|turned up|show up|showed up|came)")),
    Kind("cost", "Charges, fees and billing",
         _words(r"(?:sur|over)?charg(?:e|ed|es|ing)", r"fees?", "billed", "expensive", "dearer", r"hidden (?:cost|costs|fee|fees|charge|charges)",
                r"paid (?:twice|double|extra|more)", r"price (?:went up|rise|increase)", "refund")),
    Kind("effort", "Effort they had to put in",
         _words(r"had to (?:call|ring|go|chase|send|fill|scan|explain|repeat|start|email|write|print|drive|take|ask|keep)", "again and again",
                "over and over", r"(?:three|four|five|several|many) times", r"repeat(?:ed|ing)?", "hassle", "faff", "jump through")),
    Kind("staff", "How staff treated them",
         _words("rude", "dismissive", "unhelpful", r"patroni[sz]\w*", "condescending", "ignored", "blamed", "attitude", "fobbed off", "brushed off"),
         _words(r"(?:didn't|did not|wouldn't|would not) (?:care|listen|help|apologi[sz]e)")),
)


def kinds_of(text: str, before: str = "") -> list[str]:
    """The kinds of problem a sentence tells, by its words: "We waited three weeks and nobody told us why" is waiting
    and no information; "I didn't have to wait at all" is none. `before`: the words of its sentence before it, where it
    was split from one ("if" + "the valuation goes wrong" is a supposition, not a failure)."""
    lead = _lower(before)
    lower = (lead + " " + _lower(text)).strip() if lead else _lower(text)
    start = len(lower) - len(_lower(text))
    found = []
    for kind in KINDS:
        denied = [m for m in kind.denied.finditer(lower, start) if not _supposed(lower, m.start())] if kind.denied else []
        if denied or any(not _denied(lower, m.start()) for m in kind.plain.finditer(lower, start)):
            found.append(kind.key)
    return found


def _lower(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


def _denied(text: str, at: int) -> bool:
    """A cue denied by a negation just before it, or told as a supposition ("… to phone them if the valuation goes wrong")."""
    before = text[:at].split()[-NEGATION_WINDOW:]
    return bool(NEGATION.search(" ".join(before))) or _supposed(text, at)


def _supposed(text: str, at: int) -> bool:
    """Whether the clause a cue is in opens with "if", "unless" or "in case" (no comma or stop between)."""
    clause = re.split(r"[,.;:!?]", text[:at])[-1]
    return bool(SUPPOSITION.search(clause))


def _sentence_of(part: str, answer: str) -> tuple[str, str]:
    """(the answer's whole sentence a part was split from, its words before the part): "… and nobody could say why." is
    quoted as "It felt intrusive and nobody could say why.", with the next sentence where it is too short to stand
    alone ("Three weeks of silence.")."""
    sentences = re.split(r"(?<=[.!?])\s+", answer.strip())
    said = part.strip().rstrip(".!?")
    at = next((k for k, sentence in enumerate(sentences) if said and said.lower() in sentence.lower()), None)
    if at is None:
        return part, ""
    before = sentences[at][: sentences[at].lower().index(said.lower())]
    quoted = " ".join(sentences[at : at + 2]) if len(sentences[at].split()) < SHORT and at + 1 < len(sentences) else sentences[at]
    return quoted, before


def _hurts(part: Part, answer: Utterance) -> bool:
    """A part that feels negative or states a problem, or an unfelt part of an answer that feels negative only."""
    if "positive" in part.felt:
        return False
    return part.evidence < 0 or (not part.valence and (answer.valence or 0.0) < 0 and "positive" not in answer.felt)


def recurring_pains(utterances: list[Utterance], stage_names: dict[str, str], cohort: int, needed: int) -> list[RecurringPain]:
    """The kinds of problem at least `needed` participants tell, at two or more places (stages in journey order, then
    talk outside the stages), most participants first; each with one quote per place, the most negative."""
    told: dict[str, dict[str, list[tuple[float, Utterance, str]]]] = {}  # kind -> place -> (evidence, answer, sentence)
    for u in utterances:
        for part in u.parts or [u.whole()]:
            if not _hurts(part, u):
                continue
            sentence, before = _sentence_of(part.text, u.text)
            for kind in kinds_of(part.text, before):
                told.setdefault(kind, {}).setdefault(u.stage or "", []).append((part.evidence or (u.valence or 0.0), u, sentence))
    order = list(stage_names) + [""]
    out = []
    for kind in KINDS:
        places = told.get(kind.key, {})
        people = {u.participant for said in places.values() for _, u, _ in said}
        if len(places) < 2 or len(people) < needed:
            continue
        at, quoted = [], set()
        for place in sorted(places, key=order.index):
            said = sorted(places[place], key=lambda t: (t[0], t[1].id))
            _, u, sentence = next((t for t in said if t[1].participant not in quoted), said[0])  # another voice at each place where one can
            quoted.add(u.participant)
            quote = Quote(utterance_id=u.id, interview=u.interview, participant=u.participant, start=round(u.start, 2), text=sentence,
                          valence=None if u.valence is None else round(u.valence, 3), timed=u.timed)
            at.append(PainAt(stage=place or None, name=stage_names.get(place, OUTSIDE), participants=len({u.participant for _, u, _ in said}), quote=quote,
                             utterance_ids=sorted({u.id for _, u, _ in said})))
        out.append(RecurringPain(kind=kind.key, label=kind.label, participants=len(people), cohort=cohort, places=at,
                                 utterance_ids=sorted({uid for place in at for uid in place.utterance_ids})))
    return sorted(out, key=lambda p: (-p.participants, -len(p.places), p.kind))
