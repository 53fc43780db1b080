"""Both Whisper engines, and faster-whisper batched, on the same real audio, model, beam and threads.

    python benchmarks/transcribe.py                    # tiny.en, beam 5, 2 threads
    python benchmarks/transcribe.py --model base --threads 4 --batch-size 8

Audio: the real human speech in ../shared/data (LJ Speech clips and JFK) when present,
and the bundled demo interviews (1.5-2 minute conversations, the product's real
workload). The LJ Speech clips are also stitched into one recording with a second of
silence between them: batching works within a recording, not across files. Prints, for
each set, openai-whisper, faster-whisper sequential and faster-whisper batched: time,
real-time factor and WER, and the speed ratios measured in the same run; also faster-whisper's
batched pipeline alone (before research.transcribe.batched decoded its dropped speech again). Model loading
is timed separately and not part of the ratios.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

import numpy as np


os.environ.setdefault("HF_HUB_OFFLINE", "1")

from research.audio import SAMPLE_RATE, decode  # noqa: E402
from research.demo_corpus import DEMO_DIR, reference_scripts, spoken_text  # noqa: E402
from research.transcribe import TranscribeOptions, create_engine  # noqa: E402
from research.transcribe.faster_whisper_engine import vad_parameters  # noqa: E402
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


def stitched(audio: list[np.ndarray], references: list[str]) -> tuple[list[np.ndarray], list[str]]:
    """The clips as one recording, a second of silence between them, and the joined reference."""
    gap = np.zeros(SAMPLE_RATE, np.float32)
    joined = np.concatenate([part for clip in audio for part in (clip, gap)])
    return [joined], [" ".join(references)]


def run(engine_name: str, model: str, threads: int, beam: int, audio: list, references: list[str], batching: str = "off", batch_size: int = 8) -> dict:
    started = time.perf_counter()
    engine = create_engine(engine_name, model, threads=threads)
    load = time.perf_counter() - started
    options = TranscribeOptions(beam_size=beam, language="en", batching="on" if batching == "pipeline" else batching, batch_size=batch_size)
    hypotheses = []
    started, cpu = time.perf_counter(), time.process_time()
    for samples in audio:
        if batching == "pipeline":  # faster-whisper's batched pipeline alone, as before the gaps were decoded again
            segments, _ = engine.batched.transcribe(samples, vad_filter=True, vad_parameters=vad_parameters(), batch_size=batch_size, language="en",
                                                    beam_size=beam, word_timestamps=True, condition_on_previous_text=False)
        else:
            _, segments = engine.transcribe(samples, options)
        hypotheses.append(" ".join(s.text.strip() for s in segments))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    duration = sum(len(a) for a in audio) / SAMPLE_RATE
    return {"engine": engine_name, "batching": batching, "load": load, "seconds": seconds, "cpu": cpu, "rtf": seconds / duration, "wer": word_error_rate(references, hypotheses)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--demo-files", type=int, default=0, help="only the first N demo interviews (0: all seven)")
    parser.add_argument("--long-only", action="store_true", help="skip the short clips one by one (batching has nothing to batch there)")
    parser.add_argument("--no-openai", action="store_true", help="skip openai-whisper (its ratios then go unmeasured)")
    args = parser.parse_args()
    sets = []
    for name, items in corpora():
        items = items[: args.demo_files] if args.demo_files and name.startswith("demo") else items
        audio, references = [decode(path) for path, _ in items], [text for _, text in items]
        if not (args.long_only and name.startswith("LJ")):
            sets.append((f"{name}, {len(items)} files", audio, references))
        if name.startswith("LJ"):
            sets.append((f"the same {len(items)} clips stitched into one recording", *stitched(audio, references)))
    for name, audio, references in sets:
        duration = sum(len(a) for a in audio) / SAMPLE_RATE
        print(f"\naudio: {name}, {duration:.1f} s; model {args.model}, beam {args.beam}, {args.threads} threads, CPU", flush=True)
        reference = None if args.no_openai else run("openai-whisper", args.model, args.threads, args.beam, audio, references)
        rows = [
            *([("openai-whisper (fp32)", reference)] if reference else []),
            ("faster-whisper int8", run("faster-whisper", args.model, args.threads, args.beam, audio, references)),
            (f"faster-whisper batched x{args.batch_size}", run("faster-whisper", args.model, args.threads, args.beam, audio, references, "on", args.batch_size)),
            ("  (pipeline alone, before)", run("faster-whisper", args.model, args.threads, args.beam, audio, references, "pipeline", args.batch_size)),
        ]
        print(f"{'engine':<29}{'load s':>8}{'time s':>9}{'CPU s':>8}{'RTF':>7}{'WER %':>8}")
        for label, row in rows:
            print(f"{label:<29}{row['load']:>8.1f}{row['seconds']:>9.1f}{row['cpu']:>8.1f}{row['rtf']:>7.3f}{100 * row['wer']:>8.2f}")
        (_, sequential), (_, batched), (_, before) = rows[-3:]
        print(f"batched vs sequential faster-whisper: {sequential['seconds'] / batched['seconds']:.2f}x, in CPU seconds (fairer on a shared machine) "
              f"{sequential['cpu'] / batched['cpu']:.2f}x; WER (points) batched - sequential: {100 * (batched['wer'] - sequential['wer']):+.2f}, "
              f"the pipeline alone - sequential: {100 * (before['wer'] - sequential['wer']):+.2f}")
        if reference:
            print(f"vs openai-whisper: batched {reference['seconds'] / batched['seconds']:.2f}x, sequential {reference['seconds'] / sequential['seconds']:.2f}x; "
                  f"in CPU seconds {reference['cpu'] / batched['cpu']:.2f}x and {reference['cpu'] / sequential['cpu']:.2f}x; "
                  f"WER (points) batched - openai: {100 * (batched['wer'] - reference['wer']):+.2f}")


if __name__ == "__main__":
    main()
