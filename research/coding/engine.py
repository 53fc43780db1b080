"""Scoring customer utterances against a codebook: rules, embeddings, the emotion model, learned models.

For every group the engine combines its evidence into a confidence per code:
- rule: the code's lemma patterns occur in the utterance;
- model: embedding similarity to the code's definition and examples (and of the interviewer's
  question to its prompts); a classifier trained on the codebook's examples for single-choice
  groups (with the generated journey corpus for the standard stages) and for the emotion group
  (with the GoEmotions model's view), plus the GoEmotions model itself for emotion codes;
- learned: what `--learn` trained on the researcher's accepted and rejected codings.
Stage-like groups (`ordered`) are then smoothed along the interview with a Viterbi pass that
never picks a stage below its threshold, and each customer turn gets a scope: on the journey,
interview logistics, or weak: about something no stage places (`scope`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from research.codebook import Codebook, CodeGroup
from research.coding import negation
from research.coding.adaptation import QUESTION_SHARES, GroupAdaptation, GroupDecisions, code_bias, shifted, with_rules
from research.coding.asides import only_asks_the_interviewer
from research.coding.classifier import GroupClassifier
from research.coding.emotion_model import EmotionModel
from research.coding.introductions import introduces_self
from research.coding.journey_corpus import JourneyCorpus
from research.coding.learned import Decided, LearnedModels
from research.coding.rules import RuleMatcher
from research.coding.scope import LogisticsLikeness, TurnScope
from research.coding.smoothing import smooth_ordered
from research.embeddings import PACKAGED, embed, embed_kept, is_packaged
from research.nlp import parse

RULE_WEIGHT = 0.6  # confidence that one full rule match alone gives a code
SIMILARITY_SCALE = 0.06  # cosine-similarity spread that moves a zero-shot logit by one unit
QUESTION_WEIGHT = 0.5  # how much the interviewer question's similarity to a code's prompts adds to the code's similarity
CLASSIFIER_WEIGHT = 0.7  # share of a single-choice group's model evidence from its trained classifier
EMOTION_CLASSIFIER_WEIGHT = 0.3  # share of an at-least-one group's (emotion) model evidence from its trained classifier
BEST_CODE_SHARE = 0.7  # in an at-least-one group, the best code needs this share of the threshold before the fallback (neutral) wins
POSITIVE = 0.3  # a valence from which a code is felt positive (as the map reads them)
PART_NEUTRAL_MARGIN = 0.1  # a part whose answer does not feel its way is neutral where neutral leads every code by this much (`benchmarks/emotion_parts.py --calibrate`)


@dataclass(frozen=True)
class Turn:
    """One utterance of an interview, in order; only customer turns are coded."""

    id: int
    role: str
    text: str


@dataclass(frozen=True)
class Suggestion:
    turn_id: int
    code_key: str
    confidence: float
    source: str  # rule, model or learned: the evidence that contributed most


@dataclass(frozen=True)
class PartReading:
    """Short texts (an answer's parts) read for their feelings (`CodingEngine.read_parts`)."""

    vectors: np.ndarray  # unit embeddings
    confidence: np.ndarray  # (texts, codes): each emotion code's confidence, the text read alone
    confirmed: np.ndarray  # (texts,): its answer, read whole, feels the way its strongest code does
    keys: list[str]  # the emotion codes' keys, the columns of `confidence`


@dataclass(frozen=True)
class Coded:
    """An interview's suggestions, and for each customer turn whether it is on the journey (see `scope`)."""

    suggestions: list[Suggestion]
    scopes: dict[int, TurnScope]


def is_customer(role: str | None) -> bool:
    return bool(role) and role.startswith("customer")


def answer_features(roles: list[str | None], vectors: np.ndarray) -> tuple[list[int], np.ndarray]:
    """The customer turns' positions and, for each, [its vector, the vector of the interviewer turn it
    answers (the last one before it, or zeros)]: what learned models are trained and applied on."""
    customer, rows = [], []
    question = np.zeros(vectors.shape[1], dtype=vectors.dtype)
    for i, role in enumerate(roles):
        if not is_customer(role):
            question = vectors[i]
        else:
            customer.append(i)
            rows.append(np.concatenate([vectors[i], question]))
    return customer, np.stack(rows) if rows else np.zeros((0, 2 * vectors.shape[1]), dtype=vectors.dtype)


def answer_context(roles: list[str | None], vectors: np.ndarray) -> tuple[list[int], np.ndarray, np.ndarray]:
    """The customer turns' positions and what coding reads beside each: the interviewer question it answers
    (zeros before any) and the mean of its previous and next customer turns (itself when it has none)."""
    customer, features = answer_features(roles, vectors)
    neighbours = np.stack([_neighbour_vector(customer, vectors, n) for n in range(len(customer))]) if customer else features[:, : vectors.shape[1]]
    return customer, features[:, vectors.shape[1] :], neighbours


def _neighbour_vector(customer: list[int], vectors: np.ndarray, n: int) -> np.ndarray:
    """Mean of the customer's previous and next turns: an answer split in two keeps its topic."""
    around = [customer[k] for k in (n - 1, n + 1) if 0 <= k < len(customer)]
    return vectors[around].mean(axis=0) if around else vectors[customer[n]]


@dataclass
class Prototypes:
    """Unit embeddings of each code's definition+examples and of its interviewer prompts.

    A group's `none_examples` sit under the key `group:` (no code).
    """

    examples: dict[str, np.ndarray]
    prompts: dict[str, np.ndarray]

    @classmethod
    def build(cls, codebook: Codebook, embedding_model: str = PACKAGED) -> Prototypes:
        texts, owners, prompt_texts, prompt_owners = [], [], [], []
        for key, (_, code) in codebook.codes.items():
            for text in [code.definition, *code.examples]:
                texts.append(text)
                owners.append(key)
            for text in code.prompts:
                prompt_texts.append(text)
                prompt_owners.append(key)
        for group in codebook.groups:
            for text in group.none_examples:
                texts.append(text)
                owners.append(f"{group.id}:")
        vectors = embed_kept(texts + prompt_texts, embedding_model)
        examples = {key: vectors[[i for i, o in enumerate(owners) if o == key]] for key in dict.fromkeys(owners)}
        offset = len(texts)
        prompts = {key: vectors[[offset + i for i, o in enumerate(prompt_owners) if o == key]] for key in set(prompt_owners)}
        return cls(examples, prompts)


class CodingEngine:
    """Suggests codings for the customer turns of one interview at a time."""

    def __init__(self, codebook: Codebook, rules: RuleMatcher, emotions: EmotionModel | None = None, learned: LearnedModels | None = None, use_rules: bool = True, use_model: bool = True, smooth: bool = True, embedding_model: str = PACKAGED):
        self.codebook = codebook
        self.rules = rules
        self.emotions = emotions
        self.learned = learned or LearnedModels({})
        self.use_rules = use_rules
        self.use_model = use_model
        self.smooth = smooth
        self.embedding_model = embedding_model
        self.prototypes = Prototypes.build(codebook, embedding_model)
        self.classifiers: dict[str, GroupClassifier | None] = {}
        for group in codebook.groups:
            if group.at_least_one and group.kind == "multi" and self.use_model:
                self.classifiers[group.id] = self._emotion_classifier(group)
        self.adapt(self.learned)
        self.logistics = self._logistics_likeness()
        self._emotions_read: dict[str, np.ndarray] = {}  # emotion probabilities read ahead in batches, by text

    def adapt(self, learned: LearnedModels) -> None:
        """Use what `--learn` trained and the decisions it adapts to (see `adaptation`): per-code models and
        biases, and for single-choice groups a prior shift, the decided utterances as neighbours and how far
        their keywords are trusted."""
        self.learned, self.adaptations, self.biases = LearnedModels({}), {}, {}
        for group in self.codebook.groups:
            if group.kind == "single" and group.id not in self.classifiers:  # trained on the codebook and corpus only: once
                self.classifiers[group.id] = GroupClassifier.fit(self._stage_examples(group))
        single = {f"{g.id}:{c.id}" for g in self.codebook.groups if g.kind == "single" for c in g.codes}
        multi = [d for d in learned.decided if d.code_key in self.codebook.codes and d.code_key not in single]
        if multi and self.use_model:  # the engine's confidence on each decided utterance, before adapting
            vectors = np.stack([d.vector for d in multi])
            before = self.alone_scores([d.text for d in multi], vectors)
            for key in {d.code_key for d in multi}:
                rows = [i for i, d in enumerate(multi) if d.code_key == key]
                self.biases[key] = code_bias(before[key][rows], np.array([multi[i].accepted for i in rows], dtype=float))
        for group in self.codebook.groups:
            decided = [d for d in learned.decided if d.code_key in self._class_keys(group)] if group.kind == "single" else []
            if decided:
                decisions = self._group_decisions(group, decided)
                v = decisions.vectors
                question = np.stack([d.question if d.question is not None else np.zeros_like(d.vector) for d in decided]).astype(v.dtype)
                neighbours = np.stack([d.neighbours if d.neighbours is not None else d.vector for d in decided]).astype(v.dtype)
                rules = self._rule_evidence(group, [self.rules.matches(doc) for doc in self.rules.docs([d.text for d in decided])]) if self.use_rules else None
                shares = QUESTION_SHARES if question.any() else (1.0,)  # decided alone, the question's weight changes nothing
                probabilities = {share: self._single_probabilities(group, v, question, neighbours, question_weight=share * QUESTION_WEIGHT) for share in shares}
                self.adaptations[group.id] = GroupAdaptation.fit(decisions, probabilities, rules, RULE_WEIGHT)
        self.learned = learned

    def _group_decisions(self, group: CodeGroup, rows: list[Decided]) -> GroupDecisions:
        """The group's accepted and rejected utterances over its class columns (one row per decision)."""
        columns = self._class_keys(group)
        rejected = np.zeros((len(rows), len(columns)), dtype=bool)
        for i, d in enumerate(rows):
            rejected[i, columns.index(d.code_key)] = not d.accepted
        accepted = np.array([columns.index(d.code_key) if d.accepted else -1 for d in rows])
        return GroupDecisions(np.stack([d.vector for d in rows]).astype(np.float32), accepted, rejected)

    @staticmethod
    def _rule_evidence(group: CodeGroup, matches: list[dict[str, list[str]]]) -> np.ndarray:
        """(utterances, codes): each code's keyword evidence, a half per matched phrase, at most one."""
        return np.array([[min(len(m.get(f"{group.id}:{code.id}", [])), 2) / 2 for code in group.codes] for m in matches]).reshape(len(matches), len(group.codes))

    def alone_scores(self, texts: list[str], vectors: np.ndarray) -> dict[str, np.ndarray]:
        """{code key: confidence per text}, each text scored as a customer turn alone (no question, no neighbours)."""
        matches = [self.rules.matches(doc) for doc in self.rules.docs(texts)]
        emotion_probs = self.emotions.predict(texts) if self.emotions and self.use_model else None
        features = np.hstack([vectors, np.zeros_like(vectors)])
        out = {}
        for group in self.codebook.groups:
            out |= {key: value[0] for key, value in self._group_scores(group, vectors, np.zeros_like(vectors), vectors, matches, emotion_probs, features).items()}
        return out

    def _stage_examples(self, group: CodeGroup) -> dict[str, np.ndarray]:
        """The codebook's examples per class and, for a journey whose stages are the standard five (in
        the packaged embedding space), the generated multi-industry journey corpus beside them."""
        examples = {key: self.prototypes.examples[key] for key in self._class_keys(group)}
        corpus = JourneyCorpus.load() if group.ordered and self.embedding_model == PACKAGED else None
        if corpus is None or not {code.id for code in group.codes} <= set(corpus.vectors):
            return examples
        for label, vectors in corpus.vectors.items():
            key = f"{group.id}:{label}"
            if key in examples:
                examples[key] = np.concatenate([examples[key], vectors])
        return examples

    def _emotion_classifier(self, group: CodeGroup) -> GroupClassifier | None:
        """One class per code, on its definition and examples: the embedding, plus the emotion model's view of the text."""
        texts = {f"{group.id}:{code.id}": [code.definition, *code.examples] for code in group.codes}
        flat = [text for per in texts.values() for text in per]
        features = self._emotion_features(embed_kept(flat, self.embedding_model), self.emotions.predict(flat) if self.emotions else None)
        examples, start = {}, 0
        for key, per in texts.items():
            examples[key], start = features[start : start + len(per)], start + len(per)
        return GroupClassifier.fit(examples)

    @staticmethod
    def _emotion_features(vectors: np.ndarray, emotion_probs: np.ndarray | None) -> np.ndarray:
        if emotion_probs is None:
            return vectors
        p = np.clip(emotion_probs, 1e-4, 1 - 1e-4)
        return np.hstack([vectors, 0.1 * np.log(p / (1 - p))])  # logits, scaled to the embedding's spread

    def _class_keys(self, group: CodeGroup) -> list[str]:
        keys = [f"{group.id}:{code.id}" for code in group.codes]
        return keys + [f"{group.id}:"] * bool(group.none_examples)

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
        group = self.emotion_group()
        if group is None or not texts:
            return PartReading(embed(texts, self.embedding_model) if texts else np.zeros((0, 384), np.float32), np.zeros((len(texts), 0)), np.zeros(len(texts), dtype=bool), [])
        vectors, said, docs, keys = self._read_alone(group, texts)
        read = dict(zip(texts, said))
        missing = [answer for answer in dict.fromkeys(answers or texts) if answer not in read]
        if missing:
            read |= dict(zip(missing, self._read_alone(group, missing)[1]))
        valence = np.array([self.codebook.codes[key][1].valence or 0.0 for key in keys])
        sign = np.sign(valence)
        confidence = self._without_denied(group, said, docs, valence)
        feeling = np.flatnonzero(np.array([code.id != group.fallback for code in group.codes]))
        strongest = feeling[confidence[:, feeling].argmax(axis=1)]
        confirmed = np.array([sign[best] != 0 and self._feels(group, read[answer], sign, sign[best], whole=answer == text)
                              for best, answer, text in zip(strongest, answers or texts, texts)], dtype=bool)
        return PartReading(vectors, confidence, confirmed, keys)

    def _feels(self, group: CodeGroup, confidence: np.ndarray, sign: np.ndarray, way: float, whole: bool) -> bool:
        """Whether an answer read alone (`confidence` per code) feels `way` (the sign of a valence): coded as an
        utterance is where it is the part itself (`whole`), else with a code of that sign at the faint level
        (BEST_CODE_SHARE of the threshold): in an answer of several parts the feeling of one is diluted."""
        if whole:
            return any(sign[c] == way for c in self._multi(confidence, group))
        return bool((confidence[sign == way] >= BEST_CODE_SHARE * group.threshold).any())

    def part_codes(self, reading: PartReading, neutral_margin: float = PART_NEUTRAL_MARGIN) -> list[list[str]]:
        """The emotion codes of each part: its faintest feeling where its answer feels that way too ("Setup was
        easy." in an answer that ends on a complaint); otherwise neutral wins over a code it leads by
        `neutral_margin`: one keyword the model hardly confirms ("I tried the blue one first.") does not make a
        plain statement a frustration."""
        group = self.emotion_group()
        if group is None:
            return [[] for _ in reading.confidence]
        return [[reading.keys[c] for c in self._multi(row, group, faintest=True, neutral_margin=np.inf if confirmed else neutral_margin)]
                for row, confirmed in zip(reading.confidence, reading.confirmed)]

    def emotion_group(self) -> CodeGroup | None:
        return next((g for g in self.codebook.groups if g.at_least_one and g.kind == "multi"), None)

    def _read_alone(self, group: CodeGroup, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list, list[str]]:
        """(unit embeddings, (texts, codes) confidence, the texts' Docs, the code keys) of texts read alone."""
        vectors, probs = self._embed_and_read(texts)
        docs = self.rules.docs(texts)
        confidence, keys = self._part_confidence(group, vectors, [self.rules.matches(doc) for doc in docs], probs)
        return vectors, confidence, docs, keys

    def _without_denied(self, group: CodeGroup, confidence: np.ndarray, docs: list, valence: np.ndarray) -> np.ndarray:
        """`confidence` with the negative codes cleared of texts whose every negation denies a trouble ("It wasn't a
        hassle", "Nothing went wrong", "I didn't have to chase anyone"), not something that was due ("I couldn't get
        through to anyone", "The parcel never arrived"; see `negation`)."""
        negated = {n: found for n, doc in enumerate(docs) if (found := negation.negated(doc)) is not None}
        negative, positive = valence < 0, valence >= POSITIVE
        if not negated or not negative.any() or not self.use_model:
            return confidence
        rows, found = list(negated), list(negated.values())
        denials = [[d for d in negation.denied(doc) if d.core] for doc in _parsed([docs[n] for n in rows])]
        cores = [d.core for per in denials for d in per]
        read = self._model_confidence(group, cores + [docs[n].text for n in rows] + [f.affirmed for f in found] + [f.outside for f in found])
        core, (as_said, affirmed, outside) = read[: len(cores)], np.split(read[len(cores) :], 3)
        gain = affirmed @ valence - as_said @ valence
        felt = BEST_CODE_SHARE * group.threshold
        (troubles, owed, own), start = (np.zeros(len(rows), dtype=bool) for _ in range(3)), 0
        for k, per in enumerate(denials):
            said = [negation.denies_trouble(core[start + j], d.lifted, gain[k], negative, positive, felt) for j, d in enumerate(per)]
            troubles[k] = bool(said) and all(said)
            owed[k] = any(d.owed for d in per)
            own[k] = bool(per) and all(d.own for d in per)
            start += len(per)
        # the text said without its negations, read whole, is weaker evidence than the core and the grammar ("Nobody
        # bothered to ring me back": "Somebody bothered to…" reads annoyed): a trouble where it reads negative, else
        # something good denied where it reads clearly positive and the text as said does not ("I wouldn't recommend them")
        troubles |= ~owed & negation.felt(affirmed, negative, positive, felt) & (gain <= negation.AFFIRMED_GAIN)
        owed |= ~troubles & negation.felt(affirmed, positive, negative, group.threshold) & ~negation.felt(as_said, positive, negative, felt)
        keys = [f"{group.id}:{code.id}" for code in group.codes]
        matches = [self.rules.matches(docs[n]) for n in rows]
        asserted = np.array([[any(negation.says_negation(phrase) for phrase in m.get(key, [])) for key in keys] for m in matches], dtype=bool)
        fallback = next((c for c, code in enumerate(group.codes) if code.id == group.fallback), None)
        out = confidence.copy()
        denial = negation.Denials(troubles, owed, own, affirmed, outside)
        out[rows] = negation.without_negated(confidence[rows], denial, negative, positive, fallback, felt, group.threshold, asserted)
        return out

    def _part_confidence(self, group: CodeGroup, vectors: np.ndarray, matches: list[dict], probs: np.ndarray | None) -> tuple[np.ndarray, list[str]]:
        """(texts, codes) confidence of each emotion code for texts read alone, and the code keys."""
        none = np.zeros_like(vectors)
        scores = self._group_scores(group, vectors, none, vectors, matches, probs, np.hstack([vectors, none]))
        keys = [key for key in scores if key != f"{group.id}:"]
        return np.stack([scores[key][0] for key in keys], axis=1), keys

    def _model_confidence(self, group: CodeGroup, texts: list[str]) -> np.ndarray:
        """`_part_confidence` from the models alone (an empty text feels nothing): a keyword that tells a feeling
        only when negated ("make sense", "explain") would make what a negation denies read so."""
        out = np.zeros((len(texts), len(group.codes)))
        said = [n for n, text in enumerate(texts) if text]
        if said:
            texts = [texts[n] for n in said]
            vectors, probs = self._embed_and_read(texts)
            out[said] = self._part_confidence(group, vectors, [{} for _ in texts], probs)[0]
        return out

    def _embed_and_read(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
        """Unit embeddings of texts and the emotion model's probabilities (None where it is not used), in one pass
        through the layers the two models share where the embedding model is the packaged one."""
        if self.emotions and self.use_model and is_packaged(self.embedding_model):
            return self.emotions.read(texts)
        return embed(texts, self.embedding_model), self.emotions.predict(texts) if self.emotions and self.use_model else None

    def read_emotions_ahead(self, texts: list[str]) -> None:
        """Read the emotions of many texts in one batch; `code_turns` then takes them from here."""
        if self.emotions and self.use_model:
            fresh = [text for text in dict.fromkeys(texts) if text not in self._emotions_read]
            if fresh:
                self._emotions_read.update(zip(fresh, self.emotions.predict(fresh)))

    def _emotion_probabilities(self, texts: list[str]) -> np.ndarray:
        self.read_emotions_ahead(texts)
        return np.stack([self._emotions_read[text] for text in texts])

    def code(self, turns: list[Turn], vectors: np.ndarray) -> list[Suggestion]:
        """Suggestions for the customer turns; `vectors` are the unit embeddings of all `turns` (same embedding model)."""
        return self.code_turns(turns, vectors).suggestions

    def code_turns(self, turns: list[Turn], vectors: np.ndarray) -> Coded:
        """Suggestions and journey scopes for the customer turns. The first ordered group (the journey
        stage) decides the scope; logistics turns keep only `at_least_one` groups' codes (the emotion)."""
        customer, question, context = answer_context([t.role for t in turns], vectors)
        if not customer:
            return Coded([], {})
        answer = vectors[customer]
        features = np.hstack([answer, question])
        docs = self.rules.docs([turns[i].text for i in customer])
        matches = [self.rules.matches(doc) for doc in docs]
        emotion_probs = None
        if self.emotions and self.use_model:
            emotion_probs = self._emotion_probabilities([turns[i].text for i in customer])
        turn_ids = [turns[i].id for i in customer]
        suggestions: list[Suggestion] = []
        scopes: dict[int, TurnScope] = {}
        for group in self.codebook.groups:
            scores = self._group_scores(group, answer, question, context, matches, emotion_probs, features)
            chosen = self._choose(group, turn_ids, scores)
            if group.ordered and not scopes:
                scopes = self._scopes(group, turn_ids, scores, chosen, answer, [turns[i].text for i in customer])
            suggestions += chosen
        asking = {turns[i].id for i in customer if only_asks_the_interviewer(turns[i].text)}  # "Is that what you mean?": no step of the journey
        if scopes and asking:
            scopes |= {turn_id: TurnScope("logistics", 1.0) for turn_id in asking}
            emotion = {group.id for group in self.codebook.groups if group.at_least_one}
            suggestions = [s for s in suggestions if s.turn_id not in asking or s.code_key.split(":")[0] in emotion]
        if scopes:
            kept = {group.id for group in self.codebook.groups if group.at_least_one or group.ordered}
            suggestions = [s for s in suggestions if scopes[s.turn_id].scope != "logistics" or s.code_key.split(":")[0] in kept]
        return Coded(suggestions, scopes)

    def _scopes(self, group: CodeGroup, turn_ids: list[int], scores: dict, chosen: list[Suggestion], answer: np.ndarray, texts: list[str]) -> dict[int, TurnScope]:
        """Journey when a stage was chosen; logistics when "outside the group" beats every stage and the turn
        resembles the codebook's outside examples (`LogisticsLikeness`), or when the speaker introduces
        themself in it (`introductions`: their background can lean to a stage no neighbour confirms); weak otherwise."""
        staged = {s.turn_id: s.confidence for s in chosen}
        best = np.max(np.stack([scores[key][0] for key in scores if key != f"{group.id}:"], axis=1), axis=1)
        outside = scores.get(f"{group.id}:", (None,))[0]
        resembles = self.logistics.resembles(answer) if self.logistics is not None else np.ones(len(turn_ids), dtype=bool)
        out = {}
        for n, turn_id in enumerate(turn_ids):
            if turn_id in staged:
                out[turn_id] = TurnScope("journey", staged[turn_id])
            elif outside is not None and outside[n] >= best[n] and resembles[n]:
                out[turn_id] = TurnScope("logistics", float(outside[n]))
            elif introduces_self(texts[n]):
                out[turn_id] = TurnScope("logistics", float(outside[n]) if outside is not None else 0.0)
            else:
                out[turn_id] = TurnScope("weak", float(best[n]))
        return out

    def _logistics_likeness(self) -> LogisticsLikeness | None:
        """Fitted on the journey group's outside examples (see `scope`)."""
        group = next((g for g in self.codebook.groups if g.ordered and g.none_examples), None)
        if group is None:
            return None
        content = np.concatenate([self.prototypes.examples[f"{group.id}:{code.id}"] for code in group.codes])
        return LogisticsLikeness.fit(self.prototypes.examples[f"{group.id}:"], self._stage_examples(group)[f"{group.id}:"], content)

    def _group_scores(self, group: CodeGroup, answer, question, context, matches, emotion_probs, features) -> dict[str, tuple[np.ndarray, dict[str, np.ndarray]]]:
        """{code key: (confidence per turn, evidence per source per turn)}."""
        keys = [f"{group.id}:{code.id}" for code in group.codes]
        outside = group.kind == "single" and bool(group.none_examples)
        adaptation = self.adaptations.get(group.id) if group.kind == "single" and self.use_model else None
        asked = QUESTION_WEIGHT * (adaptation.question_share if adaptation is not None else 1.0)
        similarity = np.stack([self._similarity(key, answer, question, context, asked) for key in keys + [f"{group.id}:"] * outside], axis=1)
        if group.kind == "single":
            zero_shot = self._single_probabilities(group, answer, question, context, similarity)
            features = None  # single-choice groups learn through their adaptation (see `adapt`)
            if adaptation is not None:
                zero_shot = adaptation.apply(zero_shot, _unit(answer))
        else:
            centred = similarity - np.median(similarity, axis=1, keepdims=True)
            zero_shot = 1 / (1 + np.exp(-(centred - 2 * SIMILARITY_SCALE) / SIMILARITY_SCALE))  # a clear margin over the typical code
        emotion_classifier = self.classifiers.get(group.id) if group.kind == "multi" else None
        trained = emotion_classifier.probabilities(self._emotion_features(answer, emotion_probs)) if emotion_classifier is not None else None
        result = {f"{group.id}:": (zero_shot[:, -1], {})} if outside else {}  # the "no code of this group" score
        rules = self._rule_evidence(group, matches) if self.use_rules else None
        rule_weight = RULE_WEIGHT * (adaptation.rule_share if adaptation is not None else 1.0)
        for column, (key, code) in enumerate(zip(keys, group.codes)):
            evidence: dict[str, np.ndarray] = {}
            if rules is not None:
                evidence["rule"] = rules[:, column]
            if self.use_model:
                model = zero_shot[:, column]
                if emotion_probs is not None and code.goemotions:
                    model = 0.35 * model + 0.65 * self.emotions.code_probability(emotion_probs, code.goemotions)
                if trained is not None:  # class probabilities sum to one: doubled, a clear winner reaches 1
                    model = (1 - EMOTION_CLASSIFIER_WEIGHT) * model + EMOTION_CLASSIFIER_WEIGHT * np.clip(2 * trained[key], 0, 1)
                evidence["model"] = model
            learned = self.learned.predict(key, features) if features is not None else None
            if learned is not None:
                evidence["learned"] = learned
            confidence = _combine(evidence, self.learned.share(key) if learned is not None else 0.0, rule_weight)
            result[key] = (shifted(confidence, self.biases[key]) if key in self.biases else confidence, evidence)
        return result

    def _single_probabilities(self, group: CodeGroup, answer, question, context, similarity: np.ndarray | None = None, question_weight: float = QUESTION_WEIGHT) -> np.ndarray:
        """A single-choice group's class probabilities (codes, then outside when the group has none examples):
        its classifier blended with the softmax of the similarity to each class's examples."""
        columns = self._class_keys(group)
        if similarity is None:
            similarity = np.stack([self._similarity(key, answer, question, context, question_weight) for key in columns], axis=1)
        probabilities = _softmax(similarity / SIMILARITY_SCALE)
        classifier = self.classifiers.get(group.id)
        if classifier is not None and self.use_model:
            probs = classifier.probabilities(_unit(0.8 * answer + 0.2 * context))
            trained = np.stack([probs.get(key, np.zeros(len(answer))) for key in columns], axis=1)
            probabilities = CLASSIFIER_WEIGHT * trained + (1 - CLASSIFIER_WEIGHT) * probabilities
        return probabilities

    def _similarity(self, key: str, answer, question, context, question_weight: float = QUESTION_WEIGHT) -> np.ndarray:
        examples = self.prototypes.examples[key]
        own = answer @ examples.T
        near = context @ examples.T
        top = np.sort(own, axis=1)[:, -2:].mean(axis=1)
        score = 0.8 * top + 0.2 * np.sort(near, axis=1)[:, -2:].mean(axis=1)
        prompts = self.prototypes.prompts.get(key)
        if prompts is not None and len(prompts):
            score = score + question_weight * (question @ prompts.T).max(axis=1)
        return score

    def _choose(self, group: CodeGroup, turn_ids: list[int], scores: dict) -> list[Suggestion]:
        outside = scores.get(f"{group.id}:", (np.full(len(turn_ids), group.threshold), {}))[0]
        keys = [key for key in scores if key != f"{group.id}:"]
        confidence = np.stack([scores[k][0] for k in keys], axis=1)
        chosen: list[list[int]]
        if group.ordered and self.smooth:
            logistics = (f"{group.id}:" in scores) & (outside >= confidence.max(axis=1))  # outside whatever the neighbours say
            path = smooth_ordered(np.where(logistics[:, None], 0.0, confidence), outside, group.threshold)
            chosen = [[state] if state is not None else [] for state in path]
        elif group.kind == "single":
            best = confidence.argmax(axis=1)
            chosen = [[b] if confidence[n, b] >= max(group.threshold, outside[n]) else [] for n, b in enumerate(best)]
        else:
            chosen = [self._multi(row, group) for row in confidence]
        out = []
        for n, columns in enumerate(chosen):
            for column in columns:
                key = keys[column]
                evidence = {source: float(values[n]) for source, values in scores[key][1].items()}
                out.append(Suggestion(turn_ids[n], key, round(float(confidence[n, column]), 4), _main_source(evidence)))
        return out

    @staticmethod
    def _multi(row: np.ndarray, group: CodeGroup, faintest: bool = False, neutral_margin: float = PART_NEUTRAL_MARGIN) -> list[int]:
        """Every code above the group's threshold, best first. In an at-least-one group (the emotion) the
        best code needs only BEST_CODE_SHARE of the threshold: customers telling their journey rarely
        speak without feeling, so the fallback (neutral) applies only when no code comes close, or when it
        clears the threshold itself and beats every code ("None at all. It connected first time." is calm). A
        part of an answer (`faintest`) is read for the faintest feeling it has ("Setup was easy." is trust)
        unless the fallback beats every code by `neutral_margin` (see `part_codes`)."""
        fallback = next((i for i, code in enumerate(group.codes) if code.id == group.fallback), None)
        picked = sorted((int(c) for c in np.flatnonzero(row >= group.threshold) if c != fallback), key=lambda c: -row[c])
        best = max((row[c] for c in range(len(row)) if c != fallback), default=0.0)
        if faintest and fallback is not None and row[fallback] >= best + neutral_margin:
            return [fallback]
        fallback_wins = not faintest and fallback is not None and row[fallback] >= group.threshold and row[fallback] > best
        if group.at_least_one and not picked and not fallback_wins:
            candidates = [c for c in np.argsort(-row) if c != fallback]
            if candidates and row[candidates[0]] >= BEST_CODE_SHARE * group.threshold:
                picked = [int(candidates[0])]
        if not picked and group.at_least_one and row.max() > 0:
            picked = [fallback if fallback is not None else int(row.argmax())]
        return picked


def _parsed(docs: list) -> list:
    """The Docs with a dependency parse: those the rules' pipeline left unparsed, parsed by the full one."""
    unparsed = [doc.text for doc in docs if not doc.has_annotation("DEP")]
    if not unparsed:
        return docs
    fresh = iter(parse(unparsed))
    return [doc if doc.has_annotation("DEP") else next(fresh) for doc in docs]


def _combine(evidence: dict[str, np.ndarray], learned_share: float = 0.0, rule_weight: float = RULE_WEIGHT) -> np.ndarray:
    """A confidence in [0, 1]: the model's probability raised by rule matches (a full match alone gives
    `rule_weight`); learned evidence, when present, takes `learned_share` of it."""
    base = evidence.get("model")
    rule = evidence.get("rule")
    if base is None:
        combined = rule if rule is not None else np.zeros(1)
    elif rule is None:
        combined = base
    else:
        combined = with_rules(base, rule, rule_weight)
    if "learned" in evidence:
        combined = (1 - learned_share) * combined + learned_share * evidence["learned"]
    return np.clip(combined, 0, 1)


def _main_source(evidence: dict[str, float]) -> str:
    if "learned" in evidence and evidence["learned"] >= 0.5:
        return "learned"
    if evidence.get("rule", 0) > 0 and evidence.get("model", 0) < 0.5:
        return "rule"
    return "model" if "model" in evidence else "rule"


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.clip(np.linalg.norm(x, axis=1, keepdims=True), 1e-9, None)


def _softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)
