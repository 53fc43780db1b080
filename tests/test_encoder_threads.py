"""The shared MiniLM encoder is used from several threads at once in the review app (a map rebuild beside a
re-code): its fast tokenizer keeps the padding and truncation of its last call, so one thread's unpadded token
count could strip another's padding ("Unable to create tensor ... activate padding")."""

from __future__ import annotations

import threading

from research.coding.emotion_model import frozen_hidden
from research.embeddings import load_encoder, token_counts

TEXTS = [("word " * n).strip() for n in range(1, 40)]  # lengths differ, so a batch needs padding


def test_padded_batches_and_token_counts_from_two_threads_at_once():
    tokenizer, errors = load_encoder().tokenizer, []

    def repeatedly(call, times: int) -> None:
        try:
            for _ in range(times):
                call()
        except ValueError as error:
            errors.append(str(error))

    threads = [threading.Thread(target=repeatedly, args=(lambda: frozen_hidden(TEXTS, 0), 400)),
               threading.Thread(target=repeatedly, args=(lambda: token_counts(tokenizer, TEXTS, 256), 400))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
