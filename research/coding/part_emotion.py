"""How short texts (an answer's parts) are felt: each emotion code's confidence with the text's negations read
(`negation`: a trouble denied clears its negative codes, something owed denied is felt), and the codes each part
is felt with, its faintest feeling where its whole answer feels that way too. What the map's pain points and
delights stand on (`research.coding.sentences`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from research.codebook import CodeGroup
from research.coding import negation
from research.embeddings import embed
from research.nlp import parse

if TYPE_CHECKING:
    from research.coding.engine import CodingEngine

POSITIVE = 0.3  # a valence from which a code is felt positive (as the map reads them)
PART_NEUTRAL_MARGIN = 0.1  # a part whose answer does not feel its way is neutral where neutral leads every code by this much (`benchmarks/emotion_parts.py --calibrate`)


@dataclass(frozen=True)
class TextsRead:
    """Texts as coding read them, what reading their negations starts from (`PartReader.negations_read`)."""

    docs: list  # their spaCy Docs
    matches: list[dict]  # the rules' matched phrases per code key (`RuleMatcher.matches`)
    vectors: np.ndarray  # unit embeddings
    probs: np.ndarray | None  # the emotion model's probabilities (None where it is not used)


@dataclass(frozen=True)
class PartReading:
    """Short texts (an answer's parts) read for their feelings (`PartReader.read_parts`)."""

    vectors: np.ndarray  # unit embeddings
    confidence: np.ndarray  # (texts, codes): each emotion code's confidence, the text read alone
    confirmed: np.ndarray  # (texts,): its answer, read whole, feels the way its strongest code does
    keys: list[str]  # the emotion codes' keys, the columns of `confidence`


class PartReader:
    """Reads the parts of answers for their feelings with an engine's emotion scores (`CodingEngine._group_scores`)."""

    def __init__(self, engine: CodingEngine, faint_share: float):
        self.engine = engine
        self.faint_share = faint_share  # the share of the threshold at which a code is felt faintly (the engine's BEST_CODE_SHARE)

    def feelings(self, texts: list[str], answers: list[str] | None = None) -> tuple[np.ndarray, list[list[str]]]:
        """Unit embeddings of short texts (an answer's parts, see `research.coding.sentences`) and the emotion
        codes each is felt with, read on its own (no question, no neighbouring turn) and beside its whole answer
        (`answers`, one per text; the text itself where None): see `part_codes`."""
        reading = self.read_parts(texts, answers)
        return reading.vectors, self.part_codes(reading)

    def read_parts(self, texts: list[str], answers: list[str] | None = None) -> PartReading:
        """What `feelings` decides from: each part's confidence per emotion code (its negations read, see
        `negation`), and whether its whole answer (`answers`, one per text; the text itself where None), read
        alone and as it is said, feels the way the part's strongest code does (`_feels`)."""
        group = self.engine.emotion_group()
        if group is None or not texts:
            return PartReading(embed(texts, self.engine.embedding_model) if texts else np.zeros((0, 384), np.float32), np.zeros((len(texts), 0)), np.zeros(len(texts), dtype=bool), [])
        parts, said, keys = self._read_alone(group, texts, [answer == text for answer, text in zip(answers or texts, texts)])
        valence = np.array([self.engine.codebook.codes[key][1].valence or 0.0 for key in keys])
        sign = np.sign(valence)
        confidence = self._without_denied(group, said, parts, valence)
        read = dict(zip(texts, confidence))  # answers, as the suggestions read them: their negations read too
        missing = [answer for answer in dict.fromkeys(answers or texts) if answer not in read]
        if missing:
            answered, whole, _ = self._read_alone(group, missing)
            read |= dict(zip(missing, self._without_denied(group, whole, answered, valence)))
        feeling = np.flatnonzero(np.array([code.id != group.fallback for code in group.codes]))
        strongest = feeling[confidence[:, feeling].argmax(axis=1)]
        confirmed = np.array([sign[best] != 0 and self._feels(group, read[answer], sign, sign[best], whole=answer == text)
                              for best, answer, text in zip(strongest, answers or texts, texts)], dtype=bool)
        return PartReading(parts.vectors, confidence, confirmed, keys)

    def _feels(self, group: CodeGroup, confidence: np.ndarray, sign: np.ndarray, way: float, whole: bool) -> bool:
        """Whether an answer read alone (`confidence` per code) feels `way` (the sign of a valence): coded as an
        utterance is where it is the part itself (`whole`), else with a code of that sign at the faint level
        (self.faint_share of the threshold): in an answer of several parts the feeling of one is diluted."""
        if whole:
            return any(sign[c] == way for c in self.engine._multi(confidence, group))
        return bool((confidence[sign == way] >= self.faint_share * group.threshold).any())

    def part_codes(self, reading: PartReading, neutral_margin: float = PART_NEUTRAL_MARGIN) -> list[list[str]]:
        """The emotion codes of each part: its faintest feeling where its answer feels that way too ("Setup was
        easy." in an answer that ends on a complaint); otherwise neutral wins over a code it leads by
        `neutral_margin`: one keyword the model hardly confirms ("I tried the blue one first.") does not make a
        plain statement a frustration."""
        group = self.engine.emotion_group()
        if group is None:
            return [[] for _ in reading.confidence]
        return [[reading.keys[c] for c in self.engine._multi(row, group, faintest=True, neutral_margin=np.inf if confirmed else neutral_margin)]
                for row, confirmed in zip(reading.confidence, reading.confirmed)]

    def _read_alone(self, group: CodeGroup, texts: list[str], whole: list[bool] | None = None) -> tuple[TextsRead, np.ndarray, list[str]]:
        """(the texts as read, (texts, codes) confidence, the code keys) of texts read alone. A word that only goes
        with a feeling lifts no feeling of a plain statement told as a `whole` answer (nothing said around it shows
        the feeling): where the models alone read such a text, without negation, as neutral by PART_NEUTRAL_MARGIN
        over every code, a keyword counts only if the models read it alone as feeling its code's way ("Patients had
        been complaining about the air" keeps "complaining"; "The call took about an hour" drops "hour"). In a longer
        answer the answer tells (`_feels`); a negation's keywords are read with it (`_without_denied`)."""
        vectors, probs = self.engine._embed_and_read(texts)
        docs = self.engine.rules.docs(texts)
        read = TextsRead(docs, [self.engine.rules.matches(doc) for doc in docs], vectors, probs)
        confidence, keys = self._part_confidence(group, vectors, read.matches, probs)
        keyed = [n for n, (doc, matches) in enumerate(zip(docs, read.matches))
                 if whole is not None and whole[n] and any(key in keys for key in matches) and negation.negated(doc) is None]
        if keyed and self.engine.use_model:
            alone = self._part_confidence(group, vectors[keyed], [{} for _ in keyed], probs[keyed] if probs is not None else None)[0]
            fallback = np.array([code.id == group.fallback for code in group.codes])
            plain = alone[:, fallback].max(axis=1, initial=0.0) >= alone[:, ~fallback].max(axis=1, initial=0.0) + PART_NEUTRAL_MARGIN
            rows = [n for n, is_plain in zip(keyed, plain) if is_plain]
            if rows:
                felt = self._felt_keywords(group, keys, [read.matches[n] for n in rows])
                confidence[rows] = self._part_confidence(group, vectors[rows], felt, probs[rows] if probs is not None else None)[0]
        return read, confidence, keys

    def _felt_keywords(self, group: CodeGroup, keys: list[str], matches: list[dict]) -> list[dict]:
        """`matches` (per text, {code key: phrases}) of the emotion codes, only the phrases that the models read alone
        as feeling their code's way: a code of the same sign of valence beats the fallback."""
        phrases = list(dict.fromkeys(p for m in matches for key in keys for p in m.get(key, [])))
        read = dict(zip(phrases, self._model_confidence(group, phrases)))
        sign = np.sign([code.valence or 0.0 for code in group.codes])
        fallback = np.array([code.id == group.fallback for code in group.codes])

        def feels(phrase: str, column: int) -> bool:
            same = (sign == sign[column]) & ~fallback
            return sign[column] != 0 and bool((read[phrase][same] > read[phrase][fallback].max(initial=0.0)).any())

        return [{key: kept for key in keys if (kept := [p for p in m.get(key, []) if feels(p, keys.index(key))])} for m in matches]

    def negations_read(self, group: CodeGroup, confidence: np.ndarray, utterances: TextsRead) -> np.ndarray:
        """(texts, codes) `confidence` of whole `utterances` (the emotion group's codes, in order) with their negations
        read as a part's are (`_without_denied`): the suggestions and the map read "It wasn't a hassle" alike."""
        valence = np.array([code.valence or 0.0 for code in group.codes])
        return self._without_denied(group, confidence, utterances, valence)

    def _without_denied(self, group: CodeGroup, confidence: np.ndarray, texts: TextsRead, valence: np.ndarray) -> np.ndarray:
        """`confidence` of `texts` with the negative codes cleared of those whose every negation denies a trouble ("It
        wasn't a hassle", "Nothing went wrong", "I didn't have to chase anyone"), not something that was due ("I
        couldn't get through to anyone", "The parcel never arrived"; see `negation`). Each text as said is read from
        its own reading (`texts`); only what its negations deny and affirm is read anew."""
        docs = texts.docs
        negated = {n: found for n, doc in enumerate(docs) if (found := negation.negated(doc)) is not None}
        negative, positive = valence < 0, valence >= POSITIVE
        if not negated or not negative.any() or not self.engine.use_model:
            return confidence
        rows, found = list(negated), list(negated.values())
        denials = [[d for d in negation.denied(doc) if d.core] for doc in _parsed([docs[n] for n in rows])]
        cores = [d.core for per in denials for d in per]
        as_said = self._part_confidence(group, texts.vectors[rows], [{} for _ in rows], texts.probs[rows] if texts.probs is not None else None)[0]
        read = self._model_confidence(group, cores + [f.affirmed for f in found] + [f.outside for f in found])
        core, (affirmed, outside) = read[: len(cores)], np.split(read[len(cores) :], 2)
        gain = affirmed @ valence - as_said @ valence
        felt = self.faint_share * group.threshold
        faint = ~(confidence[rows][:, negative] >= group.threshold).any(axis=1)  # a bare "not" read as mild disapproval, no clear complaint
        (troubles, owed, own, quantified), start = (np.zeros(len(rows), dtype=bool) for _ in range(4)), 0
        for k, per in enumerate(denials):
            said = [negation.denies_trouble(core[start + j], d.lifted, gain[k], negative, positive, group.threshold if d.owed and d.led else felt) for j, d in enumerate(per)]
            troubles[k] = bool(said) and all(said)
            owed[k] = any(d.owed for d in per)
            own[k] = bool(per) and all(d.own or (d.state and faint[k]) for d in per)
            quantified[k] = any(d.quantified for d in per)
            start += len(per)
        # the text said without its negations, read whole, is weaker evidence than the core and the grammar ("Nobody
        # bothered to ring me back": "Somebody bothered to…" reads annoyed): a trouble where it reads negative, else
        # something good denied where it reads clearly positive and the text as said does not ("I wouldn't recommend them")
        troubles |= ~owed & negation.felt(affirmed, negative, positive, felt) & (gain <= negation.AFFIRMED_GAIN)
        # a denied subject that is no trouble ("Nothing they tried fixed the noise", "Not one agent knew the answer"):
        # what the customer looked for did not come ("Nothing got lost" reads negative said without its negation)
        owed |= ~troubles & quantified
        owed |= ~troubles & negation.felt(affirmed, positive, negative, group.threshold) & ~negation.felt(as_said, positive, negative, felt)
        keys = [f"{group.id}:{code.id}" for code in group.codes]
        matches = [texts.matches[n] for n in rows]
        asserted = np.array([[any(negation.says_negation(phrase) for phrase in m.get(key, [])) for key in keys] for m in matches], dtype=bool)
        fallback = next((c for c, code in enumerate(group.codes) if code.id == group.fallback), None)
        out = confidence.copy()
        denial = negation.Denials(troubles, owed, own, affirmed, outside, self._pleased(group, [f.outside for f in found], positive, felt))
        out[rows] = negation.without_negated(confidence[rows], denial, negative, positive, fallback, felt, group.threshold, asserted)
        return out

    def _pleased(self, group: CodeGroup, texts: list[str], positive: np.ndarray, level: float) -> np.ndarray:
        """(texts,): a good feeling reaches `level` in each text (what a negated text says outside its negations) read
        alone, keywords too, whatever else it feels ("Thanks, though nobody told me"); an empty text feels nothing."""
        out = np.zeros(len(texts), dtype=bool)
        said = [n for n, text in enumerate(texts) if text]
        if said:
            out[said] = (self._read_alone(group, [texts[n] for n in said])[1][:, positive] >= level).any(axis=1)
        return out

    def _part_confidence(self, group: CodeGroup, vectors: np.ndarray, matches: list[dict], probs: np.ndarray | None) -> tuple[np.ndarray, list[str]]:
        """(texts, codes) confidence of each emotion code for texts read alone, and the code keys."""
        none = np.zeros_like(vectors)
        scores = self.engine._group_scores(group, vectors, none, vectors, matches, probs, np.hstack([vectors, none]))
        keys = [key for key in scores if key != f"{group.id}:"]
        return np.stack([scores[key][0] for key in keys], axis=1), keys

    def _model_confidence(self, group: CodeGroup, texts: list[str]) -> np.ndarray:
        """`_part_confidence` from the models alone (an empty text feels nothing): a keyword that tells a feeling
        only when negated ("make sense", "explain") would make what a negation denies read so."""
        out = np.zeros((len(texts), len(group.codes)))
        said = [n for n, text in enumerate(texts) if text]
        if said:
            texts = [texts[n] for n in said]
            vectors, probs = self.engine._embed_and_read(texts)
            out[said] = self._part_confidence(group, vectors, [{} for _ in texts], probs)[0]
        return out


def _parsed(docs: list) -> list:
    """The Docs with a dependency parse: those the rules' pipeline left unparsed, parsed by the full one."""
    unparsed = [doc.text for doc in docs if not doc.has_annotation("DEP")]
    if not unparsed:
        return docs
    fresh = iter(parse(unparsed))
    return [doc if doc.has_annotation("DEP") else next(fresh) for doc in docs]

