"""The GoEmotions classifier: the packaged MiniLM with its top layers fine-tuned on GoEmotions.

The lower layers run unchanged from all-MiniLM-L6-v2 (the same weights coding embeds with);
the fine-tuned top layers and the 28-label head are small enough to commit
(`goemotions-minilm.npz`, float16); `python -m research.coding.train_emotion_model` rebuilds
them. Codebook emotion codes map to GoEmotions labels through their `goemotions` list.
"""

from __future__ import annotations

import copy
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from research.embeddings import ENCODER_LOCK, embed, length_batches, load_encoder, token_counts
from research.errors import ModelNotAvailableError

HEAD_FILE = Path(__file__).with_name("goemotions-minilm.npz")
MAX_TOKENS = 128


class TunedTop(torch.nn.Module):
    """The encoder's top layers (fine-tuned), mean pooling, and one logit per label."""

    def __init__(self, layers: list[torch.nn.Module], labels: int, width: int = 384, dropout: float = 0.1):
        super().__init__()
        self.layers = torch.nn.ModuleList(copy.deepcopy(layer) for layer in layers)
        self.dropout = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(width, labels)

    def pooled(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            hidden = _run_layer(layer, hidden, mask)
        return _mean(hidden, mask)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.pooled(hidden, mask)))


def _mean(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the tokens' hidden states, padding left out (the sentence embedding's pooling)."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)


def _run_layer(layer: torch.nn.Module, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    additive = (~mask)[:, None, None, :].to(hidden.dtype) * torch.finfo(hidden.dtype).min
    out = layer(hidden, attention_mask=additive)
    return out[0] if isinstance(out, tuple) else out


def frozen_hidden(texts: list[str], first_tuned: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The packaged MiniLM's hidden states below the tuned layers, and the token mask."""
    encoder = load_encoder()
    bert = encoder[0].auto_model
    with ENCODER_LOCK:
        batch = encoder.tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
    mask = batch["attention_mask"].bool()
    with torch.inference_mode():
        hidden = bert.embeddings(input_ids=batch["input_ids"], token_type_ids=batch.get("token_type_ids"))
        for layer in bert.encoder.layer[:first_tuned]:
            hidden = _run_layer(layer, hidden, mask)
    return hidden, mask


def encoder_layers() -> list[torch.nn.Module]:
    return list(load_encoder()[0].auto_model.encoder.layer)


@dataclass
class EmotionModel:
    labels: list[str]
    thresholds: np.ndarray  # per label, tuned on held-out training rows
    top: TunedTop
    first_tuned: int  # index of the first fine-tuned encoder layer

    @classmethod
    def load(cls, path: Path = HEAD_FILE) -> EmotionModel:
        if not path.is_file():
            raise ModelNotAvailableError(f"emotion model {path.name} is missing; rebuild it with `python -m research.coding.train_emotion_model`")
        try:
            data = np.load(path, allow_pickle=False)
            meta = json.loads(str(data["meta"]))
            top = TunedTop(encoder_layers()[meta["first_tuned"] :], len(meta["labels"]))
            top.load_state_dict({name: torch.from_numpy(data[name].astype(np.float32)) for name in top.state_dict()})
        except (OSError, ValueError, KeyError, RuntimeError, zipfile.BadZipFile) as error:
            raise ModelNotAvailableError(f"emotion model {path.name} is unreadable ({type(error).__name__}); rebuild it with `python -m research.coding.train_emotion_model`") from None
        top.eval()
        return cls(meta["labels"], data["thresholds"], top, meta["first_tuned"])

    def save(self, path: Path, extra: dict) -> None:
        meta = {"labels": self.labels, "first_tuned": self.first_tuned, "encoder": "all-MiniLM-L6-v2"} | extra
        weights = {name: value.detach().numpy().astype(np.float16) for name, value in self.top.state_dict().items()}
        np.savez_compressed(path, thresholds=self.thresholds, meta=np.array(json.dumps(meta)), **weights)

    def predict(self, texts: list[str]) -> np.ndarray:
        """Probability of each GoEmotions label, shape (texts, labels)."""
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        self.top.eval()
        for rows in length_batches(token_counts(load_encoder().tokenizer, texts, MAX_TOKENS)):  # similar lengths pad less
            hidden, mask = frozen_hidden([texts[i] for i in rows], self.first_tuned)
            with torch.inference_mode():
                out[rows] = torch.sigmoid(self.top(hidden, mask)).numpy()
        return out

    def read(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The packaged MiniLM's unit embeddings of `texts` (as `embed` gives them) and `predict`'s probabilities,
        from one pass through the lower layers both share: 8 layers a text instead of 12. A text longer than
        the emotion model reads (MAX_TOKENS) is read by each on its own, as each truncates it differently."""
        encoder = load_encoder()
        upper = encoder[0].auto_model.encoder.layer[self.first_tuned :]
        counts = token_counts(encoder.tokenizer, texts, encoder.max_seq_length)
        short = np.array([i for i, count in enumerate(counts) if count <= MAX_TOKENS], dtype=int)
        vectors = np.zeros((len(texts), encoder.get_embedding_dimension()), dtype=np.float32)
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        self.top.eval()
        for batch in length_batches([counts[i] for i in short]):
            rows = short[batch]
            hidden, mask = frozen_hidden([texts[i] for i in rows], self.first_tuned)
            with torch.inference_mode():
                out[rows] = torch.sigmoid(self.top(hidden, mask)).numpy()
                for layer in upper:
                    hidden = _run_layer(layer, hidden, mask)
                vectors[rows] = torch.nn.functional.normalize(_mean(hidden, mask), dim=1).numpy()
        long = [i for i, count in enumerate(counts) if count > MAX_TOKENS]
        if long:
            vectors[long] = embed([texts[i] for i in long])
            out[long] = self.predict([texts[i] for i in long])
        return vectors, out

    def code_probability(self, probabilities: np.ndarray, labels: list[str]) -> np.ndarray:
        """Probability that any of `labels` applies (noisy-OR), rescaled so each label's threshold maps to 0.5."""
        columns = [self.labels.index(label) for label in labels if label in self.labels]
        if not columns:
            return np.zeros(len(probabilities))
        scaled = np.stack([_rescale(probabilities[:, c], self.thresholds[c]) for c in columns], axis=1)
        return 1 - np.prod(1 - scaled, axis=1)


def _rescale(p: np.ndarray, threshold: float) -> np.ndarray:
    """Piecewise-linear map of [0, threshold, 1] to [0, 0.5, 1]."""
    return np.where(p < threshold, 0.5 * p / threshold, 0.5 + 0.5 * (p - threshold) / (1 - threshold))
