"""A user's console shows our progress and errors, not library notes: Presidio's engine warns about
recognizers for other languages when it is built, and about every spaCy entity it has no type for
(CARDINAL, MONEY, PRODUCT ...) each time one is found."""

from __future__ import annotations

import logging

from research.anonymize.detect import PiiDetector, analyzer


def test_anonymizing_logs_no_presidio_warnings(caplog):
    analyzer.cache_clear()  # built again here, so its construction is watched too
    with caplog.at_level(logging.WARNING):
        text = "We paid $400 for two AeroPure 300 units on the first day; 40 percent off, said Margaret Okafor."
        spans = PiiDetector().detect([text])
    noise = [record.getMessage() for record in caplog.records if record.name.startswith("presidio")]
    assert noise == []
    assert ("Margaret Okafor", "PERSON") in {(text[span.start : span.end], span.entity_type) for span in spans[0]}  # detection still works
