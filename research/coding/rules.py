"""Rule evidence: a codebook's patterns matched on spaCy lemmas."""

from __future__ import annotations

from collections import defaultdict

from spacy.matcher import Matcher
from spacy.tokens import Doc, Token

from research.codebook import Codebook

if not Token.has_extension("lemma_lower"):
    Token.set_extension("lemma_lower", getter=lambda token: token.lemma_.lower())


class RuleMatcher:
    """Finds which codes' patterns occur in a text.

    A phrase pattern ("call support") is lemmatized once and matched on lower-cased lemmas, so
    it also finds "called support"; a list of dicts is used as a spaCy Matcher pattern as is.
    """

    def __init__(self, codebook: Codebook, nlp):
        self.nlp = nlp
        self.matcher = Matcher(nlp.vocab)
        for key, (_, code) in codebook.codes.items():
            patterns = [self._phrase(p) if isinstance(p, str) else p for p in code.patterns]
            patterns = [p for p in patterns if p]
            if patterns:
                self.matcher.add(key, patterns)

    def _phrase(self, phrase: str) -> list[dict]:
        return [{"_": {"lemma_lower": token.lemma_.lower()}} for token in self.nlp(phrase.lower()) if not token.is_space]

    def docs(self, texts: list[str]) -> list[Doc]:
        return list(self.nlp.pipe(texts, batch_size=64))

    def matches(self, doc: Doc) -> dict[str, list[str]]:
        """{code key: the matched phrases} for one document."""
        found: dict[str, list[str]] = defaultdict(list)
        for match_id, start, end in self.matcher(doc):
            found[self.nlp.vocab.strings[match_id]].append(doc[start:end].text)
        return dict(found)
