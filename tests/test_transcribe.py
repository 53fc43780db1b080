"""Transcription end to end: both engines on real speech, the batch, bad files and resuming."""

import csv
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from research.audio import decode
from research.cli import cli
from research.config import TranscribeSettings
from research.demo_corpus import reference_scripts, spoken_text
from research.ingest import add_files
from research.transcribe import TranscribeOptions, create_engine
from research.transcribe.batch import TranscriptionBatch, pending_interviews
from research.transcribe.wer import word_error_rate
from tests.audio_factory import speech_clip, write_audio, write_video
from tests.conftest import DEMO

TINY = TranscribeSettings(model="tiny.en", beam_size=5)


def script_text(interview: str) -> str:
    (script,) = [s for s in reference_scripts() if s["id"] == interview]
    return spoken_text(script)


def vault_text(study, interview_id: int) -> str:
    return " ".join(segment.text for segment in study.vault.raw_segments(interview_id))


def demo_interview(study, name: str) -> int:
    """The id of the demo recording `name` (int-01 ...) in a study built from the demo folder."""
    (interview_id,) = [row[0] for row in study.db.execute("SELECT id FROM interviews WHERE sha256 = ?", [hashlib.sha256((DEMO / f"{name}.opus").read_bytes()).hexdigest()])]
    return interview_id


def check_word_times(segments: list, duration: float) -> None:
    words = [w for s in segments for w in s.words]
    assert words and all(s.start - 0.05 <= w.start <= w.end <= s.end + 0.05 for s in segments for w in s.words)
    assert all(a.start <= b.start for a, b in zip(words, words[1:])) and words[-1].end <= duration + 0.5


def ljspeech(shared_data: Path, count: int) -> list[tuple[Path, str]]:
    rows = list(csv.DictReader((shared_data / "asr-ljspeech" / "transcripts.tsv").open(), delimiter="\t"))
    return [(shared_data / "asr-ljspeech" / "wavs" / f"{row['id']}.wav", row["text_normalized"]) for row in rows if (shared_data / "asr-ljspeech" / "wavs" / f"{row['id']}.wav").is_file()][:count]


def transcribe_files(engine_name: str, files: list[Path]) -> list[str]:
    engine = create_engine(engine_name, "tiny.en", threads=2)
    texts = []
    for path in files:
        info, segments = engine.transcribe(decode(path), TranscribeOptions(beam_size=5))
        segments = list(segments)
        assert info.language == "en"
        words = [word for segment in segments for word in segment.words]
        assert words, f"no words for {path.name}"
        assert all(0 <= w.start <= w.end <= info.duration + 0.5 for w in words)
        assert all(a.start <= b.start for a, b in zip(words, words[1:]))
        texts.append(" ".join(segment.text for segment in segments))
    return texts


@pytest.mark.slow
@pytest.mark.parametrize("engine_name", ["faster-whisper", "openai-whisper"])
def test_real_human_speech(shared_data, engine_name):
    """LJ Speech and JFK: real recordings with human references (tiny.en publishes 5.6% WER on LibriSpeech)."""
    clips = ljspeech(shared_data, 6 if engine_name == "faster-whisper" else 3)  # all 16, stitched: the test below
    jfk = shared_data / "asr-faster-whisper-jfk" / "jfk.flac"
    reference = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
    texts = transcribe_files(engine_name, [jfk] + [path for path, _ in clips])
    assert word_error_rate([reference], texts[:1]) < 0.05
    lj_wer = word_error_rate([text for _, text in clips], texts[1:])
    print(f"{engine_name} tiny.en LJ Speech WER {lj_wer:.3f} on {len(clips)} clips")
    assert lj_wer < 0.10


@pytest.mark.slow
def test_the_batch_transcribed_a_demo_interview_into_the_vault(demo_study):
    """int-04 as the batch (tiny.en, beam 5, sequential) transcribed it for the shared demo study, not transcribed
    again here; that raw text stays out of study.db until anonymization is checked on a batch of its own below."""
    study = demo_study
    interview_id = demo_interview(study, "int-04")
    assert study.db.execute("SELECT status FROM stage_status WHERE interview_id = ? AND stage = 'transcribe'", [interview_id]).fetchone()[0] == "done"
    text = vault_text(study, interview_id)
    assert word_error_rate([script_text("int-04")], [text]) < 0.15 and "black dust" in text
    language, duration = study.db.execute("SELECT language, duration FROM interviews WHERE id = ?", [interview_id]).fetchone()
    check_word_times(study.vault.raw_segments(interview_id), duration)
    assert language == "en"
    settings = study.config.transcribe
    assert settings.beam_size == 5 and pending_interviews(study, settings) == []
    assert len(pending_interviews(study, settings.model_copy(update={"beam_size": 1}))) == study.db["interviews"].count  # other settings: pending again


def test_batched_decoding_is_chosen_for_long_audio_with_vad_only():
    from research.transcribe.faster_whisper_engine import BATCH_MIN_SECONDS, use_batched

    auto = TranscribeOptions()
    assert use_batched(BATCH_MIN_SECONDS, auto, on_gpu=True) and not use_batched(BATCH_MIN_SECONDS - 1, auto, on_gpu=True)
    assert not use_batched(3600, auto, on_gpu=False)  # on CPU auto stays sequential: batching cost words on the demo
    assert use_batched(5, TranscribeOptions(batching="on"), on_gpu=False) and not use_batched(600, TranscribeOptions(batching="off"), on_gpu=True)
    assert not use_batched(600, TranscribeOptions(vad=False), on_gpu=True)  # the batch is cut at VAD silences
    assert not use_batched(600, TranscribeOptions(temperature=(0.4, 0.6)), on_gpu=True)  # loop repair needs the temperature fallback


def test_speech_that_no_decoded_word_covers_is_found():
    """What the batched pipeline dropped: a whole stretch, or its tail or head; not the slack of word timestamps."""
    from research.transcribe.batched import MIN_GAP_SECONDS, Stretch, uncovered

    stretch = Stretch(10.0, 14.0)
    assert uncovered(stretch, []) == stretch
    assert uncovered(stretch, [(1.0, 2.0), (20.0, 21.0)]) == stretch  # words elsewhere cover nothing here
    assert uncovered(stretch, [(10.1, 11.0), (11.1, 11.9)]) == Stretch(11.9, 14.0)  # the tail was dropped
    assert uncovered(stretch, [(12.5, 13.9)]) == Stretch(10.0, 12.5)  # the head was dropped
    assert uncovered(stretch, [(10.2, 13.7)]) is None  # covered up to timestamp slack
    assert uncovered(Stretch(3.0, 3.0 + MIN_GAP_SECONDS / 2), []) is None  # too short to decode alone


def test_a_gap_decoded_as_silence_is_dropped():
    from types import SimpleNamespace

    from research.transcribe.batched import silent

    assert silent(SimpleNamespace(no_speech_prob=0.9, avg_logprob=-1.4))  # "Thank you." over a cough
    assert not silent(SimpleNamespace(no_speech_prob=0.9, avg_logprob=-0.3))  # confident words: speech after all
    assert not silent(SimpleNamespace(no_speech_prob=0.1, avg_logprob=-1.4))


@pytest.mark.slow
def test_batched_and_sequential_give_the_same_words_with_timestamps(demo_study):
    """faster-whisper's batched pipeline on a two-minute interview: same VAD, words timed inside their segments,
    and no speech lost. int-01 is where the pipeline alone dropped a whole window and sentence tails (WER 3.8% -> 14%).
    The sequential side is int-01 as the shared demo study's batch decoded it (tiny.en, beam 5, sequential)."""
    engine = create_engine("faster-whisper", "tiny.en", threads=2)
    info, segments = engine.transcribe(decode(DEMO / "int-01.opus"), TranscribeOptions(beam_size=5, batching="on", batch_size=4))
    segments = list(segments)
    check_word_times(segments, info.duration)
    interview_id = demo_interview(demo_study, "int-01")
    assert demo_study.config.transcribe.batching == "off" and demo_study.config.transcribe.beam_size == 5
    check_word_times(demo_study.vault.raw_segments(interview_id), info.duration)
    reference = script_text("int-01")
    batched = word_error_rate([reference], [" ".join(s.text for s in segments)])
    sequential = word_error_rate([reference], [vault_text(demo_study, interview_id)])
    print(f"int-01 tiny.en WER batched {batched:.3f}, sequential {sequential:.3f}")
    assert batched <= sequential + 0.01


@pytest.mark.slow
def test_batched_real_speech_stays_in_time_order(shared_data):
    """LJ Speech stitched into one recording: the speech decoded again lands in its place, not after what follows it."""
    clips = ljspeech(shared_data, 16)
    gap = np.zeros(16000, np.float32)
    audio = np.concatenate([part for path, _ in clips for part in (decode(path), gap)])
    reference = " ".join(text for _, text in clips)
    engine = create_engine("faster-whisper", "tiny.en", threads=2)
    texts = {}
    for batching in ("on", "off"):
        _, segments = engine.transcribe(audio, TranscribeOptions(beam_size=5, batching=batching))
        segments = list(segments)
        assert all(a.start <= b.start for a, b in zip(segments, segments[1:]))
        texts[batching] = " ".join(s.text for s in segments)
    batched, sequential = (word_error_rate([reference], [texts[mode]]) for mode in ("on", "off"))
    print(f"LJ Speech stitched tiny.en WER batched {batched:.3f}, sequential {sequential:.3f}")
    assert batched <= sequential + 0.01 and sequential < 0.10  # as each clip decoded alone must (above)


def first_turns(name: str, count: int, tmp_path: Path) -> tuple[Path, str]:
    """Demo recording `name` cut after its first `count` turns, as a file, and what those turns say."""
    turns = json.loads((DEMO / "timings.json").read_text())[name][:count]
    (script,) = [s for s in reference_scripts() if s["id"] == name]
    clip = write_audio(tmp_path / f"{name}.wav", speech_clip(DEMO / f"{name}.opus", turns[-1]["end"] + 0.5))
    return clip, " ".join(turn["text"] for turn in script["turns"][:count])


@pytest.mark.slow
def test_openai_whisper_batch_on_a_demo_interview(study, tmp_path):
    """The batch path with the second engine on int-07's first three questions and answers (47 s of 88); greedy
    decoding, as beam search is covered on real speech above."""
    clip, said = first_turns("int-07", 6, tmp_path)
    add_files(study, [clip])
    report = TranscriptionBatch(study, TINY.model_copy(update={"engine": "openai-whisper", "beam_size": 1})).run()
    assert [o.status for o in report.outcomes] == ["done"], report.outcomes
    assert word_error_rate([said], [vault_text(study, 1)]) < 0.15


@pytest.mark.slow
def test_a_bad_file_never_stops_the_batch(study, tmp_path):
    good = write_audio(tmp_path / "good.wav", speech_clip(DEMO / "int-02.opus", 8))  # what it says is not tested here: 8 s do
    silent = write_audio(tmp_path / "silent.wav", np.zeros(16_000 * 3, np.float32))
    truncated = tmp_path / "later-corrupted.opus"
    truncated.write_bytes((DEMO / "int-06.opus").read_bytes())
    moved = write_audio(tmp_path / "moved.wav", speech_clip(DEMO / "int-05.opus", 5))
    add_files(study, [truncated, good, silent, moved])
    truncated.write_bytes(b"OggS" + b"\x00" * 200)  # damaged after it was added
    moved.unlink()
    result = CliRunner().invoke(cli, ["--study", str(study.root), "transcribe", "--model", "tiny.en"])
    assert result.exit_code == 1
    statuses = dict(study.db.execute("SELECT i.code, s.status FROM stage_status s JOIN interviews i ON i.id = s.interview_id").fetchall())
    assert statuses == {"INT-001": "failed", "INT-002": "done", "INT-003": "empty", "INT-004": "failed"}
    assert "2 failed" in result.output
    assert "INT-001: could not decode audio" in result.output  # damaged, not empty
    assert "INT-004: the audio file is no longer where it was added" in result.output
    assert "INT-003: no speech" in result.output
    # raw text stays out of study.db until the anonymization stage: in the vault only
    raw = [segment.text.strip() for segment in study.vault.raw_segments(2)]
    dump = "\n".join(sqlite3.connect(study.db_path).iterdump())
    assert raw and study.db["utterances"].count == 0 and not [text for text in raw if text in dump]
    status = CliRunner().invoke(cli, ["--study", str(study.root), "status"])
    assert "INT-004: the audio file is no longer" in status.output
    # fixing the file and re-running picks up only what failed
    moved.write_bytes(write_audio(tmp_path / "again.wav", speech_clip(DEMO / "int-05.opus", 5)).read_bytes())
    rerun = CliRunner().invoke(cli, ["--study", str(study.root), "transcribe", "--model", "tiny.en"])
    assert "Transcribed 1 of 2" in rerun.output


@pytest.mark.slow
def test_video_and_parallel_workers(study, tmp_path):
    video = write_video(tmp_path / "call.mp4", speech_clip(DEMO / "int-03.opus", 20), 20)
    audio = write_audio(tmp_path / "call.wav", speech_clip(DEMO / "int-03.opus", 30))  # a second file for the second worker
    add_files(study, [video, audio])
    report = TranscriptionBatch(study, TINY.model_copy(update={"workers": 2})).run()
    assert [o.status for o in report.outcomes] == ["done", "done"]
    assert "Sofia" in vault_text(study, 1) or "Reyes" in vault_text(study, 1)


@pytest.mark.slow
def test_english_only_model_refuses_another_language(study):
    add_files(study, [DEMO / "int-02.opus"])
    report = TranscriptionBatch(study, TINY.model_copy(update={"language": "de"})).run()
    (outcome,) = report.outcomes
    assert outcome.status == "failed" and "English-only" in outcome.message


@pytest.mark.slow
def test_killed_batch_resumes_without_duplicates_or_loss(study, tmp_path):
    """faster-whisper's batched pipeline (asked for: on CPU `auto` decodes sequentially), killed mid-file and run again.
    int-01's first six turns (59 s) one 30-second window at a time, so that segments stream in, and int-05's first
    four (27 s), not yet started when the first is killed; the sequential pipeline's kill: test_faults.py."""
    first, first_said = first_turns("int-01", 6, tmp_path)
    second, second_said = first_turns("int-05", 4, tmp_path)
    add_files(study, [first, second])
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "research", "--study", str(study.root), "transcribe", "--model", "tiny.en", "--beam-size", "5", "--batching", "on", "--batch-size", "1"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    vault = sqlite3.connect(study.vault.path)
    deadline = time.time() + 240
    while time.time() < deadline and process.poll() is None:
        if vault.execute("SELECT count(*) FROM raw_segments WHERE interview_id = 1").fetchone()[0] >= 2:
            break
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    partial = vault.execute("SELECT count(*), max(\"end\") FROM raw_segments WHERE interview_id = 1").fetchone()
    assert partial[0] >= 2, "the batch did not get far enough to be interrupted"
    assert study.db.execute("SELECT status FROM stage_status WHERE interview_id = 1").fetchone()[0] == "running"

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    rows = vault.execute("SELECT interview_id, idx, start FROM raw_segments ORDER BY interview_id, idx").fetchall()
    for interview_id in (1, 2):
        own = [(idx, start) for iid, idx, start in rows if iid == interview_id]
        assert [idx for idx, _ in own] == list(range(len(own)))  # no duplicates, no gaps
        assert all(a[1] <= b[1] for a, b in zip(own, own[1:]))  # time never goes backwards
    assert word_error_rate([first_said], [vault_text(study, 1)]) < 0.15
    assert word_error_rate([second_said], [vault_text(study, 2)]) < 0.15
    statuses = {row[0] for row in study.db.execute("SELECT status FROM stage_status")}
    assert statuses == {"done"}


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_openai_whisper_finishes_a_clip_that_ends_in_speech():
    """openai-whisper loops forever when a clip ends at the last frame; the engine must not."""
    engine = create_engine("openai-whisper", "tiny.en", threads=2)
    info, segments = engine.transcribe(speech_clip(DEMO / "int-03.opus", 2.4), TranscribeOptions(beam_size=5))
    assert info.duration == pytest.approx(2.4, abs=0.01)
    assert any(segment.text for segment in segments)


def _words(text: str) -> list:
    from research.transcribe.types import Word

    return [Word(i * 0.3, i * 0.3 + 0.25, " " + w, 0.9) for i, w in enumerate(text.split())]


def test_repetition_loops_are_found_and_people_repeating_themselves_are_not():
    from research.transcribe.loops import find_loop, without_repeats
    from research.transcribe.types import Segment

    assert find_loop(_words("Yeah, yeah, yeah. I think so.")) is None
    assert find_loop(_words("no no no no, that was not it")) is None
    assert find_loop(_words("that that is is fine")) is None
    looping = "So we set it up and " + "yeah, " * 14 + "and then it worked."
    loop = find_loop(_words(looping))
    assert loop is not None and loop.size == 1 and loop.repeats == 14
    phrase = _words("it was " + "thank you so much " * 6 + "bye")
    loop = find_loop(phrase)
    assert (loop.size, loop.repeats) == (4, 6)
    kept = without_repeats(Segment(0.0, phrase[-1].end, "", phrase), loop)
    assert kept.text == "it was thank you so much bye"
    assert kept.words[-1] == phrase[-1]


@pytest.mark.slow
def test_a_looping_segment_is_decoded_again_from_its_audio(shared_data):
    """A segment as Whisper writes it when it loops, over real speech: re-decoding with temperatures recovers the words."""
    from research.transcribe.loops import find_loop, repair
    from research.transcribe.types import Segment

    audio = decode(shared_data / "asr-faster-whisper-jfk" / "jfk.flac")
    looped = _words("And so my fellow Americans " + "ask not " * 12)
    segment = Segment(0.0, len(audio) / 16_000, "", looped)
    assert find_loop(segment.words)
    repaired, action = repair(segment, audio, create_engine("faster-whisper", "tiny.en", threads=2), TranscribeOptions(beam_size=5))
    assert action == "re-decoded" and find_loop(repaired.words) is None
    reference = "And so my fellow Americans ask not what your country can do for you ask what you can do for your country"
    assert word_error_rate([reference], [repaired.text]) < 0.2
    assert all(0.0 <= w.start <= w.end <= segment.end + 0.5 for w in repaired.words)
