"""Recurring pains: one kind of problem that participants tell at several stages of their journey.

Stage coding places each answer at one stage, and sentence embeddings read "we waited three weeks to hear anything"
and "nobody rang to say the valuation was booked" as different experiences, so a problem many customers share
is scattered over stages and groups. What went wrong has a small number of kinds that hold in any domain (waiting,
no information, a failure, a charge, effort, how staff behaved), named with their cue words in the codebook
(`Codebook.pain_kinds`, the bundled ones by default). A kind is read from the parse of each part that feels negative
or states a problem: a cue ("waited", "charged") where no negation denies it ("didn't have to wait": the negations
of `coding.negation`, one notion of negation in the project), something the customer was due where a negation
denies it ("never heard back", "nobody told us"), and neither where its clause is a supposition ("if the valuation
fails"). A sentence that tells several kinds is told under the one it states most directly: the kind whose word
stands highest in its parse ("We waited weeks and nobody told us why" is waiting; the telling is a clause joined
to it). A kind that enough participants tell (the map's pattern share) at two or more places (stages, or talk the
map could not place) is a recurring pain, with its count of participants and one quote from each place, from
another participant at each place where one can.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property

from sqlite_utils import Database

from research.codebook import PainKind, default_pain_kinds
from research.journey.evidence import Part, Utterance
from research.journey.model import PainAt, Quote, RecurringPain
from research.journey.pattern_hits import keep_hits, kept_hits

OUTSIDE = "Outside the stages"  # where an answer the map could not place on the journey is told
SUPPOSING = {"if", "unless", "whether"}  # a clause they mark supposes its problem ("in case" too)
IN_SCOPE = {"advmod", "acomp", "prt", "dobj", "attr", "oprd", "amod", "compound", "npadvmod", "dative", "det"}  # a word attached so shares its head's negation
SHORT = 6  # words: a sentence this short is quoted with the next
SKIPPED = ["ner"]  # neither the matcher nor the negations read entities
RECENT = 20_000  # sentences whose kinds are kept in this process (the review app builds a map per filter)
_recent: OrderedDict[tuple[str, str, str], tuple[tuple[str, int], ...]] = OrderedDict()


@dataclass(frozen=True)
class _Phrase:
    kind: str
    due: bool  # told by its denial
    own: bool  # holds its own negation ("no idea"): a problem as it stands


class KindReader:
    """Reads the kinds of problem sentences tell, with a codebook's kinds (`Codebook.pain_kinds`). What a sentence
    tells is kept in this process and, given a study's db, in its `pattern_hits` (by a hash of the sentence, the
    kinds, the spaCy pipeline and this code, as `journey.pattern_hits` keeps codes), so a text is parsed once per study."""

    def __init__(self, kinds: Sequence[PainKind]):
        self.kinds = list(kinds)
        self.digest = hashlib.sha256(repr([k.model_dump() for k in self.kinds]).encode()).hexdigest()[:16]

    @cached_property
    def nlp(self):
        from research.nlp import load_spacy

        return load_spacy()

    @cached_property
    def matching(self) -> tuple:
        """(a spaCy Matcher of the cue and due phrases, {its key: the phrase}), made when a sentence is first parsed."""
        from spacy.matcher import Matcher

        from research.coding import rules  # noqa: F401 (registers Token._.lemma_lower, on which codebook phrases are matched)
        from research.coding.negation import says_negation

        matcher, phrases = Matcher(self.nlp.vocab), {}
        wanted = [(kind.id, due, phrase) for kind in self.kinds for due, said in ((False, kind.cues), (True, kind.due)) for phrase in said]
        for n, ((kind, due, phrase), doc) in enumerate(zip(wanted, self.nlp.pipe([p.lower() for _, _, p in wanted], disable=SKIPPED))):
            key = f"pain:{kind}:{n}"
            phrases[key] = _Phrase(kind, due, says_negation(phrase))
            words = [t for t in doc if not t.is_space]  # on lemmas ("wait" finds "waited"), or as written where spaCy lemmatizes a word oddly
            matcher.add(key, [[{"_": {"lemma_lower": t.lemma_.lower()}} for t in words], [{"LOWER": t.lower_} for t in words]])
        return matcher, phrases

    def kinds_of(self, sentences: list[tuple[str, str]], db: Database | None = None) -> list[tuple[tuple[str, int], ...]]:
        """For each (text, its sentence's words before it where a part was split from one), the kinds it tells with
        how deep the word that tells each stands in the parse, the one it states most directly first."""
        keys = [(self.digest, before, text) for text, before in sentences]
        missing = list(dict.fromkeys(k for k in keys if k not in _recent))
        if missing:
            hashes = {key: self._hash(key) for key in missing}
            stored = kept_hits(db, list(hashes.values())) if db is not None else {}
            for key in missing:
                if hashes[key] in stored:
                    _recent[key] = tuple((kind, int(depth)) for kind, _, depth in (told.rpartition(":") for told in stored[hashes[key]]))
            parse = [key for key in missing if key not in _recent]
            if parse:
                fresh = {key: self._read(doc, len(_joined(key[1], ""))) for key, doc in zip(parse, self.nlp.pipe([_joined(b, t) for _, b, t in parse], disable=SKIPPED))}
                _recent.update(fresh)
                if db is not None:
                    keep_hits(db, {hashes[key]: [f"{kind}:{depth}" for kind, depth in told] for key, told in fresh.items()})
        for key in keys:
            _recent.move_to_end(key)
        found = [_recent[key] for key in keys]
        while len(_recent) > RECENT:
            _recent.popitem(last=False)
        return found

    def _hash(self, key: tuple[str, str, str]) -> str:
        return hashlib.sha256(f"{_version()}\n{self.digest}\n{key[1]}\x00{key[2]}".encode()).hexdigest()[:16]

    def _read(self, doc, start: int) -> tuple[tuple[str, int], ...]:
        from research.coding.negation import denied_words  # spaCy's import only where a sentence is parsed

        denied, (matcher, phrases) = denied_words(doc), self.matching
        depth: dict[str, tuple[int, int]] = {}  # kind -> (how deep its word stands in the parse, where it starts)
        for match, begin, end in matcher(doc):
            span, phrase = doc[begin:end], phrases[self.nlp.vocab.strings[match]]
            if span.start_char < start or _supposed(span.root):
                continue
            negated = [denied[t.i] for t in span if t.i in denied] or ([denied[span.root.head.i]] if span.root.dep_ in IN_SCOPE and span.root.head.i in denied else [])
            owed = bool(negated) and not all(negated)  # denied, and not as the speaker's own act
            if phrase.own or (owed if phrase.due else not negated):
                place = (sum(1 for _ in span.root.ancestors), span.start)
                depth[phrase.kind] = min(depth.get(phrase.kind, place), place)
        order = [kind.id for kind in self.kinds]
        return tuple((kind, depth[kind][0]) for kind in sorted(depth, key=lambda k: (depth[k], order.index(k))))


@cache
def _version() -> str:
    """The pipeline and the code that read a sentence's kinds: another spaCy, model or reading reads again."""
    from importlib.util import find_spec

    import spacy

    from research.computed import source_hash
    from research.nlp import SPACY_MODEL, model_version

    negation = find_spec("research.coding.negation").origin
    return f"pain-kinds:{SPACY_MODEL}:{model_version()}:{spacy.__version__}:{source_hash(__file__)}:{source_hash(negation)}"


def _joined(before: str, text: str) -> str:
    return f"{before.rstrip()} {text}" if before.strip() else text


def _supposed(token) -> bool:
    """Whether a word's clause is a supposition: marked by "if", "unless" or "whether", or "in case" ("… to phone
    them if the valuation goes wrong")."""
    for word in [token, *token.ancestors]:
        if any(child.dep_ == "mark" and child.lower_ in SUPPOSING for child in word.children):
            return True
        if word.lower_ == "case" and word.head.lower_ == "in":
            return True
    return False


def kinds_of(text: str, before: str = "", kinds: Sequence[PainKind] | None = None) -> list[str]:
    """The kinds of problem a sentence tells, the most direct first: "We waited three weeks and nobody told us why" is
    waiting and no information; "I didn't have to wait at all" is none. `before`: the words of its sentence before it,
    where it was split from one ("if" + "the valuation goes wrong" is a supposition, not a failure)."""
    return [kind for kind, _ in _reader(kinds).kinds_of([(text, before)])[0]]


_readers: dict[str, KindReader] = {}


def _reader(kinds: Sequence[PainKind] | None) -> KindReader:
    """A reader for these kinds (the bundled ones by default), built once per process."""
    chosen = list(kinds) if kinds is not None else default_pain_kinds()
    key = repr([k.model_dump() for k in chosen])
    if key not in _readers:
        _readers[key] = KindReader(chosen)
    return _readers[key]


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


def recurring_pains(utterances: list[Utterance], stage_names: dict[str, str], cohort: int, needed: int,
                    kinds: Sequence[PainKind] | None = None, db: Database | None = None) -> list[RecurringPain]:
    """The kinds of problem at least `needed` participants tell, at two or more places (stages in journey order, then
    talk outside the stages), most participants first; each with one quote per place, the most negative. A sentence
    counts for every kind it tells but is quoted under one only, the one it states most directly of those shown."""
    reader = _reader(kinds)
    hurting = [(u, part, *_sentence_of(part.text, u.text)) for u in utterances for part in (u.parts or [u.whole()]) if _hurts(part, u)]
    said: dict[tuple[int, str], _Said] = {}  # (answer, sentence) -> what it tells
    for (u, part, sentence, _), found in zip(hurting, reader.kinds_of([(part.text, before) for _, part, _, before in hurting], db)):
        if found:
            one = said.setdefault((u.id, sentence), _Said(u, sentence, part.evidence or (u.valence or 0.0), {}))
            one.evidence = min(one.evidence, part.evidence or (u.valence or 0.0))
            for kind, depth in found:
                one.depth[kind] = min(one.depth.get(kind, depth), depth)
    order = [kind.id for kind in reader.kinds]
    places_order = list(stage_names) + [""]
    told: dict[str, dict[str, list[_Said]]] = {}  # kind -> place -> sentences
    for one in said.values():
        for kind in one.depth:
            told.setdefault(kind, {}).setdefault(one.answer.stage or "", []).append(one)
    people = {kind: {s.answer.participant for here in places.values() for s in here} for kind, places in told.items()}
    shown = sorted((k for k in order if len(told.get(k, {})) >= 2 and len(people[k]) >= needed), key=lambda k: (-len(people[k]), -len(told[k]), k))
    quoted: set[tuple[int, str]] = set()  # sentences quoted under a kind already
    out = []
    for kind in shown:
        at, voices = [], set()
        for place in sorted(told[kind], key=places_order.index):
            here = told[kind][place]
            best = min(here, key=lambda s: ((s.answer.id, s.sentence) in quoted, s.direct(shown, order) != kind, s.answer.participant in voices,
                                            s.evidence, s.answer.id))  # not quoted under another kind, told most directly as this one, another voice
            quoted.add((best.answer.id, best.sentence))
            voices.add(best.answer.participant)
            u = best.answer
            quote = Quote(utterance_id=u.id, interview=u.interview, participant=u.participant, start=round(u.start, 2), text=best.sentence,
                          valence=None if u.valence is None else round(u.valence, 3), timed=u.timed)
            at.append(PainAt(stage=place or None, name=stage_names.get(place, OUTSIDE), participants=len({s.answer.participant for s in here}), quote=quote,
                             utterance_ids=sorted({s.answer.id for s in here})))
        every = [s for here in told[kind].values() for s in here]
        definition = reader.kinds[order.index(kind)]
        out.append(RecurringPain(kind=kind, label=definition.name, goal=definition.goal, participants=len(people[kind]), cohort=cohort,
                                 places=at, utterance_ids=sorted({s.answer.id for s in every}),
                                 intensity=round(sum(abs(min(s.evidence, 0.0)) for s in every) / len(every), 3)))
    return out


@dataclass
class _Said:
    """A sentence that tells kinds of problem: its answer, how negative it is as evidence, and how deep the word that
    tells each kind stands in its parse."""

    answer: Utterance
    sentence: str
    evidence: float
    depth: dict[str, int]

    def direct(self, shown: list[str], order: list[str]) -> str | None:
        """The kind it states most directly, of those `shown`."""
        return min((k for k in self.depth if k in shown), key=lambda k: (self.depth[k], order.index(k)), default=None)
