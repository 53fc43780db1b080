"""Both Whisper engines on the same real audio, model, beam and threads.

    python benchmarks/transcribe.py                    # tiny.en, beam 5, 2 threads
    python benchmarks/transcribe.py --model base --threads 4

Audio: the real human speech in ../shared/data (short LJ Speech clips and JFK) when
present, and the bundled demo interviews (1.5-2 minute conversations, the product's
real workload). Prints, for each set, each engine's time, real-time factor and WER,
and the speed ratio against openai-whisper measured in the same run. Model loading is
timed separately and not part of the ratio.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path


os.environ.setdefault("HF_HUB_OFFLINE", "1")

from research.audio import SAMPLE_RATE, decode  # noqa: E402
from research.demo_corpus import DEMO_DIR, reference_scripts, spoken_text  # noqa: E402
from research.transcribe import TranscribeOptions, create_engine  # noqa: E402
from research.transcribe.wer import word_error_rate  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"


def corpora() -> list[tuple[str, list[tuple[Path, str]]]]:
    sets = []
    lj = SHARED / "asr-ljspeech"
    if lj.is_dir():
        rows = csv.DictReader((lj / "transcripts.tsv").open(), delimiter="\t")
        items = [(lj / "wavs" / f"{r['id']}.wav", r["text_normalized"]) for r in rows if (lj / "wavs" / f"{r['id']}.wav").is_file()]
        jfk = SHARED / "asr-faster-whisper-jfk" / "jfk.flac"
        items.append((jfk, "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."))
        sets.append(("LJ Speech + JFK (real human speech, short clips)", items))
    items = []
    for script in reference_scripts():
        items.append((DEMO_DIR / script["file"], spoken_text(script)))
    sets.append(("demo interviews (synthetic speech, long form)", items))
    return sets


def run(engine_name: str, model: str, threads: int, beam: int, audio: list, references: list[str]) -> dict:
    started = time.perf_counter()
    engine = create_engine(engine_name, model, threads=threads)
    load = time.perf_counter() - started
    options = TranscribeOptions(beam_size=beam, language="en")
    hypotheses = []
    started = time.perf_counter()
    for samples in audio:
        _, segments = engine.transcribe(samples, options)
        hypotheses.append(" ".join(s.text for s in segments))
    seconds = time.perf_counter() - started
    duration = sum(len(a) for a in audio) / SAMPLE_RATE
    return {"engine": engine_name, "load": load, "seconds": seconds, "rtf": seconds / duration, "wer": word_error_rate(references, hypotheses)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    for name, items in corpora():
        audio = [decode(path) for path, _ in items]
        references = [text for _, text in items]
        duration = sum(len(a) for a in audio) / SAMPLE_RATE
        print(f"\naudio: {name}, {len(items)} files, {duration:.1f} s; model {args.model}, beam {args.beam}, {args.threads} threads, CPU")
        reference = run("openai-whisper", args.model, args.threads, args.beam, audio, references)
        default = run("faster-whisper", args.model, args.threads, args.beam, audio, references)
        print(f"{'engine':<27}{'load s':>8}{'time s':>9}{'RTF':>7}{'WER %':>8}")
        for row, label in ((reference, "openai-whisper (fp32)"), (default, "faster-whisper (int8)")):
            print(f"{label:<27}{row['load']:>8.1f}{row['seconds']:>9.1f}{row['rtf']:>7.3f}{100 * row['wer']:>8.2f}")
        print(f"speed ratio faster-whisper vs openai-whisper: {reference['seconds'] / default['seconds']:.2f}x")
        print(f"WER difference (faster - openai): {100 * (default['wer'] - reference['wer']):+.2f} points")

if __name__ == "__main__":
    main()
