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
from research.coding.adaptation import QUESTION_SHARES, GroupAdaptation, GroupDecisions, code_bias, shifted, with_rules
from research.coding.asides import only_asks_the_interviewer
from research.coding.classifier import GroupClassifier
from research.coding.emotion_model import EmotionModel
from research.coding.feedback_loops import Kept, gate_loops
from research.coding.introductions import introduces_self
from research.coding.journey_corpus import JourneyCorpus
from research.coding.learned import Decided, LearnedModels
from research.coding.part_emotion import PART_NEUTRAL_MARGIN, PartReader, PartReading, TextsRead
from research.coding.rules import RuleMatcher
from research.coding.scope import LogisticsLikeness, TurnScope
from research.coding.smoothing import smooth_ordered
from research.embeddings import PACKAGED, embed, embed_kept, is_packaged
from research.journey.advocacy import read_acts

RULE_WEIGHT = 0.6  # confidence that one full rule match alone gives a code
SIMILARITY_SCALE = 0.06  # cosine-similarity spread that moves a zero-shot logit by one unit
QUESTION_WEIGHT = 0.5  # how much the interviewer question's similarity to a code's prompts adds to the code's similarity
CLASSIFIER_WEIGHT = 0.7  # share of a single-choice group's model evidence from its trained classifier
EMOTION_CLASSIFIER_WEIGHT = 0.3  # share of an at-least-one group's (emotion) model evidence from its trained classifier
BEST_CODE_SHARE = 0.7  # in an at-least-one group, the best code needs this share of the threshold before the fallback (neutral) wins
KEPT_READINGS = 8192  # texts whose embedding and emotion reading an engine keeps (`_embed_and_read`), the latest read


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
        self._readings: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}  # `_embed_and_read`'s, by text
        self.parts = PartReader(self, BEST_CODE_SHARE)

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
        """Unit embeddings of an answer's parts and the emotion codes each is felt with (`PartReader.feelings`)."""
        return self.parts.feelings(texts, answers)

    def read_parts(self, texts: list[str], answers: list[str] | None = None) -> PartReading:
        return self.parts.read_parts(texts, answers)

    def part_codes(self, reading: PartReading, neutral_margin: float = PART_NEUTRAL_MARGIN) -> list[list[str]]:
        return self.parts.part_codes(reading, neutral_margin)

    def emotion_group(self) -> CodeGroup | None:
        return next((g for g in self.codebook.groups if g.at_least_one and g.kind == "multi"), None)

    def _embed_and_read(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
        """`_read_afresh` of texts, each distinct text read once: the engine keeps its latest KEPT_READINGS readings, as
        an answer's parts, the answer itself and what its negations deny come back when it is coded (`PartReader`)."""
        if not texts:
            return self._read_afresh(texts)
        read = {text: self._readings[text] for text in dict.fromkeys(texts) if text in self._readings}
        fresh = [text for text in dict.fromkeys(texts) if text not in read]
        if fresh:
            vectors, probs = self._read_afresh(fresh)
            read |= {text: (vectors[n], probs[n] if probs is not None else None) for n, text in enumerate(fresh)}
            self._readings |= {text: read[text] for text in fresh}
            while len(self._readings) > KEPT_READINGS:
                del self._readings[next(iter(self._readings))]
        probs = [read[text][1] for text in texts]
        return np.stack([read[text][0] for text in texts]), np.stack(probs) if probs[0] is not None else None

    def _read_afresh(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
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

    def code_turns(self, turns: list[Turn], vectors: np.ndarray, decisions: Kept | None = None, readings: dict[int, dict] | None = None) -> Coded:
        """Suggestions and journey scopes for the customer turns. The first ordered group (the journey
        stage) decides the scope; logistics turns keep only `at_least_one` groups' codes (the emotion). Loop codes
        are the feedback reader's (`feedback_loops`), given the codings re-coding keeps (`decisions`, {turn id: {code: status}})
        and their `readings` (`advocacy.read_acts`, read here when not given)."""
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
        emotion_group = self.emotion_group()
        for group in self.codebook.groups:
            scores = self._group_scores(group, answer, question, context, matches, emotion_probs, features)
            if group is emotion_group:
                scores = self._negations_read(group, scores, TextsRead(docs, matches, answer, emotion_probs))
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
        texts = {turns[i].id: turns[i].text for i in customer}
        suggestions = gate_loops(self.codebook, suggestions, texts, readings if readings is not None else read_acts(texts), decisions or {})
        return Coded(suggestions, scopes)

    def _negations_read(self, group: CodeGroup, scores: dict, turns: TextsRead) -> dict:
        """The emotion group's `scores` with each turn's negations read (`PartReader.negations_read`), from the turns as
        coding read them."""
        keys = [f"{group.id}:{code.id}" for code in group.codes]
        read = self.parts.negations_read(group, np.stack([scores[key][0] for key in keys], axis=1), turns)
        return scores | {key: (read[:, column], scores[key][1]) for column, key in enumerate(keys)}

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
