"""Distinct conversational speech for the pipeline benchmark, synthesized once and cached outside the repo.

    python benchmarks/spoken_dialogues.py [--cache DIR]     # /work/cache/bench-audio unless RESEARCH_BENCH_AUDIO is set

The text is MELD's dev dialogues (../shared/data/emotion-meld-dialogue: spoken multi-party
dialogue, text only, evaluation use), each dialogue spoken turn by turn with the demo
interviews' TTS path (hibari-tts and its tape-shifted voices, interviews/demo/generate_audio.py).
Every dialogue's text is different, so the audio never repeats. One Opus file per dialogue.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
MELD = SHARED / "emotion-meld-dialogue" / "dev_sent_emo.csv"
DEFAULT_CACHE = Path(os.environ.get("RESEARCH_BENCH_AUDIO", "/work/cache/bench-audio"))


def dialogues(path: Path = MELD) -> list[dict]:
    """MELD's dialogues as demo-style scripts: speakers in order of appearance take the demo's voices in turn."""
    by_id: dict[int, list[dict]] = {}
    for row in csv.DictReader(path.open(encoding="utf-8")):
        by_id.setdefault(int(row["Dialogue_ID"]), []).append(row)
    voices = ["customer", "interviewer", "customer_b"]
    scripts = []
    for dialogue_id, rows in sorted(by_id.items()):
        rows.sort(key=lambda r: int(r["Utterance_ID"]))
        names = list(dict.fromkeys(r["Speaker"] for r in rows))
        speakers = {f"s{i}": {"voice": voices[(i + dialogue_id) % len(voices)]} for i in range(len(names))}
        turns = [{"speaker": f"s{names.index(r['Speaker'])}", "text": r["Utterance"].replace("’", "'").replace("‘", "'")} for r in rows]
        scripts.append({"id": f"meld-{dialogue_id:03d}", "speakers": speakers, "turns": turns})
    return scripts


def cached_audio(cache: Path = DEFAULT_CACHE, path: Path = MELD) -> list[Path]:
    """One Opus file per dialogue in `cache`, synthesizing those not there yet."""
    cache.mkdir(parents=True, exist_ok=True)
    scripts = dialogues(path)
    files = [cache / f"{script['id']}.opus" for script in scripts]
    missing = [(number, script, target) for number, (script, target) in enumerate(zip(scripts, files)) if not target.is_file()]
    if missing:
        _synthesize(missing)
    return files


def _synthesize(missing: list[tuple[int, dict, Path]]) -> None:
    from hibari import Hibari

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the demo's TTS script lives in interviews/, not in the package
    from interviews.demo.generate_audio import SAMPLE_RATE, synthesize
    from research.audio import write_opus

    tts = Hibari(threads=2)
    for number, script, target in missing:
        audio, _ = synthesize(tts, script, seed=1000 + number)
        write_opus(audio, target, SAMPLE_RATE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()
    if not MELD.is_file():
        raise SystemExit(f"{MELD} is absent: no dialogue text to speak")
    files = cached_audio(args.cache)
    print(f"{len(files)} dialogues in {args.cache}")


if __name__ == "__main__":
    main()
