"""Word error rate with Whisper's English normalizer applied to both sides.

The normalizer spells numbers the same way on both sides ("five five five" and "555"),
drops punctuation and fillers, and standardizes spelling, so WER measures words.
"""

from __future__ import annotations

from functools import cache

import jiwer


@cache
def _normalizer():
    from whisper.normalizers import EnglishTextNormalizer

    return EnglishTextNormalizer()


def normalize(text: str) -> str:
    return _normalizer()(text)


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Corpus WER: errors over all reference words, after normalization."""
    return jiwer.wer([normalize(r) for r in references], [normalize(h) for h in hypotheses])
