"""A study's own sentence encoder for the journey stage: MiniLM's top layer fine-tuned on the researcher's decisions.

SetFit-style: pairs of sentences, 1 when they share a stage and 0 when they do not, teach the encoder which
differences matter in this study's domain. Each decided utterance is paired with the stage examples (codebook
and journey corpus) of the stage it was accepted as (1), with another stage's examples (0), with the examples of a
stage it was rejected as (0), and with the other accepted utterances (1 for the same stage). Only the top
transformer layer learns: the layers under it stay the base model's, so their output for a sentence is computed
once (`LowerStates`) and re-embedding the corpus after tuning runs one layer, not six. Deterministic: a fixed seed,
pairs drawn by a seed from the decisions, one thread (the caller's). Stored as plain arrays (`save`, `load`).
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from research.coding.classifier import GroupClassifier
from research.embeddings import PACKAGED, load_encoder, model_location

TUNED_LAYERS = 1  # the top transformer layers that learn
PAIRS_PER_DECISION = 12  # stage examples paired with each decided utterance: half its own stage, half others
LEARNING_RATE = 5e-5
BATCH = 16
EPOCHS = 1
SEED = 0
CHUNK = 64  # sentences per forward pass when embedding
GATE_FOLDS = 2  # cross-validation folds over the decisions: each tunes the encoder once more


@dataclass(frozen=True)
class StageDecision:
    """A decided utterance: its text, the stage accepted ("" for none) and the stages rejected ("" is no class: outside is never accepted)."""

    text: str
    accepted: str
    rejected: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    label: float  # 1: the same stage, 0: not


def training_pairs(decisions: list[StageDecision], examples: dict[str, list[str]]) -> list[Pair]:
    """The pairs the encoder learns from, drawn with a seed from the decisions themselves (`examples`: texts per stage)."""
    rng = random.Random(decision_digest(decisions, examples))
    stages = sorted(examples)
    pairs = []
    for d in decisions:
        if d.accepted and d.accepted in examples:
            others = [s for s in stages if s != d.accepted]
            for n in range(PAIRS_PER_DECISION // 2):
                pairs.append(Pair(d.text, rng.choice(examples[d.accepted]), 1.0))
                pairs.append(Pair(d.text, rng.choice(examples[others[n % len(others)]]), 0.0))
        for stage in d.rejected:
            if stage in examples:
                pairs += [Pair(d.text, rng.choice(examples[stage]), 0.0) for _ in range(PAIRS_PER_DECISION // 4)]
    accepted = [d for d in decisions if d.accepted and d.accepted in examples]
    for i, first in enumerate(accepted):
        pairs += [Pair(first.text, second.text, float(first.accepted == second.accepted)) for second in accepted[i + 1 :]]
    rng.shuffle(pairs)
    return pairs


def decision_digest(decisions: list[StageDecision], examples: dict[str, list[str]]) -> str:
    """Names a tuning: the decisions, the examples, the base model and the settings."""
    settings = [TUNED_LAYERS, PAIRS_PER_DECISION, LEARNING_RATE, BATCH, EPOCHS, SEED]
    payload = json.dumps([[d.text, d.accepted, list(d.rejected)] for d in decisions] + [examples, settings])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


class LowerStates:
    """The base encoder's token states under the tuned layers, per text, computed once per process."""

    def __init__(self, name: str = PACKAGED):
        self.encoder = load_encoder(name)
        self.bert = self.encoder[0].auto_model
        self.frozen = len(self.bert.encoder.layer) - TUNED_LAYERS
        self.kept: dict[str, np.ndarray] = {}

    def states(self, texts: list[str]) -> list[np.ndarray]:
        import torch

        missing = list(dict.fromkeys(t for t in texts if t not in self.kept))
        tokenizer = self.encoder.tokenizer
        with torch.no_grad():
            for start in range(0, len(missing), CHUNK):
                chunk = missing[start : start + CHUNK]
                batch = tokenizer(chunk, padding=True, truncation=True, max_length=self.encoder.max_seq_length, return_tensors="pt")
                hidden = self.bert(**batch, output_hidden_states=True).hidden_states[self.frozen]
                for text, row, mask in zip(chunk, hidden, batch["attention_mask"]):
                    self.kept[text] = row[: int(mask.sum())].numpy().copy()
        return [self.kept[t] for t in texts]


class StageEncoder:
    """Unit embeddings from the base encoder's lower layers and this study's top layers."""

    def __init__(self, lower: LowerStates, top):
        self.lower = lower
        self.top = top  # torch.nn.ModuleList of the tuned layers

    @classmethod
    def base(cls, lower: LowerStates) -> StageEncoder:
        import copy

        return cls(lower, copy.deepcopy(lower.bert.encoder.layer[lower.frozen :]))

    @classmethod
    def tuned(cls, lower: LowerStates, pairs: list[Pair]) -> StageEncoder:
        """The base top layers trained on `pairs` (cosine similarity towards each label, mean squared error)."""
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # the same sums in the same order: the same encoder on every machine
        torch.manual_seed(SEED)
        encoder = cls.base(lower)
        encoder.top.train()
        optimiser = torch.optim.AdamW(encoder.top.parameters(), lr=LEARNING_RATE)
        try:
            for _ in range(EPOCHS):
                for start in range(0, len(pairs), BATCH):
                    batch = pairs[start : start + BATCH]
                    first = encoder._forward([p.first for p in batch])
                    second = encoder._forward([p.second for p in batch])
                    labels = torch.tensor([p.label for p in batch])
                    loss = ((first * second).sum(dim=1) - labels).pow(2).mean()
                    optimiser.zero_grad()
                    loss.backward()
                    optimiser.step()
        finally:
            torch.set_num_threads(threads)
        encoder.top.eval()
        return encoder

    def embed(self, texts: list[str]) -> np.ndarray:
        import torch

        out = np.zeros((len(texts), self.lower.bert.config.hidden_size), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths pad little
        with torch.no_grad():
            for start in range(0, len(texts), CHUNK):
                rows = order[start : start + CHUNK]
                out[rows] = self._forward([texts[i] for i in rows]).numpy()
        return out

    def _forward(self, texts: list[str]):
        """Mean-pooled, unit-length embeddings through the top layers (with gradients when training)."""
        import torch

        states = self.lower.states(texts)
        longest = max(len(s) for s in states)
        hidden = torch.zeros((len(states), longest, states[0].shape[1]))
        mask = torch.zeros((len(states), longest))
        for n, s in enumerate(states):
            hidden[n, : len(s)] = torch.from_numpy(s)
            mask[n, : len(s)] = 1
        additive = (1 - mask)[:, None, None, :] * torch.finfo(hidden.dtype).min
        for layer in self.top:
            hidden = layer(hidden, attention_mask=additive)
            hidden = hidden[0] if isinstance(hidden, tuple) else hidden
        pooled = (hidden * mask[:, :, None]).sum(dim=1) / mask.sum(dim=1, keepdim=True)
        return torch.nn.functional.normalize(pooled, dim=1)

    def save(self, path: Path) -> None:
        """Plain arrays (no pickle)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **{name: value.detach().numpy() for name, value in self.top.state_dict().items()})

    @classmethod
    def load(cls, lower: LowerStates, path: Path) -> StageEncoder | None:
        """None when `path` is missing or unreadable (the caller tunes again)."""
        import torch

        try:
            with np.load(path, allow_pickle=False) as data:
                weights = {name: torch.from_numpy(data[name]) for name in data.files}
            encoder = cls.base(lower)
            encoder.top.load_state_dict(weights)
        except (OSError, KeyError, ValueError, RuntimeError):
            return None
        encoder.top.eval()
        return encoder


@lru_cache(maxsize=1)
def lower_states(name: str = PACKAGED) -> LowerStates:
    """One `LowerStates` per process: the corpus's lower states are computed once however many tunings read them."""
    return LowerStates(name)


def tuned_stage_encoder(decisions: list[StageDecision], examples: dict[str, list[str]], group_id: str, folder: Path | None, name: str = PACKAGED) -> tuple[StageEncoder, GroupClassifier] | None:
    """The study's encoder tuned on `decisions` (read back from `folder` when these decisions were tuned on before) and
    the stage classifier refitted on its embeddings of `examples` (texts by class id, '' for outside). None without an
    accepted stage to learn from."""
    if not any(d.accepted and d.accepted in examples for d in decisions):
        return None
    lower = lower_states(name)
    path = folder / f"stage-encoder-{decision_digest(decisions, examples)}-{hashlib.sha256(model_location(name).encode()).hexdigest()[:8]}.npz" if folder else None
    encoder = StageEncoder.load(lower, path) if path is not None and path.is_file() else None
    if encoder is None:
        encoder = StageEncoder.tuned(lower, training_pairs(decisions, examples))
        if path is not None:
            for old in folder.glob("stage-encoder-*.npz"):  # tuned on decisions since changed
                old.unlink()
            encoder.save(path)
    classifier = _refitted(encoder, examples, group_id)
    return (encoder, classifier) if classifier is not None else None


def _refitted(encoder: StageEncoder, examples: dict[str, list[str]], group_id: str) -> GroupClassifier | None:
    return GroupClassifier.fit({f"{group_id}:{label}": encoder.embed(texts) for label, texts in examples.items()}, kept_on_disk=False)


def confirmed(decisions: list[StageDecision], examples: dict[str, list[str]], group_id: str, base: GroupClassifier, name: str = PACKAGED) -> bool:
    """Whether tuning predicts held-out decisions better than the base encoder (GATE_FOLDS interleaved folds, each
    tuned on the others): more accepted stages picked, and a lower log-loss on them."""
    lower = lower_states(name)
    rows = [n for n, d in enumerate(decisions) if d.accepted and d.accepted in examples]
    base_encoder = StageEncoder.base(lower)
    right, loss = 0, 0.0
    for start in range(GATE_FOLDS):
        held = set(rows[start::GATE_FOLDS])
        kept = [d for n, d in enumerate(decisions) if n not in held]
        if not held or not any(d.accepted and d.accepted in examples for d in kept):
            continue
        tuned = StageEncoder.tuned(lower, training_pairs(kept, examples))
        classifier = _refitted(tuned, examples, group_id)
        texts = [decisions[n].text for n in sorted(held)]
        truth = [f"{group_id}:{decisions[n].accepted}" for n in sorted(held)]
        for model, encoder, sign in ((classifier, tuned, 1), (base, base_encoder, -1)):
            probs = model.probabilities(encoder.embed(texts))
            keys = list(probs)
            table = np.stack([probs[k] for k in keys], axis=1)
            right += sign * sum(keys[int(table[n].argmax())] == truth[n] for n in range(len(texts)))
            loss += sign * float(-np.log(np.clip([probs[truth[n]][n] for n in range(len(texts))], 1e-9, None)).sum())
    return right > 0 and loss < 0
