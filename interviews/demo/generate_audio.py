"""Synthesize the demo interviews from their reference scripts.

    python interviews/demo/generate_audio.py            # all scripts
    python interviews/demo/generate_audio.py int-03     # one

Voices come from hibari-tts, whose one packaged voice ("heart") works offline. The
interviewer and the second customer are made distinct by a tape-speed shift
(resampling changes pitch and formants together, like a different vocal tract), so
speaker embeddings separate them as they would two people. Each interview is written
as a mono Opus file, and `timings.json` records when each turn starts and ends.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from hibari import Hibari

from research.audio import write_opus

HERE = Path(__file__).resolve().parent
SAMPLE_RATE = 24_000
GAP_SECONDS = (0.45, 0.8)  # pause between turns, drawn per turn
LEAD_IN_SECONDS = 0.6


@dataclass(frozen=True)
class Voice:
    speed: float  # hibari speaking rate
    pitch: float  # tape-speed factor: <1 lowers pitch and slows, >1 raises and speeds up


VOICES = {
    "customer": Voice(speed=1.0, pitch=1.0),
    "interviewer": Voice(speed=1.18, pitch=0.8),
    "customer_b": Voice(speed=0.92, pitch=1.12),
}


def tape_shift(audio: np.ndarray, factor: float) -> np.ndarray:
    if factor == 1.0:
        return audio
    positions = np.arange(0, len(audio) - 1, factor)
    return np.interp(positions, np.arange(len(audio)), audio).astype(np.float32)


def synthesize(tts: Hibari, script: dict, seed: int) -> tuple[np.ndarray, list[dict]]:
    rng = np.random.default_rng(seed)
    pieces = [np.zeros(int(LEAD_IN_SECONDS * SAMPLE_RATE), np.float32)]
    cursor = LEAD_IN_SECONDS
    timings = []
    for index, turn in enumerate(script["turns"]):
        voice_name = script["speakers"][turn["speaker"]]["voice"]
        voice = VOICES[voice_name]
        speech = tape_shift(tts(turn["text"], speed=voice.speed, seed=seed + index), voice.pitch)
        speech = 0.9 * speech / max(1e-6, float(np.abs(speech).max()))
        duration = len(speech) / SAMPLE_RATE
        timings.append({"turn": index, "speaker": turn["speaker"], "start": round(cursor, 3), "end": round(cursor + duration, 3)})
        gap = rng.uniform(*GAP_SECONDS)
        pieces += [speech, np.zeros(int(gap * SAMPLE_RATE), np.float32)]
        cursor += duration + gap
    return np.concatenate(pieces), timings


def main(ids: list[str]) -> None:
    tts = Hibari(threads=2)
    timings_path = HERE / "timings.json"
    all_timings = json.loads(timings_path.read_text()) if timings_path.exists() else {}
    for script_path in sorted((HERE / "scripts").glob("*.yaml")):
        script = yaml.safe_load(script_path.read_text())
        if ids and script["id"] not in ids:
            continue
        seed = int(script["id"].split("-")[-1])
        audio, timings = synthesize(tts, script, seed)
        write_opus(audio, HERE / script["file"], SAMPLE_RATE, compression_level=10)
        all_timings[script["id"]] = timings
        print(f"{script['file']}: {len(audio) / SAMPLE_RATE:.1f} s, {len(timings)} turns")
    timings_path.write_text(json.dumps(dict(sorted(all_timings.items())), indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
