"""What a negation in a short text denies: a trouble ("It wasn't a hassle to switch", "Nothing went wrong", "I
didn't have to chase anyone"), or something the customer was due ("The parcel never arrived", "Nobody bothered to
ring me back", "I couldn't get through to anyone for two days").

The parse gives the core each negation denies: the negated word with its object or complement, without the
adverbials, clauses and prepositional phrases that carry the topic ("a hassle", "went wrong", "get through",
"ring me back"). Read alone by the emotion models, a trouble's core is felt negative and a due act's is not: a
negative feeling of the text then belongs to the trouble, and the negation takes it away (as VADER flips a negated
lexicon word, Hutto and Gilbert 2014, with the emotion models as the lexicon). Where the core alone misleads
("explain" reads as confusion), the whole text said without its negations ("The letter did explain the charge")
feeling clearly better than as said shows the negation denied something due. A text negative outside the
negation's scope stays a complaint ("it is loud, nothing like the advert").

A denial that is no trouble is read by its grammar. Told as something the customer was owed ("They still haven't
refunded me", "Nobody turned up", "The discount wasn't applied", "I never got the email": expectation words, a
person's or firm's act toward the customer, an act nobody did, a single act that never happened, a thing left
undone, what was to reach the speaker), it is felt negative whatever its words read: the customer went without.
Told as the speaker's own act or state ("We didn't take the insurance"), or as a plain state of something else read
only faintly negative (what a thing has: "The flat doesn't have a garden"; an event denied outright, its object any
at all: "The upgrade didn't break anything"), it feels no worse than said without its negation: the emotion model
reads a bare "not" as disapproval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from spacy.tokens import Doc

NEGATORS = {"not", "n't", "never", "nobody", "nothing", "none", "nowhere", "neither", "nor"}  # and "no" as a determiner, "without" as a preposition
STEMS = {"wo": "will", "ca": "can", "sha": "shall"}  # "won't", "can't", "shan't" as the tokenizer splits them
SCOPE_ENDS = {",", ";", ":", ".", "!", "?", "but", "and", "so", "because", "though", "although", "yet"}
COMPLEMENTS = {"dobj", "dative", "attr", "acomp", "oprd"}  # what completes a verb's meaning
PHRASE_PARTS = {"det", "amod", "compound", "nummod", "poss", "pobj", "prt", "dobj", "dative"}  # "a hard time", "worth the money"
OBLIGATION = {"have", "need"}  # "didn't have to", "didn't need to": nothing had to be done
AFFIRMED = {"nobody": "somebody", "nothing": "something", "none": "some", "nowhere": "somewhere", "neither": "either", "nor": "or",
            "no": "some", "without": "with", "anyone": "someone", "anybody": "somebody", "anything": "something", "any": "some", "anywhere": "somewhere"}
DROPPED = {"not", "n't", "never", "ever"}
INDEFINITE = {"anything", "anyone", "anybody"}  # an object that is any at all: nothing of the kind happened
AFFIRMED_GAIN = 0.2  # valence by which a text said without its negation must feel better for the negation to have denied what was due
EXPECTED = {"still", "yet", "even"}  # presuppose that the denied thing was expected ("They still haven't refunded me")
SPEAKER, CUSTOMER = {"i", "we"}, {"me", "us"}
RECEIVE = {"get", "receive", "hear"}  # the customer as the one something should reach ("I never got the email")
PEOPLE = {"nobody", "none"}  # and "no one": a negator that says no person acted
AGENTS = {"they", "he", "she", "nobody", "none", "one"}  # subjects that act for the customer (and named people and firms)


@dataclass(frozen=True)
class Denial:
    core: str  # what a negation denies, at its core ("ring me back", "a hassle")
    lifted: bool  # an obligation lifted ("didn't have to chase anyone")
    owed: bool = False  # told as something the customer was due that did not happen (see `_owed`)
    own: bool = False  # the speaker's own act or state, not what they could not do ("I don't drink coffee")
    led: bool = False  # the negated verb leads to the denied act and is no obligation ("Nobody bothered to ring me back")
    state: bool = False  # a plain state: what something has ("The flat doesn't have a garden"), or no such event at all ("didn't break anything")
    quantified: bool = False  # the subject of an act denied ("Nothing they tried worked", "Not one agent knew"): owed unless a trouble (`PartReader`)


@dataclass(frozen=True)
class Denials:
    """What the negations of negated texts deny, one row a text (`without_negated` reads them)."""

    troubles: np.ndarray  # (texts,) every negation denies a trouble
    owed: np.ndarray  # (texts,) a negation denies something owed or good
    own: np.ndarray  # (texts,) every negation tells the speaker's own act or state, or a plain state read faintly negative
    affirmed: np.ndarray  # (texts, codes) each text said without its negations, read
    outside: np.ndarray  # (texts, codes) what each says outside its negations, read
    pleased: np.ndarray | None = None  # (texts,) a good feeling said outside the negations, keywords read too (None: as `outside` reads)


@dataclass(frozen=True)
class Negated:
    affirmed: str  # the text said without its negations ("Somebody bothered to ring me back")
    outside: str  # the text without the negations and their scopes


def negated(doc: Doc) -> Negated | None:
    """The text said without its negations, and what it says outside them; None when it negates nothing. Reads
    tags, not the parse (the rules' Docs may be unparsed)."""
    negators = [_negates(token) for token in doc]
    if not any(negators):
        return None
    affirmed, outside, in_scope = [], [], False
    for token, negator in zip(doc, negators):
        in_scope = negator or (in_scope and token.lower_ not in SCOPE_ENDS)
        text = STEMS[token.lower_] if token.lower_ in STEMS and token.i + 1 < len(doc) and doc[token.i + 1].lower_ == "n't" else token.text
        affirmed.append(_affirmed(token, text))
        outside.append("" if in_scope else text)
    return Negated(_sentence(affirmed), _sentence(outside))


def denied(doc: Doc) -> list[Denial]:
    """What each negation of a parsed text denies, at its core: the word it negates with that word's object,
    particle or complement, without adverbials, clauses or prepositional phrases ("Nobody bothered to ring me back"
    denies "ring me back", "I couldn't get through to anyone for two days" "get through", "It wasn't a hassle to
    switch" "a hassle", "There were no hidden fees on the statement" "hidden fees"). A verb that only leads to
    another ("bothered to", "have to") gives way to it; a negated "have to" or "need to" lifts an obligation."""
    out = []
    for token, negated_verb, head, _, lifted in _walks(doc):
        if head.pos_ in ("VERB", "AUX"):
            copula = head.lemma_ == "be" and _complements(head)
            core = ([] if copula else [head, *(t for t in head.children if t.dep_ == "prt")]) + [t for child in _complements(head) for t in _phrase(child)]
        else:
            core = _phrase(head)
        text = " ".join(t.text for t in sorted(core, key=lambda t: t.i) if not _negates(t))
        out.append(Denial(text, lifted, not lifted and _owed(token, negated_verb, head), _own(negated_verb, head), not lifted and head is not negated_verb,
                          not lifted and _state(head, core), _quantified(token, head)))
    return out



def _walks(doc: Doc):
    """For each negation of a parsed text: (the negator, the word it negates, the act that word leads to, the verbs
    from one to the other, whether a negated "have to" or "need to" lifted an obligation on the way)."""
    for token in doc:
        if not _negates(token) or token.lower_ == "nor" or (head := _denied_head(token)) is None:
            continue
        negated_verb, through, lifted = head, [head], False
        while head.pos_ in ("VERB", "AUX") and not _complements(head) and (follow := _leads_to(head)) is not None:
            lifted |= head.lemma_ in OBLIGATION
            head = follow
            through.append(head)
        yield token, negated_verb, head, through, lifted

def _owed(negator, verb, head) -> bool:
    """Whether the grammar tells a denied act as one the customer was owed: the denial says it was expected
    ("still", "yet", "even"); a person's or a firm's act that was to reach the customer ("They haven't refunded
    me", "No one called us back"); what was to reach the customer ("I never got the email", "We haven't heard a
    word"); an act nobody did ("Nobody turned up"); another party's single act that never
    happened ("The engineer never came"); or a thing left undone ("The discount wasn't applied")."""
    if head.pos_ not in ("VERB", "AUX") or head.lemma_ == "be":
        return False
    words = [*verb.children, *head.children]
    subject = next((t for t in words if t.dep_ in ("nsubj", "nsubjpass")), None)
    speaker = subject is not None and subject.lower_ in SPEAKER
    if any(t.lower_ in EXPECTED for t in words):
        return True
    if speaker:
        return head.lemma_ in RECEIVE and any(t.dep_ == "dobj" for t in head.children) and not any(t.dep_ == "prt" for t in head.children)
    agent = subject is not None and (subject.lower_ in AGENTS or subject.ent_type_ in ("PERSON", "ORG"))
    reaches = agent and (any(t.lower_ in CUSTOMER and t.dep_ in ("dobj", "dative") for t in head.children) or any(
        t.dep_ == "prep" and any(c.lower_ in CUSTOMER for c in t.children) for t in head.children))
    nobody = (negator.dep_ == "nsubj" and negator.lower_ in PEOPLE) or (negator.lower_ == "no" and negator.head.lower_ == "one" and negator.head.dep_ == "nsubj")
    once = negator.lower_ == "never" and verb.tag_ == "VBD"
    undone = any(t.dep_ == "auxpass" for t in verb.children) and subject is not None
    return reaches or nobody or once or undone


def denies_trouble(core: np.ndarray, lifted: bool, gain: float, negative: np.ndarray, positive: np.ndarray, felt: float) -> bool:
    """Whether a denial is of a trouble: an obligation lifted, or its core read alone (`core` per code) is felt
    negative (a negative code reaches `felt` and beats every positive one), unless the whole text said without its
    negations feels clearly better than as said (`gain`, in valence, above AFFIRMED_GAIN: "The letter didn't
    explain the charge", where "explain" alone reads as confusion). The reader asks for a clear feeling (`felt` at
    the threshold) where the grammar tells an owed act the negated verb leads to ("Nobody bothered to ring me
    back": "ring me back" alone reads faintly annoyed)."""
    worst = core[negative].max(initial=0.0)
    return lifted or bool(worst >= felt and worst > core[positive].max(initial=0.0) and gain <= AFFIRMED_GAIN)


def felt(confidence: np.ndarray, side: np.ndarray, other: np.ndarray, level: float) -> np.ndarray:
    """(texts,): a code of `side` reaches `level` and beats every code of the `other` side."""
    mine = confidence[:, side].max(axis=1, initial=0.0)
    return (mine >= level) & (mine > confidence[:, other].max(axis=1, initial=0.0))


def without_negated(confidence: np.ndarray, denial: Denials, negative: np.ndarray, positive: np.ndarray, fallback: int | None, level: float, threshold: float,
                    asserted: np.ndarray) -> np.ndarray:
    """`confidence` (texts, codes) of negated texts read by what their negations deny (`denial`). A trouble denied,
    with nothing negative said outside the negations, clears the negative codes. Something owed denied makes felt
    (at `threshold`, with the fallback no higher) the negative code the negation adds most to the text said without
    it ("Nobody told us" against "Somebody told us": not being told, not confusion), unless the text is felt
    positive as said and outside its negations (`Denials.pleased`: "Thanks, though I hadn't heard of it"): the
    customer went without, and a good feeling inside the negation's scope is denied with it ("Nothing they tried
    fixed the noise": "fixed" reads relieved). The
    speaker's own act or state denied ("We didn't take the insurance"), or a plain state of something else
    (`Denial.state`, read only faintly negative: "The flat doesn't have a garden"), feels no worse than said without
    its negation: the emotion model's reading of the bare "not" as disapproval is not the customer's feeling. A code
    `asserted` by a keyword that holds the negation itself ("don't know", "no idea": the codebook says what the
    negation means) stays, and a text with one is read as said."""
    out = confidence.copy()
    calm = ~(denial.outside[:, negative] >= level).any(axis=1)
    keep = ~negative[None, :] | asserted
    out[(denial.troubles & calm)[:, None] & ~keep] = 0.0
    plain = (denial.own & ~denial.troubles & ~denial.owed & calm & ~asserted.any(axis=1))[:, None] & negative[None, :]
    out[plain] = np.minimum(out, denial.affirmed)[plain]
    columns = np.flatnonzero(negative)
    pleased = denial.pleased if denial.pleased is not None else (denial.outside[:, positive] >= level).any(axis=1)
    went_without = denial.owed & ~denial.troubles & (~felt(confidence, positive, negative, level) | ~pleased)
    for row in np.flatnonzero(went_without):
        if not pleased[row]:  # the good feeling is in the negation's scope, denied with it
            out[row, positive] = np.minimum(out[row, positive], denial.outside[row, positive])
        best = columns[(out[row, columns] - denial.affirmed[row, columns]).argmax()]  # the feeling the negation adds
        out[row, best] = max(out[row, best], threshold)
        if fallback is not None:
            out[row, fallback] = min(out[row, fallback], out[row, best])
    return out


def says_negation(phrase: str) -> bool:
    """Whether a phrase holds a negation ("don't know", "cannot tell", "no idea", "without any fuss")."""
    words = re.findall(r"[a-z]+(?:'t)?", phrase.lower())
    return any(word in NEGATORS | {"no", "without", "cannot"} or word.endswith("n't") for word in words)


def _negates(token) -> bool:
    lower = token.lower_
    return lower in NEGATORS or (lower == "no" and token.tag_ == "DT") or (lower == "without" and token.pos_ == "ADP")


def _own(verb, head) -> bool:
    """Whether a denial tells the speaker's own act or state ("We didn't take the insurance", "I never check the
    statements"), not what they could not do ("I can't log in") or what did not reach them (`_owed`)."""
    words = [*verb.children, *head.children]
    return (any(t.dep_ == "nsubj" and t.lower_ in SPEAKER for t in words) and not any(t.tag_ == "MD" for t in words)
            and head.lemma_ not in RECEIVE)


def _state(head, core: list) -> bool:
    """Whether a denial tells a plain state: what something has ("The flat doesn't have a garden", "The flat has no
    lift"), what there was not ("There was no queue"), or an event denied outright, its object any at all ("The
    upgrade didn't break anything", "It didn't cost us anything extra")."""
    if head.pos_ not in ("VERB", "AUX"):
        verb = head.head
        there = any(t.dep_ == "expl" for t in verb.children)
        return head.dep_ in ("attr", "dobj") and verb.lemma_ in ("be", "have") and (there or verb.lemma_ == "have")
    objects = [t for t in head.children if t.dep_ == "dobj"]
    indefinite = any(t.lower_ in INDEFINITE or any(d.lower_ == "any" for d in t.children) for t in objects)
    return (head.lemma_ == "have" and bool(objects)) or indefinite


def _denied_head(token):
    """The word a negator negates: "no trouble", "No one answered" (the answering), "Nothing went wrong" (the going
    wrong), "Not once has it let us down" (the letting down), "without any fuss"; None when it negates nothing."""
    if token.lower_ == "without":
        return next((child for child in token.children if child.dep_ in ("pobj", "pcomp")), None)
    head = token.head
    if (subject := _quantified_subject(token)) is not None:
        head = subject.head
    while head.head.i != head.i and (head.dep_ == "aux" or (head.dep_ in ("advmod", "amod", "npadvmod") and head.pos_ in ("ADV", "ADJ"))):
        head = head.head
    return head


def _quantified(token, head) -> bool:
    """Whether a negation denies the subject of an act ("Nothing they tried worked", "Not one agent knew"), not of a
    state ("Nobody else was in the shop")."""
    return _quantified_subject(token) is not None and head.pos_ in ("VERB", "AUX") and head.lemma_ != "be"


def _quantified_subject(token):
    """The subject a negator denies ("Nothing went wrong", "No engineer came", "Not one person helped", "No one
    answered"): the negator itself as the subject, or the subject it determines or counts; None otherwise."""
    if token.dep_ in ("nsubj", "nsubjpass"):
        return token if token.lower_ in NEGATORS else None
    if token.lower_ not in ("no", "not"):
        return None
    head = token.head
    while head.dep_ in ("nummod", "amod", "det") and head.head.i != head.i:  # "not one person", "not a single email"
        head = head.head
    return head if head.dep_ in ("nsubj", "nsubjpass") and head.i != token.i else None


def _phrase(token) -> list:
    """A word with its determiners, modifiers, objects and particles, without clauses or adverbials."""
    return [token, *(t for child in token.children if child.dep_ in PHRASE_PARTS for t in _phrase(child))]


def _complements(verb) -> list:
    return [child for child in verb.children if child.dep_ in COMPLEMENTS]


def _leads_to(verb):
    return next((child for child in verb.children if child.dep_ == "xcomp" and child.pos_ in ("VERB", "AUX")), None)


def _affirmed(token, text: str) -> str:
    """A word as the text would say it without its negations: "nobody" → "somebody", "any" → "some"; a negator dropped."""
    lower = token.lower_
    if lower in DROPPED:
        return ""
    if lower in AFFIRMED and (lower not in ("no", "without") or _negates(token)):
        word = AFFIRMED[lower]
        return word.capitalize() if text[:1].isupper() else word
    return text


def _sentence(words: list[str]) -> str:
    """Words joined as a sentence is written; empty when no word is left."""
    text = re.sub(r" (?=[,;:.!?]|n't\b|')", "", " ".join(word for word in words if word)).strip(" ,;:")
    text = re.sub(r"[,;:]+(?=[.!?]?$)", "", text)
    return text[:1].upper() + text[1:] if any(c.isalnum() for c in text) else ""


def denied_words(doc: Doc) -> dict[int, bool]:
    """{index: whether the denial tells the speaker's own act or state (`Denial.own`: "I didn't know where to start")}
    for the words a parsed text's negations deny, read as `denied` reads them: the word each negation negates, the
    verbs it leads through to the denied act ("didn't have to wait": have, wait), and that act's particles and
    complements ("never got back", "wasn't a hassle"); the negators themselves are not among them."""
    out: dict[int, bool] = {}
    for _, negated_verb, head, through, _ in _walks(doc):
        words = through + [t for t in head.children if t.dep_ == "prt"] + [t for child in _complements(head) for t in _phrase(child)]
        own = _own(negated_verb, head)
        out |= {t.i: own for t in words if not _negates(t)}
    return out
