"""Rule evidence: a codebook's patterns matched on spaCy lemmas."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from spacy.matcher import Matcher
from spacy.tokens import Doc, Token

from research.codebook import Codebook
from research.nlp import parse

if not Token.has_extension("lemma_lower"):
    Token.set_extension("lemma_lower", getter=lambda token: token.lemma_.lower())


class RuleMatcher:
    """Finds which codes' patterns occur in a text.

    A phrase pattern ("call support") is lemmatized once and matched on lower-cased lemmas, so
    it also finds "called support"; a list of dicts is used as a spaCy Matcher pattern as is.
    """

    def __init__(self, codebook: Codebook, nlp, keys: Collection[str] | None = None):
        """Every code's patterns, or only those of the codes in `keys`; the phrases are lemmatized in one batch."""
        self.nlp = nlp
        self.matcher = Matcher(nlp.vocab)
        chosen = [(key, code) for key, (_, code) in codebook.codes.items() if keys is None or key in keys]
        phrases = list(dict.fromkeys(p.lower() for _, code in chosen for p in code.patterns if isinstance(p, str)))
        lemmatized = {phrase: [{"_": {"lemma_lower": token.lemma_.lower()}} for token in doc if not token.is_space] for phrase, doc in zip(phrases, nlp.pipe(phrases))}
        for key, code in chosen:
            patterns = [lemmatized[p.lower()] if isinstance(p, str) else p for p in code.patterns]
            patterns = [p for p in patterns if p]
            if patterns:
                self.matcher.add(key, patterns)

    def docs(self, texts: list[str]) -> list[Doc]:
        return parse(texts, self.nlp)

    def matches(self, doc: Doc) -> dict[str, list[str]]:
        """{code key: the matched phrases} for one document."""
        found: dict[str, list[str]] = defaultdict(list)
        for match_id, start, end in self.matcher(doc):
            found[self.nlp.vocab.strings[match_id]].append(doc[start:end].text)
        return dict(found)
