"""CPU seconds an export spends redacting memos: one detector call per memo and per use (the reference
revision's `memo_redactor`) against one call for all of an export's memos (`MemoRedactor.many`), in the same run.

    python benchmarks/memo_export.py --study DIR [--memos 200] [--reference main] [--repeat 3]

Works on a copy of a coded study (the demo study: `research demo`, or the tests' cached one). It writes
`--memos` memos onto its codings and utterances: a third name a person (a participant's real name or
another), a sixth give an email address or a phone number, the rest are plain notes. The reference
redacts as the old export did: each memo once for the map's Markdown/HTML and again for the QDPX notes.
Both must give the same texts; the Presidio engine is loaded once, before either is timed.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from research.coding.memos import memo_redactor, memos  # noqa: E402
from research.store import now  # noqa: E402
from research.study import Study  # noqa: E402

OTHERS = ["Dana Whitfield", "Marcus Lee", "Priya Raman", "Tom Becker"]
NOTES = ["Contradicts the pricing answer", "Compare with the onboarding call", "Sarcastic, not a delight", "Ask about the filter subscription",
         "Same pain as the second interview", "Check whether this is the app or the device", "Strong quote for the deck"]


def cpu() -> float:
    """User and system CPU seconds of this process, every thread included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def memo_texts(count: int, names: list[str]) -> list[str]:
    pick = random.Random(0)
    out = []
    for n in range(count):
        kind = n % 6
        note = pick.choice(NOTES)
        if kind in (0, 3):
            out.append(f"{pick.choice(names + OTHERS)} said this twice; {note.lower()} ({n})")
        elif kind == 1:
            out.append(f"{note}. Follow up at {pick.choice(['dana.w', 'marcus', 'p.raman'])}@example.com ({n})")
        else:
            out.append(f"{note} ({n})")
    return out


def write_memos(study: Study, texts: list[str]) -> None:
    db = study.db
    codings = [r[0] for r in db.execute("SELECT id FROM codings WHERE status IN ('accepted', 'suggested') ORDER BY id")]
    utterances = [r[0] for r in db.execute("SELECT id FROM utterances ORDER BY id")]
    half = min(len(texts) // 2, len(utterances))  # utterance memos, the rest on codings
    if len(codings) < len(texts) - half or len(utterances) < half:
        sys.exit(f"the study has {len(codings)} codings and {len(utterances)} utterances: too few for {len(texts)} memos")
    with db.atomic():
        for coding, text in zip(codings, texts[half:]):
            db.execute("UPDATE codings SET memo = ? WHERE id = ?", [text, coding])
        for utterance, text in zip(utterances, texts[:half]):
            db["utterance_memos"].upsert({"utterance_id": utterance, "memo": text, "coder": "bench", "updated_at": now()}, pk="utterance_id")


def reference_memos_module(revision: str) -> types.ModuleType:
    """research/coding/memos.py as it was at `revision`, loaded as its own module."""
    source = subprocess.run(["git", "show", f"{revision}:research/coding/memos.py"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    module = types.ModuleType("reference_memos")
    sys.modules[module.__name__] = module  # its dataclasses look their module up
    exec(compile(source, f"{revision}:research/coding/memos.py", "exec"), module.__dict__)
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--study", type=Path, required=True, help="a coded study (copied; the original is not changed)")
    parser.add_argument("--memos", type=int, default=200)
    parser.add_argument("--reference", default="main", help="the revision whose export redacted one memo at a time")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "study"
        shutil.copytree(args.study, root)
        study = Study.open(root)
        names = [name for name, kind in study.vault.known_names() if kind == "PERSON"]
        write_memos(study, memo_texts(args.memos, names))
        found = memos(study.db, None)
        texts = [memo.text for memo in found]
        reference = reference_memos_module(args.reference)
        memo_redactor(study)("warm up the engine")  # Presidio and spaCy load once, outside the timing
        old_times, new_times = [], []
        for _ in range(args.repeat):
            started = cpu()
            old_redact = reference.memo_redactor(study)
            old_map = [old_redact(text) for text in texts]  # the Markdown/HTML memos
            old_qdpx = [old_redact(text) for text in texts]  # the QDPX notes, again
            old_times.append(cpu() - started)
            started = cpu()
            new_redact = memo_redactor(study)
            new_redact.many(texts)  # the export's one call
            new_map = new_redact.many(texts)
            new_qdpx = [new_redact(text) for text in texts]
            new_times.append(cpu() - started)
            assert old_map == new_map == old_qdpx == new_qdpx, "the batched redaction changed a memo"
        changed = sum(text != clean for text, clean in zip(texts, new_map))
        load = os.getloadavg()
        print(f"{len(texts)} memos ({changed} with PII replaced), best of {args.repeat}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print(f"{'one call per memo and use (' + args.reference + ')':<42} {min(old_times):6.2f} CPU s   runs: {' '.join(f'{t:.2f}' for t in old_times)}")
        print(f"{'one call for the export (this tree)':<42} {min(new_times):6.2f} CPU s   runs: {' '.join(f'{t:.2f}' for t in new_times)}")
        print(f"speed-up {min(old_times) / min(new_times):.1f}x; outputs identical")


if __name__ == "__main__":
    main()
